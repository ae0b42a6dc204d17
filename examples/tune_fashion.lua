-- lrengine tune examples/tune_fashion.lua: ASHA over the Fashion-MNIST MLP's
-- rate, weight decay and schedule (warm-up for the cosine only). 27 trials,
-- rungs at 1 and 3 epochs, the best third promoted, up to 9 epochs: about 70
-- trial-epochs. The run directory (tune_fashion.run/) ends with a
-- leaderboard, results.csv/json, curves.svg and best.lua, a config that
-- `lrengine train` runs as is.
local T = require "lrengine.tune"

return {
  config = "tune_fashion_model.lua", -- reads the trial's parameters from `...`
  space = {
    lr = T.loguniform(3e-4, 1e-2),
    weight_decay = T.loguniform(1e-4, 1e-1),
    schedule = T.choice{"cosine", "one_cycle", "constant"},
    warmup = T.when({schedule = "cosine"}, T.integer(0, 1)), -- epochs
  },
  method = T.asha{min_epochs = 1, max_epochs = 9, reduction = 3, trials = 27},
  metric = "val_acc",
  seed = 1,
}
