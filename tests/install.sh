#!/usr/bin/env bash
# What a user of usbsim does after `make`: install into a fresh DESTDIR, build the example consumer
# and a stand-in driver against the installed tree with pkg-config only, run them together, read
# the man page, use the bash completion, then uninstall and find nothing left. Also checks what
# ships beside the program: the CI job files parse as YAML and run what the guide says, the man
# page names every option the program's help prints, docs/scenario-format.md is what the loader's
# tables generate. Usage: tests/install.sh [BUILD_DIR]   (run by `make check`)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
cd "$top"
tmp=$(mktemp -d)
trap '[ -z "${prod:-}" ] || kill "$prod" 2>/dev/null || true; rm -rf "$tmp"' EXIT
root=$tmp/root
prefix=/usr/local
passed=0; failed=0
ok()  { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "install: FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok; else bad "$what"; fi; }

# 1. install into an empty DESTDIR
make --no-print-directory BUILD="$build" install DESTDIR="$root" PREFIX="$prefix" >"$tmp/install.log"
for f in bin/usbsim lib/libusbsim-ring.so.2 lib/libusbsim-ring.so lib/libusbsim-ring.a \
         include/usbsim/ring.h include/usbsim/doorbell.h include/usbsim/client.h \
         include/usbsim/dataqueue.h include/usbsim/status.h lib/pkgconfig/usbsim-ring.pc share/man/man1/usbsim.1 \
         share/bash-completion/completions/usbsim share/usbsim/vm.sh share/usbsim/install-manifest \
         $(cd docs && printf 'share/doc/usbsim/%s ' *.md); do
  check "installed $prefix/$f" test -e "$root$prefix/$f"
done
soname=$(objdump -p "$root$prefix/lib/libusbsim-ring.so.2" | awk '/SONAME/ {print $2}')
check "SONAME is libusbsim-ring.so.2 (got '$soname')" test "$soname" = libusbsim-ring.so.2
# The library's ABI: every symbol it defines carries the project's prefix (the version node
# USBSIM_RING_<major> aside), and the status table reaches the library.
exports=$(nm -D --defined-only "$root$prefix/lib/libusbsim-ring.so.2" | awk '$2 != "A" {sub(/@.*/, "", $3); print $3}')
stray=$(grep -v '^usbsim_' <<<"$exports" | head -n 5 | tr '\n' ' ' || true)
check "libusbsim-ring exports only usbsim_* (also: ${stray:-nothing})" test -z "$stray"
check "libusbsim-ring exports the public API (usbsim_ring_create, usbsim_strerror)" \
  bash -c "grep -qx usbsim_ring_create <<<'$exports' && grep -qx usbsim_strerror <<<'$exports'"
check "usbsim --version" bash -c "'$root$prefix/bin/usbsim' --version | grep -Eq '^usbsim [0-9]+\.[0-9]+\.[0-9]+$'"
check "usbsim -V is --version" test "$("$root$prefix/bin/usbsim" -V)" = "$("$root$prefix/bin/usbsim" --version)"

# 2. build against the installed tree with pkg-config only (nothing from the source tree)
export PKG_CONFIG_LIBDIR="$root$prefix/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root"
cflags=$(pkg-config --cflags usbsim-ring)
libs=$(pkg-config --libs usbsim-ring)
check "pkg-config points into DESTDIR ($cflags $libs)" test "$(echo $cflags)" = "-I$root$prefix/include"
printf '#include <usbsim/ring.h>\n#include <usbsim/doorbell.h>\n#include <usbsim/client.h>\n#include <usbsim/dataqueue.h>\n#include <usbsim/status.h>\nint main(void) { return usbsim_strerror(USBSIM_EFULL)[0] == 0; }\n' >"$tmp/headers.c"
# shellcheck disable=SC2086
check "headers alone, strict C11" cc -std=c11 -pedantic -Wall -Wextra -Werror $cflags -o "$tmp/headers" "$tmp/headers.c" $libs
# shellcheck disable=SC2086
check "examples/consumer.c builds (shared library)" \
  cc -Wall -Wextra -Werror $cflags -o "$tmp/consumer" examples/consumer.c $libs
check "consumer needs libusbsim-ring.so.2" bash -c "readelf -d '$tmp/consumer' | grep -q 'NEEDED.*libusbsim-ring.so.2'"
# shellcheck disable=SC2086
check "tests/ring_producer.c builds (static library)" \
  cc -Wall -Wextra -Werror $cflags -o "$tmp/ring_producer" tests/ring_producer.c \
     "$root$prefix/lib/libusbsim-ring.a" $(pkg-config --libs-only-other --static usbsim-ring) -lpthread

# 3. run them: 20000 seqs, every seq % 100 == 99 left out -> 19800 received, 199 gaps seen
export LD_LIBRARY_PATH="$root$prefix/lib"
"$tmp/ring_producer" "$tmp/ring.sock" 20000 & prod=$!
if timeout 60 "$tmp/consumer" "$tmp/ring.sock" >"$tmp/consumer.out" 2>&1; then ok; else bad "consumer exit"; fi
wait "$prod" && ok || bad "ring_producer exit"
prod=
tail -n 1 "$tmp/consumer.out"
check "consumer counted 19800 packets and 199 lost" grep -q '^received 19800 packets in .* 199 lost' "$tmp/consumer.out"
unset LD_LIBRARY_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR

# 3b. the same consumer against the real thing: the emulated device (usbsim gadget, USB/IP on a
# free port) read by the driver (usbsim driver), whose ring the consumer maps: 500 packets, 0 lost
"$build/usbsim" gadget scenarios/steady.yaml --listen 127.0.0.1:0 --time-scale 5 >"$tmp/gadget.out" 2>&1 &
gadget=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/.*served over USB\/IP on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/gadget.out")
  [ -n "$port" ] && break
  sleep 0.1
done
"$build/usbsim" driver --socket "$tmp/drv.sock" --connect "127.0.0.1:$port" 2>"$tmp/driver.err" &
drv=$!
LD_LIBRARY_PATH="$root$prefix/lib" timeout 60 "$tmp/consumer" "$tmp/drv.sock" >"$tmp/consumer2.out" 2>&1 &
cons=$!
wait "$gadget" && ok || bad "usbsim gadget exit"
# the driver ends by itself once the server has ended its timeline (bounded: a bug fails, not hangs)
for _ in $(seq 300); do kill -0 "$drv" 2>/dev/null || break; sleep 0.1; done
kill -0 "$drv" 2>/dev/null && { bad "usbsim driver did not end with the device"; kill -INT "$drv"; }
wait "$drv" && ok || { bad "usbsim driver exit"; cat "$tmp/driver.err"; }
check "usbsim driver said it ended with the device" grep -q 'gone for good' "$tmp/driver.err"
wait "$cons" && ok || bad "consumer exit (real driver)"
tail -n 1 "$tmp/consumer2.out"
check "consumer read 500 packets, 0 lost, from usbsim driver" grep -q '^received 500 packets in .* 0 lost' "$tmp/consumer2.out"

# 3c. the installed program finds its VM script (PREFIX/share/usbsim/vm.sh) and runs a scenario in
# the VM; USBSIM_VM_CACHE points it at the tree's cache (build/vm) so nothing is rebuilt. Where the
# VM cannot be had at all (exit 3: no qemu...), that is said and the check is skipped. In real
# time: a time-scaled run is more than TCG keeps up with.
set +e
USBSIM_VM_CACHE="$top/build/vm" "$root$prefix/bin/usbsim" run --backend vm scenarios/steady.yaml \
  >"$tmp/vm.out" 2>"$tmp/vm.err"
vmrc=$?
set -e
cat "$tmp/vm.out"
if [ "$vmrc" -eq 3 ]; then
  echo "install: the vm backend cannot run here, skipped: $(tail -n 1 "$tmp/vm.err")"
else
  check "installed usbsim run --backend vm passes (exit $vmrc)" test "$vmrc" -eq 0
  check "it printed the verdict" grep -q '^PASS steady' "$tmp/vm.out"
  [ "$vmrc" -eq 0 ] || cat "$tmp/vm.err"
fi

# 4. the man page renders and names every command and option the program's help prints
check "man renders" bash -c "man -l '$root$prefix/share/man/man1/usbsim.1' 2>&1 | head -n 5 | grep -q '^NAME'"
usbsim=$root$prefix/bin/usbsim
man_text=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' docs/usbsim.1)
helps=$("$usbsim" --help)
for c in run validate plan gadget driver verify fuzz "bench ring" "bench e2e" "bench scale"; do
  # shellcheck disable=SC2086
  h=$("$usbsim" $c --help 2>/dev/null) || continue   # a command this build does not have
  helps+=$'\n'$h
  check "man page has '$c'" grep -q "$c" <<<"$man_text"
done
for o in $(grep -o -- '--[a-z][a-z-]*' <<<"$helps" | sort -u); do
  check "man page has $o" grep -q -- "$o" <<<"$man_text"
done

# 5. bash completion
comp=$root$prefix/share/bash-completion/completions/usbsim
got=$(bash -c "source '$comp'; COMP_WORDS=(usbsim ru); COMP_CWORD=1; _usbsim; echo \${COMPREPLY[*]}")
check "completion: 'usbsim ru' -> run (got '$got')" test "$got" = run
got=$(bash -c "source '$comp'; COMP_WORDS=(usbsim gadget x.yaml --backend ''); COMP_CWORD=4; _usbsim; echo \${COMPREPLY[*]}")
check "completion: gadget --backend -> usbip ffs (got '$got')" test "$got" = "usbip ffs"

# 6. uninstall leaves nothing
make --no-print-directory BUILD="$build" uninstall DESTDIR="$root" PREFIX="$prefix" >"$tmp/uninstall.log"
left=$(find "$root" -mindepth 1 | head -n 5)
check "uninstall left nothing (left: ${left:-none})" test -z "$left"

# 7. the CI job files: YAML, and they run what docs/guide-ci.md says
check "CI files parse as YAML" python3 - examples/ci/github-actions.yml examples/ci/gitlab-ci.yml <<'PY'
import sys, yaml
gh, gl = (yaml.safe_load(open(f)) for f in sys.argv[1:3])
def text(x): return yaml.safe_dump(x)
assert isinstance(gh, dict) and "jobs" in gh, "github: no jobs"
assert any("matrix" in j.get("strategy", {}) for j in gh["jobs"].values()), "github: no matrix"
assert "--junit report.xml" in text(gh) and "--shard" in text(gh), "github: run/fuzz steps"
assert isinstance(gl, dict) and any(isinstance(j, dict) and "parallel" in j for j in gl.values()), "gitlab: no parallel job"
assert "junit: report.xml" in text(gl) and "--shard" in text(gl), "gitlab: junit report / shard"
PY
check "docs/scenario-format.md is what the loader's tables generate" \
  make --no-print-directory BUILD="$build" docs-check

echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
