-- Late in a run a bias correction (1 - beta^t, or its root) is 1 in the
-- working precision, and the kernels leave its division out
-- (src/core/optim_kernels.h, BC_DIV): x / 1 is x to the bit, so the
-- parameters must stay exactly those of PyTorch's formula, written out here
-- operation by operation in the tensor's precision (float32 by rounding
-- each result through string.pack; the double rounding of +, -, *, / and
-- sqrt from double to float32 is innocuous). Small betas bring the switch
-- within a few hundred steps: 0.9^t rounds away in float32 from t = 158,
-- 0.5^t in float64 from t = 54.
local lre = require "lrengine"

local function f32(x) return (string.unpack("<f", string.pack("<f", x))) end
local function f64(x) return x end

-- torch.optim.Adam / AdamW (1.13, single tensor): the kernel's order of
-- operations, each rounded by r
local function reference(r, steps, n, opt, grad)
  local p, m, v, out = {}, {}, {}, {}
  for i = 1, n do p[i], m[i], v[i] = r(math.sin(i)), 0, 0 end
  local b1, b2 = opt.betas[1], opt.betas[2]
  local b1c, rb2, b2c, eps = r(1 - b1), r(b2), r(1 - b2), r(1e-8)
  local wd, lr = r(opt.weight_decay), opt.lr
  local decay = r(1 - lr * opt.weight_decay)
  for t = 1, steps do
    local bc1, bc2 = 1 - b1 ^ t, 1 - b2 ^ t
    local step_size, bc2_sqrt = r(lr / bc1), r(math.sqrt(bc2))
    for i = 1, n do
      local gi = r(grad(t, i))
      local x = p[i]
      if opt.decoupled then x = r(x * decay) elseif opt.weight_decay ~= 0 then gi = r(gi + r(wd * p[i])) end
      local mi = r(m[i] + r(b1c * r(gi - m[i])))
      local vi = r(r(v[i] * rb2) + r(r(b2c * gi) * gi))
      m[i], v[i] = mi, vi
      local denom = r(r(r(math.sqrt(vi)) / bc2_sqrt) + eps)
      p[i] = r(x - r(step_size * r(mi / denom)))
    end
    out[t] = {table.unpack(p)}
  end
  return out
end

local function grad(t, i) return math.sin(i * 0.7 + t * 0.013) * (1 + i % 3) end

local cases = {
  {"adam", "f32", r = f32, betas = {0.5, 0.9}, weight_decay = 0, steps = 400},
  {"adam", "f32", r = f32, betas = {0.5, 0.9}, weight_decay = 0.01, steps = 400},
  {"adamw", "f32", r = f32, betas = {0.8, 0.9}, weight_decay = 0.1, decoupled = true, steps = 400},
  {"adam", "f64", r = f64, betas = {0.5, 0.5}, weight_decay = 0.01, steps = 200},
  {"adamw", "f64", r = f64, betas = {0.5, 0.5}, weight_decay = 0.1, decoupled = true, steps = 200},
}

describe("a bias correction that has become 1", function()
  for _, c in ipairs(cases) do
    local what = ("%s %s%s"):format(c[1], c[2], c.weight_decay ~= 0 and (" weight_decay %g"):format(c.weight_decay) or "")
    it(("leaves %s's parameters those of PyTorch's formula, to the bit, before and after"):format(what), function()
      local n = 11
      c.lr = 1e-3
      local want = reference(c.r, c.steps, n, c, grad)
      local p, g = lre.tensor(n, c[2]), lre.tensor(n, c[2])
      for i = 1, n do p[i] = math.sin(i) end
      local opt = lre.optim[c[1]]{params = p, grads = g, lr = c.lr, betas = c.betas, weight_decay = c.weight_decay}
      local switched = false
      for t = 1, c.steps do
        for i = 1, n do g[i] = grad(t, i) end
        opt:step()
        switched = switched or c.r(math.sqrt(1 - c.betas[2] ^ t)) == 1
        for i = 1, n do
          if p[i] ~= want[t][i] then
            error(("step %d, parameter %d: %a, PyTorch's formula %a"):format(t, i, p[i], want[t][i]))
          end
        end
      end
      assert.is_true(switched, "the run reaches the steps where the correction is 1")
    end)
  end
end)
