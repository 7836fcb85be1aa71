#!/usr/bin/env bash
# Model-checks every Promela model under driver/ with spin: exhaustive safety and liveness search.
# A model fails when spin reports any error (an assertion, an invalid end state, a non-progress
# cycle or an acceptance cycle). Models are built under build/model/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/build/model"
mkdir -p "$out"
shopt -s nullglob
models=("$top"/driver/*.pml)
if [ ${#models[@]} -eq 0 ]; then echo "model: no Promela model under driver/" >&2; exit 1; fi
for m in "${models[@]}"; do
  base=$(basename "$m" .pml)
  echo "== model $base"
  (cd "$out" && spin -a "$m" >/dev/null && cc -O2 -DSAFETY -o "pan_$base" pan.c 2>/dev/null \
     && "./pan_$base" -m100000 >"$base.safety.txt")
  grep -E 'errors:|states, stored' "$out/$base.safety.txt"
  grep -q 'errors: 0' "$out/$base.safety.txt" || { cat "$out/$base.safety.txt"; exit 1; }
  (cd "$out" && spin -a "$m" >/dev/null && cc -O2 -DNP -o "pan_np_$base" pan.c 2>/dev/null \
     && "./pan_np_$base" -l -m100000 >"$base.progress.txt")
  grep -E 'errors:' "$out/$base.progress.txt" | sed 's/^/  non-progress: /'
  grep -q 'errors: 0' "$out/$base.progress.txt" || { cat "$out/$base.progress.txt"; exit 1; }
done
echo "model: ${#models[@]} model(s) verified"
