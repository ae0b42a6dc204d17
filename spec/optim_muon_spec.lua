-- Muon's rules beside its golden traces (spec/support/modern/muon.lua):
-- the AdamW rule of the groups that are not matrices (KellerJordan/Muon
-- muon.py's adam_update, then p.mul_(1 - lr*wd) and p.add_(u, alpha=-lr)),
-- checked against the formula written out below step by step; which group
-- gets which rule; and the refusals.
local lre = require "lrengine"

-- muon.py adam_update over plain Lua numbers (PyTorch's lerp: w < 0.5 ->
-- s + w*(e - s), else e - (e - s)*(1 - w)).
local function lerp(s, e, w) if w < 0.5 then return s + w * (e - s) end return e - (e - s) * (1 - w) end
local function adam_ref(p, grads, lr, b1, b2, eps, wd)
  local m, v, out = {}, {}, {}
  for i = 1, #p do m[i], v[i] = 0, 0 end
  for t, g in ipairs(grads) do
    for i = 1, #p do
      m[i] = lerp(m[i], g[i], 1 - b1)
      v[i] = lerp(v[i], g[i] * g[i], 1 - b2)
      local u = (m[i] / (1 - b1 ^ t)) / (math.sqrt(v[i] / (1 - b2 ^ t)) + eps)
      p[i] = p[i] * (1 - lr * wd) + (-lr) * u
    end
    out[t] = {table.unpack(p)}
  end
  return out
end

describe("muon", function()
  it("updates the groups that are not matrices by muon.py's AdamW rule", function()
    local x0, grads = {0.5, -1.25, 2, 0}, {{0.3, -0.2, 1.5, 0}, {-0.1, -0.4, 1, 2}, {0.05, 0.6, -3, 1}}
    local want = adam_ref({table.unpack(x0)}, grads, 3e-4, 0.9, 0.95, 1e-10, 0.1)
    local w, gw = lre.tensor{{1, 2}, {3, 4}}, lre.tensor(2, 2)
    local b, gb = lre.tensor(x0), lre.tensor(4)
    local opt = lre.optim.muon{{params = w, grads = gw}, {params = b, grads = gb, lr = 3e-4}, weight_decay = 0.1}
    assert.are.equal(1, opt:get("rule", 1)) -- muon
    assert.are.equal(2, opt:get("rule", 2)) -- adamw
    for t, g in ipairs(grads) do
      gb:copy(g)
      gw:copy{1, -1, 0.5, 2}
      opt:step()
      for i = 1, 4 do assert.are.near(want[t][i], b[i], 1e-15 * math.max(1, math.abs(want[t][i]))) end
    end
  end)

  it("sends a matrix through AdamW with rule = 'adamw', the same numbers as a vector", function()
    local g = {0.3, -0.2, 1.5, 0.7, 0.1, -2}
    local a = lre.tensor{{1, 2, 3}, {4, 5, 6}}
    local v = lre.tensor{1, 2, 3, 4, 5, 6}
    local oa = lre.optim.muon{params = a, grads = lre.tensor(g), rule = "adamw", lr = 1e-3}
    local ov = lre.optim.muon{params = v, grads = lre.tensor(g), lr = 1e-3}
    oa:step(); ov:step()
    assert.are.same(v:totable(), {a[1], a[2], a[3], a[4], a[5], a[6]})
    assert.are_not.same({1, 2, 3, 4, 5, 6}, v:totable())
  end)

  it("orthogonalises: lre.newton_schulz gives a matrix with near-orthonormal rows", function()
    -- NS5 maps a matrix's singular values into about [0.5, 1.5] (Keller Jordan's coefficients
    -- trade exactness for speed: muon.py's comment), so O O^T has its diagonal in [0.25, 2.25]
    -- and small off-diagonal entries, while U's rows (norms 2, 0.58, 0.2) are far from that.
    local u = lre.tensor{{2, 0.1, 0}, {0.3, 0.5, 0}, {0, 0.2, 0.01}}
    local o = lre.newton_schulz(u)
    for i = 1, 3 do
      for j = 1, 3 do
        local s = 0
        for k = 1, 3 do s = s + o[(i - 1) * 3 + k] * o[(j - 1) * 3 + k] end
        if i == j then assert.is_true(s > 0.25 and s < 2.25, "diag " .. s)
        else assert.is_true(math.abs(s) < 0.35, "off " .. s) end
      end
    end
    -- first thing in a fresh process, before any optimizer has loaded OpenBLAS (src/core/blas.h)
    local lua = string.format("package.path = %q; package.cpath = %q; local lre = require 'lrengine'; "
      .. "local o = lre.newton_schulz(lre.tensor{{2, 0.1, 0}, {0.3, 0.5, 0}, {0, 0.2, 0.01}}); print(%q, o[1] == %.17g)",
      package.path, package.cpath, "fresh", o[1])
    local p = assert(io.popen("lua5.4 -e " .. string.format("%q", lua) .. " 2>&1"))
    local out = p:read("a")
    p:close()
    assert.are.equal("fresh\ttrue\n", out)
  end)

  it("refuses rule 'muon' on a vector and unknown rules", function()
    assert.has_error(function() lre.optim.muon{params = lre.tensor(3), grads = lre.tensor(3), rule = "muon"} end,
      "bad argument #1 to 'muon' (rule 'muon' needs a matrix group (lre_optim_add_matrix, a matrix tensor); this group is a vector of 3)")
    assert.has_error(function() lre.optim.muon{params = lre.tensor(2, 2), grads = lre.tensor(4), rule = "sgd"} end,
      "bad argument #1 to 'muon' (rule must be one of auto|muon|adamw, got 'sgd')")
    assert.has_error(function() lre.newton_schulz(lre.tensor(4)) end)
  end)
end)
