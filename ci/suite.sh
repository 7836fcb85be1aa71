#!/usr/bin/env bash
# The scenario suite, as users run it: every file in scenarios/ must validate and plan; all of them
# are run end to end at once on the default backend, as CI runs them, and that run must exit 0:
# each file gets the verdict it says it should have (`expect.verdict`, default pass: a PASS
# line); a meant-to-fail file (`verdict: fail`) must fail as `expect.failure` says, which makes
# it an expected failure: an XFAIL line, exit 0, a <skipped> testcase in the JUnit report and
# "xfail": true in the JSON report. A malformed file must be refused with one FILE:LINE:COL:
# line and exit 2.
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

declare -A want_of # scenario name -> pass | fail
for f in scenarios/*.yaml; do
  # The plan: one row per sample after the header.
  if "$usbsim" plan "$f" --csv >"$tmp/plan.csv" && [ "$(grep -c '^[0-9]' "$tmp/plan.csv")" -gt 0 ]; then
    ok
  else
    bad "plan $f"
  fi
  "$usbsim" validate --explain "$f" >"$tmp/explain.yaml"
  name=$(sed -n 's/^name: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' "$tmp/explain.yaml" | head -n 1)
  want=$(sed -n 's/^ *verdict: *\([a-z]*\).*/\1/p' "$tmp/explain.yaml" | head -n 1)
  want_of[$name]=${want:-pass}
done

# The run of every file at once: exit 0 when each one passed or failed as it said it would.
set +e
"$usbsim" run scenarios/*.yaml --json "$tmp/report.json" --junit "$tmp/report.xml" >"$tmp/run.txt" 2>&1
rc=$?
set -e
cat "$tmp/run.txt"
[ "$rc" -eq 0 ] && ok || bad "run scenarios/*.yaml: exit $rc, expected 0"
xfails=0
for name in "${!want_of[@]}"; do
  case ${want_of[$name]} in
    pass) word=PASS ;;
    *) word=XFAIL; xfails=$((xfails + 1)) ;;
  esac
  if grep -q "^$word $name  " "$tmp/run.txt"; then ok; else bad "$name: no '$word $name' line"; fi
done
# The reports say the same: expected failures counted apart, skipped in JUnit.
if grep -q "\"xfailed\": $xfails," "$tmp/report.json" && grep -q '"failed": 0,' "$tmp/report.json"; then
  ok
else
  bad "report.json: expected \"failed\": 0 and \"xfailed\": $xfails"
fi
if grep -q "skipped=\"$xfails\"" "$tmp/report.xml" && grep -q '<testsuite [^>]*failures="0"' "$tmp/report.xml"; then
  ok
else
  bad "report.xml: expected failures=\"0\" and skipped=\"$xfails\""
fi
if command -v xmllint >/dev/null; then
  xmllint --noout "$tmp/report.xml" && ok || bad "report.xml is not well-formed XML"
fi
# A meant-to-fail file on its own: exit 0 and an XFAIL line.
for f in scenarios/*.yaml; do
  grep -q '^ *verdict: *fail' "$f" || continue
  set +e
  "$usbsim" run "$f" >"$tmp/one.txt" 2>&1
  rc=$?
  set -e
  if [ "$rc" -eq 0 ] && grep -q '^XFAIL ' "$tmp/one.txt"; then ok
  else bad "run $f: exit $rc, expected 0 and an XFAIL line:"; cat "$tmp/one.txt"; fi
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
