-- clip_grad_value cases of modern.json (torch.nn.utils.clip_grad_value_,
-- then torch.optim.SGD): one group per tensor, `clip = {clip_value = v}`,
-- the recorded gradients replayed; x[t] checked after each step in float64
-- at the case's tolerance and in float32 at MODERN.md's float32 tolerance.
-- The clamp is applied in the update's read of the gradient, so the
-- gradients given stay as they were: checked against the case's grads
-- (clipped_grads is what PyTorch's in-place clamp left in them, and what the
-- update used: it shows in x).
local lre = require "lrengine"

return function(case, modern)
  assert(case.optimizer == "SGD", "no optimizer for " .. case.optimizer)
  for _, dtype in ipairs{"f64", "f32"} do
    local f32 = dtype == "f32"
    local groups, xs, gs = {}, {}, {}
    for i, x0 in ipairs(case.x0) do
      xs[i], gs[i] = lre.tensor(x0, dtype), lre.tensor(#x0, dtype)
      groups[i] = {params = xs[i], grads = gs[i]}
    end
    for k, v in pairs(case.params) do groups[k] = v end
    groups.clip = {clip_value = case.clip.clip_value}
    groups.nonfinite = "trust"
    local opt = lre.optim.sgd(groups)
    for t, grads in ipairs(case.grads) do
      for i, g in ipairs(grads) do gs[i]:copy(g) end
      opt:step()
      local given = {}
      for i, g in ipairs(gs) do given[i] = g:totable() end
      modern.check(case, "grads", t, given, f32)
      local got = {}
      for i, x in ipairs(xs) do got[i] = x:totable() end
      modern.check(case, "x", t, got, f32)
    end
  end
end
