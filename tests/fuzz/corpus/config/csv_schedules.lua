local lre = require "lrengine"
local S = lre.schedule
return {
  data = {source = "csv", train = "train.csv", test = "test.csv", validation = 10, limit = 100},
  model = {kind = "mlp", hidden = {16, 8}},
  optimizer = {"sgd", lr = 0.1, momentum = 0.9, nesterov = true},
  schedule = {lr = S.warmup{S.cosine{lr = 0.1, t_max = 90}, steps = 10}, momentum = S.linear{start = 0.85, stop = 0.95, steps = 100}},
  epochs = 3, batch_size = 8, seed = 7, observe = "val_loss",
}
