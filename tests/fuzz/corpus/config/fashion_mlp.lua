-- MLP 784-256-10 on Fashion-MNIST: AdamW, one epoch of linear warmup, then
-- cosine decay to zero. Swap the schedule by editing the `schedule` line.
local lre = require "lrengine"
local S = lre.schedule

local steps_per_epoch = math.ceil(55000 / 128)
local epochs = 5

return {
  data = {source = "fashion-mnist", validation = 5000},
  model = {kind = "mlp", hidden = {256}},
  optimizer = {"adamw", lr = 1e-3, weight_decay = 0.01},
  schedule = S.warmup{S.cosine{lr = 1e-3, t_max = (epochs - 1) * steps_per_epoch}, steps = steps_per_epoch},
  epochs = epochs,
  batch_size = 128,
  seed = 1,
}
