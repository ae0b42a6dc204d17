-- Runner of the `hf` family of modern.json (MODERN.md): each case names a
-- transformers function (get_wsd_schedule, ...) and its arguments; the
-- schedule is built by name through lre.schedule.from_hf, with the case's
-- base_lr as the optimizer's rate, and every step's lr and factor checked.
local lre = require "lrengine"

return function(case, modern)
  local args = {lr = case.base_lr}
  for k, v in pairs(case.params) do args[k] = v end
  local s = lre.schedule.from_hf(case.kind, args)
  local lr = s:curve(case.steps)
  assert(#lr == case.steps and #case.lr == case.steps, case.name .. ": number of steps")
  for t = 1, case.steps do
    modern.check(case, "lr", t, lr[t])
    modern.check(case, "factor", t, lr[t] / case.base_lr)
  end
end
