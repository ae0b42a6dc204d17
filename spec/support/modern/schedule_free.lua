-- Runner of the "schedule_free" family of modern.json: the reference
-- schedule-free SGD and AdamW replayed with sgd_schedulefree and
-- adamw_schedulefree, in float64 and float32. Each step checks y (the
-- parameters in train mode), x (the parameters after opt:eval(); opt:train()
-- must then give y back exactly), z, and the rate lr_t and weight c_t the
-- step used (opt:scheduled_lr). z is not a parameter: it is derived from the
-- engine's own x and y through y = beta*x + (1-beta)*z.
local lre = require "lrengine"

local KINDS = {SGDScheduleFree = "sgd_schedulefree", AdamWScheduleFree = "adamw_schedulefree"}

local function tables(ts)
  local out = {}
  for i, t in ipairs(ts) do out[i] = t:totable() end
  return out
end

return function(case, modern)
  local kind = assert(KINDS[case.optimizer], "schedule_free runner: optimizer " .. tostring(case.optimizer))
  local beta = case.params.momentum or case.params.betas[1]
  for _, dtype in ipairs{"f64", "f32"} do
    local f32 = dtype == "f32"
    local args, params, grads = {}, {}, {}
    for k, v in pairs(case.params) do args[k] = v end
    for i, x0 in ipairs(case.x0) do
      params[i] = lre.tensor(modern.flat(x0), dtype)
      grads[i] = lre.tensor(#params[i], dtype)
      args[i] = {params = params[i], grads = grads[i]}
    end
    local opt = lre.optim[kind](args)
    for t, g in ipairs(case.grads) do
      for i = 1, #grads do grads[i]:copy(modern.flat(g[i])) end
      assert(opt:step() == true, "step skipped")
      local y = tables(params)
      modern.check(case, "y", t, y, f32)
      local lr, c = opt:scheduled_lr()
      modern.check(case, "lr", t, {lr})
      modern.check(case, "c", t, {c})
      opt:eval()
      assert(opt:mode() == "eval", "not in eval mode after eval()")
      local x = tables(params)
      modern.check(case, "x", t, x, f32)
      opt:train()
      local back = tables(params) -- the exchange is exact
      for i = 1, #y do
        for j = 1, #y[i] do assert(back[i][j] == y[i][j], "train() did not give y back exactly") end
      end
      local z = {}
      for i = 1, #x do
        z[i] = {}
        for j = 1, #x[i] do z[i][j] = (y[i][j] - beta * x[i][j]) / (1 - beta) end
      end
      modern.check(case, "z", t, z, f32)
    end
  end
end
