-- MLP on Fashion-MNIST with SGD + momentum; the rate is cut by 5x when the
-- validation loss stops improving for one epoch (ReduceLROnPlateau).
local lre = require "lrengine"
local S = lre.schedule

return {
  data = {source = "fashion-mnist", validation = 5000},
  model = {kind = "mlp", hidden = {256}},
  optimizer = {"sgd", lr = 0.05, momentum = 0.9, nesterov = true},
  schedule = S.plateau{lr = 0.05, factor = 0.2, patience = 0, threshold = 1e-3, min_lr = 1e-4},
  observe = "val_loss",
  epochs = 5,
  batch_size = 128,
}
