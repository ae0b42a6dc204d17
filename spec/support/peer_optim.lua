-- Helpers of spec/optim_peers_spec.lua: running an lrengine optimizer over a
-- list of gradients, Keras 3's golden-test protocol, resume checks, and
-- independent reference implementations of the peers' documented update
-- rules in plain Lua (doubles), one element at a time, written from the
-- formulas (the source is named above each), not from lrengine's kernels.
local lre = require "lrengine"
local assert = require "luassert"

local M = {}

-- A fresh optimizer of kind over x0 in dtype; args are its hyper-parameters;
-- shape {rows, cols} makes the parameters a matrix group.
function M.build(kind, args, x0, dtype, shape)
  local p, g = lre.tensor(x0, dtype), lre.tensor(#x0, dtype)
  if shape then p:reshape(shape[1], shape[2]) end
  local a = {params = p, grads = g}
  for k, v in pairs(args) do a[k] = v end
  return lre.optim[kind](a), p, g
end

-- The elements of a tensor as one flat list (a matrix's row after row).
function M.flat(t)
  local out = {}
  for _, v in ipairs(t:totable()) do
    if type(v) == "table" then
      for _, w in ipairs(v) do out[#out + 1] = w end
    else
      out[#out + 1] = v
    end
  end
  return out
end

-- |got - want| <= + rtol * |want| elementwise, or a message naming the first miss.
function M.close(got, want, atol, rtol, what)
  assert(#got == #want, string.format("%s: %d values, want %d", what, #got, #want))
  for i = 1, #want do
    local gv, w = got[i], want[i]
    if not (math.abs(gv - w) <= atol + rtol * math.abs(w)) then
      return false, string.format("%s[%d]: got %.17g, want %.17g", what, i, gv, w)
    end
  end
  return true
end

-- Keras 3's test_correctness_with_golden (keras/src/optimizers/*_test.py):
-- x = ones(10), one step with gradients 0.01, then five times: compare x with
-- golden[i] (rtol = atol = 5e-4, Keras' own), step with arange(0.1, 1.1, 0.1).
function M.keras_golden(kind, args, golden, dtype)
  local ones = {}
  for i = 1, 10 do ones[i] = 1 end
  local opt, p, g = M.build(kind, args, ones, dtype)
  local first, grads = {}, {}
  for i = 1, 10 do first[i], grads[i] = 0.01, i / 10 end
  g:copy(first)
  opt:step()
  for i = 1, 5 do
    local ok, msg = M.close(p:totable(), golden[i], 5e-4, 5e-4, "x after step " .. i)
    assert(ok, msg)
    g:copy(grads)
    opt:step()
  end
end

-- Deterministic gradients for step t (1-based) of an n-element run: mixed
-- signs and magnitudes, an exact zero now and then.
function M.grads(n, t)
  local g = {}
  for i = 1, n do
    local v = math.sin(1.7 * i + 0.9 * t) * (1 + (i % 3))
    if (i + t) % 7 == 0 then v = 0 end
    g[i] = v
  end
  return g
end

M.X0 = {0.5, -1.25, 2, 0.75, -0.3, 1.5, -2.5, 0.1, 0, 3}

-- Runs kind{args} over M.X0 for `steps` steps of M.grads; the parameters after each step.
function M.trace(kind, args, steps, dtype, x0, shape)
  x0 = x0 or M.X0
  local opt, p, g = M.build(kind, args, x0, dtype, shape)
  local out = {}
  for t = 1, steps do
    g:copy(M.grads(#x0, t))
    assert.is_true(opt:step())
    out[t] = M.flat(p)
  end
  return out, opt
end

-- Runs a reference step function ref(state, x, g, t) over M.X0 in doubles.
function M.ref_trace(ref, steps, x0)
  x0 = x0 or M.X0
  local x, state, out = {}, {}, {}
  for i, v in ipairs(x0) do x[i] = v end
  for t = 1, steps do
    ref(state, x, M.grads(#x0, t), t)
    local copy = {}
    for i, v in ipairs(x) do copy[i] = v end
    out[t] = copy
  end
  return out
end

-- Compares an lrengine trace with a reference one step by step.
function M.same_trace(got, want, atol, rtol)
  for t = 1, #want do
    local ok, msg = M.close(got[t], want[t], atol, rtol, "x after step " .. t)
    assert(ok, msg)
  end
end

-- Saves after `cut` of `steps` steps, loads into a fresh optimizer over the
-- saved parameters, runs the rest: the parameters and the final saved state
-- must be byte for byte those of the run that never stopped.
function M.resumes(kind, args, steps, cut, dtype, x0, shape)
  x0 = x0 or M.X0
  local a, pa, ga = M.build(kind, args, x0, dtype, shape)
  local saved, x
  for t = 1, steps do
    ga:copy(M.grads(#x0, t))
    a:step()
    if t == cut then saved, x = a:save(), M.flat(pa) end
  end
  local b, pb, gb = M.build(kind, args, x, dtype, shape)
  assert.is_true(b:load(saved))
  for t = cut + 1, steps do
    gb:copy(M.grads(#x0, t))
    b:step()
  end
  assert.are.same(pa:totable(), pb:totable())
  assert.are.equal(a:save(), b:save())
end

return M
