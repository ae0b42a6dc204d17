#!/usr/bin/env bash
# make bench: optimizer throughput against the bound, schedule costs, the Lua
# script overhead, and one epoch of the main job. Figures go in BENCHMARKS.md.
set -eu
cd "$(dirname "$0")/.."
echo "== optimizers and built-in schedules (single thread)"
./build/bench/bench_core 10000000 1
echo "== optimizers, all cores"
./build/bench/bench_core 10000000 0 | sed -n '1,7p'
echo "== schedule scripts"
./build/bench/bench_script
if [ -d /usr/share/datasets/fashion-mnist ]; then
  echo "== the main job: examples/fashion_mlp.lua, 5 epochs, 1 thread"
  ./build/bin/lrengine train examples/fashion_mlp.lua --threads 1
fi
