-- lrengine tune examples/tune_fashion_pbt.lua: population based training of
-- the Fashion-MNIST MLP at a constant rate: 8 trials, every 2 epochs the
-- worst quarter takes the weights and optimizer state of one of the best
-- quarter and moves its rate and weight decay by x0.8 or x1.2 (or draws them
-- anew, one time in four). The winner's trajectory is a schedule in the run
-- directory (pbt_schedule.lua) that `lrengine plot` draws and best.lua uses.
-- The range of the rate is set around the range test's suggestion: fastai's
-- "minimum" rule (the lowest loss's rate / 10: about 5e-3 here; its valley
-- rule says 3e-4, Lightning's steepest 0.3).
local T = require "lrengine.tune"

return {
  config = "tune_fashion_model.lua",
  space = {
    lr = T.around_findlr{below = 10, above = 2, rule = "minimum"},
    weight_decay = T.loguniform(1e-4, 1e-1),
    schedule = "constant",
  },
  method = T.pbt{population = 8, interval = 2, max_epochs = 8},
  metric = "val_acc",
  findlr = {steps = 200},
  seed = 1,
}
