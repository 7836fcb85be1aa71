#!/bin/sh
# In the test VM (ci/vm.sh run tests/vm/suite.sh tests/vm/common.sh tests/vm/ffs_endpoints.sh
# scenarios/status-endpoint.yaml build/vm-tests/ep_probe): the FunctionFS gadget plays every IN
# endpoint, not only the stream's. status-endpoint.yaml as a gadget on dummy_hcd, read through
# libusb (ep_probe): its interrupt endpoint 0x83 brings its 4-byte counter 00000000, 01000000, ...
# in order about 100 ms apart, and a transfer on bulk OUT 0x02 brings the reply 06 on 0x84 (the
# UDC picks the bus addresses: ep_probe finds them in the descriptors). The OUT transfer is in
# the gadget's device-out.csv. Leaves the logs in /out/.
set -u
NAME=ffs_endpoints
. /data/common.sh
SCN=/data/status-endpoint.yaml
t0=$(date +%s)
$FFS_GADGET "$SCN" --log /out/ffs_ep_device.csv >/tmp/ffs_ep.log 2>&1 &
gp=$!
/data/ep_probe --vid 0x1209 --pid 0x0001 --count 8 --period-ms 100 --send a5 --want 06 --seconds 15
prc=$?
stop_after 8 $gp
wait $gp
grc=$?
sed "s/^/$NAME: gadget: /" /tmp/ffs_ep.log
echo "$NAME: probe exit $prc, gadget exit $grc, $(( $(date +%s) - t0 )) s"
rc=0
row=$(grep ',0x02,1,a5$' /out/ffs_ep_device-out.csv 2>/dev/null)
[ -n "$row" ] || { echo "$NAME: the OUT transfer is not in device-out.csv:"; cat /out/ffs_ep_device-out.csv; rc=1; }
[ -n "$(find /sys/kernel/config/usb_gadget -mindepth 1 -maxdepth 1)" ] || grep -q functionfs /proc/mounts &&
  { echo "$NAME: gadget left behind"; rc=1; }
[ $prc -eq 0 ] && [ $grc -eq 0 ] || rc=1
[ $rc -eq 0 ] || { echo "$NAME: kernel log:"; dmesg | tail -n 25; exit 1; }
echo "$NAME: PASS"
