#!/bin/sh
# In the test VM (ci/vm.sh run tests/vm/suite.sh ... tests/vm/replay_capture.sh usbmon_pcap
# usb_reader): a real USB stack recorded as a user records their device. usbmon (through libpcap,
# as dumpcap does) captures every bus from before the device arrives; the device is usbsim's
# FunctionFS gadget on dummy_hcd playing a jittered stream (2 s, 112-byte packets every 10 ms,
# normal jitter 1.5 ms); it is read through libusb (the driver's libusb source, usb_reader) until
# all 200 packets came. The capture is left in /out/replay-src.pcap for tests/replay.sh, which
# imports it on the host and replays it (make vm-check).
set -u
NAME=replay_capture
. /data/common.sh
cat >/tmp/replay-src.yaml <<'YAML'
name: replay-src
seed: 7
duration_ms: 2000
device:
  fifo_packets: 256
  jitter: {distribution: normal, stddev_us: 1500}
YAML
/data/usbmon_pcap usbmon0 /out/replay-src.pcap >/tmp/usbmon_pcap.out 2>&1 &
cp=$!
for i in $(seq 1 50); do grep -q ready /tmp/usbmon_pcap.out && break; sleep 0.1; done
grep -q ready /tmp/usbmon_pcap.out || { echo "$NAME: usbmon capture did not start: $(cat /tmp/usbmon_pcap.out)"; exit 1; }
$FFS_GADGET /tmp/replay-src.yaml >/tmp/replay-src.log 2>&1 &
gp=$!
/data/usb_reader --source libusb --vid 0x1209 --pid 0x0001 --size 112 --seed 7 --expect 200 \
  --seconds 20
rrc=$?
stop_after 5 $gp
wait $gp
grc=$?
sleep 0.3   # the device's removal reaches the capture
kill -INT $cp
wait $cp
crc=$?
echo "$NAME: $(tail -n 1 /tmp/usbmon_pcap.out); reader exit $rrc, gadget exit $grc, capture exit $crc"
[ $rrc -eq 0 ] && [ $grc -eq 0 ] && [ $crc -eq 0 ] && [ -s /out/replay-src.pcap ] || exit 1
echo "$NAME: PASS"
