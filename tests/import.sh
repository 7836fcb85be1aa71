#!/usr/bin/env bash
# import — `usbsim import` round trips through usbsim's own device (make import-check).
#  1. `usbsim gadget --backend usbip --pcap` serves steady.yaml to a host that enumerates it the
#     way Linux does (tests/import_host.py: descriptors, strings, SET_CONFIGURATION, then IN
#     requests); the capture is imported: exit 0, the scenario's descriptors rebuilt from its
#     keys equal the bytes the host read, its strings the host's, and the recording holds every
#     packet the host received, in order, byte for byte. The same capture as pcapng (editcap)
#     imports to the same scenario and recording.
#  2. `usbsim run --pcap`: usbsim's own USB/IP client enumerates the device as Linux does
#     (descriptors, strings, SET_CONFIGURATION with the configuration's value), so its capture
#     imports with exit 0: the scenario's device equals part 1's (whose descriptors equal the
#     bytes the host read), and the recording holds every packet of the capture (tshark's view)
#     in order.
#  3. The scenario is YAML (python3-yaml) and `usbsim validate` accepts it, and `usbsim run` on it
#     passes (the device's descriptors, usbsim's packets at the recorded period).
# Usage: tests/import.sh [BUILD_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
cd "$top"
usbsim=$build/usbsim
tmp=$(mktemp -d)
gpid=
cleanup() { [ -z "$gpid" ] || kill "$gpid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "import-check: FAIL $*" >&2; exit 1; }

# ---- 1. an enumerating host against usbsim gadget ----
port=$((20000 + RANDOM % 20000))
"$usbsim" gadget scenarios/steady.yaml --backend usbip --listen 127.0.0.1:$port \
  --pcap "$tmp/dev.pcap" --time-scale 5 --quiet &
gpid=$!
python3 tests/import_host.py 127.0.0.1 $port 1000000 >"$tmp/host.txt"
wait "$gpid" || fail "usbsim gadget ended with an error"
gpid=
"$usbsim" import "$tmp/dev.pcap" -o "$tmp/dev.yaml" >"$tmp/out.txt" ||
  fail "usbsim import of the gadget's capture: exit $?"
grep -Eq "^device 1.2 \(1209:0001 usbsim steady\): 500 packets, stream 0x81: 112 B every (19[5-9][0-9]|20[0-4][0-9]) us; 0 control requests -> $tmp/dev.yaml, $tmp/dev.rec\$" "$tmp/out.txt" ||
  fail "import's line: $(cat "$tmp/out.txt")"
python3 - "$tmp/dev.yaml" "$tmp/dev.rec" "$tmp/host.txt" <<'PY' || fail "the imported scenario differs from what the host read"
import struct, sys, yaml
sc = yaml.safe_load(open(sys.argv[1]))
rec = [l.split() for l in open(sys.argv[2]) if not l.startswith('#') and l.strip()]
host = [l.split() for l in open(sys.argv[3])]
want = {k: bytes.fromhex(v[0]) for k, *v in host if k in ('device', 'config')}
strings = {int(v[0]): bytes.fromhex(v[1]) for k, *v in host if k == 'string'}
packets = [v[0] for k, *v in host if k == 'packet']
d = sc['device']
idx = {}
def string_index(text):  # the index the host read this text from
    for i, b in strings.items():
        if b[2:].decode('utf-16-le') == text:
            return i
    return 0 if text == '' else None
dev = struct.pack('<BBHBBBBHHHBBBB', 18, 1, d['bcd_usb'], d['class'], d['subclass'], d['protocol'],
                  d['max_packet0'], d['vid'], d['pid'], d['bcd_device'],
                  string_index(d['manufacturer']), string_index(d['product']),
                  string_index(d['serial']), 1)
assert dev == want['device'], (dev.hex(), want['device'].hex())
body = b''
for i in d['interfaces']:
    extra = bytes.fromhex(i['extra'])
    body += struct.pack('<BBBBBBBBB', 9, 4, i['number'], i['alt'], len(i['endpoints']), i['class'],
                        i['subclass'], i['protocol'], string_index(i.get('name', ''))) + extra
    for e in i['endpoints']:
        t = {'isochronous': 1, 'bulk': 2, 'interrupt': 3}[e['type']]
        body += struct.pack('<BBBBHB', 7, 5, e['address'], t, e['max_packet'], e['interval'])
        body += bytes.fromhex(e['extra'])
c = d['config']
cfg = struct.pack('<BBHBBBBB', 9, 2, 9 + len(body), len(d['interfaces']), 1, 0, c['attributes'],
                  c['max_power_ma'] // 2) + body
assert cfg == want['config'], (cfg.hex(), want['config'].hex())
assert [r[2] for r in rec] == packets, 'the recording is not the packets the host received'
assert all(r[1] == '0x81' for r in rec)
assert d['stream_endpoint'] == 0x81 and d['packet_size'] == 112 and 1950 <= d['period_us'] < 2050  # 10 ms / 5, as timed
assert d['replay'] == {'file': 'dev.rec', 'loop': False}
print(f"import-check: descriptors rebuilt from the scenario equal the host's ({len(want['config'])}-byte "
      f"configuration), {len(strings)} strings, {len(packets)} packets in order")
PY
if command -v editcap >/dev/null; then
  editcap -F pcapng "$tmp/dev.pcap" "$tmp/dev.pcapng"
  "$usbsim" import "$tmp/dev.pcapng" -o "$tmp/ng/dev.yaml" -q 2>/dev/null && fail "-o into a missing folder was accepted"
  mkdir "$tmp/ng"
  "$usbsim" import "$tmp/dev.pcapng" -o "$tmp/ng/dev.yaml" -q || fail "usbsim import of the pcapng"
  diff <(tail -n +2 "$tmp/dev.yaml") <(tail -n +2 "$tmp/ng/dev.yaml") || fail "pcapng imports differently"
  cmp "$tmp/dev.rec" "$tmp/ng/dev.rec" || fail "pcapng's recording differs"
  echo "import-check: the capture as pcapng (editcap) imports to the same scenario and recording"
else
  echo "import-check: editcap is not installed (Debian package wireshark-common): pcapng round trip skipped"
fi

# ---- 2. usbsim run --pcap ----
"$usbsim" run scenarios/steady.yaml --time-scale 5 --quiet --pcap "$tmp/run.pcap"
rc=0
"$usbsim" import "$tmp/run.pcap" -o "$tmp/run.yaml" -q 2>"$tmp/run.err" || rc=$?
[ $rc -eq 0 ] || fail "usbsim import of usbsim run's capture: exit $rc: $(cat "$tmp/run.err")"
python3 - "$tmp/run.yaml" "$tmp/dev.yaml" <<'PY' || fail "usbsim run's capture imports to another device than the gadget's"
import sys, yaml
run, dev = (yaml.safe_load(open(p))['device'] for p in sys.argv[1:3])
for d in (run, dev):  # the stream as timed, and the files' names, are not the descriptors
    del d['replay'], d['period_us']
assert run == dev, {k: (run.get(k), dev.get(k)) for k in set(run) | set(dev) if run.get(k) != dev.get(k)}
print(f"import-check: usbsim run's capture holds its client's enumeration: the imported device "
      f"({len(run['interfaces'])} interface(s), strings {run['manufacturer']!r} {run['product']!r}) "
      f"equals the gadget capture's")
PY
n=$(grep -vc '^#' "$tmp/run.rec")
if command -v tshark >/dev/null; then
  tshark -r "$tmp/run.pcap" -Y "usb.urb_type == 'C' && usb.endpoint_address == 0x81 && usb.urb_status == 0" \
    -T fields -e usb.capdata 2>/dev/null | tr -d ':' >"$tmp/tshark.txt"
  grep -v '^#' "$tmp/run.rec" | cut -d' ' -f3 | diff -q - "$tmp/tshark.txt" >/dev/null ||
    fail "the recording of usbsim run's capture is not tshark's packets"
  echo "import-check: usbsim run's capture: the recording holds tshark's $n packets in order"
else
  [ "$n" -gt 0 ] || fail "no packets recorded from usbsim run's capture"
  echo "import-check: tshark is not installed: usbsim run's $n packets not compared"
fi

# ---- 3. the scenario against the loader ----
"$usbsim" validate "$tmp/dev.yaml" || fail "usbsim validate refuses the imported scenario"
"$usbsim" run "$tmp/dev.yaml" --time-scale 5 --quiet || fail "usbsim run fails the imported scenario"
echo "import-check: ok"
