-- Prodigy cases of modern.json (konstmish/prodigy prodigy_reference.py): one
-- group per tensor (the reference's parameters, in order: d's numerator and
-- denominator sum over them in that order), the recorded gradients replayed
-- (grads[t] is the quadratic's gradient at x[t-1]), then x[t], d[t] (d after
-- the step) and dlr[t] (the rate the step used) checked through opt:get.
-- Float64 only: MODERN.md says float32 can not meet any sensible tolerance.
local lre = require "lrengine"

return function(case, modern)
  local p = case.params
  local groups, xs, gs = {}, {}, {}
  for i, x0 in ipairs(case.x0) do
    xs[i], gs[i] = lre.tensor(x0, "f64"), lre.tensor(#x0, "f64")
    groups[i] = {params = xs[i], grads = gs[i]}
  end
  groups.lr, groups.betas, groups.eps, groups.weight_decay = p.lr, p.betas, p.eps, p.weight_decay
  groups.beta3 = p.beta3 -- nil when null: sqrt(betas[2])
  groups.decouple, groups.use_bias_correction, groups.safeguard_warmup = p.decouple, p.use_bias_correction,
    p.safeguard_warmup
  groups.d0, groups.d_coef, groups.growth_rate = p.d0, p.d_coef, p.growth_rate -- nil: inf
  groups.nonfinite = "trust"
  local opt = lre.optim.prodigy(groups)
  assert(opt:get("d") == p.d0, case.name .. ": d does not start at d0")
  for t, grads in ipairs(case.grads) do
    for i, g in ipairs(grads) do gs[i]:copy(g) end
    opt:step()
    local got = {}
    for i, x in ipairs(xs) do got[i] = x:totable() end
    modern.check(case, "x", t, got)
    modern.check(case, "d", t, opt:get("d"))
    modern.check(case, "dlr", t, opt:get("dlr"))
  end
end
