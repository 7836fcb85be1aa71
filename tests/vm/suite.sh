#!/bin/sh
# The VM test set, in one boot: runs every test script given to ci/vm.sh (found in /data/*.sh, in
# the order below when present) and every unit test binary given (/data/test_*), prints one PASS/FAIL line each and a summary; exit 1 if any failed.
#   ci/vm.sh run tests/vm/suite.sh tests/vm/common.sh tests/vm/ffs_libusb.sh tests/vm/usbip_interop.sh \
#       tests/vm/ffs_usbipd.sh build/vm-tests/usb_reader
set -u
pass=0; fail=0; failed=
for t in ffs_libusb ffs_endpoints usbip_interop ffs_usbipd device_own replay_capture; do
  [ -f /data/$t.sh ] || continue
  echo "=== $t"
  s=$(date +%s)
  if sh /data/$t.sh; then pass=$((pass + 1)); r=PASS; else fail=$((fail + 1)); r=FAIL; failed="$failed $t"; fi
  echo "=== $t: $r ($(( $(date +%s) - s )) s)"
done
# Unit tests given as files run here too, with the real configfs/UDC present.
for t in /data/test_*; do
  [ -x "$t" ] || continue
  n=${t##*/}
  if "$t" >/tmp/$n.log 2>&1; then pass=$((pass + 1)); r=PASS; else fail=$((fail + 1)); r=FAIL; failed="$failed $n"; cat /tmp/$n.log; fi
  echo "=== $n: $r"
done
echo "vm suite: $pass passed, $fail failed${failed:+ (failed:$failed)}"
[ $fail -eq 0 ]
