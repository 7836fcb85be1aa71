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

echo "hostile: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
