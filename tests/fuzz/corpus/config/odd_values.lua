return {
  data = {source = "csv", train = "x.csv", test = "x.csv", validation = 1e300},
  model = {kind = "mlp", hidden = {0/0, math.huge}},
  optimizer = {"rmsprop", lr = -1, alpha = 2},
  schedule = setmetatable({}, {__index = function(t, k) return t[k] end}),
  epochs = "3", batch_size = 2^63, threads = -1,
}
