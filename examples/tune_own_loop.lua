-- lrengine.tune with your own training loop: the fit of
-- examples/linear_regression.lua (y = 3 x1 - 2 x2 + 0.5), searched twice:
-- ASHA over SGD's rate and momentum, then PBT, whose trials hand their state
-- (weights and optimizer) to each other through trial.save and trial.load.
-- Run: lrengine run examples/tune_own_loop.lua
local lre = require "lrengine"
local T = require "lrengine.tune"

local seed = 12345
local function rand()
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648 * 2 - 1
end
local n, xs, ys = 200, {}, {}
for i = 1, n do
  local x1, x2 = rand(), rand()
  xs[i] = {x1, x2}
  ys[i] = 3 * x1 - 2 * x2 + 0.5 + 0.05 * rand()
end

local function loss_and_grad(w, g)
  local loss, g1, g2, gb = 0, 0, 0, 0
  for i = 1, n do
    local e = w[1] * xs[i][1] + w[2] * xs[i][2] + w[3] - ys[i]
    loss = loss + e * e
    g1, g2, gb = g1 + 2 * e * xs[i][1], g2 + 2 * e * xs[i][2], gb + 2 * e
  end
  g[1], g[2], g[3] = g1 / n, g2 / n, gb / n
  return loss / n
end

-- an "epoch" is 5 steps; the metric is the loss after it
local function trial(params, report, t)
  local w, g = lre.tensor(3), lre.tensor(3)
  local opt = lre.optim.sgd{params = w, grads = g, lr = params.lr, momentum = params.momentum}
  t.save = function() return {w = w:totable(), opt = opt:save()} end
  t.load = function(s)
    for i = 1, 3 do w[i] = s.w[i] end
    opt:load(s.opt)
  end
  for epoch = 1, 12 do
    local loss
    for _ = 1, 5 do
      loss = loss_and_grad(w, g)
      opt:step()
    end
    local go
    go, params = report(epoch, loss)
    if not go then break end
    opt:set("lr", params.lr) -- PBT may have changed them
    opt:set("momentum", params.momentum)
  end
end

local space = {lr = T.loguniform(1e-3, 1), momentum = T.uniform(0, 0.95)}

local asha = T.run{space = space, method = T.asha{min_epochs = 1, max_epochs = 12, reduction = 3, trials = 30},
  mode = "min", seed = 1, trial = trial}
local epochs = 0
for _, t in pairs(asha.trials) do epochs = epochs + t.epoch end
local a = asha.best
print(string.format("ASHA: best loss %.5f with lr %.3g, momentum %.2f (%d trials, %d epochs of %d)", a.results[a.epoch],
  a.params.lr, a.params.momentum, #asha.leaderboard, epochs, 30 * 12))

local pbt = T.run{space = space, method = T.pbt{population = 6, interval = 2, max_epochs = 12}, mode = "min", seed = 1,
  trial = trial}
local b = pbt.best
print(string.format("PBT: best loss %.5f; its trajectory:", b.results[b.epoch]))
for _, seg in ipairs(b.lineage) do
  print(string.format("  from epoch %2d (trial %d): lr %.3g, momentum %.2f", seg.from, seg.trial, seg.params.lr,
    seg.params.momentum))
end
