#!/usr/bin/env bash
# The scenario suite, as users run it: every file in scenarios/ must validate and plan; each is run
# end to end on the default backend, and its verdict must be the one the file says it should have
# (`expect.verdict`, default pass; for a meant-to-fail file, the failure reasons must contain
# `expect.failure`). A malformed file must be refused with one FILE:LINE:COL: line and exit 2.
# Usage: ci/suite.sh path/to/usbsim
set -euo pipefail
usbsim=$(realpath "${1:?usage: ci/suite.sh path/to/usbsim}")
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0
ok()  { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "suite: FAIL $*"; }

"$usbsim" validate --quiet scenarios/*.yaml && ok || bad "validate scenarios/*.yaml"

for f in scenarios/*.yaml; do
  # The plan: one row per sample after the header.
  if "$usbsim" plan "$f" --csv >"$tmp/plan.csv" && [ "$(grep -c '^[0-9]' "$tmp/plan.csv")" -gt 0 ]; then
    ok
  else
    bad "plan $f"
  fi
  # The run: the verdict the file asks for.
  "$usbsim" validate --explain "$f" >"$tmp/explain.yaml"
  want=$(sed -n 's/^ *verdict: *\([a-z]*\).*/\1/p' "$tmp/explain.yaml" | head -n 1)
  why=$(sed -n 's/^ *failure: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' "$tmp/explain.yaml" | head -n 1)
  set +e
  "$usbsim" run "$f" >"$tmp/run.txt" 2>&1
  rc=$?
  set -e
  case "${want:-pass}:$rc" in
    pass:0) ok ;;
    fail:1) if [ -z "$why" ] || grep -qF -- "$why" "$tmp/run.txt"; then ok
            else bad "run $f failed, but not with '$why':"; cat "$tmp/run.txt"; fi ;;
    *) bad "run $f: wanted ${want:-pass}, exit $rc:"; cat "$tmp/run.txt" ;;
  esac
  head -n 1 "$tmp/run.txt"
done

printf 'name: bad\nduration_ms: 100\ndevice:\n  period_us: ten\n' >"$tmp/bad.yaml"
set +e; msg=$("$usbsim" validate "$tmp/bad.yaml" 2>&1 >/dev/null); rc=$?; set -e
if [ $rc -eq 2 ] && [[ "$msg" =~ ^$tmp/bad.yaml:4:14:\  ]] && [ "$(printf '%s\n' "$msg" | wc -l)" -eq 1 ]; then
  ok
else
  bad "malformed scenario: exit $rc, message: $msg"
fi

echo "suite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
