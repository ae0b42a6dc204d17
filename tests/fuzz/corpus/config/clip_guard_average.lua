-- today's keys: clipping (max_norm a schedule), a guard table, EMA weights, durations
local lre = require "lrengine"
local S = lre.schedule
return {
  data = {source = "csv", train = "x.csv", test = "x.csv", validation = 10},
  model = {kind = "mlp", hidden = {8, 4}},
  optimizer = {"adamw", lr = 1e-3, weight_decay = 0.01, betas = {0.9, 0.99}},
  schedule = S.warmup{S.cosine{lr = 1e-3, t_max = "90%"}, steps = "1 epoch"},
  clip = {max_norm = S.linear{lr = 1, start_factor = 1, end_factor = 0.5, total_iters = 20}, norm_type = 2},
  guard = {"zscore", window = 16, z = 4, on = "loss", max_skips = 3},
  average = {kind = "ema", decay = 0.99},
  epochs = 3, batch_size = 4,
}
