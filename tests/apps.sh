#!/usr/bin/env bash
# The user's own application under test (`usbsim run --app COMMAND`), as users run it: the two
# example applications against examples/apps/hiccup.yaml (a 50 ms device hiccup at 100 Hz): the
# one that drains in batches passes; the one-packet-per-wake-up one with a slow handler fails,
# its latency failing and its backlog named. Bad programs get a clear verdict, never a hang: a
# command that does not exist, a crash, one that ignores SIGTERM at the end, one that ends
# early; a scenario with consumer work or stalls is refused (exit 2). Nothing is left running.
# Usage: tests/apps.sh BUILD_DIR
set -euo pipefail
build=$(realpath "${1:?usage: tests/apps.sh BUILD_DIR}")
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
usbsim=$build/usbsim
scn=examples/apps/hiccup.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0
ok()  { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "apps: FAIL $*"; }

# run NAME COMMAND [OPTION...]: usbsim run hiccup.yaml --app COMMAND, output and exit code kept.
run() {
  local name=$1 cmd=$2; shift 2
  local t0=$SECONDS rc=0
  timeout 60 "$usbsim" run "$scn" --app "$cmd" "$@" >"$tmp/$name.txt" 2>&1 || rc=$?
  echo "$rc" >"$tmp/$name.rc"
  echo "$((SECONDS - t0))" >"$tmp/$name.s"
}
has() { grep -q -- "$2" "$tmp/$1.txt" || { bad "$1: no '$2' in:"; cat "$tmp/$1.txt"; return 1; }; }
rc_is() { [ "$(cat "$tmp/$1.rc")" = "$2" ] || { bad "$1: exit $(cat "$tmp/$1.rc"), expected $2"; cat "$tmp/$1.txt"; return 1; }; }

# Two at a time: the machine is shared.
run batch "$build/examples/app_batch" --json "$tmp/batch.json" &
run percall "$build/examples/app_percall" --json "$tmp/percall.json" &
wait
rc_is batch 0 && has batch '^PASS hiccup  500/500 delivered, lost 0' && ok
python3 - "$tmp/batch.json" <<'PY' && ok || bad "batch.json: lost_accounted.app is not 0"
import json, sys
r = json.load(open(sys.argv[1]))["scenarios"][0]
sys.exit(0 if r["lost_accounted"]["app"] == 0 and r["delivered"] == 500 else 1)
PY
rc_is percall 1 && has percall '^FAIL hiccup  500/500 delivered, lost 0, .*backlog [0-9]' &&
  has percall '^    - latency p99 .* above p99_max 20 ms' &&
  has percall '^    - backlog drained [0-9.]* ms after the device stall ending at 1050.000 ms, above drain_ms_max 100' && ok

run missing 'no-such-command-usbsim' &
run crash 'kill -SEGV $$' &
wait
rc_is missing 1 && has missing "app 'no-such-command-usbsim': exited 127 (the command was not found)" &&
  [ "$(cat "$tmp/missing.s")" -lt 10 ] && ok
rc_is crash 1 && has crash 'crashed: signal 11' && ok

run deaf "trap '' TERM; $build/examples/app_batch; sleep 317" &
run early 'exit 0' &
wait
rc_is deaf 1 && has deaf 'hung: still running 2.0 s after the SIGTERM' && ok
rc_is early 1 && has early 'exited 0 before the run was over' && ok
# What the application started goes with it (a killed process may take a moment to be gone).
left=1
for _ in $(seq 20); do pgrep -f 'sleep 317' >/dev/null || { left=0; break; }; sleep 0.1; done
[ "$left" -eq 0 ] && ok || bad "a 'sleep 317' of the ignoring-SIGTERM application is left"

# Consumer work or stalls belong to the built-in application: refused, nothing run.
rc=0; "$usbsim" run scenarios/consumer-stall.yaml --app true >"$tmp/refuse.txt" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "sets consumer.events, which only the built-in application plays" \
  "$tmp/refuse.txt" && ok || bad "consumer stalls with --app: exit $rc, $(cat "$tmp/refuse.txt")"
# The VM backend does not take --app (yet): said, exit 2.
rc=0; "$usbsim" run "$scn" --app true --backend vm >"$tmp/vm.txt" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "does not take --app" "$tmp/vm.txt" && ok || bad "--backend vm --app: exit $rc"

# fuzz --app: a campaign on the user's application; a failure's kept file reproduces with it.
rc=0; "$usbsim" fuzz --app "$build/examples/app_batch" --runs 3 --time-scale 20 --out "$tmp/fz-ok" \
  --quiet >"$tmp/fz-ok.txt" 2>&1 || rc=$?
[ "$rc" = 0 ] && grep -q '3 runs, 0 failures' "$tmp/fz-ok.txt" && ok ||
  bad "fuzz --app app_batch: exit $rc, $(tail -n 3 "$tmp/fz-ok.txt")"
rc=0; "$usbsim" fuzz --app 'exit 3' --runs 1 --time-scale 20 --shrink-runs 0 --out "$tmp/fz-bad" \
  --quiet >"$tmp/fz-bad.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "^# reproduce: usbsim run .* --time-scale 20 --app 'exit 3'$" \
  "$tmp/fz-bad/fail-1-0.yaml" && ok || bad "fuzz --app 'exit 3': exit $rc, no reproduce line with --app"
rc=0; "$usbsim" run "$tmp/fz-bad/fail-1-0.yaml" --time-scale 20 --app 'exit 3' >"$tmp/fz-re.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "app 'exit 3': exited 3" "$tmp/fz-re.txt" && ok || bad "the kept file does not reproduce"

echo "apps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
