#!/usr/bin/env bash
# The user's own program on a real USB stack (`usbsim run --exec COMMAND`, the vm backend: the
# host's filesystem shared read-only with the VM, so the programs run unchanged), run on this
# host as users run it: a libusb C receiver and a pyusb receiver against steady, halt and
# disconnect pass, and a raw stream (pyusb --raw); a receiver that stops reading for 1.5 s once fails with the loss at the
# device (its FIFO); a receiver whose trace misses a packet the host stack completed fails with
# the loss at the program; a command that does not exist and one that ignores SIGTERM get a
# clear verdict; `usbsim fuzz --exec` runs a short clean campaign on the pyusb receiver and
# catches the one that stops reading. With `attach`: `--backend attach` (USB/IP into vhci-hcd)
# inside the VM passes steady and halt and leaves no port attached. One VM boot per `usbsim run`
# or `fuzz`.
# Usage: tests/vm/exec.sh BUILD_DIR [attach]: the --backend attach part alone with `attach` (not
# in make check: inside the TCG VM its first packets sometimes come late or its usbmon times
# out of step with the device's, see `make attach-check`); everything else without.
set -euo pipefail
build=${1:?usage: tests/vm/exec.sh BUILD_DIR [attach]}
part=${2:-all}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
usbsim=./$build/usbsim
recv=./$build/examples/recv_libusb
out=$build/vm-exec
rm -rf "$out" && mkdir -p "$out"
passed=0; failed=0
ok()  { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "exec: FAIL $*"; }

# run NAME COMMAND SCENARIO...: the verdicts in $out/NAME.txt, the exit code in $out/NAME.rc
run() {
  local name=$1 cmd=$2 rc=0 t0=$SECONDS; shift 2
  "$usbsim" run "$@" --exec "$cmd" --json "$out/$name.json" >"$out/$name.txt" 2>&1 || rc=$?
  echo "$rc" >"$out/$name.rc"
  echo "exec: $name: exit $rc in $((SECONDS - t0)) s"
  grep -E '^(PASS|FAIL|XFAIL) ' "$out/$name.txt" || true
}
has() { grep -q -- "$2" "$out/$1.txt" || { bad "$1: no '$2'"; cat "$out/$1.txt"; return 1; }; }
rc_is() { [ "$(cat "$out/$1.rc")" = "$2" ] || { bad "$1: exit $(cat "$out/$1.rc"), expected $2"; cat "$out/$1.txt"; return 1; }; }

if [ "$part" = all ]; then
three=(scenarios/steady.yaml scenarios/halt.yaml scenarios/disconnect.yaml)
run libusb "$recv" "${three[@]}"
rc_is libusb 0 && has libusb '^PASS steady ' && has libusb '^PASS halt ' && has libusb '^PASS disconnect ' && ok
run pyusb 'python3 examples/recv_pyusb.py' "${three[@]}"
rc_is pyusb 0 && has pyusb '^PASS steady ' && has pyusb '^PASS halt ' && has pyusb '^PASS disconnect ' && ok

# A vendor device that streams only after its START request, read by a libusb program that
# sends it (examples/recv_vendor_start.c).
run vendor "./$build/examples/recv_vendor_start" scenarios/vendor-start.yaml
rc_is vendor 0 && has vendor '^PASS vendor-start  300/300 delivered, lost 0' && ok

# A raw stream (no usbsim header: a counter's bytes, 3 packets corrupted), read by the pyusb
# receiver with --raw: usbsim knows each completed transfer by its place and content.
cat >"$out/raw-counter.yaml" <<'YAML'
name: raw-counter
duration_ms: 2000
device:
  framing: raw
  packet_size: 64
  payload: {generator: counter}
  events:
    - {at_ms: 500, corrupt: 3}
expect:
  lost_max: 3
  order: strict
YAML
run raw 'python3 examples/recv_pyusb.py --raw --size 64' "$out/raw-counter.yaml"
rc_is raw 0 && has raw '^PASS raw-counter  197/200 delivered, lost 3 (device 0, ring 0, crc 3, unexplained 0).*raw stream 0x81$' && ok

