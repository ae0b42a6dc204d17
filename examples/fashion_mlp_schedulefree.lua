-- The default config's model and data (examples/fashion_mlp.lua) trained by
-- schedule-free AdamW (Defazio et al. 2024): no decay schedule, the
-- optimizer's own linear warm-up over the first epoch. The job evaluates
-- and checkpoints at the average x (the optimizer's eval mode) and trains
-- at y.
local steps_per_epoch = math.ceil(55000 / 128)

return {
  data = {source = "fashion-mnist", validation = 5000},
  model = {kind = "mlp", hidden = {256}},
  optimizer = {"adamw_schedulefree", lr = 2.5e-3, weight_decay = 0.01, warmup_steps = steps_per_epoch},
  epochs = 5,
  batch_size = 128,
  seed = 1,
}
