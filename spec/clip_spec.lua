-- Gradient clipping, the gradient norm and the spike guard (doc/optimizers.md,
-- "Clipping and the spike guard"). The PyTorch semantics of clipping by norm
-- and by value are pinned by the golden traces (modern_spec.lua); here: AGC
-- against timm's formula written out below, the norm schedules see, the
-- guard's decisions against the window statistics computed here from the
-- norms the spec feeds, checkpoints, and the errors.
local lre = require "lrengine"

local sqrt = math.sqrt

local function norm(t)
  local s = 0
  for i = 1, #t do s = s + t[i] * t[i] end
  return sqrt(s)
end

-- A deterministic gradient sequence: unit-norm directions scaled to the
-- norms given, so the guard sees exactly these norms.
local function direction(step, n)
  local v, s = {}, 0
  for i = 1, n do
    v[i] = math.sin(step * 7.1 + i * 1.3) + 0.5
    s = s + v[i] * v[i]
  end
  for i = 1, n do v[i] = v[i] / sqrt(s) end
  return v
end

local function set_grad(g, step, n, size)
  local d = direction(step, n)
  for i = 1, n do g[i] = d[i] * size end
end

-- sample mean and standard deviation (n - 1), as the guard's doc says
local function stats(xs)
  local s = 0
  for _, x in ipairs(xs) do s = s + x end
  local m, q = s / #xs, 0
  for _, x in ipairs(xs) do q = q + (x - m) ^ 2 end
  return m, sqrt(q / (#xs - 1))
end

local function norms(n)
  local out = {}
  for i = 1, n do out[i] = 1 + 0.1 * math.sin(i * 2.3) end
  return out
end

describe("the gradient norm", function()
  it("is the global 2-norm over the groups before clipping, and schedules see this step's", function()
    local w1, g1, w2, g2 = lre.tensor(3), lre.tensor{3, 4, 0}, lre.tensor(2), lre.tensor{0, 12}
    local seen = {}
    local opt = lre.optim.sgd{{params = w1, grads = g1}, {params = w2, grads = g2},
      lr = function(step, ctx) seen[step] = ctx.grad_norm; return 0.1 end, clip = 1.0}
    opt:step()
    assert.are.equal(13, opt:grad_norm()) -- sqrt(5^2 + 12^2)
    assert.are.equal(13, seen[0])
    assert.are.same({3, 4, 0}, g1:totable()) -- the caller's gradients are not written
    -- clip_coef = 1 / (13 + 1e-6): every parameter moved by lr * g * coef
    local coef = 1 / (13 + 1e-6)
    assert.are.equal(coef, opt:clip_coef())
    assert.are.equal(-0.1 * (12 * coef), w2[2])
    g1:copy{0, 0, 0}; g2:copy{0, 0.5}
    opt:step()
    assert.are.equal(0.5, seen[1])
  end)

  it("is known whenever the gradients are scanned, NaN under 'trust' without clipping or a guard", function()
    local w, g = lre.tensor(2), lre.tensor{3, 4}
    local opt = lre.optim.sgd{params = w, grads = g, lr = 0.1}
    opt:step()
    assert.are.equal(5, opt:grad_norm())
    local trusted = lre.optim.sgd{params = lre.tensor(2), grads = g, lr = 0.1, nonfinite = "trust"}
    trusted:step()
    assert.is_true(trusted:grad_norm() ~= trusted:grad_norm())
  end)

  it("is the same to the bit for any number of threads, and the update with it", function()
    local n = 300000 -- over 4 chunks of 65536: the step splits the scan and the update between threads
    local results = {}
    for _, threads in ipairs{1, 2} do
      local w, g = lre.tensor(n, "f32"), lre.tensor(n, "f32")
      for i = 1, n do g[i] = math.sin(i * 0.37) end
      local opt = lre.optim.adam{params = w, grads = g, lr = 0.1, threads = threads, clip = 10}
      opt:step()
      results[threads] = {opt:grad_norm(), opt:clip_coef(), w[1], w[n // 2], w[n]}
    end
    assert.are.same(results[1], results[2])
  end)

  it("is the largest magnitude when clipping by the inf-norm", function()
    local opt = lre.optim.sgd{params = lre.tensor(3), grads = lre.tensor{1, -7, 2}, lr = 0.1,
      clip = {max_norm = 1, norm_type = "inf"}}
    opt:step()
    assert.are.equal(7, opt:grad_norm())
    assert.are.equal(1 / (7 + 1e-6), opt:clip_coef())
  end)

  it("gives ctx.loss the loss passed to opt:step", function()
    local seen
    local opt = lre.optim.sgd{params = lre.tensor(1), grads = lre.tensor{1},
      lr = function(_, ctx) seen = ctx.loss; return 0.1 end}
    opt:step(2.5)
    assert.are.equal(2.5, seen)
    opt:step()
    assert.is_nil(seen) -- consumed by the step it was given to
  end)
end)

describe("clipping", function()
  it("by value clamps what the update reads and leaves the gradients as given", function()
    local w, g = lre.tensor(3), lre.tensor{-2, 0.25, 3}
    local opt = lre.optim.sgd{params = w, grads = g, lr = 1, clip = {clip_value = 0.5}}
    opt:step()
    assert.are.same({0.5, -0.25, -0.5}, w:totable())
    assert.are.same({-2, 0.25, 3}, g:totable())
  end)

  it("adaptively (AGC) scales each row of a matrix group as timm's adaptive_clip_grad", function()
    -- timm: max_norm = clamp(norm(p_row), min=eps) * clip_factor; where(norm(g_row) < max_norm,
    -- g, g * (max_norm / clamp(norm(g_row), min=1e-6))); then SGD with lr 1: p - g'
    local p0 = {{1, 2, 2}, {0, 0, 0}, {3, 0, 4}}
    local g0 = {{0.01, 0, 0}, {1, 1, 0}, {0, 6, 8}}
    local factor, eps = 0.1, 1e-3
    local w, g = lre.tensor(p0), lre.tensor(g0)
    local bias, gb = lre.tensor{1, 1}, lre.tensor{3, 4}
    local opt = lre.optim.sgd{{params = w, grads = g}, {params = bias, grads = gb}, lr = 1,
      clip = {clip_factor = factor, eps = eps}}
    opt:step()
    local want = {}
    for r = 1, 3 do
      local pn, gn = norm(p0[r]), norm(g0[r])
      local max_norm = math.max(pn, eps) * factor
      local c = gn < max_norm and 1 or max_norm / math.max(gn, 1e-6)
      for j = 1, 3 do want[#want + 1] = p0[r][j] - g0[r][j] * c end
    end
    local got = {}
    for _, row in ipairs(w:totable()) do for _, v in ipairs(row) do got[#got + 1] = v end end
    assert.are.same(want, got)
    -- row 1 is within its bound (0.01 < 0.3): unchanged gradient; rows 2 and 3 are clipped
    assert.are.equal(1 - 0.01, got[1])
    -- the vector group is one unit: norm(p) = sqrt 2, norm(g) = 5
    local c = sqrt(2) * factor / 5
    assert.are.same({1 - 3 * c, 1 - 4 * c}, bias:totable())
  end)

  it("by norm follows a schedule of max_norm", function()
    local w, g = lre.tensor(1), lre.tensor{10}
    local opt = lre.optim.sgd{params = w, grads = g, lr = 1,
      clip = {max_norm = function(step) return step + 1 end}}
    opt:step()
    assert.are.equal(1 / (10 + 1e-6), opt:clip_coef())
    opt:step()
    assert.are.equal(2 / (10 + 1e-6), opt:clip_coef())
  end)

  it("refuses bad settings with messages naming them", function()
    local function make(clip)
      return function() lre.optim.sgd{params = lre.tensor(1), grads = lre.tensor(1), lr = 1, clip = clip} end
    end
    assert.has_error(make{max_norm = -1}, "sgd: clip norm: max_norm must be >= 0, got -1")
    assert.has_error(make{max_norm = 1, norm_type = 3}, "sgd: clip norm: norm_type must be 2 or inf, got 3")
    assert.has_error(make{kind = "nrom", max_norm = 1},
      "sgd: clip: unknown kind 'nrom' (did you mean 'norm'? valid names: none, norm, value, agc)")
    assert.has_error(make{kind = "value", clip_value = 1, max_norm = 2}, "sgd: clip value: unknown parameter 'max_norm' (parameters: clip_value)")
    assert.has_error(make("x"), "sgd: clip must be a number (max_norm), a table or false, got string")
  end)
end)

describe("the spike guard", function()
  local n = 4

  local function run_guard(guard, sizes)
    local w, g = lre.tensor(n), lre.tensor(n)
    local opt = lre.optim.sgd{params = w, grads = g, lr = 0.01, guard = guard}
    local results = {}
    for i, size in ipairs(sizes) do
      set_grad(g, i, n, size)
      results[i] = opt:step()
    end
    return opt, w, g, results
  end

  it("skips a step whose norm is z deviations above the window's mean, and writes nothing", function()
    local sizes = norms(15)
    local opt, w, g = run_guard({"zscore", window = 20, warmup = 10, z = 4}, sizes)
    assert.are.equal(15, opt:step_count())
    local before = w:totable()
    local m, sd = stats(sizes)
    local spike = m + 5 * sd -- beyond z = 4
    set_grad(g, 16, n, spike)
    assert.is_false(opt:step())
    assert.are.same(before, w:totable())
    assert.are.equal(15, opt:step_count()) -- a skipped step does not advance the count
    assert.are.equal(1, opt:skipped())
    local info = opt:guard()
    assert.is_true(info.skipped)
    assert.are.equal(1, info.skips)
    assert.is_true(math.abs(info.value - spike) < 1e-12 * spike)
    assert.is_true(math.abs(info.mean - m) < 1e-12 and math.abs(info.std - sd) < 1e-12)
    assert.is_true(math.abs(info.limit - (m + 4 * sd)) < 1e-12)
    -- a value within the limit is kept, and joins the window
    set_grad(g, 17, n, m + 3 * sd)
    assert.is_true(opt:step())
    assert.are.equal(16, opt:step_count())
    assert.is_false(opt:guard().skipped)
    assert.are.equal(0, opt:guard().consecutive)
  end)

  it("does not judge before warmup values are in", function()
    local opt = run_guard({"zscore", window = 20, warmup = 10}, {1, 1.01, 0.99, 100})
    assert.are.equal(4, opt:step_count())
  end)

  it("errors on a run of spikes longer than max_skips, changing nothing", function()
    local sizes = norms(12)
    local opt, w, g = run_guard({"zscore", window = 20, z = 4, max_skips = 2}, sizes)
    local before = w:totable()
    for i = 1, 2 do
      set_grad(g, 20 + i, n, 1e3)
      assert.is_false(opt:step())
    end
    set_grad(g, 23, n, 1e3)
    assert.has_error(function() opt:step() end)
    local ok, msg = pcall(opt.step, opt)
    assert.is_false(ok)
    assert.matches("guard: step 12 would be the 3%-th skipped in a row %(max_skips 2%)", msg)
    assert.are.same(before, w:totable())
    assert.are.equal(12, opt:step_count())
    assert.are.equal(2, opt:guard().skips)
    -- the spike passes: training goes on
    set_grad(g, 24, n, 1)
    assert.is_true(opt:step())
    assert.are.equal(0, opt:guard().consecutive)
  end)

  it("keeps its window and counts in checkpoints: a resumed run decides as an uninterrupted one", function()
    local sizes = norms(30)
    sizes[14], sizes[22], sizes[23] = 50, 40, 60
    local guard = {"zscore", window = 8, warmup = 5, z = 3}
    local _, w_ref, _, ref = run_guard(guard, sizes)
    local w, g = lre.tensor(n), lre.tensor(n)
    local opt = lre.optim.sgd{params = w, grads = g, lr = 0.01, guard = guard}
    for i = 1, 16 do set_grad(g, i, n, sizes[i]); opt:step() end
    local saved = opt:save()
    local w2, g2 = lre.tensor(w:totable()), lre.tensor(n)
    local resumed = lre.optim.sgd{params = w2, grads = g2, lr = 0.01, guard = guard}
    resumed:load(saved)
    assert.are.equal(1, resumed:guard().skips)
    local got = {}
    for i = 17, 30 do
      set_grad(g2, i, n, sizes[i])
      got[i] = resumed:step()
      assert.are.equal(ref[i], got[i], "step " .. i)
    end
    assert.is_false(got[22]) -- the spikes after the resume are skipped too
    assert.are.same(w_ref:totable(), w2:totable())
    -- a state saved with other settings is refused
    local other = lre.optim.sgd{params = lre.tensor(n), grads = lre.tensor(n), lr = 0.01,
      guard = {"zscore", window = 9, warmup = 5, z = 3}}
    local ok, msg = pcall(other.load, other, saved)
    assert.is_false(ok)
    assert.matches("sgd: optimizer state of another configuration: a guard with other settings", msg, 1, true)
    local none = lre.optim.sgd{params = lre.tensor(n), grads = lre.tensor(n), lr = 0.01}
    ok, msg = pcall(none.load, none, saved)
    assert.is_false(ok)
    assert.matches("saved with clipping or a guard, this optimizer has neither", msg, 1, true)
  end)

  it("skips above a threshold, on the loss the caller reports", function()
    local w, g = lre.tensor(1), lre.tensor{1}
    local opt = lre.optim.sgd{params = w, grads = g, lr = 0.5, guard = {"threshold", on = "loss", max = 10}}
    assert.is_true(opt:step(3))
    assert.is_false(opt:step(11))
    assert.are.equal(11, opt:guard().value)
    assert.are.equal(-0.5, w[1])
    assert.has_error(function() opt:step() end,
      "sgd: guard threshold on the loss: no loss reported for step 1 (lre_optim_set_loss)")
  end)

  it("runs a guard(ctx) function: keep, skip or scale, with its state saved", function()
    local w, g = lre.tensor(1), lre.tensor{1}
    local function guard(ctx)
      ctx.state.calls = (ctx.state.calls or 0) + 1
      if ctx.grad_norm > 5 then return "skip" end
      if ctx.grad_norm > 2 then return 0.5 end
      return "keep"
    end
    local opt = lre.optim.sgd{params = w, grads = g, lr = 1, guard = {guard, max_skips = 1}}
    opt:step()                        -- keep: w = -1
    g[1] = 4; opt:step()              -- scaled by 0.5: w = -1 - 2
    g[1] = 6; assert.is_false(opt:step())
    assert.are.equal(-3, w[1])
    assert.are.equal(2, opt:step_count())
    assert.has_error(function() opt:step() end) -- a second skip in a row: max_skips 1
    local saved = opt:save()
    local w2 = lre.tensor{-3}
    local again = lre.optim.sgd{params = w2, grads = lre.tensor{1}, lr = 1, guard = {guard, max_skips = 1}}
    again:load(saved)
    again:step()
    assert.are.equal(-4, w2[1])
    assert.has_error(function()
      lre.optim.sgd{params = lre.tensor(1), grads = lre.tensor{1}, lr = 1, guard = function() return "maybe" end}:step()
    end)
  end)

  it("refuses bad settings", function()
    local function make(guard)
      return function() lre.optim.sgd{params = lre.tensor(1), grads = lre.tensor(1), lr = 1, guard = guard} end
    end
    assert.has_error(make("zscroe"),
      "sgd: guard: unknown rule 'zscroe' (did you mean 'zscore'? valid names: none, zscore, threshold, custom)")
    assert.has_error(make{"zscore", window = 1}, "sgd: guard zscore: window must be a whole number in [2, 1048576], got 1")
    assert.has_error(make{"zscore", window = 5, warmup = 8}, "sgd: guard zscore: warmup (8) must be <= window (5)")
    assert.has_error(make{"threshold"}, "sgd: guard threshold: missing required parameter 'max'")
    assert.has_error(make{"zscore", on = "los"}, "sgd: guard zscore: on must be one of grad_norm|loss, got 'los'")
  end)
end)
