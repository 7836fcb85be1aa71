#!/usr/bin/env bash
# The scenario suite, as users run it: every file in scenarios/ must validate and plan, and a
# malformed file must be refused with one FILE:LINE:COL: line and exit 2.
# Usage: ci/suite.sh path/to/usbsim
set -euo pipefail
usbsim=${1:?usage: ci/suite.sh path/to/usbsim}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0; n=0

"$usbsim" validate scenarios/*.yaml
for f in scenarios/*.yaml; do
  n=$((n + 1))
  "$usbsim" plan "$f" --csv >"$tmp/plan.csv" || { echo "FAIL plan $f"; fail=1; continue; }
  # One row per sample after the header, and the totals line agrees with the rows.
  rows=$(grep -c '^[0-9]' "$tmp/plan.csv" || true)
  [ "$rows" -gt 0 ] || { echo "FAIL plan $f: no rows"; fail=1; }
done

printf 'name: bad\nduration_ms: 100\ndevice:\n  period_us: ten\n' >"$tmp/bad.yaml"
set +e; msg=$("$usbsim" validate "$tmp/bad.yaml" 2>&1 >/dev/null); rc=$?; set -e
if [ $rc -ne 2 ] || ! [[ "$msg" =~ ^$tmp/bad.yaml:4:14:\  ]] || [ "$(printf '%s\n' "$msg" | wc -l)" -ne 1 ]; then
  echo "FAIL malformed scenario: exit $rc, message: $msg"; fail=1
fi

echo "suite: $n scenario file(s) checked"
[ $fail -eq 0 ] && echo "suite: $((n + 1)) passed, 0 failed" || { echo "suite: failures above"; exit 1; }
