#!/usr/bin/env bash
# bench/average.sh [BUILD] -- weight averaging and schedule-free AdamW on
# Fashion-MNIST (BENCHMARKS.md, "Weight averaging and schedule-free"): the
# default config (examples/fashion_mlp.lua: MLP 784-256-10, AdamW, a warm-up
# epoch then cosine to zero, 5 epochs) against the same with an EMA of the
# weights (examples/fashion_mlp_ema.lua, decay 0.999, and a variant at 0.99)
# and against schedule-free AdamW with the same warm-up and no schedule
# (examples/fashion_mlp_schedulefree.lua, lr 2.5e-3, and a variant at
# AdamW's 1e-3), each with seeds 1, 2 and 3. Test accuracy at the end of the
# 5 epochs: the weights, and for EMA their average too; for schedule-free,
# the average x (the job evaluates in eval mode). Prints a markdown table;
# about 2 minutes on 2 cores. Runs go to build/bench-average/.
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
BIN=$PWD/$B/bin/lrengine
OUT=$PWD/$B/bench-average
rm -rf "$OUT"
mkdir -p "$OUT"

# variants: the example with one line changed
sed 's/decay = 0.999/decay = 0.99/' examples/fashion_mlp_ema.lua >"$OUT/ema_0.99.lua"
sed 's/lr = 2.5e-3/lr = 1e-3/' examples/fashion_mlp_schedulefree.lua >"$OUT/sf_1e-3.lua"

run() { # label config
  local label=$1 cfg=$2 accs="" avgs=""
  for seed in 1 2 3; do
    line=$("$BIN" train "$cfg" --quiet --seed $seed | grep '^final')
    accs="$accs $(echo "$line" | sed 's/.* test_acc=\([0-9.]*\).*/\1/')"
    case $line in *avg_test_acc=*) avgs="$avgs $(echo "$line" | sed 's/.*avg_test_acc=\([0-9.]*\).*/\1/')" ;; esac
  done
  awk -v label="$label" -v a="$accs" -v v="$avgs" 'function stats(s,  n, x, i, t, m) {
      n = split(s, x, " "); if (!n) return "";
      for (i = 1; i <= n; i++) t += x[i]; m = t / n;
      return sprintf("%.4f (%s)", m, s) }
    BEGIN { printf "| %s | %s | %s |\n", label, stats(a), v == "" ? "" : stats(v) }'
}

echo "| config (5 epochs, seeds 1 2 3) | test accuracy: weights (mean, each) | with the averaged weights |"
echo "| --- | --- | --- |"
run "AdamW + warm-up + cosine (examples/fashion_mlp.lua)" examples/fashion_mlp.lua
run "the same + EMA 0.999 (examples/fashion_mlp_ema.lua)" examples/fashion_mlp_ema.lua
run "the same + EMA 0.99" "$OUT/ema_0.99.lua"
run "schedule-free AdamW, lr 2.5e-3, warm-up 1 epoch (examples/fashion_mlp_schedulefree.lua)" examples/fashion_mlp_schedulefree.lua
run "schedule-free AdamW, lr 1e-3, warm-up 1 epoch" "$OUT/sf_1e-3.lua"
