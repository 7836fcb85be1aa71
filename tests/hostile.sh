#!/usr/bin/env bash
# Attacks from outside the unit tests' reach, as processes: a parent killed under its helpers,
# and (added case by case) hostile peers, signals and output failures. Each case states what must
# hold. Usage: tests/hostile.sh [BUILD_DIR]   (run by `make check`)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
cd "$top"
usbsim=$(realpath "$build/usbsim")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0
ok()  { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "hostile: FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok; else bad "$what"; fi; }

# Exit code $1 is $2 and the output $3 says $4, with no verdict line.
refused() { [ "$1" -eq "$2" ] && grep -q -- "$4" <<<"$3" && ! grep -q '^PASS\|^FAIL' <<<"$3"; }

# Waits up to $2 tenths of a second for process $1 to be gone.
gone_within() {
  for _ in $(seq "$2"); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}

# 1. `usbsim bench ring` killed mid-measurement leaves no consumer behind.
"$usbsim" bench ring --runs 51 >/dev/null 2>&1 &
bench=$!
child=
for _ in $(seq 100); do
  child=$(pgrep -P "$bench" | head -n 1 || true)
  [ -n "$child" ] && break
  sleep 0.1
done
check "bench ring started a consumer" test -n "$child"
kill -KILL "$bench"
wait "$bench" 2>/dev/null || true
if [ -n "$child" ]; then
  check "bench ring's consumer dies with its parent" gone_within "$child" 50
  kill -KILL "$child" 2>/dev/null || true
fi

# 2, 3. `usbsim driver`, block policy, behind an application that takes the ring and never
# drains it: when the application exits, the driver sees it and ends; while it lingers, Ctrl-C
# still ends the driver. (A blocked producer once waited for room forever, deaf to both.)
printf 'name: long\nduration_ms: 30000\n' >"$tmp/long.yaml"
cat >"$tmp/taker.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
for _ in range(200):
    try:
        s.connect(sys.argv[1]); break
    except OSError:
        time.sleep(0.05)
msg, fds, flags, addr = socket.recv_fds(s, 64, 4)
print("took the ring", flush=True)
time.sleep(float(sys.argv[2]))   # never drains
PY
driver_behind_taker() { # $1: seconds the taker holds the ring; prints the driver's pid
  "$usbsim" gadget "$tmp/long.yaml" --listen 127.0.0.1:0 >"$tmp/gadget.out" 2>&1 &
  echo $! >"$tmp/gadget.pid"
  local port=
  for _ in $(seq 100); do
    port=$(sed -n 's/.*served over USB\/IP on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/gadget.out")
    [ -n "$port" ] && break
    sleep 0.1
  done
  rm -f "$tmp/d.sock"
  "$usbsim" driver --socket "$tmp/d.sock" --connect "127.0.0.1:$port" --slots 8 \
    --overflow block >"$tmp/driver.out" 2>&1 &
  echo $! >"$tmp/driver.pid"
  python3 "$tmp/taker.py" "$tmp/d.sock" "$1" >"$tmp/taker.out" 2>&1 &
  echo $! >"$tmp/taker.pid"
  sleep 1.5 # the 8 slots fill in 80 ms: the driver now waits for room
}
stop_all() { kill -KILL "$(cat "$tmp/gadget.pid")" "$(cat "$tmp/driver.pid")" "$(cat "$tmp/taker.pid")" 2>/dev/null || true; wait 2>/dev/null || true; }

driver_behind_taker 1
drv=$(cat "$tmp/driver.pid")
check "the taker took the ring" grep -q "took the ring" "$tmp/taker.out"
check "the driver ends once the application that never drained is gone" gone_within "$drv" 80
check "... and says why" grep -q "application went away" "$tmp/driver.out"
stop_all

driver_behind_taker 60
drv=$(cat "$tmp/driver.pid")
kill -INT "$drv"
check "Ctrl-C ends a driver waiting for room" gone_within "$drv" 50
stop_all

# 4. Every signal that ends `usbsim run` cleans up: children stopped, the run's folder removed,
# exit 128 + the signal, no failure invented.
mkdir -p "$tmp/t"
for sig in HUP PIPE USR1 TERM INT; do
  TMPDIR="$tmp/t" "$usbsim" run "$tmp/long.yaml" --quiet >"$tmp/run.out" 2>&1 &
  run=$!
  for _ in $(seq 50); do [ -n "$(ls -A "$tmp/t")" ] && break; sleep 0.1; done
  sleep 1
  kill -s "$sig" "$run"
  rc=0; wait "$run" || rc=$?
  num=$(kill -l "$sig")
  check "run ended by SIG$sig exits $((128 + num)) (got $rc)" test "$rc" -eq $((128 + num))
  check "run ended by SIG$sig leaves no process" gone_within "$run" 1
  check "run ended by SIG$sig leaves no folder ($(ls "$tmp/t" | tr '\n' ' '))" test -z "$(ls -A "$tmp/t")"
  if grep -q '^FAIL' "$tmp/run.out"; then bad "run ended by SIG$sig invented a failure"; else ok; fi
  pgrep -f "run $tmp/long.yaml" >/dev/null && bad "SIG$sig: a child of run is still there"
done

# 5. Every output failure changes the exit code; a bad output path is refused before anything
# runs (exit 2); a long TMPDIR is refused, not silently replaced.
printf 'name: short\nduration_ms: 300\n' >"$tmp/short.yaml"
rc=0; "$usbsim" validate scenarios/steady.yaml >/dev/full 2>/dev/null || rc=$?
check "validate to a full standard output exits non-zero (got $rc)" test "$rc" -ne 0
rc=0; "$usbsim" run "$tmp/short.yaml" >/dev/full 2>/dev/null || rc=$?
check "run to a full standard output exits non-zero (got $rc)" test "$rc" -ne 0
rc=0; "$usbsim" run "$tmp/short.yaml" --html /dev/full >/dev/null 2>&1 || rc=$?
check "run --html /dev/full exits 1 (got $rc)" test "$rc" -eq 1
rc=0; "$usbsim" run "$tmp/short.yaml" --json /dev/full >/dev/null 2>&1 || rc=$?
check "run --json /dev/full exits 1 (got $rc)" test "$rc" -eq 1
for o in html pcap json junit; do
  rc=0; out=$("$usbsim" run "$tmp/short.yaml" --$o "$tmp/no/such/x" 2>&1) || rc=$?
  check "run --$o into a missing folder: exit 2 before running (got $rc: $out)" \
    refused "$rc" 2 "$out" "no folder"
done
long=$tmp/$(printf 'd%.0s' $(seq 90))
mkdir -p "$long"
rc=0; out=$(TMPDIR=$long "$usbsim" run "$tmp/short.yaml" 2>&1) || rc=$?
check "a TMPDIR too long for the socket is refused with exit 3 (got $rc: $out)" \
  refused "$rc" 3 "$out" "TMPDIR"

# 6. Two scenarios with the same name get distinct report files.
cp "$tmp/short.yaml" "$tmp/short2.yaml"
"$usbsim" run "$tmp/short.yaml" "$tmp/short2.yaml" --html "$tmp/same.html" --quiet >/dev/null 2>&1 || true
check "same-name scenarios: two report files" test -s "$tmp/same-short.html" -a -s "$tmp/same-short-2.html"

echo "hostile: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
