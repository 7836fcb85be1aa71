#!/usr/bin/env bash
# fuzz_faults — proof that `usbsim fuzz` finds transport bugs, and that its campaigns are
# reproducible.
#
#  1. Builds the faults build (make FAULTS=1 BUILD=build/faults: driver/fault.h plants are live).
#  2. For each planted bug, runs `USBSIM_FAULT=NAME usbsim fuzz --seed 1 --runs N --time-scale 20`
#     and asserts: exit 1, a failure attributed to a specific invariant (never "other": the
#     fuzzer maps the verifier's failure kinds to invariants) and the expected one, a kept
#     scenario and a shrunk .min.yaml that is smaller (fewer events or a shorter duration).
#     Prints how many runs it took.
#  3. A clean campaign on the normal build (--seed 1 --runs 120 --time-scale 20) exits 0.
#  4. `--list` twice gives identical output; shards 1/2 and 2/2 partition the list.
#
# Environment: USBSIM_BIN / USBSIM_FAULTS_BIN use ready binaries instead of building them;
# RUNS (default 30) is the budget of runs per planted bug.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-30}
BIN=${USBSIM_BIN:-build/usbsim}
FBIN=${USBSIM_FAULTS_BIN:-build/faults/usbsim}
[ -n "${USBSIM_BIN:-}" ] || MAKEFLAGS= make -j2 --no-print-directory build/usbsim >/dev/null
[ -n "${USBSIM_FAULTS_BIN:-}" ] || MAKEFLAGS= make -j2 --no-print-directory FAULTS=1 BUILD=build/faults \
    build/faults/usbsim >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TMPDIR="$work/tmp" # each run's private directory lives here, away from other runs
mkdir -p "$TMPDIR"
failed=0

fail() {
    echo "FAIL: $*" >&2
    failed=1
}

# The invariants that may report each planted bug (a missed wake-up shows as a packet waiting
# for the application's wait slice: late, or a drain that takes too long).
expected_invariant() {
    case $1 in
    missed-wakeup) echo "wakeups|latency|drain" ;;
    silent-drop) echo "loss" ;;
    wrap-off-by-one) echo "process" ;;
    early-publish) echo "process" ;;
    esac
}

events() { grep -c 'at_ms:' "$1" || true; }
duration() { sed -n 's/^duration_ms: \([0-9]*\)$/\1/p' "$1"; }

check_fault() {
    local fault=$1 out="$work/$1" rc=0 t0 t1
    t0=$(date +%s)
    USBSIM_FAULT=$fault "$FBIN" fuzz --seed 1 --runs "$RUNS" --time-scale 20 --out "$out" \
        --max-failures 1 --quiet >"$out.log" 2>"$out.err" || rc=$?
    t1=$(date +%s)
    if [ "$rc" -ne 1 ]; then
        fail "$fault: fuzz exited $rc, expected 1 (a failure found within $RUNS runs)"
        sed -n '1,20p' "$out.log" "$out.err" >&2
        return
    fi
    grep -q "planted fault: $fault" "$out.log" || fail "$fault: the binary has no planted faults"
    local line inv runs min orig
    line=$(grep -m1 '^FAIL ' "$out.log")
    runs=$(sed -n 's/^FAIL [^ ]* (run \([0-9]*\)).*/\1/p' <<<"$line")
    inv=$(sed -n 's/^FAIL [^ ]* (run [0-9]*) \[\([a-z]*\)\].*/\1/p' <<<"$line")
    # Attributed to a specific invariant (by the failure's kind), never to "other".
    if [ -z "$inv" ] || [ "$inv" = other ]; then
        fail "$fault: attributed to '${inv:-nothing}', not to a specific invariant: $line"
    fi
    [[ "$inv" =~ ^($(expected_invariant "$fault"))$ ]] ||
        fail "$fault: invariant '$inv', expected $(expected_invariant "$fault"): $line"
    min=$(ls "$out"/fail-1-*.min.yaml 2>/dev/null | head -1)
    orig=${min%.min.yaml}.yaml
    if [ -z "$min" ] || [ ! -s "$orig" ]; then
        fail "$fault: no failing scenario and shrunk scenario in $out"
        return
    fi
    grep -q "^# violated invariant: $inv" "$orig" || fail "$fault: $orig does not name $inv"
    grep -q "^# reproduce: usbsim run " "$orig" || fail "$fault: $orig has no reproduce line"
    local e0 e1 d0 d1
    e0=$(events "$orig") e1=$(events "$min") d0=$(duration "$orig") d1=$(duration "$min")
    if ! { [ "$e1" -lt "$e0" ] || [ "$d1" -lt "$d0" ]; }; then
        fail "$fault: shrinking made nothing smaller (events $e0 -> $e1, duration $d0 -> $d1 ms)"
    fi
    "$BIN" validate --quiet "$orig" "$min" || fail "$fault: a kept scenario does not load"
    printf '%-16s found after %2s runs [%s]; shrunk: events %s -> %s, duration %s -> %s ms (%s s)\n' \
        "$fault" "$runs" "$inv" "$e0" "$e1" "$d0" "$d1" "$((t1 - t0))"
}

for fault in missed-wakeup silent-drop wrap-off-by-one early-publish; do
    check_fault "$fault"
done

# A clean campaign passes on the real transport.
t0=$(date +%s)
rc=0
"$BIN" fuzz --seed 1 --runs 120 --time-scale 20 --out "$work/clean" --quiet >"$work/clean.log" \
    2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
    fail "clean campaign exited $rc"
    cat "$work/clean.log" >&2
else
    echo "clean campaign: $(tail -1 "$work/clean.log") ($(($(date +%s) - t0)) s)"
fi

# Same seed, same list; another seed, another list; shards partition the list.
"$BIN" fuzz --seed 1 --runs 50 --list >"$work/list1"
"$BIN" fuzz --seed 1 --runs 50 --list >"$work/list2"
"$BIN" fuzz --seed 2 --runs 50 --list >"$work/list3"
[ "$(wc -l <"$work/list1")" -eq 50 ] || fail "--list --runs 50 printed $(wc -l <"$work/list1") lines"
cmp -s "$work/list1" "$work/list2" || fail "--list twice with the same seed differs"
cmp -s "$work/list1" "$work/list3" && fail "--list with seeds 1 and 2 is the same"
"$BIN" fuzz --seed 1 --runs 50 --list --shard 1/2 >"$work/shard1"
"$BIN" fuzz --seed 1 --runs 50 --list --shard 2/2 >"$work/shard2"
sort "$work/shard1" "$work/shard2" | cmp -s - <(sort "$work/list1") ||
    fail "shards 1/2 and 2/2 together are not the list"
[ -z "$(comm -12 <(sort "$work/shard1") <(sort "$work/shard2"))" ] || fail "shards 1/2 and 2/2 overlap"
[ -s "$work/shard1" ] && [ -s "$work/shard2" ] || fail "a shard is empty"

if [ "$failed" -ne 0 ]; then
    echo "fuzz_faults: FAILED" >&2
    exit 1
fi
echo "fuzz_faults: every planted bug found and shrunk; campaigns reproducible"
