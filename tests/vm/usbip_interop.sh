#!/bin/sh
# In the test VM (ci/vm.sh run tests/vm/usbip_interop.sh common.sh usb_reader, with /bin/usbsim): our
# USB/IP server (usbsim gadget --backend usbip) <- Linux `usbip attach` (vhci-hcd) <- the driver's
# libusb source. Every packet of a 2 s steady scenario (seq 0..199) must arrive once, in order,
# with a valid CRC and payload. Leaves the device log and the reader's verdict in /out/.
set -u
NAME=usbip_interop
. /data/common.sh
t0=$(date +%s)
usbsim gadget /tmp/steady2s.yaml --backend usbip --listen 127.0.0.1:3240 \
  --log /out/usbip_device.csv &
gp=$!
attached=0
for i in $(seq 1 50); do
  if usbip --tcp-port 3240 attach -r 127.0.0.1 -b 1-1 2>/tmp/attach.err; then attached=1; break; fi
  sleep 0.1
done
if [ $attached -ne 1 ]; then
  echo "usbip_interop: usbip attach failed: $(cat /tmp/attach.err)"
  kill $gp; wait $gp
  exit 1
fi
echo "usbip_interop: attached after $(( $(date +%s) - t0 )) s"
/data/usb_reader --source libusb --vid 0x1209 --pid 0x0001 --size 112 --seed 1 --expect 200 \
  --seconds 20 --json /out/usbip_libusb.json
rrc=$?
stop_after 5 $gp
usbip port 2>&1 | grep -q 'Port 00' && usbip detach -p 0 >/dev/null 2>&1
wait $gp
grc=$?
echo "usbip_interop: reader exit $rrc, gadget exit $grc, $(( $(date +%s) - t0 )) s"
[ $rrc -eq 0 ] && [ $grc -eq 0 ] || { echo "$NAME: kernel log:"; dmesg | tail -n 25; exit 1; }
echo "usbip_interop: PASS"