run broken "$recv --pause-ms 1500" scenarios/steady.yaml
rc_is broken 1 && has broken '^FAIL steady ' && has broken 'lost [0-9]* packets with lost_max 0 (device [1-9][0-9]*, ring 0, crc 0, host 0, program 0' && ok
python3 - "$out/broken.json" <<'PY' && ok || bad "broken.json: the loss is not all at the device"
import json, sys
r = json.load(open(sys.argv[1]))["scenarios"][0]
la = r["lost_accounted"]
sys.exit(0 if la["device"] > 100 and la["host"] == 0 and la["program"] == 0 else 1)
PY

# The host stack completed seq 50 (usbmon saw it); the program's trace lost it.
# With --keep-logs, the run's logs (the program's trace among them) come back from the VM.
run program "trap : TERM; $recv; sed -i '/^50,/d' \"\$USBSIM_TRACE\"" scenarios/steady.yaml --keep-logs
rc_is program 1 && has program '^FAIL steady  499/500 delivered, lost 1 (device 0, ring 0, crc 0, host 0, program 1' && ok
logs=$(sed -n "s/^usbsim: the runs' logs are in \(.*\) (one folder per scenario)\$/\1/p" "$out/program.txt")
if [ -n "$logs" ] && [ -s "$(echo "$logs"/*/device.csv)" ]; then ok; else bad "program: no logs kept ($logs)"; fi
[ -n "$logs" ] && rm -rf "$(dirname "$logs")"

run missing 'no-such-receiver-usbsim' scenarios/steady.yaml --time-scale 5
rc_is missing 1 && has missing "program 'no-such-receiver-usbsim': exited 127 (the command was not found)" && ok
run deaf "trap '' TERM; $recv & sleep 1000" scenarios/steady.yaml --time-scale 5
rc_is deaf 1 && has deaf "hung: still running 2.0 s after the SIGTERM" && ok

# A short campaign on the pyusb receiver is clean; one on a receiver that stops reading for
# 1.5 s is not (the device's FIFO overflows behind it).
fuzz() {
  local name=$1 cmd=$2 rc=0 t0=$SECONDS; shift 2
  "$usbsim" fuzz --exec "$cmd" --out "$out/$name" "$@" >"$out/$name.txt" 2>&1 || rc=$?
  echo "$rc" >"$out/$name.rc"
  echo "exec: $name: exit $rc in $((SECONDS - t0)) s"
  tr '\r' '\n' <"$out/$name.txt" | grep -E '^(FAIL |fuzz seed)' || true
}
fuzz fuzz-pyusb 'python3 examples/recv_pyusb.py' --runs 2
rc_is fuzz-pyusb 0 && has fuzz-pyusb 'at time scale 1: 2 runs, 0 failures' && ok
fuzz fuzz-broken "$recv --pause-ms 1500" --seed 2 --runs 1 --shrink-runs 0
rc_is fuzz-broken 1 && has fuzz-broken 'FAIL fz-2-0 (run 1) \[loss\] the program fell behind: [1-9][0-9]* packets dropped at the device.s FIFO' &&
  has fuzz-broken "kept $out/fuzz-broken/fail-2-0.yaml" && ok
fi

if [ "$part" = attach ]; then
# --backend attach runs on a Linux host with vhci-hcd: here inside the VM, the host's filesystem
# shared (ci/vm.sh VM_HOSTFS), with this tree's usbsim; the device is detached at the end.
mkdir -p "$out/attach"
{
  echo "cd '$top' || exit 2"
  echo "./$build/usbsim run --backend attach scenarios/steady.yaml scenarios/halt.yaml --exec '$recv'"
  echo 'echo "attach: rc=$? vhci ports in use: $(grep -c " 6 " /sys/devices/platform/vhci_hcd.0/status)"'
} >"$out/attach/inner.sh"
printf '#!/bin/sh\nexec chroot /host /bin/sh %s/attach/inner.sh\n' "$top/$out" >"$out/attach/run.sh"
t0=$SECONDS
VM_HOSTFS="$top/$out/attach" bash ci/vm.sh run "$out/attach/run.sh" >"$out/attach.txt" 2>&1 || true
echo "exec: attach: in $((SECONDS - t0)) s"
grep -E '^(PASS|FAIL) |^attach:' "$out/attach.txt" || true
has attach 'PASS.* steady ' && has attach 'PASS.* halt ' &&
  has attach '^attach: rc=0 vhci ports in use: 0$' && ok
fi

echo "exec: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
