#!/usr/bin/env bash
# bench/tune.sh [BUILD] -- lrengine tune on Fashion-MNIST (BENCHMARKS.md,
# "Tuning"): the default config (examples/fashion_mlp.lua, 5 epochs) against
# random search, ASHA (random and TPE sampling) and PBT over
# examples/tune_fashion_model.lua with the same budget of 48 trial-epochs
# (trials of at most 6 epochs), 2 jobs at a time with 1 BLAS thread each,
# and ASHA again on three times that budget.
# Prints a markdown table. Takes about 4 minutes on 2 cores; run it when the
# machine is otherwise idle. Runs go to build/bench-tune/ (BUILD/bench-tune).
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
BIN=$PWD/$B/bin/lrengine
OUT=$PWD/$B/bench-tune
rm -rf "$OUT"
mkdir -p "$OUT"
MODEL=$PWD/examples/tune_fashion_model.lua
JOBS=${JOBS:-2}

now() { date +%s.%N; }

# the default config, and the time of a plain epoch
t0=$(now)
"$BIN" train examples/fashion_mlp.lua --quiet --metrics "$OUT/default.jsonl" >"$OUT/default.out"
t1=$(now)
echo "default $(awk "BEGIN{print $t1 - $t0}")" >"$OUT/times"

space='lr = T.loguniform(3e-4, 1e-2), weight_decay = T.loguniform(1e-4, 1e-1),
    schedule = T.choice{"cosine", "one_cycle", "constant"}, warmup = T.when({schedule = "cosine"}, T.integer(0, 1))'
write_tune() { # name method [space]
  cat >"$OUT/$1.lua" <<EOF
local T = require "lrengine.tune"
return {config = "$MODEL", space = {${3:-$space}}, method = $2, metric = "val_acc", seed = 1}
EOF
}
write_tune random 'T.random{max_epochs = 6, trials = 8}'
write_tune asha 'T.asha{min_epochs = 1, max_epochs = 6, reduction = 3, budget_epochs = 48}'
write_tune asha_tpe 'T.asha{min_epochs = 1, max_epochs = 6, reduction = 3, budget_epochs = 48, sampler = "tpe"}'
# ASHA on three times the budget: when does it reach random search's best?
write_tune asha_x3 'T.asha{min_epochs = 1, max_epochs = 6, reduction = 3, budget_epochs = 144}'
write_tune pbt 'T.pbt{population = 8, interval = 2, max_epochs = 6}' \
  'lr = T.loguniform(3e-4, 1e-2), weight_decay = T.loguniform(1e-4, 1e-1), schedule = "constant"'

for m in random asha asha_tpe pbt asha_x3; do
  t0=$(now)
  "$BIN" tune "$OUT/$m.lua" --jobs "$JOBS" --quiet --dir "$OUT/$m.run" >"$OUT/$m.out"
  t1=$(now)
  echo "$m $(awk "BEGIN{print $t1 - $t0}")" >>"$OUT/times"
done

cat >"$OUT/table.lua" <<'EOF'
local json = require "lrengine.tune_json"
local out = arg[1]
local function slurp(p) local f = assert(io.open(p)) local s = f:read("a") f:close() return s end
local times = {}
for name, t in slurp(out .. "/times"):gmatch("(%S+) (%S+)") do times[name] = tonumber(t) end
local epoch_s, n, last = 0, 0, nil
for line in slurp(out .. "/default.jsonl"):gmatch("[^\n]+") do
  local d = json.decode(line)
  if d.seconds then epoch_s, n = epoch_s + d.seconds, n + 1 end
end
local default_acc = slurp(out .. "/default.out"):match("final test_acc=([%d.]+)")
print("| run | trial-epochs | trials | best val_acc | its test_acc | wall time | per trial-epoch |")
print("| --- | --- | --- | --- | --- | --- | --- |")
print(string.format("| default config (fashion_mlp.lua, 5 epochs) | 5 | 1 | - | %s | %.1f s | %.2f s (plain epoch: %.2f s) |",
  default_acc, times.default, times.default / 5, epoch_s / n))
local res = {}
for _, m in ipairs{"random", "asha", "asha_tpe", "pbt", "asha_x3"} do
  local r = json.decode(slurp(out .. "/" .. m .. ".run/results.json"))
  res[m] = r
  local best
  for _, t in ipairs(r.trials) do if t.id == r.best then best = t end end
  print(string.format("| %s | %d | %d | %.4f | %.4f | %.1f s | %.2f s |", m, r.epochs_trained, #r.trials, best.value,
    best.test_acc or 0 / 0, times[m], times[m] / r.epochs_trained))
end
local target
for _, t in ipairs(res.random.trials) do if t.id == res.random.best then target = t.value end end
print()
for _, m in ipairs{"random", "asha", "asha_tpe", "pbt", "asha_x3"} do
  local reached
  for _, p in ipairs(res[m].progress) do
    if p.best >= target then reached = p.epochs break end
  end
  print(string.format("- %s: %s random search's best val_acc (%.4f)%s", m, reached and "reached" or "did not reach",
    target, reached and string.format(" after %d of its %d trial-epochs", reached, res[m].epochs_trained)
      or string.format(" in its %d trial-epochs", res[m].epochs_trained)))
end
EOF
"$BIN" run "$OUT/table.lua" "$OUT"
