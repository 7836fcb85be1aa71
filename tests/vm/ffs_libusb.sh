#!/bin/sh
# In the test VM (ci/vm.sh run tests/vm/ffs_libusb.sh ffs_gadget usb_reader): the device as a
# FunctionFS gadget on dummy_hcd for a 2 s steady scenario, read through the driver's libusb
# source; every packet (seq 0..199) must arrive once, in order, with a valid CRC and payload.
# Leaves the device log and the reader's verdict in /out/.
set -u
# Waits up to $1 s for process $2 to end by itself, then sends SIGTERM (the device removes itself).
stop_after() {
  i=0
  while kill -0 "$2" 2>/dev/null && [ $i -lt $(( $1 * 10 )) ]; do sleep 0.1; i=$((i + 1)); done
  kill -0 "$2" 2>/dev/null && { echo "$NAME: stopping the device (pid $2)"; kill -TERM "$2"; }
}
NAME=ffs_libusb
# The FunctionFS device: the test helper when given, else the product's own command.
if [ -x /data/ffs_gadget ]; then FFS_GADGET=/data/ffs_gadget; else FFS_GADGET="usbsim gadget --backend ffs"; fi
cat >/tmp/steady2s.yaml <<'YAML'
name: steady-2s
duration_ms: 2000
YAML
t0=$(date +%s)
$FFS_GADGET /tmp/steady2s.yaml --log /out/ffs_device.csv &
gp=$!
/data/usb_reader --source libusb --vid 0x1209 --pid 0x0001 --size 112 --seed 1 --expect 200 \
  --seconds 20 --json /out/ffs_libusb.json
rrc=$?
stop_after 5 $gp
wait $gp
grc=$?
echo "ffs_libusb: reader exit $rrc, gadget exit $grc, $(( $(date +%s) - t0 )) s"
left() { [ -n "$(find /sys/kernel/config/usb_gadget -mindepth 1 -maxdepth 1)" ] || grep -q functionfs /proc/mounts; }
left && { echo "ffs_libusb: gadget left behind"; exit 1; }
# Ctrl-C while the host is attached: the device removes itself and exits 0.
$FFS_GADGET /tmp/steady2s.yaml >/dev/null &
gp=$!
for i in $(seq 1 50); do grep -q 1209 /sys/bus/usb/devices/*/idVendor 2>/dev/null && break; sleep 0.1; done
kill -INT $gp
wait $gp
irc=$?
left && { echo "ffs_libusb: gadget left behind after SIGINT"; exit 1; }
echo "ffs_libusb: SIGINT: exit $irc, gadget removed"
[ $irc -eq 0 ] || exit 1
[ $rrc -eq 0 ] && [ $grc -eq 0 ] || { echo "$NAME: kernel log:"; dmesg | tail -n 25; exit 1; }
echo "ffs_libusb: PASS"
