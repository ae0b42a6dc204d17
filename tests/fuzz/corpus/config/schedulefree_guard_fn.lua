-- a schedule-free optimizer (no schedule), clip_value, a guard function, SWA
return {
  data = {source = "csv", train = "x.csv", test = "x.csv", validation = 1},
  model = {kind = "softmax"},
  optimizer = {"adamw_schedulefree", lr = 2.5e-3, warmup_steps = 10},
  clip = {clip_value = 0.5},
  guard = function(ctx) if ctx.grad_norm > 100 then return 'skip' end return 0.5 end,
  average = {kind = "swa", start = 5, every = 2},
  epochs = 2, batch_size = 8, log_every = 1,
}
