-- Runner of the "ema" family of modern.json: timm's ModelEmaV3 over
-- torch.optim.SGD, replayed with the optimizer's own averaging
-- (average = {kind = "ema", ...}, updated inside the step) in float64 and
-- float32. Every step checks the parameters x, the decay the average used
-- (ema_decay) and the averaged weights (ema).
local lre = require "lrengine"

-- The case's ModelEmaV3 arguments as the optimizer's averaging rule: timm's
-- update(model) without a step is use_step = false (a constant decay).
local function rule(p)
  local r = {kind = "ema", decay = p.decay, use_step = p.pass_step}
  if p.pass_step then
    r.update_after_step = p.update_after_step
    r.warmup = p.use_warmup
    r.warmup_gamma, r.warmup_power, r.min_decay = p.warmup_gamma, p.warmup_power, p.min_decay
  end
  return r
end

local function tables(ts)
  local out = {}
  for i, t in ipairs(ts) do out[i] = t:totable() end
  return out
end

return function(case, modern)
  assert(case.optimizer == "SGD", "ema runner: optimizer " .. tostring(case.optimizer))
  for _, dtype in ipairs{"f64", "f32"} do
    local f32 = dtype == "f32"
    local args, params, grads = {average = rule(case.ema_params)}, {}, {}
    for k, v in pairs(case.params) do args[k] = v end
    for i, x0 in ipairs(case.x0) do
      params[i] = lre.tensor(modern.flat(x0), dtype)
      grads[i] = lre.tensor(#params[i], dtype)
      args[i] = {params = params[i], grads = grads[i]}
    end
    local opt = lre.optim.sgd(args)
    for t, g in ipairs(case.grads) do
      for i = 1, #grads do grads[i]:copy(modern.flat(g[i])) end
      assert(opt:step() == true, "step skipped")
      modern.check(case, "x", t, tables(params), f32)
      modern.check(case, "ema_decay", t, {opt:average_info().decay})
      local avg = {}
      for i = 1, #params do avg[i] = assert(opt:average(i), "no average after a step"):totable() end
      modern.check(case, "ema", t, avg, f32)
    end
  end
end
