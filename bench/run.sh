#!/usr/bin/env bash
# make bench: optimizer throughput against the machine's bound and against
# PyTorch (when a Python with torch is installed), schedule costs, the Lua
# script overhead, and the main job. Figures go in BENCHMARKS.md.
set -eu
cd "$(dirname "$0")/.."
B=${B:-build} # the build directory: B=build-g bash bench/run.sh
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== optimizers and built-in schedules (single thread)"
./$B/bench/bench_core 10000000 1 | tee "$out/core"
echo "== the one-thread update's chunk order, A/B"
./$B/bench/bench_core 10000000 1 order
echo "== optimizers, all cores"
./$B/bench/bench_core 10000000 0 | grep -v '^schedule'

torch_python=""
for py in /usr/bin/python3 python3; do
  if command -v "$py" >/dev/null && "$py" -c 'import torch' 2>/dev/null; then torch_python=$py; break; fi
done
if [ -n "$torch_python" ]; then
  echo "== the peer: PyTorch, same machine, same run"
  "$torch_python" bench/torch_peer.py 10000000 | tee "$out/torch"
  echo "== lrengine step / PyTorch step (single thread)"
  awk 'NR == FNR { if ($3 == "Mparam/s") torch[$1] = $2; next }
       ($1 in torch) && $3 + 0 > 0 { printf "%-9s step %6.2f x, trusted %6.2f x\n", $1, $3 / torch[$1], $4 / torch[$1] }' "$out/torch" "$out/core"
else
  echo "== the peer: skipped (no Python with torch; Debian: apt-get install python3-torch)"
fi

echo "== schedule scripts"
./$B/bench/bench_script
if command -v valgrind >/dev/null; then
  echo "== schedule scripts, instructions per step (callgrind: exact on a loaded machine)"
  bash bench/count_script.sh
fi
if [ -d /usr/share/datasets/fashion-mnist ]; then
  echo "== the main job's epoch against its floor (the five sgemm of each step alone), 1 thread"
  OPENBLAS_NUM_THREADS=1 ./$B/bench/bench_train examples/fashion_mlp.lua 3 3
  echo "== the main job: examples/fashion_mlp.lua, 5 epochs, 1 thread"
  OPENBLAS_NUM_THREADS=1 ./$B/bin/lrengine train examples/fashion_mlp.lua --threads 1
else
  echo "== the main job: skipped (no Fashion-MNIST in /usr/share/datasets/fashion-mnist)"
fi
