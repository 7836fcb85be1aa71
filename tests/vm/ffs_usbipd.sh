#!/bin/sh
# In the test VM (ci/vm.sh run tests/vm/ffs_usbipd.sh common.sh usb_reader): our FunctionFS
# gadget on dummy_hcd -> Linux `usbipd` + `usbip bind` (usbip-host) -> the driver's USB/IP client
# source. Every packet of a 2 s steady scenario (seq 0..199) must arrive once, in order, with a
# valid CRC and payload. Leaves the device log and the reader's verdict in /out/.
set -u
NAME=ffs_usbipd
. /data/common.sh
t0=$(date +%s)
$FFS_GADGET /tmp/steady2s.yaml --log /out/ffs_usbipd_device.csv &
gp=$!
busid=
for i in $(seq 1 50); do
  for d in /sys/bus/usb/devices/*; do
    [ "$(cat "$d/idVendor" 2>/dev/null)" = 1209 ] && [ "$(cat "$d/idProduct")" = 0001 ] &&
      busid=${d##*/}
  done
  [ -n "$busid" ] && break
  sleep 0.1
done
if [ -z "$busid" ]; then
  echo "ffs_usbipd: the gadget did not appear on dummy_hcd"; kill $gp; wait $gp; exit 1
fi
usbipd >/tmp/usbipd.log 2>&1 &
dp=$!
sleep 0.3
usbip bind -b "$busid" || { echo "ffs_usbipd: usbip bind -b $busid failed"; kill $gp; exit 1; }
echo "ffs_usbipd: $busid exported after $(( $(date +%s) - t0 )) s"
/data/usb_reader --source usbip --port 3240 --busid "$busid" --size 112 --seed 1 --expect 200 \
  --seconds 20 --json /out/ffs_usbipd.json
rrc=$?
stop_after 5 $gp
wait $gp
grc=$?
usbip unbind -b "$busid" >/dev/null 2>&1
kill $dp 2>/dev/null; wait $dp 2>/dev/null
echo "ffs_usbipd: reader exit $rrc, gadget exit $grc, $(( $(date +%s) - t0 )) s"
[ $rrc -eq 0 ] && [ $grc -eq 0 ] || { echo "$NAME: kernel log:"; dmesg | tail -n 25; exit 1; }
echo "ffs_usbipd: PASS"
