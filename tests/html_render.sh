#!/usr/bin/env bash
# Renders a run's HTML report in headless Chromium, on a desktop and a phone-sized window, and
# checks that the screenshots are not blank and that the page logged no console error.
# Usage: tests/html_render.sh [BUILD_DIR]   (default build). Skips (exit 0) without chromium.
# The page comes from `usbsim run scenarios/consumer-stall-overflow.yaml --html FILE`, or, when
# this usbsim has no --html, from the html unit test (USBSIM_HTML_OUT).
set -euo pipefail
build=${1:-build}
if ! command -v chromium >/dev/null; then
  echo "html_render: chromium is not installed (Debian package chromium); skipped"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
page=$tmp/report.html

if "$build/usbsim" run --help 2>&1 | grep -q -- '--html'; then
  rc=0
  "$build/usbsim" run scenarios/consumer-stall-overflow.yaml --quiet --html "$page" || rc=$?
  [ "$rc" -le 1 ] || { echo "html_render: usbsim run exited $rc" >&2; exit 1; }
else
  USBSIM_HTML_OUT=$page "$build/tests/test_html" >/dev/null
fi
[ -s "$page" ] || { echo "html_render: no page was written" >&2; exit 1; }

# distinct colours in a PNG (8-bit RGB/RGBA, non-interlaced: what Chromium writes)
colours() {
  python3 - "$1" <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat = 8, b''
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
    elif kind == b'IDAT':
        idat += body
    pos += 12 + n
assert depth == 8 and ctype in (2, 6), 'unexpected PNG format'
bpp = 3 if ctype == 2 else 4
raw, stride, prev, seen = zlib.decompress(idat), w * bpp, bytearray(w * bpp), set()
for y in range(h):
    f, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = row[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: row[i] = (row[i] + a) & 255
        elif f == 2: row[i] = (row[i] + b) & 255
        elif f == 3: row[i] = (row[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 4 == 0:
        for x in range(0, stride, bpp * 2):
            seen.add(bytes(row[x:x + 3]))
    prev = row
print(len(seen))
EOF
}

render() { # name width height
  chromium --headless --disable-gpu --no-sandbox --user-data-dir="$tmp/profile" \
    --enable-logging=stderr --v=0 --window-size="$2,$3" --screenshot="$tmp/$1.png" \
    "file://$page" >"$tmp/$1.log" 2>&1 || { cat "$tmp/$1.log" >&2; exit 1; }
  [ -s "$tmp/$1.png" ] || { echo "html_render: no screenshot ($1)" >&2; exit 1; }
  if grep -E 'CONSOLE|Uncaught|Failed to load' "$tmp/$1.log" >&2; then
    echo "html_render: the page logged console errors ($1)" >&2
    exit 1
  fi
  local n
  if command -v python3 >/dev/null; then
    n=$(colours "$tmp/$1.png")
  else # without python3: a blank page compresses to a few kB
    n=$(( $(stat -c %s "$tmp/$1.png") / 1000 ))
  fi
  if [ "$n" -lt 20 ]; then
    echo "html_render: the $1 screenshot looks blank ($n colours)" >&2
    exit 1
  fi
  echo "html_render: $1 ${2}x$3: $n colours, no console errors"
}

render desktop 1000 2400
render phone 390 2400
chromium --headless --disable-gpu --no-sandbox --user-data-dir="$tmp/profile" --dump-dom \
  "file://$page" 2>/dev/null >"$tmp/dom.html"
svgs=$(grep -o '<svg' "$tmp/dom.html" | wc -l)
grep -Eq '>(PASS|FAIL)<' "$tmp/dom.html" && [ "$svgs" -ge 5 ] || {
  echo "html_render: the rendered page lacks the verdict or its charts ($svgs charts)" >&2
  exit 1
}
if [ -n "${HTML_RENDER_KEEP:-}" ]; then cp "$tmp"/*.png "$HTML_RENDER_KEEP"/; fi
echo "html_render: ok ($svgs charts)"
