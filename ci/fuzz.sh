#!/usr/bin/env bash
# Builds every libFuzzer target tests/fuzz/fuzz_*.c with clang (-fsanitize=fuzzer,address,undefined)
# against the harness, driver and sim libraries, then runs each: `smoke` for a short time (make check),
# `long` for five minutes (make fuzz). Each target starts from its seed corpus
# tests/fuzz/corpus/<target>/ (copied under build/fuzz/, the repo's copy is never written).
# A crash, leak or sanitizer report fails the run and leaves the reproducer under build/fuzz/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mode=${1:-smoke}
case "$mode" in
  smoke) secs=${FUZZ_SECONDS:-4} ;;
  long)  secs=${FUZZ_SECONDS:-300} ;;
  *) echo "usage: ci/fuzz.sh smoke|long" >&2; exit 2 ;;
esac
shopt -s nullglob
targets=(tests/fuzz/fuzz_*.c)
if [ ${#targets[@]} -eq 0 ]; then echo "fuzz: no target under tests/fuzz/" >&2; exit 1; fi
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
MAKEFLAGS= make -j2 --no-print-directory -s BUILD=build/fuzz CC=clang OPT=-O1 \
  SAN="-fsanitize=fuzzer-no-link $san" build/fuzz/libharness.a build/fuzz/libdriver.a build/fuzz/libsim.a
libs=$(pkg-config --libs libusb-1.0 jansson yaml-0.1 libpcap zlib)
for t in "${targets[@]}"; do
  name=$(basename "$t" .c)
  bin=build/fuzz/$name
  clang -std=c11 -D_GNU_SOURCE -O1 -g -I. -Wall -Wextra -Werror -fsanitize=fuzzer $san \
    $(pkg-config --cflags libusb-1.0) -o "$bin" "$t" build/fuzz/libharness.a build/fuzz/libdriver.a build/fuzz/libsim.a \
    $libs -lck -lpthread -lm
  corpus=build/fuzz/corpus/$name
  mkdir -p "$corpus"
  [ -d "tests/fuzz/corpus/$name" ] && cp -n tests/fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
  echo "== fuzz $name for ${secs}s"
  (cd build/fuzz && "./$name" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
     -print_final_stats=1 "corpus/$name" 2>"$name.log") || { tail -40 "build/fuzz/$name.log"; exit 1; }
  grep -E 'stat::number_of_executed_units|stat::new_units_added' "build/fuzz/$name.log" | sed 's/^/  /'
done
echo "fuzz: ${#targets[@]} target(s) ran clean"
