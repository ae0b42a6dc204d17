-- clip_grad_norm cases of modern.json (torch.nn.utils.clip_grad_norm_, then
-- torch.optim.SGD or AdamW): one group per tensor, clipping by the global
-- norm over every group (`clip = {max_norm, norm_type}`), the recorded
-- gradients replayed; after each step the norm before clipping
-- (opt:grad_norm()), the coefficient (opt:clip_coef()) and x[t] are checked,
-- in float64 at the case's tolerance and in float32 at MODERN.md's float32
-- tolerance. nonfinite = "trust": PyTorch does not refuse a non-finite
-- gradient (error_if_nonfinite=False), and neither does the engine then; the
-- scan still runs, for the norm.
local lre = require "lrengine"

local KINDS = {SGD = "sgd", AdamW = "adamw"}

return function(case, modern)
  local kind = assert(KINDS[case.optimizer], "no optimizer for " .. case.optimizer)
  for _, dtype in ipairs{"f64", "f32"} do
    local f32 = dtype == "f32"
    local groups, xs, gs = {}, {}, {}
    for i, x0 in ipairs(case.x0) do
      xs[i], gs[i] = lre.tensor(x0, dtype), lre.tensor(#x0, dtype)
      groups[i] = {params = xs[i], grads = gs[i]}
    end
    for k, v in pairs(case.params) do groups[k] = v end
    -- norm_type 2.0, or "inf" (read as math.huge by support.modern)
    groups.clip = {max_norm = case.clip.max_norm, norm_type = case.clip.norm_type}
    groups.nonfinite = "trust"
    local opt = lre.optim[kind](groups)
    for t, grads in ipairs(case.grads) do
      for i, g in ipairs(grads) do gs[i]:copy(g) end
      opt:step()
      modern.check(case, "total_norm", t, opt:grad_norm(), f32)
      modern.check(case, "clip_coef", t, opt:clip_coef(), f32)
      local got = {}
      for i, x in ipairs(xs) do got[i] = x:totable() end
      modern.check(case, "x", t, got, f32)
    end
  end
end
