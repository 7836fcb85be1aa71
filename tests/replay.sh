#!/usr/bin/env bash
# replay — a capture of a real USB stack, imported and replayed (make vm-check, after the VM left
# the capture: tests/vm/replay_capture.sh, usbmon of a FunctionFS device read through libusb).
#  1. `usbsim import CAPTURE` exits 0 and writes the scenario and its recording.
#  2. `usbsim gadget` serves the imported scenario over USB/IP to a host that enumerates it the way
#     Linux does (tests/import_host.py): the device, configuration and string descriptors it reads
#     equal the ones in the capture byte for byte; the packets it receives equal the captured IN
#     packets in order; the time between two packets matches the capture's: the median of
#     |replayed gap - captured gap| is printed and must be at most 0.5 ms.
#  3. `usbsim run` on the imported scenario passes.
# Usage: tests/replay.sh [BUILD_DIR] CAPTURE
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
cap=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
cd "$top"
usbsim=$build/usbsim
tmp=$(mktemp -d)
gpid=
cleanup() { [ -z "$gpid" ] || kill "$gpid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "replay-check: FAIL $*" >&2; exit 1; }
[ -s "$cap" ] || fail "no capture at $cap (the VM's tests/vm/replay_capture.sh leaves it)"

"$usbsim" import "$cap" -o "$tmp/dev.yaml" >"$tmp/import.txt" ||
  fail "usbsim import $cap: exit $? ($(cat "$tmp/import.txt"))"
echo "replay-check: $(cat "$tmp/import.txt")"

# What the capture holds: the device's descriptors and its IN packets on the stream endpoint.
python3 - "$cap" "$tmp/dev.yaml" >"$tmp/want.txt" <<'PY' || fail "reading the capture"
import struct, sys, yaml
data = open(sys.argv[1], 'rb').read()
sc = yaml.safe_load(open(sys.argv[2]))
ep = sc['device']['stream_endpoint']
magic, = struct.unpack('<I', data[:4])
assert magic == 0xa1b2c3d4, 'not a microsecond pcap written by libpcap'
assert struct.unpack('<I', data[20:24])[0] == 220, 'not USB_LINUX_MMAPPED'
off, subs, desc, pkts = 24, {}, {}, []
devs = set()
while off + 16 <= len(data):
    _, _, incl, _ = struct.unpack('<IIII', data[off:off + 16])
    rec = data[off + 16:off + 16 + incl]
    off += 16 + incl
    (uid, typ, xt, epn, devn, bus, fs, fd, sec, usec, st, ln, lc, setup) = struct.unpack(
        '<QcBBBHccqiiII8s', rec[:48])
    body = rec[64:64 + lc]
    t_us = sec * 1000000 + usec
    if typ == b'S' and xt == 2 and fs == b'\0':
        subs[uid] = setup
    elif typ == b'C' and xt == 2 and uid in subs:
        rt, req, val, idx, _ = struct.unpack('<BBHHH', subs.pop(uid))
        if rt == 0x80 and req == 6 and st == 0 and devn != 0:
            if val == 0x0100 and len(body) >= 12 and body[8:12] == bytes.fromhex('0912 0100'.replace(' ', '')):
                devs.add((bus, devn))
            k = (bus, devn, val, idx)
            if len(body) > len(desc.get(k, b'')):
                desc[k] = body
    elif typ == b'C' and xt in (1, 3) and epn == ep and st == 0:
        pkts.append((bus, devn, t_us, body))
assert len(devs) == 1, 'devices 1209:0001 in the capture: %r' % devs
bus, devn = devs.pop()
for (b, d, val, idx), body in sorted(desc.items()):
    if (b, d) == (bus, devn) and (val >> 8 in (1, 2) or (val >> 8 == 3 and val & 0xff and idx == 0x0409)):
        kind = {1: 'device', 2: 'config', 3: 'string'}[val >> 8]
        print(kind, *([val & 0xff] if kind == 'string' else []), body.hex())
for b, d, t, body in pkts:
    if (b, d) == (bus, devn):
        print('packet', body.hex() or '-', t * 1000)
PY
n=$(grep -c '^packet' "$tmp/want.txt")
[ "$n" -ge 100 ] || fail "the capture holds $n packets of the stream endpoint"

port=$((20000 + RANDOM % 20000))
"$usbsim" gadget "$tmp/dev.yaml" --backend usbip --listen 127.0.0.1:$port --quiet &
gpid=$!
ep=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["device"]["stream_endpoint"])' "$tmp/dev.yaml")
python3 tests/import_host.py 127.0.0.1 $port "$n" "$ep" >"$tmp/got.txt"
kill "$gpid" 2>/dev/null || true
wait "$gpid" 2>/dev/null || true
gpid=

python3 - "$tmp/want.txt" "$tmp/got.txt" <<'PY' || fail "the replayed device differs from the capture"
import statistics, sys
def load(p):
    rows = [l.split() for l in open(p)]
    d = {tuple(r[:-1]): r[-1] for r in rows if r[0] in ('device', 'config', 'string')}
    pk = [(r[1], int(r[2])) for r in rows if r[0] == 'packet']
    return d, pk
want, wp = load(sys.argv[1])
got, gp = load(sys.argv[2])
ok = True
for k, v in sorted(want.items()):
    if got.get(k) != v:
        print('replay-check: %s %s: captured %s, replayed %s' % (' '.join(k), '', v, got.get(k)))
        ok = False
print('replay-check: descriptors byte for byte: %s (%d: %s)'
      % ('equal' if ok else 'DIFFERENT', len(want), ', '.join(' '.join(k) for k in sorted(want))))
same = [w[0] for w in wp] == [g[0] for g in gp]
if not same:
    first = next((i for i, (a, b) in enumerate(zip(wp, gp)) if a[0] != b[0]), min(len(wp), len(gp)))
    print('replay-check: packets differ: captured %d, replayed %d, first difference at #%d'
          % (len(wp), len(gp), first))
    ok = False
else:
    print('replay-check: packets: %d, equal to the capture in order, byte for byte' % len(wp))
err = sorted(abs((gp[i][1] - gp[i - 1][1]) - (wp[i][1] - wp[i - 1][1]))
             for i in range(1, min(len(wp), len(gp))))
med = statistics.median(err) / 1e6
p90 = err[int(len(err) * 0.9)] / 1e6
gaps = statistics.median(wp[i][1] - wp[i - 1][1] for i in range(1, len(wp))) / 1e6
print('replay-check: inter-arrival error vs the capture over %d gaps: median %.3f ms, p90 %.3f ms, '
      'max %.3f ms (captured median gap %.3f ms)' % (len(err), med, p90, err[-1] / 1e6, gaps))
if med > 0.5:
    print('replay-check: median inter-arrival error %.3f ms is over 0.5 ms' % med)
    ok = False
sys.exit(0 if ok else 1)
PY

"$usbsim" run "$tmp/dev.yaml" >"$tmp/run.txt" 2>&1 || {
  cat "$tmp/run.txt" >&2; fail "usbsim run on the imported scenario: exit $?"; }
echo "replay-check: usbsim run: $(grep -m1 -E '^(PASS|FAIL)' "$tmp/run.txt" || tail -n 1 "$tmp/run.txt")"
echo "replay-check: PASS"
