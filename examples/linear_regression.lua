-- Fits y = 3 x1 - 2 x2 + 0.5 by gradient descent with lrengine tensors, the
-- gradients computed in Lua, and compares a constant rate, step decay and
-- Adam. Run: lrengine run examples/linear_regression.lua
-- (or lua5.4 examples/linear_regression.lua once the module is installed).
local lre = require "lrengine"
local S = lre.schedule

-- a fixed synthetic data set (a tiny LCG keeps it the same everywhere)
local seed = 12345
local function rand()
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648 * 2 - 1
end
local n, xs, ys = 200, {}, {}
for i = 1, n do
  local x1, x2 = rand(), rand()
  xs[i] = {x1, x2}
  ys[i] = 3 * x1 - 2 * x2 + 0.5 + 0.05 * rand()
end

-- mean squared error and its gradient with respect to (w1, w2, b)
local function loss_and_grad(w, g)
  local loss, g1, g2, gb = 0, 0, 0, 0
  for i = 1, n do
    local e = w[1] * xs[i][1] + w[2] * xs[i][2] + w[3] - ys[i]
    loss = loss + e * e
    g1, g2, gb = g1 + 2 * e * xs[i][1], g2 + 2 * e * xs[i][2], gb + 2 * e
  end
  g[1], g[2], g[3] = g1 / n, g2 / n, gb / n
  return loss / n
end

local function fit(name, make)
  local w, g = lre.tensor(3), lre.tensor(3)
  local opt = make(w, g)
  local loss
  for _ = 1, 30 do
    loss = loss_and_grad(w, g)
    opt:step()
  end
  loss = loss_and_grad(w, g)
  print(string.format("%-12s final loss %.6f   w = (%.3f, %.3f, %.3f)", name, loss, w[1], w[2], w[3]))
  return loss
end

local results = {
  constant = fit("constant", function(w, g) return lre.optim.sgd{params = w, grads = g, lr = 0.1} end),
  step_decay = fit("step decay", function(w, g)
    return lre.optim.sgd{params = w, grads = g, lr = S.step{lr = 0.3, step_size = 50, gamma = 0.5}}
  end),
  adam = fit("adam", function(w, g) return lre.optim.adam{params = w, grads = g, lr = 0.05} end),
}
return results
