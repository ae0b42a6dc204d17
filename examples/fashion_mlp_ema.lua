-- The default config (examples/fashion_mlp.lua: MLP 784-256-10, AdamW, warmup
-- then cosine) with an exponential moving average of the weights, kept by
-- the optimizer inside its step. The job evaluates both the weights and
-- their average and reports both accuracies (avg_val_acc, avg_test_acc).
local lre = require "lrengine"
local S = lre.schedule

local steps_per_epoch = math.ceil(55000 / 128)
local epochs = 5

return {
  data = {source = "fashion-mnist", validation = 5000},
  model = {kind = "mlp", hidden = {256}},
  optimizer = {"adamw", lr = 1e-3, weight_decay = 0.01},
  schedule = S.warmup{S.cosine{lr = 1e-3, t_max = (epochs - 1) * steps_per_epoch}, steps = steps_per_epoch},
  average = {kind = "ema", decay = 0.999},
  epochs = epochs,
  batch_size = 128,
  seed = 1,
}
