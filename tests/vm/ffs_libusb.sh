#!/bin/sh
# In the test VM (ci/vm.sh run tests/vm/ffs_libusb.sh common.sh usb_reader): the device as a
# FunctionFS gadget on dummy_hcd for a 2 s steady scenario, read through the driver's libusb
# source; every packet (seq 0..199) must arrive once, in order, with a valid CRC and payload.
# Leaves the device log and the reader's verdict in /out/.
set -u
NAME=ffs_libusb
. /data/common.sh
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
