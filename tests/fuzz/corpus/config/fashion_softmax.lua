-- Softmax regression on Fashion-MNIST: Adam with step decay.
local lre = require "lrengine"

return {
  data = {source = "fashion-mnist", validation = 5000},
  model = {kind = "softmax"},
  optimizer = {"adam", lr = 2e-3},
  schedule = lre.schedule.step{lr = 2e-3, step_size = 430 * 2, gamma = 0.5},
  epochs = 5,
  batch_size = 128,
}
