local lre = require "lrengine"
local S = lre.schedule
local steps = 200
return {
  data = {source = "csv", train = "a.csv", test = "b.csv", validation = 0},
  model = {kind = "mlp", hidden = {4}},
  optimizer = {"adamw", weight_decay = 0.01},
  schedule = S.plateau{S.custom(function(step, ctx) return 0.01 * (1 - step / steps) end, "decay"), factor = 0.5, patience = 2},
  epochs = 2, batch_size = 1, seed = 1, log_every = 5,
}
