#!/bin/sh
# In the test VM (ci/vm.sh run tests/vm/suite.sh ... tests/vm/device_own.sh
# scenarios/hid-keyboard.yaml, with /bin/usbsim): a device of the scenario's own (issue 15), the
# HID example, enumerated by Linux on both paths: as a FunctionFS gadget on dummy_hcd, and over
# USB/IP (usbsim's server <- usbip attach <- vhci-hcd). Each time: the interface is class 03/01/01,
# usbhid binds it, a hidraw node appears, the report descriptor the kernel read through the
# control table is the scenario's byte for byte, and its 8-byte reports arrive. The device's
# descriptors as Linux read them (sysfs `descriptors`, what lsusb -v decodes) go to the log.
set -u
NAME=device_own
. /data/common.sh
SCN=/data/hid-keyboard.yaml
# The report descriptor as the scenario writes it (the control entry for wValue 0x2200).
want=$(usbsim validate --explain "$SCN" | sed -n 's/.*value: 0x2200.*reply: "\([0-9a-f ]*\)".*/\1/p')
[ -n "$want" ] || { echo "$NAME: no report descriptor in $SCN"; exit 1; }
hex() { od -An -tx1 -v "$1" | tr -s ' \n' '  ' | sed 's/^ //; s/ $//'; }

# Whether a 1209:0001 device is on a bus now.
present() {
  for d in /sys/bus/usb/devices/*; do
    [ -f "$d/idVendor" ] && [ "$(cat "$d/idVendor")" = 1209 ] && return 0
  done
  return 1
}

# Waits for the 1209:0001 device; prints its sysfs directory.
find_dev() {
  for i in $(seq 1 100); do
    for d in /sys/bus/usb/devices/*; do
      [ -f "$d/idVendor" ] && [ "$(cat "$d/idVendor")" = 1209 ] && [ -d "$d:1.0" ] && { echo "$d"; return 0; }
    done
    sleep 0.1
  done
  return 1
}

# Checks the enumerated device; $1 = which path.
check() {
  d=$(find_dev) || { echo "$NAME: $1: no 1209:0001 device"; return 1; }
  i="$d:1.0"
  for n in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    [ -e "$i/driver" ] && ls -d "$i"/*/hidraw/hidraw* >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "$NAME: $1: $d descriptors (device, configuration): $(hex "$d/descriptors")"
  cls="$(cat "$i/bInterfaceClass")/$(cat "$i/bInterfaceSubClass")/$(cat "$i/bInterfaceProtocol")"
  drv=$(basename "$(readlink "$i/driver" 2>/dev/null)")
  hr=$(ls -d "$i"/*/hidraw/hidraw* 2>/dev/null | head -n 1)
  echo "$NAME: $1: interface class $cls, driver '$drv', hidraw '${hr##*/}', product '$(cat "$d/product" 2>/dev/null)'"
  [ "$cls" = 03/01/01 ] || { echo "$NAME: $1: interface class is not 03/01/01"; return 1; }
  [ "$drv" = usbhid ] || { echo "$NAME: $1: usbhid did not bind the interface"; return 1; }
  [ -n "$hr" ] || { echo "$NAME: $1: no hidraw node"; return 1; }
  got=$(hex "$hr/device/report_descriptor")
  [ "$got" = "$want" ] || { echo "$NAME: $1: report descriptor differs: got $got"; return 1; }
  node=/dev/${hr##*/}
  [ -e "$node" ] || mknod "$node" c $(tr ':' ' ' <"$hr/dev")
  head -c 320 "$node" >/tmp/reports.bin &
  rp=$!
  for i in $(seq 1 20); do kill -0 $rp 2>/dev/null || break; sleep 0.1; done  # 40 reports
  kill $rp 2>/dev/null
  wait $rp 2>/dev/null
  n=$(wc -c </tmp/reports.bin)
  echo "$NAME: $1: $n bytes of reports read from $node"
  [ "$n" -ge 64 ] && [ $((n % 8)) -eq 0 ] || { echo "$NAME: $1: reports did not arrive"; return 1; }
  return 0
}

rc=0
usbsim gadget --backend ffs "$SCN" >/tmp/ffs.log 2>&1 &
gp=$!
check "FunctionFS" || rc=1
kill -TERM $gp 2>/dev/null; wait $gp
for i in $(seq 1 50); do present || break; sleep 0.1; done

usbsim gadget "$SCN" --backend usbip --listen 127.0.0.1:3240 >/tmp/usbip.log 2>&1 &
gp=$!
attached=0
for i in $(seq 1 50); do
  if usbip --tcp-port 3240 attach -r 127.0.0.1 -b 1-1 2>/tmp/attach.err; then attached=1; break; fi
  sleep 0.1
done
if [ $attached -eq 1 ]; then
  check "USB/IP" || rc=1
  usbip port 2>&1 | grep -q 'Port 00' && usbip detach -p 0 >/dev/null 2>&1
else
  echo "$NAME: usbip attach failed: $(cat /tmp/attach.err)"; rc=1
fi
kill -TERM $gp 2>/dev/null; wait $gp
[ $rc -eq 0 ] || { echo "$NAME: gadget logs:"; cat /tmp/ffs.log /tmp/usbip.log; dmesg | tail -n 30; exit 1; }
echo "$NAME: PASS"
