-- Muon cases of modern.json (KellerJordan/Muon muon.py, Newton-Schulz in
-- float64 instead of bfloat16): the Newton-Schulz case through
-- lre.newton_schulz, the optimizer cases with one matrix group per tensor
-- (its shape from the list of rows), the recorded gradients replayed and
-- x[t] checked after each step. Float64 at the case's tolerance, float32 at
-- MODERN.md's float32 tolerance (which it says holds for Newton-Schulz in
-- float32).
local lre = require "lrengine"

return function(case, modern)
  for _, dtype in ipairs{"f64", "f32"} do
    local f32 = dtype == "f32"
    if case["function"] == "zeropower_via_newtonschulz5" then
      local p = case.params
      assert(p.coefficients[1] == 3.4445 and p.coefficients[2] == -4.775 and p.coefficients[3] == 2.0315
             and p.norm_eps == 1e-7, case.name .. ": coefficients other than muon.py's")
      local got = {}
      for k, m in ipairs(case.inputs) do got[k] = lre.newton_schulz(lre.tensor(m, dtype), p.steps):totable() end
      modern.check(case, "outputs", nil, got, f32)
    else
      local p = case.params
      assert(p.ns_steps == 5)
      local groups, xs, gs = {}, {}, {}
      for i, x0 in ipairs(case.x0) do
        xs[i], gs[i] = lre.tensor(x0, dtype), lre.tensor(#x0, #x0[1], dtype)
        local r, c = xs[i]:shape()
        assert(r == case.shapes[i][1] and c == case.shapes[i][2], case.name .. ": shape of tensor " .. i)
        groups[i] = {params = xs[i], grads = gs[i]}
      end
      groups.lr, groups.momentum, groups.weight_decay, groups.nesterov = p.lr, p.momentum, p.weight_decay, p.nesterov
      groups.nonfinite = "trust"
      local opt = lre.optim.muon(groups)
      for t, grads in ipairs(case.grads) do
        for i, g in ipairs(grads) do gs[i]:copy(g) end
        opt:step()
        local got = {}
        for i, x in ipairs(xs) do got[i] = x:totable() end
        modern.check(case, "x", t, got, f32)
      end
    end
  end
end
