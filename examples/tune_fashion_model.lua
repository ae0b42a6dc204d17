-- The MLP of fashion_mlp.lua with its hyper-parameters open to lrengine tune
-- (examples/tune_fashion.lua, tune_fashion_pbt.lua): a trial's parameters
-- arrive as `...`; trained directly (lrengine train this file) there are
-- none, and the defaults below make it fashion_mlp.lua.
local lre = require "lrengine"
local S = lre.schedule
local P = ... or {}

local epochs = P.epochs or 5
local steps_per_epoch = math.ceil(55000 / 128)
local total = epochs * steps_per_epoch
local lr = P.lr or 1e-3

local schedule -- nil: the rate stays the optimizer's lr
if P.schedule == "one_cycle" then
  schedule = S.one_cycle{max_lr = lr, total_steps = total}
elseif P.schedule ~= "constant" then -- warm-up (in epochs) then cosine decay to zero
  local warmup = (P.warmup or 1) * steps_per_epoch
  schedule = S.cosine{lr = lr, t_max = total - warmup}
  if warmup > 0 then schedule = S.warmup{schedule, steps = warmup} end
end

return {
  data = {source = "fashion-mnist", validation = 5000},
  model = {kind = "mlp", hidden = {P.hidden or 256}},
  optimizer = {"adamw", lr = lr, weight_decay = P.weight_decay or 0.01},
  schedule = schedule,
  epochs = epochs,
  batch_size = 128,
  seed = 1,
}
