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
echo "== each update's arithmetic alone: 100k parameters, caches warm (the ceiling whatever the memory)"
./$B/bench/bench_core 100000 1 warm | grep -v '^schedule'
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
echo "== plot at scale: 1e6 steps, csv and json streamed, svg reduced (CPU seconds user+sys, peak RSS; 3 rounds)"
cat >"$out/cosine.lua" <<'LUA'
local S = require("lrengine").schedule
return S.warmup{S.cosine{lr = 0.1, t_max = 990000, eta_min = 1e-7}, steps = 10000}
LUA
for script in "$out/cosine.lua" examples/schedules/warmup_cosine_function.lua; do
  for round in 1 2 3; do
    line=""
    for what in check csv json svg; do
      if [ $what = check ]; then args="check $script --steps 1000000"; else args="plot $script --steps 1000000 --format $what"; fi
      /usr/bin/time -f "%M" -o "$out/time" ./$B/bin/lrengine $args >"$out/plot.out" # peak RSS
      kb=$(cat "$out/time")
      TIMEFORMAT="%3U %3S" # CPU time to the millisecond (/usr/bin/time's has 10 ms)
      { time ./$B/bin/lrengine $args >"$out/plot.out"; } 2>"$out/time"
      read -r u s <"$out/time"
      line="$line $what $(awk -v u=$u -v s=$s 'BEGIN { printf "%.3f", u + s }') $((kb / 1024)) $(wc -c <"$out/plot.out")"
    done
    echo "$line" | awk -v name="$(basename "$script")" -v round=$round '{
      printf "%s round %d: check %.3f s; csv %.3f s (%.1f x check, %d MB); json %.3f s (%.1f x, %d MB); svg %.3f s, %d KB\n",
        name, round, $2, $6, $6 / $2, $7, $10, $10 / $2, $11, $14, $16 / 1024 }'
  done
done

if [ -d /usr/share/datasets/fashion-mnist ]; then
  echo "== the main job's epoch against its floor (the five sgemm of each step alone), 1 thread"
  OPENBLAS_NUM_THREADS=1 ./$B/bench/bench_train examples/fashion_mlp.lua 3 3
  echo "== the main job: examples/fashion_mlp.lua, 5 epochs, 1 thread"
  OPENBLAS_NUM_THREADS=1 ./$B/bin/lrengine train examples/fashion_mlp.lua --threads 1
  if [ -n "$torch_python" ]; then
    echo "== the main job beside PyTorch on its exact config (bench/torch_mlp.py), OPENBLAS_NUM_THREADS=1 both, taking turns"
    for round in 1 2 3; do
      OPENBLAS_NUM_THREADS=1 /usr/bin/time -f "rss %M" ./$B/bin/lrengine train examples/fashion_mlp.lua --threads 1 \
        >"$out/job" 2>&1
      OPENBLAS_NUM_THREADS=1 "$torch_python" bench/torch_mlp.py 1 >"$out/peer" 2>&1
      awk -v round=$round 'FNR == NR { if (match($0, /\(([0-9.]+) s\)/)) { e = substr($0, RSTART + 1, RLENGTH - 4) + 0; if (!best || e < best) best = e }
                                       if ($1 == "final") acc = $2; if ($1 == "rss") rss = $2 / 1024; next }
                           $1 == "torch-mlp" { printf "round %d: lrengine %.3f s per epoch (%s, peak %.0f MB), PyTorch %.3f s (test_acc=%s, peak %s MB): PyTorch / lrengine %.2f\n",
                                               round, best, acc, rss, $3, $5, $7, $3 / best }' "$out/job" "$out/peer"
    done
  else
    echo "== the main job beside PyTorch: skipped (no Python with torch)"
  fi
else
  echo "== the main job: skipped (no Fashion-MNIST in /usr/share/datasets/fashion-mnist)"
fi
