-- AdEMAMix cases of modern.json (apple/ml-ademamix pytorch/ademamix.py):
-- one group per tensor, the recorded gradients replayed, then x[t] and the
-- warm-ups' alpha_t[t] and beta3_t[t] (read from the optimizer: opt:get)
-- checked after each step; in float64 at the case's tolerance and in float32
-- at MODERN.md's float32 tolerance.
local lre = require "lrengine"

return function(case, modern)
  local p = case.params
  for _, dtype in ipairs{"f64", "f32"} do
    local f32 = dtype == "f32"
    local groups, xs, gs = {}, {}, {}
    for i, x0 in ipairs(case.x0) do
      xs[i], gs[i] = lre.tensor(x0, dtype), lre.tensor(#x0, dtype)
      groups[i] = {params = xs[i], grads = gs[i]}
    end
    groups.lr, groups.betas, groups.alpha, groups.eps = p.lr, p.betas, p.alpha, p.eps
    groups.weight_decay = p.weight_decay
    groups.beta3_warmup, groups.alpha_warmup = p.beta3_warmup, p.alpha_warmup -- nil when null: none
    groups.nonfinite = "trust"
    local opt = lre.optim.ademamix(groups)
    for t, grads in ipairs(case.grads) do
      for i, g in ipairs(grads) do gs[i]:copy(g) end
      opt:step()
      local got = {}
      for i, x in ipairs(xs) do got[i] = x:totable() end
      modern.check(case, "x", t, got, f32)
      for i = 1, #xs do
        modern.check(case, "alpha_t", t, opt:get("alpha_t", i), f32)
        modern.check(case, "beta3_t", t, opt:get("beta3_t", i), f32)
      end
    end
  end
end
