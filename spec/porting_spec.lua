-- The peer mappings (lre.schedule.from_*; doc/porting.md), entry by entry:
-- each name builds the intended tree (its text equals the tree built
-- directly) and its curve follows the peer's formula, written out here from
-- the peer's source (named at each block; float64, so 1e-12), or the peer's
-- own test values where its test suite has them (HF's test_optimization.py).
local lre = require "lrengine"
local S = lre.schedule

local function close(got, want, tol, what)
  assert.are.equal(#want, #got, what .. ": length")
  for i = 1, #want do
    local g, w = got[i], want[i]
    if not (math.abs(g - w) <= tol * math.max(1, math.abs(w))) then
      error(string.format("%s: step %d: got %.17g, want %.17g", what, i - 1, g, w), 2)
    end
  end
end

-- f(t) for t = 0 .. n - 1.
local function formula(n, f)
  local out = {}
  for t = 0, n - 1 do out[t + 1] = f(t) end
  return out
end

local function same_tree(a, b) assert.are.equal(b:text(), a:text()) end

describe("from_hf (transformers optimization.py)", function()
  -- tests/optimization/test_optimization.py ScheduleInitTest: lr 10, 10 steps, tol 1e-2
  local common = {lr = 10, num_warmup_steps = 2, num_training_steps = 10}
  local function with(extra)
    local t = {}
    for k, v in pairs(common) do t[k] = v end
    for k, v in pairs(extra or {}) do t[k] = v end
    return t
  end
  it("gives HF's own test values", function()
    close(S.from_hf("constant", {lr = 10}):curve(10), {10, 10, 10, 10, 10, 10, 10, 10, 10, 10}, 1e-2, "constant")
    close(S.from_hf("constant_with_warmup", {lr = 10, num_warmup_steps = 4}):curve(10),
          {0.0, 2.5, 5.0, 7.5, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0}, 1e-2, "constant_with_warmup")
    close(S.from_hf("linear", with()):curve(10), {0.0, 5.0, 10.0, 8.75, 7.5, 6.25, 5.0, 3.75, 2.5, 1.25}, 1e-2, "linear")
    close(S.from_hf("cosine", with()):curve(10), {0.0, 5.0, 10.0, 9.61, 8.53, 6.91, 5.0, 3.08, 1.46, 0.38}, 1e-2, "cosine")
    close(S.from_hf("cosine_with_restarts", with{num_cycles = 2}):curve(10),
          {0.0, 5.0, 10.0, 8.53, 5.0, 1.46, 10.0, 8.53, 5.0, 1.46}, 1e-2, "cosine_with_restarts")
    close(S.from_hf("polynomial", with{power = 2.0, lr_end = 1e-7}):curve(10),
          {0.0, 5.0, 10.0, 7.656, 5.625, 3.906, 2.5, 1.406, 0.625, 0.156}, 1e-2, "polynomial")
  end)

  -- the lr_lambdas of optimization.py, times lr
  local W, N, lr = 3, 17, 0.5
  local function warm(t) return t / math.max(1, W) end
  it("linear, cosine and hard restarts follow HF's lambdas past the run and build their trees", function()
    local M = math.max(1, N - W)
    close(S.from_hf("linear", {lr = lr, num_warmup_steps = W, num_training_steps = N}):curve(25), formula(25, function(t)
      return lr * (t < W and warm(t) or math.max(0, (N - t) / M)) end), 1e-12, "linear")
    close(S.from_hf("cosine", {lr = lr, num_warmup_steps = W, num_training_steps = N, num_cycles = 0.7}):curve(25),
          formula(25, function(t)
            return lr * (t < W and warm(t) or math.max(0, 0.5 * (1 + math.cos(math.pi * 0.7 * 2 * (t - W) / M)))) end),
          1e-12, "cosine")
    close(S.from_hf("cosine_with_restarts", {lr = lr, num_warmup_steps = W, num_training_steps = N, num_cycles = 3})
          :curve(25), formula(25, function(t)
            if t < W then return lr * warm(t) end
            local p = (t - W) / M
            if p >= 1 then return 0 end
            return lr * math.max(0, 0.5 * (1 + math.cos(math.pi * ((3 * p) % 1))))
          end), 1e-12, "cosine_with_restarts")
    same_tree(S.from_hf("cosine", {lr = lr, num_warmup_steps = W, num_training_steps = N}),
              S.warmup{S.cosine{lr = lr, t_max = N - W}, steps = W})
    same_tree(S.from_hf("get_linear_schedule_with_warmup", {lr = lr, num_warmup_steps = W, num_training_steps = N}),
              S.warmup{S.polynomial{lr = lr, total_iters = N - W, power = 1}, steps = W})
  end)

  it("polynomial, inverse_sqrt and the min-lr cosines follow HF's lambdas", function()
    close(S.from_hf("polynomial", {lr = lr, num_warmup_steps = W, num_training_steps = N, lr_end = 0.1, power = 3})
          :curve(25), formula(25, function(t)
            if t < W then return lr * warm(t) end
            if t > N then return 0.1 end
            return (lr - 0.1) * (1 - (t - W) / (N - W)) ^ 3 + 0.1
          end), 1e-12, "polynomial")
    for _, T in ipairs{false, 7} do
      close(S.from_hf("inverse_sqrt", {lr = lr, num_warmup_steps = W, timescale = T or nil}):curve(25),
            formula(25, function(t)
              local ts = T or W
              return lr * (t < W and warm(t) or 1 / math.sqrt((t + ts - W) / ts)) end), 1e-12, "inverse_sqrt")
    end
    close(S.from_hf("cosine_with_min_lr", {lr = lr, num_warmup_steps = W, num_training_steps = N, min_lr_rate = 0.2})
          :curve(25), formula(25, function(t)
            if t < W then return lr * warm(t) end
            local c = 0.5 * (1 + math.cos(math.pi * 0.5 * 2 * (t - W) / (N - W)))
            return lr * (c * 0.8 + 0.2)
          end), 1e-12, "cosine_with_min_lr")
    -- get_cosine_with_min_lr_schedule_with_warmup_lr_rate: one step later, and from warmup_lr_rate
    for _, r in ipairs{false, 0.25} do
      close(S.from_hf("cosine_warmup_with_min_lr", {lr = lr, num_warmup_steps = W, num_training_steps = N,
                                                    min_lr = 0.05, warmup_lr_rate = r or nil}):curve(25),
            formula(25, function(t)
              local rate = 0.05 / lr
              if t < W then
                if not r then return lr * (t + 1) / math.max(1, W) end
                return lr * (r + (1 - r) * t / math.max(1, W - 1))
              end
              local c = 0.5 * (1 + math.cos(math.pi * 0.5 * 2 * (t - W + 1) / math.max(1, N - W)))
              return lr * (c * (1 - rate) + rate)
            end), 1e-12, "cosine_warmup_with_min_lr")
    end
  end)

  it("refuses unknown names and arguments naming HF, the name and the known ones", function()
    local ok, err = pcall(S.from_hf, "cosin", {lr = 1})
    assert.is_false(ok)
    assert.matches("from_hf: unknown scheduler 'cosin' %(did you mean 'cosine'%? known: ", err)
    ok, err = pcall(S.from_hf, "cosine", {lr = 1, num_warmup_steps = 1, num_training_steps = 5, num_cycle = 2})
    assert.matches("from_hf: 'cosine' takes no argument 'num_cycle' %(did you mean 'num_cycles'%?", err)
    ok, err = pcall(S.from_hf, "cosine", {lr = 1, num_warmup_steps = 1})
    assert.matches("needs num_training_steps", err)
    ok, err = pcall(S.from_hf, "polynomial", {lr = 1, num_warmup_steps = 1, num_training_steps = 5, lr_end = 2})
    assert.matches("lr_end %(2%) must be smaller than lr %(1%)", err)
    ok, err = pcall(S.from_hf, "cosine_with_min_lr", {lr = 1, num_warmup_steps = 1, num_training_steps = 5})
    assert.matches("needs min_lr or min_lr_rate", err)
  end)

  it("takes TrainingArguments' lr_scheduler_kwargs and learning_rate", function()
    same_tree(S.from_hf("warmup_stable_decay", {learning_rate = 0.1, num_warmup_steps = 2, num_training_steps = 20,
                                                lr_scheduler_kwargs = {num_decay_steps = 5, min_lr_ratio = 0.1}}),
              S.warmup{S.wsd{lr = 0.1, stable_steps = 13, decay_steps = 5, decay = "cosine", min_lr = 0.1 * 0.1},
                       steps = 2, start_factor = 0.1})
  end)
end)

describe("from_keras (keras.optimizers.schedules, Keras 3)", function()
  -- the classes' __call__, written out; Keras' defaults where lrengine's differ
  it("maps every class with Keras' defaults", function()
    close(S.from_keras("PolynomialDecay", {initial_learning_rate = 0.1, decay_steps = 10}):curve(14),
          formula(14, function(t) t = math.min(t, 10); return (0.1 - 0.0001) * (1 - t / 10) + 0.0001 end), 1e-12,
          "PolynomialDecay (end_learning_rate 0.0001)")
    close(S.from_keras("CosineDecayRestarts", {initial_learning_rate = 1, first_decay_steps = 3}):curve(22),
          formula(22, function(t) -- t_mul 2: periods 3, 6, 12
            local start, len = 0, 3
            while t >= start + len do start, len = start + len, len * 2 end
            return 0.5 * (1 + math.cos(math.pi * (t - start) / len)) end), 1e-12, "CosineDecayRestarts (t_mul 2)")
    close(S.from_keras("ExponentialDecay", {initial_learning_rate = 0.1, decay_steps = 3, decay_rate = 0.5,
                                            staircase = true}):curve(10),
          formula(10, function(t) return 0.1 * 0.5 ^ (t // 3) end), 1e-12, "ExponentialDecay")
    close(S.from_keras("InverseTimeDecay", {initial_learning_rate = 0.1, decay_steps = 2, decay_rate = 0.5}):curve(10),
          formula(10, function(t) return 0.1 / (1 + 0.5 * t / 2) end), 1e-12, "InverseTimeDecay")
    close(S.from_keras("PiecewiseConstantDecay", {boundaries = {2, 5}, values = {1, 0.5, 0.1}}):curve(8),
          {1, 1, 1, 0.5, 0.5, 0.5, 0.1, 0.1}, 0, "PiecewiseConstantDecay (values[i+1] after t > boundaries[i])")
    close(S.from_keras("CosineDecay", {initial_learning_rate = 0.1, decay_steps = 8, alpha = 0.1, warmup_target = 1,
                                       warmup_steps = 4}):curve(16), formula(16, function(t)
            if t < 4 then return (1 - 0.1) * t / 4 + 0.1 end
            local s = math.min(t - 4, 8)
            return ((1 - 0.1) * 0.5 * (1 + math.cos(math.pi * s / 8)) + 0.1) * 1 end), 1e-12, "CosineDecay with warm-up")
  end)
  -- keras/src/optimizers/schedules/learning_rate_schedule_test.py (its tolerance, 1e-6)
  it("gives Keras' own test values", function()
    local function k(name, args, steps, want, what)
      local s = S.from_keras(name, args)
      local got = {}
      for i, t in ipairs(steps) do got[i] = s:at(t) end
      close(got, want, 1e-6, what)
    end
    k("ExponentialDecay", {initial_learning_rate = 0.05, decay_steps = 10, decay_rate = 0.96}, {5},
      {0.05 * 0.96 ^ (5.0 / 10.0)}, "test_continuous")
    k("ExponentialDecay", {initial_learning_rate = 0.1, decay_steps = 3, decay_rate = 0.96, staircase = true},
      {1, 2, 100}, {0.1, 0.1, 0.1 * 0.96 ^ (100 // 3)}, "test_staircase")
    k("PiecewiseConstantDecay", {boundaries = {100, 110, 120}, values = {1.0, 0.1, 0.01, 0.001}},
      {0, 100, 105, 110, 120, 999}, {1.0, 1.0, 0.1, 0.1, 0.01, 0.001}, "test_piecewise_values")
    k("PiecewiseConstantDecay", {boundaries = {1, 2, 3}, values = {0.4, 0.5, 0.6, 0.7}}, {0, 1, 2, 3, 4},
      {0.4, 0.4, 0.5, 0.6, 0.7}, "test_boundary_values")
    local lr, e = 0.05, 0.001
    for _, pw in ipairs{1, 0.5} do
      k("PolynomialDecay", {initial_learning_rate = lr, decay_steps = 10, end_learning_rate = 0, power = pw}, {5},
        {lr * 0.5 ^ pw}, "test_halfway")
      k("PolynomialDecay", {initial_learning_rate = lr, decay_steps = 10, end_learning_rate = e, power = pw},
        {10, 5, 15}, {e, (lr - e) * 0.5 ^ pw + e, e}, "test_end, test_halfway_with_end, test_beyond_end")
      k("PolynomialDecay", {initial_learning_rate = lr, decay_steps = 10, end_learning_rate = e, power = pw,
                            cycle = true}, {15}, {(lr - e) * 0.25 ^ pw + e}, "test_beyond_end_with_cycle")
    end
    k("PolynomialDecay", {initial_learning_rate = 0.001, decay_steps = 10, cycle = true}, {0}, {0.001},
      "test_begin_with_cycle")
    local steps, want, stair = {}, {}, {}
    for i = 0, 10 do
      steps[#steps + 1] = i
      want[#want + 1] = 0.1 / (1 + i / 10 * 0.96)
      stair[#stair + 1] = 0.1 / (1 + 0.96 * (i // 10))
    end
    k("InverseTimeDecay", {initial_learning_rate = 0.1, decay_steps = 10, decay_rate = 0.96}, steps, want, "test_decay")
    k("InverseTimeDecay", {initial_learning_rate = 0.1, decay_steps = 10, decay_rate = 0.96, staircase = true}, steps,
      stair, "test_staircase")
    local function np_cosine(step, n, alpha)
      step = math.min(step, n)
      return (1 - (alpha or 0)) * 0.5 * (1 + math.cos(math.pi * step / n)) + (alpha or 0)
    end
    local function np_restarts(step, n, t_mul, m_mul, alpha)
      local fac = 1
      while step >= n do step, n, fac = step - n, n * t_mul, fac * m_mul end
      return (1 - alpha) * fac * 0.5 * (1 + math.cos(math.pi * step / n)) + alpha
    end
    local by250, cos, cosa, warm, rs, rsa, rsm, rst = {}, {}, {}, {}, {}, {}, {}, {}
    for step = 0, 1499, 250 do
      by250[#by250 + 1] = step
      cos[#cos + 1], cosa[#cosa + 1] = np_cosine(step, 1000), np_cosine(step, 1000, 0.1)
      warm[#warm + 1] = step / 1500 * 10
      rs[#rs + 1], rsa[#rsa + 1] = np_restarts(step, 1000, 2, 1, 0), np_restarts(step, 1000, 2, 1, 0.1)
      rsm[#rsm + 1], rst[#rst + 1] = np_restarts(step, 1000, 2, 0.9, 0), np_restarts(step, 1000, 1, 1, 0)
    end
    k("CosineDecay", {initial_learning_rate = 1, decay_steps = 1000}, by250, cos, "CosineDecay test_decay")
    k("CosineDecay", {initial_learning_rate = 1, decay_steps = 1000, alpha = 0.1}, by250, cosa, "test_alpha")
    k("CosineDecay", {initial_learning_rate = 0, decay_steps = 10, warmup_target = 10, warmup_steps = 1500}, by250,
      warm, "test_warmup")
    local wd_steps, wd = {}, {}
    for step = 0, 2999, 250 do
      wd_steps[#wd_steps + 1] = step
      wd[#wd + 1] = step < 2001 and step / 2000 * 10 or 10 * np_cosine(step - 2000, 1000)
    end
    k("CosineDecay", {initial_learning_rate = 0, decay_steps = 1000, warmup_target = 10, warmup_steps = 2000},
      wd_steps, wd, "test_warmup_decay")
    k("CosineDecayRestarts", {initial_learning_rate = 1, first_decay_steps = 1000}, by250, rs, "Restarts test_decay")
    k("CosineDecayRestarts", {initial_learning_rate = 1, first_decay_steps = 1000, alpha = 0.1}, by250, rsa,
      "Restarts test_alpha")
    k("CosineDecayRestarts", {initial_learning_rate = 1, first_decay_steps = 1000, m_mul = 0.9}, by250, rsm,
      "Restarts test_mmul")
    k("CosineDecayRestarts", {initial_learning_rate = 1, first_decay_steps = 1000, t_mul = 1}, by250, rst,
      "Restarts test_tmul")
  end)

  it("reads the serialized form and refuses unknown classes and arguments", function()
    same_tree(S.from_keras{class_name = "ExponentialDecay", config = {initial_learning_rate = 0.1, decay_steps = 2,
                                                                      decay_rate = 0.5, name = "ExponentialDecay"}},
              S.exponential{lr = 0.1, gamma = 0.5, decay_steps = 2})
    local ok, err = pcall(S.from_keras, "CosineDecays", {})
    assert.matches("from_keras: unknown schedule class 'CosineDecays' %(did you mean 'CosineDecay'%?", err)
    ok, err = pcall(S.from_keras, "CosineDecay", {initial_learning_rate = 1, decay_step = 3})
    assert.matches("'CosineDecay' takes no argument 'decay_step'", err)
  end)
end)

describe("from_optax (optax/schedules/_schedule.py)", function()
  it("keeps optax's edge cases: transition_steps <= 0 and decay_rate = 0 are constant", function()
    for _, args in ipairs{{transition_steps = 0, decay_rate = 0.5}, {transition_steps = -3, decay_rate = 0.5},
                          {transition_steps = 4, decay_rate = 0}} do
      args.init_value = 0.3
      close(S.from_optax("exponential_decay", args):curve(6), {0.3, 0.3, 0.3, 0.3, 0.3, 0.3}, 0, "exponential_decay")
    end
    close(S.from_optax("polynomial_schedule", {init_value = 0.3, end_value = 0, power = 2, transition_steps = 0})
          :curve(3), {0.3, 0.3, 0.3}, 0, "polynomial_schedule")
    -- a negative transition_begin counts as 0
    same_tree(S.from_optax("linear_schedule", {init_value = 1, end_value = 0.5, transition_steps = 4,
                                               transition_begin = -2}),
              S.polynomial{lr = 1, end_lr = 0.5, power = 1, total_iters = 4})
  end)
  -- optax/schedules/_schedule_test.py: its expected values (atol 1e-3 there,
  -- float32; those checked at 1e-6 relative there are at 1e-6 here)
  it("gives optax's own test values", function()
    local function abs_close(got, want, what)
      for i = 1, #want do
        if math.abs(got[i] - want[i]) > 1e-3 then error(string.format("%s[%d]: %s vs %s", what, i - 1, got[i], want[i])) end
      end
    end
    local lin = {}
    for n = 10, 19 do lin[#lin + 1] = n end
    for _ = 1, 5 do lin[#lin + 1] = 20 end
    abs_close(S.from_optax("polynomial_schedule", {init_value = 10, end_value = 20, power = 1, transition_steps = 10})
              :curve(15), lin, "test_linear")
    local quad = {}
    for n = 0, 9 do quad[#quad + 1] = 10 + 15 * (1 - n / 10) ^ 2 end
    for _ = 1, 5 do quad[#quad + 1] = 10 end
    abs_close(S.from_optax("polynomial_schedule", {init_value = 25, end_value = 10, power = 2, transition_steps = 10})
              :curve(15), quad, "test_nonlinear")
    local begin = {30, 30, 30, 30}
    for n = 0, 9 do begin[#begin + 1] = 10 + 20 * (1 - n / 10) ^ 2 end
    for _ = 1, 6 do begin[#begin + 1] = 10 end
    abs_close(S.from_optax("polynomial_schedule", {init_value = 30, end_value = 10, power = 2, transition_steps = 10,
                                                   transition_begin = 4}):curve(20), begin, "test_with_decay_begin")
    abs_close(S.from_optax("piecewise_constant_schedule", {init_value = 0.1, boundaries_and_scales = {[3] = 2, [6] = 0.5}})
              :curve(10), {0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1}, "test_positive")
    for _, c in ipairs{{false, 0}, {true, 0}, {false, 5}, {true, 5}} do
      local want = {}
      for _ = 1, c[2] do want[#want + 1] = 1 end
      for n = 0, 14 do want[#want + 1] = 2 ^ (c[1] and math.floor(n / 2) or n / 2) end
      abs_close(S.from_optax("exponential_decay", {init_value = 1, transition_steps = 2, decay_rate = 2,
                                                   transition_begin = c[2], staircase = c[1]}):curve(15 + c[2]),
                want, "test_exponential")
    end
    for _, c in ipairs{{0.2, 0.1}, {1.0, 0.1}, {2.0, 3.0}} do
      for _, stair in ipairs{false, true} do
        local want = {1, 1, 1}
        for n = 0, 10 do want[#want + 1] = c[1] ^ (stair and math.floor(n / 2) or n / 2) end
        for i, v in ipairs(want) do want[i] = c[1] < 1 and math.max(v, c[2]) or math.min(v, c[2]) end
        abs_close(S.from_optax("exponential_decay", {init_value = 1, transition_steps = 2, decay_rate = c[1],
                                                     transition_begin = 3, staircase = stair, end_value = c[2]})
                  :curve(14), want, "test_end_value_with_staircase")
      end
    end
    abs_close(S.from_optax("exponential_decay", {init_value = 32, transition_steps = 1, decay_rate = 0.5}):curve(5),
              {32, 16, 8, 4, 2}, "test_immutable_count")
    local c = S.from_optax("cosine_decay_schedule", {init_value = 0.1, decay_steps = 100, exponent = 2})
    close({c:at(0), c:at(10), c:at(50), c:at(75), c:at(100)},
          {0.1, 0.09516553580760956, 0.025, 0.0021446612663567066, 0.0}, 1e-6, "test_with_exponent")
    close({S.from_optax("cosine_decay_schedule", {init_value = 1000, decay_steps = 1e10}):at(1e9)}, {975.52826}, 1e-6,
          "test_with_giant_int_steps")
    local w = S.from_optax("warmup_cosine_decay_schedule", {init_value = 10, peak_value = 0.5, warmup_steps = 100,
                                                            decay_steps = 1000, end_value = 1e-4})
    close({w:at(0), w:at(100)}, {10, 0.5}, 1e-12, "warmup_cosine test_limits")
    close({w:at(1000)}, {1e-4}, 1e-3, "warmup_cosine test_limits (end)")
    local kw = {}
    for i, st in ipairs{2000, 3000, 5000} do
      kw[i] = {decay_steps = st, peak_value = ({1.6, 0.8, 0.4})[i], init_value = 0, end_value = 0, warmup_steps = 500}
    end
    local sg = S.from_optax("sgdr_schedule", {cosine_kwargs = kw})
    close({sg:at(500), sg:at(2500), sg:at(5500)}, {1.6, 0.8, 0.4}, 1e-12, "SGDRTest")
    abs_close(S.from_optax("piecewise_interpolate_schedule", {interpolate_type = "linear", init_value = 200,
                                                              boundaries_and_scales = {[5] = 1.5, [10] = 0.25}}):curve(13),
              {200., 220., 240., 260., 280., 300., 255., 210., 165., 120., 75., 75., 75.}, "test_linear_piecewise")
    abs_close(S.from_optax("piecewise_interpolate_schedule", {interpolate_type = "cosine", init_value = 400,
                                                              boundaries_and_scales = {[5] = 1.2, [3] = 0.6, [7] = 1}})
              :curve(9), {400., 360., 280., 240., 264., 288., 288., 288., 288.}, "test_cos_piecewise")
    abs_close(S.from_optax("piecewise_interpolate_schedule", {interpolate_type = "linear", init_value = 13,
                                                              boundaries_and_scales = {}}):curve(5),
              {13, 13, 13, 13, 13}, "test_empty_dict")
    abs_close(S.from_optax("linear_onecycle_schedule", {transition_steps = 10, peak_value = 1000, pct_start = 0.3,
                                                        pct_final = 0.7, div_factor = 10, final_div_factor = 100})
              :curve(12), {100., 400., 700., 1000., 775., 550., 325., 100., 67., 34., 1., 1.}, "OneCycleTest.test_linear")
    abs_close(S.from_optax("cosine_onecycle_schedule", {transition_steps = 5, peak_value = 1000, pct_start = 0.4,
                                                        div_factor = 10, final_div_factor = 100}):curve(7),
              {100., 550., 1000., 750.25, 250.75, 1., 1.}, "OneCycleTest.test_cosine")
    for _, bad in ipairs{{"piecewise_interpolate_schedule", {interpolate_type = "linar", init_value = 13}},
                         {"piecewise_interpolate_schedule", {interpolate_type = "linear", init_value = 13,
                                                             boundaries_and_scales = {[5] = -3}}},
                         {"cosine_onecycle_schedule", {transition_steps = 0, peak_value = 5}},
                         {"linear_onecycle_schedule", {transition_steps = 0, peak_value = 5}}} do
      assert.is_false(pcall(S.from_optax, bad[1], bad[2]), bad[1])
    end
  end)

  it("follows each function's formula", function()
    close(S.from_optax("exponential_decay", {init_value = 1, transition_steps = 3, decay_rate = 0.5,
                                             transition_begin = 2, end_value = 0.2}):curve(14),
          formula(14, function(t)
            local d = t - 2
            local v = d <= 0 and 1 or 0.5 ^ (d / 3)
            return math.max(v, 0.2) end), 1e-12, "exponential_decay")
    close(S.from_optax("exponential_decay", {init_value = 0.1, transition_steps = 2, decay_rate = 2, staircase = true,
                                             end_value = 0.5}):curve(10),
          formula(10, function(t) return math.min(0.1 * 2 ^ (t // 2), 0.5) end), 1e-12, "exponential_decay, rate > 1")
    close(S.from_optax("polynomial_schedule", {init_value = 1, end_value = 0.01, power = 2, transition_steps = 100,
                                               transition_begin = 5}):curve(111), formula(111, function(t)
            local c = math.min(math.max(t - 5, 0), 100)
            return (1 - 0.01) * (1 - c / 100) ^ 2 + 0.01 end), 1e-12, "polynomial_schedule")
    close(S.from_optax("cosine_decay_schedule", {init_value = 2, decay_steps = 7, alpha = 0.1, exponent = 2}):curve(10),
          formula(10, function(t)
            local c = 0.5 * (1 + math.cos(math.pi * math.min(t, 7) / 7))
            return 2 * ((1 - 0.1) * c ^ 2 + 0.1) end), 1e-12, "cosine_decay_schedule")
    close(S.from_optax("warmup_cosine_decay_schedule", {init_value = 0.1, peak_value = 1, warmup_steps = 3,
                                                        decay_steps = 10, end_value = 0.05}):curve(13),
          formula(13, function(t)
            if t < 3 then return 0.1 + (1 - 0.1) * t / 3 end
            local c = 0.5 * (1 + math.cos(math.pi * math.min(t - 3, 7) / 7))
            return (1 - 0.05) * c + 0.05 end), 1e-12, "warmup_cosine_decay_schedule")
    close(S.from_optax("piecewise_constant_schedule", {init_value = 1, boundaries_and_scales = {[3] = 0.5, [6] = 0.1}})
          :curve(8), {1, 1, 1, 0.5, 0.5, 0.5, 0.05, 0.05}, 1e-15, "piecewise_constant_schedule (scale from t >= b)")
    -- the docstring's example: 1.0, 0.55, 0.1, 0.0505, 0.001, 0.001 at steps 0, 2, ..., 10
    local c = S.from_optax("piecewise_interpolate_schedule", {interpolate_type = "linear", init_value = 1,
                                                              boundaries_and_scales = {[4] = 0.1, [8] = 0.01}}):curve(11)
    close({c[1], c[3], c[5], c[7], c[9], c[11]}, {1, 0.55, 0.1, 0.0505, 0.001, 0.001}, 1e-12, "piecewise_interpolate")
    close(S.from_optax("cosine_onecycle_schedule", {transition_steps = 10, peak_value = 1}):curve(12),
          formula(12, function(t) -- interpolate 0.04 -> 1 over [0, 3), 1 -> 4e-6 over [3, 10)
            local function cos_i(a, b, p) return b + (a - b) / 2 * (math.cos(math.pi * p) + 1) end
            if t < 3 then return cos_i(0.04, 1, t / 3) end
            if t < 10 then return cos_i(1, 1 / (25 * 1e4), (t - 3) / 7) end
            return 1 / (25 * 1e4) end), 1e-12, "cosine_onecycle_schedule")
  end)
  it("joins schedules as optax does and refuses unknown names", function()
    local j = S.from_optax("join_schedules", {schedules = {{"constant_schedule", {value = 1}},
                                                           S.constant{lr = 0.5}}, boundaries = {3}})
    close(j:curve(5), {1, 1, 1, 0.5, 0.5}, 0, "join_schedules")
    local sg = S.from_optax("sgdr_schedule", {cosine_kwargs = {
      {init_value = 0, peak_value = 1, warmup_steps = 1, decay_steps = 4},
      {init_value = 0, peak_value = 0.5, warmup_steps = 1, decay_steps = 3}}})
    close(sg:curve(7), {0, 1, 0.75, 0.25, 0, 0.5, 0.25}, 1e-12, "sgdr_schedule")
    local ok, err = pcall(S.from_optax, "cosine_decay_schedul", {})
    assert.matches("from_optax: unknown schedule 'cosine_decay_schedul' %(did you mean 'cosine_decay_schedule'%? known: ",
                   err)
  end)
end)

describe("from_timm (timm/scheduler)", function()
  -- CosineLRScheduler._get_lr, written out
  local function timm_cosine(lr, o)
    return function(t)
      if t < o.warmup_t then return o.warmup_lr_init + t * (lr - o.warmup_lr_init) / o.warmup_t end
      if o.warmup_prefix then t = t - o.warmup_t end
      local i, t_i, t_curr
      if o.cycle_mul ~= 1 then
        i = math.floor(math.log(1 - t / o.t_initial * (1 - o.cycle_mul), o.cycle_mul))
        t_i = o.cycle_mul ^ i * o.t_initial
        t_curr = t - (1 - o.cycle_mul ^ i) / (1 - o.cycle_mul) * o.t_initial
      else
        i = t // o.t_initial
        t_i, t_curr = o.t_initial, t - o.t_initial * i
      end
      local peak = lr * o.cycle_decay ^ i
      if i >= o.cycle_limit then return o.lr_min end
      local k = o.k_decay
      if o.shape == "tanh" then
        local tr = t_curr / t_i
        return o.lr_min + 0.5 * (peak - o.lr_min) * (1 - math.tanh(-7 * (1 - tr) + 3 * tr))
      elseif o.shape == "poly" then
        return o.lr_min + (peak - o.lr_min) * (1 - t_curr ^ k / t_i ^ k) ^ o.power
      end
      return o.lr_min + 0.5 * (peak - o.lr_min) * (1 + math.cos(math.pi * t_curr ^ k / t_i ^ k))
    end
  end
  it("cosine, tanh and poly follow timm with cycles, k-decay and the warm-up prefix", function()
    for _, o in ipairs{
      {shape = "cosine", t_initial = 6, warmup_t = 3, warmup_lr_init = 0.01, warmup_prefix = false, cycle_mul = 1,
       cycle_decay = 0.5, cycle_limit = 3, k_decay = 1, lr_min = 0.001},
      {shape = "cosine", t_initial = 4, warmup_t = 2, warmup_lr_init = 0, warmup_prefix = true, cycle_mul = 2,
       cycle_decay = 0.7, cycle_limit = 4, k_decay = 1.5, lr_min = 0},
      {shape = "tanh", t_initial = 5, warmup_t = 0, warmup_lr_init = 0, warmup_prefix = false, cycle_mul = 1,
       cycle_decay = 1, cycle_limit = 2, k_decay = 1, lr_min = 0.01},
      {shape = "poly", t_initial = 8, warmup_t = 2, warmup_lr_init = 0.02, warmup_prefix = true, cycle_mul = 1,
       cycle_decay = 0.1, cycle_limit = 2, k_decay = 2, lr_min = 0, power = 0.5}} do
      local class = ({cosine = "CosineLRScheduler", tanh = "TanhLRScheduler", poly = "PolyLRScheduler"})[o.shape]
      local args = {lr = 0.1}
      for k, v in pairs(o) do if k ~= "shape" and not (o.shape == "tanh" and k == "k_decay") then args[k] = v end end
      close(S.from_timm(class, args):curve(40), formula(40, timm_cosine(0.1, o)), 1e-12, class)
    end
  end)
  it("takes create_scheduler_v2's arguments and returns its run length", function()
    local s, epochs = S.from_timm("cosine", {lr = 0.1, num_epochs = 10, warmup_epochs = 2, warmup_lr = 1e-4,
                                             cooldown_epochs = 3, min_lr = 1e-3})
    assert.are.equal(13, epochs)
    same_tree(s, S.sequence{S.warmup{S.constant{lr = 0.1}, steps = 2, start_factor = 1e-4 / 0.1},
                            S.shift{S.cycles{lr = 0.1, t_0 = 10, eta_min = 1e-3, cycle_decay = 0.1, cycle_limit = 1},
                                    offset = 2}, milestones = {2}})
    -- steps counted in updates: every length times updates_per_epoch
    s = S.from_timm{sched = "step", lr = 0.1, decay_epochs = 2, decay_rate = 0.5, step_on_epochs = false,
                    updates_per_epoch = 3}
    close(s:curve(13), formula(13, function(t) return 0.1 * 0.5 ^ (t // 6) end), 1e-12, "step")
    s = S.from_timm("multistep", {lr = 1, decay_milestones = {2, 5}, decay_rate = 0.1})
    close(s:curve(7), {1, 1, 0.1, 0.1, 0.1, 0.01, 0.01}, 1e-15, "multistep (bisect_right)")
    local ok, err = pcall(S.from_timm, "cosine", {lr = 1, warmup_epoch = 3})
    assert.matches("from_timm: 'cosine' takes no argument 'warmup_epoch' %(did you mean 'warmup_epochs'%?", err)
  end)
  -- WSDLRScheduler._get_lr (timm/scheduler/wsd_lr.py), written out
  it("wsd and rsqrt follow timm's WSDLRScheduler", function()
    local function timm_wsd(lr, o)
      local steps = (lr - o.warmup_lr_init) / o.warmup_t
      return function(t)
        if t < o.warmup_t then return o.warmup_lr_init + t * steps end
        local ts = t - o.warmup_t
        local stable = o.rsqrt and (1 + ts / o.timescale) ^ -(o.stable_power or 0.5) or 1
        local st = math.max(lr * stable, o.lr_min)
        local td = ts - (o.t_initial - o.decay_t)
        if td <= 0 then return st end
        local frac = math.min(td / o.decay_t, 1)
        local d = ({linear = 1 - frac, ["1-sqrt"] = 1 - math.sqrt(frac),
                    cosine = 0.5 * (1 + math.cos(math.pi * frac)), power = 1 - frac ^ (o.decay_power or 0.5),
                    exp = ((o.decay_ratio or 0.1) ^ frac - (o.decay_ratio or 0.1)) / (1 - (o.decay_ratio or 0.1))})[o.fn]
        return o.lr_min + (st - o.lr_min) * d
      end
    end
    for _, fn in ipairs{"linear", "1-sqrt", "cosine", "exp", "power"} do
      local s, n = S.from_timm("wsd", {lr = 0.1, num_epochs = 20, warmup_epochs = 4, warmup_lr = 0.01, min_lr = 0.002,
                                       decay_epochs = 0.25, decay_fn = fn})
      assert.are.equal(20, n)
      close(s:curve(24), formula(24, timm_wsd(0.1, {warmup_t = 4, warmup_lr_init = 0.01, lr_min = 0.002,
                                                    t_initial = 16, decay_t = 4, fn = fn})), 1e-12, "wsd " .. fn)
    end
    local s = S.from_timm("rsqrt", {lr = 0.1, num_epochs = 20, warmup_epochs = 4, warmup_prefix = true, decay_epochs = 5})
    close(s:curve(26), formula(26, timm_wsd(0.1, {warmup_t = 4, warmup_lr_init = 1e-5, lr_min = 0, t_initial = 20,
                                                  decay_t = 5, fn = "linear", rsqrt = true, timescale = 4})),
          1e-12, "rsqrt")
    -- a decaying stable phase with a floor, the class's own arguments
    local w = S.from_timm("WSDLRScheduler", {lr = 0.1, t_initial = 30, decay_t = 10, lr_min = 0.01, warmup_t = 3,
                                             stable_fn = "power", stable_power = 0.7, stable_timescale = 2,
                                             decay_fn = "exp", decay_ratio = 0.2})
    close(w:curve(40), formula(40, timm_wsd(0.1, {warmup_t = 3, warmup_lr_init = 0, lr_min = 0.01, t_initial = 30,
                                                  decay_t = 10, fn = "exp", decay_ratio = 0.2, rsqrt = true,
                                                  stable_power = 0.7, timescale = 2})), 1e-12, "power + exp, floor")
    local ok, err = pcall(S.from_timm, "WSDLRScheduler", {lr = 0.1, t_initial = 10, decay_t = 3, decay_fn = "expo"})
    assert.matches("decay_fn 'expo' is not one of", err)
  end)

  it("applies noise only inside noise_range_t", function()
    local base = S.from_timm("CosineLRScheduler", {lr = 0.1, t_initial = 20})
    local noisy = S.from_timm("CosineLRScheduler", {lr = 0.1, t_initial = 20, noise_range_t = {5, 10},
                                                    noise_type = "uniform", noise_pct = 0.5})
    local a, b = base:curve(20), noisy:curve(20)
    for t = 1, 20 do
      local inside = t - 1 >= 5 and t - 1 < 10
      if inside then assert.is_true(math.abs(b[t] / a[t] - 1) <= 0.5)
      else assert.are.equal(a[t], b[t]) end
    end
    -- normal noise (timm's default type): a standard normal kept inside +-noise_pct, from noise * t_initial on
    local normal = S.from_timm("cosine", {lr = 0.1, num_epochs = 200, noise = 0.5, noise_pct = 0.3})
    local plain = S.from_timm("cosine", {lr = 0.1, num_epochs = 200})
    local n, p = normal:curve(200), plain:curve(200)
    for t = 1, 200 do
      if t - 1 < 100 then assert.are.equal(p[t], n[t])
      else assert.is_true(math.abs(n[t] / p[t] - 1) < 0.3, t - 1) end
    end
  end)
end)

describe("from_deepspeed (deepspeed/runtime/lr_schedules.py)", function()
  -- step t uses last_batch_iteration b = t - 1; step 0 the constructor's rate
  it("WarmupLR and WarmupDecayLR: log and linear warm-ups, step 0 at warmup_min_lr", function()
    local lo, hi, W = 0.01, 0.1, 5
    close(S.from_deepspeed{type = "WarmupLR", params = {warmup_min_lr = lo, warmup_max_lr = hi, warmup_num_steps = W}}
          :curve(9), formula(9, function(t)
            local b = math.max(t - 1, 0)
            local g = b < W and 1 / math.log(W) * math.log(b + 1) or 1
            return lo + (hi - lo) * g end), 1e-12, "WarmupLR")
    close(S.from_deepspeed("WarmupDecayLR", {total_num_steps = 12, warmup_min_lr = lo, warmup_max_lr = hi,
                                             warmup_num_steps = W, warmup_type = "linear"}):curve(16),
          formula(16, function(t)
            local b = math.max(t - 1, 0)
            local g = b < W and b / W or math.max(0, (12 - b) / math.max(1, 12 - W))
            return lo + (hi - lo) * g end), 1e-12, "WarmupDecayLR")
  end)
  it("WarmupCosineLR: 0 at step 0, the cosine one iteration ahead", function()
    close(S.from_deepspeed("WarmupCosineLR", {lr = 0.2, total_num_steps = 14, warmup_num_steps = 4,
                                              warmup_min_ratio = 0.1, cos_min_ratio = 0.05}):curve(20),
          formula(20, function(t)
            if t == 0 then return 0 end
            local b, r = t - 1, nil
            if b < 4 then r = 0.1 + 1 / math.log(4) * math.log(b + 1) * 0.9
            else r = math.max(0, 0.05 + 0.95 * (1 + math.cos(math.pi * (b - 4 + 1) / 10)) / 2) end
            return 0.2 * r end), 1e-12, "WarmupCosineLR")
  end)
  it("OneCycle: the cycle at batch t, the decay after it, and its momentum", function()
    local lr, mom = S.from_deepspeed("OneCycle", {cycle_min_lr = 0.01, cycle_max_lr = 0.1, cycle_first_step_size = 3,
                                                  cycle_second_step_size = 5, decay_lr_rate = 0.5,
                                                  decay_step_size = 2, decay_mom_rate = 0.1})
    local function scale(b)
      local cycle = math.floor(1 + b / 8)
      local x = 1 + b / 8 - cycle
      return x <= 3 / 8 and x / (3 / 8) or (x - 1) / (3 / 8 - 1)
    end
    close(lr:curve(14), formula(14, function(t)
      local b = t - 1 -- last_batch_iteration
      if b < 8 then return 0.01 + (0.1 - 0.01) * scale(b + 1) end
      return 0.01 / (1 + 0.5 * ((b - 8 + 1) / 2)) end), 1e-12, "OneCycle lr")
    close(mom:curve(14), formula(14, function(t)
      if t == 0 then return 0.8 end
      local b = t - 1
      if b < 8 then return 0.9 - (0.9 - 0.8) * scale(b + 1) end
      return 0.9 * (1 + 0.1 * ((b - 8 + 1) / 2)) end), 1e-12, "OneCycle momentum")
    local ok, err = pcall(S.from_deepspeed, {type = "WarmupLr", params = {}})
    assert.matches("from_deepspeed: unknown scheduler 'WarmupLr' %(did you mean 'WarmupLR'%?", err)
  end)
end)

describe("from_darknet (network.c get_current_rate; AlexeyAB's sgdr)", function()
  -- update t + 1 reads batch_num b = t + 1
  local function dk(cfg, n, f) return S.from_darknet(cfg):curve(n), formula(n, function(t) return f(t + 1) end) end
  it("follows every policy at batch t + 1, after a burn_in of power 1.5", function()
    local lr, burn, p = 0.1, 4, 1.5
    local function burned(f) return function(b) if b < burn then return lr * (b / burn) ^ p end return f(b) end end
    local cases = {
      {{policy = "constant"}, function() return lr end},
      {{policy = "step", step = 3, scale = 0.5}, function(b) return lr * 0.5 ^ (b // 3) end},
      {{policy = "steps", steps = "6,9", scales = "0.1,0.5"}, function(b)
        local r = lr
        for i, s in ipairs{6, 9} do if s > b then return r end r = r * ({0.1, 0.5})[i] end
        return r end},
      {{policy = "exp", gamma = 0.9}, function(b) return lr * 0.9 ^ b end},
      {{policy = "poly", max_batches = 20}, function(b) return lr * (1 - b / 20) ^ p end},
      {{policy = "sig", gamma = 0.7, step = 8}, function(b) return lr * (1 / (1 + math.exp(0.7 * (b - 8)))) end},
      {{policy = "sgdr", sgdr_cycle = 3, sgdr_mult = 2, learning_rate_min = 0.001}, function(b)
        local start, size = 0, 3
        while start + size < b do start, size = start + size, size * 2 end
        return 0.001 + 0.5 * (lr - 0.001) * (1 + math.cos((b - start) * math.pi / size)) end},
    }
    for _, c in ipairs(cases) do
      c[1].learning_rate, c[1].burn_in, c[1].power = lr, burn, p
      local got, want = dk(c[1], 20, burned(c[2]))
      close(got, want, 1e-12, "darknet " .. c[1].policy)
    end
  end)
  it("reads a cfg text's [net] section and refuses unknown policies and keys", function()
    local got, want = dk("[net]\n# comment\nbatch=64\nlearning_rate=0.01\npolicy=steps\nsteps=3\nscales=.1\n\n[convolutional]\n",
                         6, function(b) return b >= 3 and 0.001 or 0.01 end)
    close(got, want, 1e-15, "cfg text")
    local ok, err = pcall(S.from_darknet, {policy = "stepss"})
    assert.matches("from_darknet: unknown policy 'stepss' %(did you mean 'steps'%?", err)
    ok, err = pcall(S.from_darknet, {policy = "step", stepsize = 3})
    assert.matches("from_darknet: '%[net%]' takes no argument 'stepsize'", err)
  end)
end)

describe("from_llmc (llmc/schedulers.h)", function()
  it("warms up to the peak at step W - 1 and decays as llm.c does", function()
    local lr, W, N, frac = 0.3, 4, 25, 0.1
    local function warm(t) return lr * (t + 1) / W end
    close(S.from_llmc("cosine", {learning_rate = lr, warmup_iterations = W, train_num_batches = N,
                                 final_learning_rate_frac = frac}):curve(N), formula(N, function(t)
            if t < W then return warm(t) end
            local c = 0.5 * (1 + math.cos(math.pi * (t - W) / (N - W)))
            return lr * frac + c * (lr - lr * frac) end), 1e-12, "cosine")
    close(S.from_llmc("linear", {learning_rate = lr, warmup_iterations = W, train_num_batches = N,
                                 final_learning_rate_frac = frac}):curve(N), formula(N, function(t)
            if t < W then return warm(t) end
            return lr - (t - W) / (N - W) * (lr - lr * frac) end), 1e-12, "linear")
    local dp = 20 -- (int)(0.8f * 25)
    close(S.from_llmc("wsd", {learning_rate = lr, warmup_iterations = W, train_num_batches = N}):curve(N + 1),
          formula(N + 1, function(t)
            if t < W then return warm(t) end
            if t < dp then return lr end
            return (1 - math.sqrt((t - dp) / (N - dp))) * lr end), 1e-12, "wsd")
    close(S.from_llmc("constant", {learning_rate = lr}):curve(3), {lr, lr, lr}, 0, "constant")
    local ok, err = pcall(S.from_llmc, "cosin", {learning_rate = 1})
    assert.matches("from_llmc: unknown scheduler type 'cosin' %(did you mean 'cosine'%?", err)
  end)
end)

describe("from_pytorch (torch.optim.lr_scheduler, 1.13)", function()
  -- every class is also checked against PyTorch's own traces through this
  -- mapping: spec/golden_spec.lua builds schedules.json's cases with it
  it("applies PyTorch's defaults and returns the cycled momentum second", function()
    same_tree(S.from_pytorch("ConstantLR", {lr = 0.1}), S.constant{lr = 0.1, factor = 1 / 3, total_iters = 5})
    same_tree(S.from_pytorch("PolynomialLR", {lr = 0.1}), S.polynomial{lr = 0.1, total_iters = 5, power = 1})
    local lr, mom = S.from_pytorch("CyclicLR", {base_lr = 0.01, max_lr = 0.1, step_size_up = 4})
    same_tree(lr, S.cyclic{base_lr = 0.01, max_lr = 0.1, step_size_up = 4})
    same_tree(mom, S.cyclic_momentum{base_momentum = 0.8, max_momentum = 0.9, step_size_up = 4})
    same_tree(S.from_pytorch("SWALR", {lr = 0.2, swa_lr = 0.05}), S.swa{lr = 0.2, swa_lr = 0.05, anneal_steps = 10})
    local seq = S.from_pytorch("SequentialLR", {lr = 0.5, milestones = {3}, schedulers = {
      {"LinearLR", {start_factor = 0.1, total_iters = 3}}, {kind = "ExponentialLR", params = {gamma = 0.9}}}})
    same_tree(seq, S.sequence{S.linear{lr = 0.5, start_factor = 0.1, total_iters = 3},
                              S.exponential{lr = 0.5, gamma = 0.9}, milestones = {3}})
  end)
  it("refuses unknown classes, arguments and a resumed last_epoch", function()
    local ok, err = pcall(S.from_pytorch, "StepLr", {lr = 1})
    assert.matches("from_pytorch: unknown scheduler 'StepLr' %(did you mean 'StepLR'%?", err)
    ok, err = pcall(S.from_pytorch, "StepLR", {lr = 1, step_size = 2, gama = 0.5})
    assert.matches("'StepLR' takes no argument 'gama' %(did you mean 'gamma'%?", err)
    ok, err = pcall(S.from_pytorch, "StepLR", {lr = 1, step_size = 2, last_epoch = 4})
    assert.matches("last_epoch other than %-1", err)
  end)
end)

describe("PyTorch's CyclicLR cycle_momentum and SWALR (torch/optim, 1.13)", function()
  -- CyclicLR.get_lr, written out (scale_fn by mode, momentum inversely)
  it("cyclic_momentum moves inversely to cyclic's rate", function()
    for _, m in ipairs{{"triangular", 1}, {"triangular2", 1}, {"exp_range", 0.97}} do
      local args = {step_size_up = 3, step_size_down = 5, mode = m[1], gamma = m[2]}
      local function f(lo, hi, inverse)
        return formula(30, function(t)
          local cycle = math.floor(1 + t / 8)
          local x = 1 + t / 8 - cycle
          local scale = x <= 3 / 8 and x / (3 / 8) or (x - 1) / (3 / 8 - 1)
          local fn = m[1] == "triangular2" and 1 / 2 ^ (cycle - 1) or m[1] == "exp_range" and m[2] ^ t or 1
          local h = (hi - lo) * scale
          return inverse and hi - h * fn or lo + h * fn
        end)
      end
      local mom = {base_momentum = 0.8, max_momentum = 0.95}
      for k, v in pairs(args) do mom[k] = v end
      close(S.cyclic_momentum(mom):curve(30), f(0.8, 0.95, true), 1e-15, "cyclic_momentum " .. m[1])
    end
  end)
  -- SWALR.get_lr: the rate recovered from the current one by _get_initial_lr,
  -- then swa_lr * alpha + that * (1 - alpha); a recurrence, run here step by step
  local function swalr(lr0, swa, E, anneal, n, before)
    local out, lr, k = {}, lr0, 0
    local function af(x) return anneal == "cos" and (1 - math.cos(math.pi * x)) / 2 or x end
    for t = 0, n - 1 do
      if before and t <= before.start then lr = before.f(t)
      else
        k = k + 1
        local step = k
        if E == 0 then step = math.max(1, step) end
        local pa = af(math.max(0, math.min(1, (step - 1) / math.max(1, E))))
        local init = pa == 1 and swa or (lr - pa * swa) / (1 - pa)
        local a = af(math.max(0, math.min(1, step / math.max(1, E))))
        lr = swa * a + init * (1 - a)
      end
      out[t + 1] = lr
    end
    return out
  end
  it("swa anneals from the optimizer's rate to swa_lr as SWALR", function()
    close(S.swa{lr = 0.2, swa_lr = 0.05, anneal_steps = 5}:curve(10), swalr(0.2, 0.05, 5, "cos", 10, {start = 0,
          f = function() return 0.2 end}), 1e-12, "swa cos")
    close(S.swa{lr = 0.2, swa_lr = 0.05, anneal_steps = 4, anneal = "linear"}:curve(10),
          swalr(0.2, 0.05, 4, "linear", 10, {start = 0, f = function() return 0.2 end}), 1e-12, "swa linear")
    -- after a cosine (PyTorch's recipe: the cosine until step 6, SWALR from there)
    local cos = function(t) return 0.1 * (1 + math.cos(math.pi * t / 10)) end
    close(S.swa{S.cosine{lr = 0.2, t_max = 10}, start = 6, swa_lr = 0.05, anneal_steps = 3}:curve(14),
          swalr(0.2, 0.05, 3, "cos", 14, {start = 6, f = cos}), 1e-12, "swa after a cosine")
  end)
end)

describe("the mappings with hostile arguments", function()
  it("raise errors that name the peer and the scheduler, never a Lua error from inside", function()
    local cases = {
      {S.from_hf, "cosine", {lr = 0 / 0, num_warmup_steps = 1, num_training_steps = 5}, "^from_hf: 'cosine': .*lr must be >= 0"},
      {S.from_hf, "cosine", {lr = "abc", num_warmup_steps = 1, num_training_steps = 5}, "^from_hf: 'cosine': lr must be a number"},
      {S.from_hf, "cosine", "notatable", "a table of arguments expected"},
      {S.from_hf, 42, {}, "a scheduler name expected"},
      {S.from_hf, "cosine", {[1] = 3, lr = 1}, "takes no argument '1'"},
      {S.from_timm, "cosine", {lr = 1, num_epochs = -5}, "^from_timm: 'cosine': .*t_0 must be > 0"},
      {S.from_timm, "cosine", {lr = 1, cycle_mul = 0.5}, "^from_timm: 'cosine': .*t_mult must be in %[1,"},
      {S.from_darknet, "no net here", nil, "^from_darknet: no %[net%] section"},
      {S.from_darknet, {policy = "steps", steps = "1,x", scales = "1,1"}, nil, "steps must be a list of numbers, got x"},
      {S.from_darknet, {policy = "steps", steps = "5,2", scales = "1,1"}, nil, "increasing order"},
      {S.from_deepspeed, {type = "WarmupLR", params = {warmup_max_lr = 0}}, nil, "warmup_max_lr must be > 0"},
      {S.from_optax, "join_schedules", {schedules = {{"nope", {}}}, boundaries = {}}, "unknown schedule 'nope'"},
      {S.from_optax, "piecewise_constant_schedule", {init_value = 1, boundaries_and_scales = {[2.5] = 1}},
       "must map whole steps"},
      {S.from_llmc, "cosine", {learning_rate = 1, warmup_iterations = 5, train_num_batches = 5}, "must exceed"},
      {S.from_keras, {class_name = "CosineDecay"}, nil, "^from_keras: 'CosineDecay' needs initial_learning_rate"},
      {S.from_pytorch, "SequentialLR", {lr = 1, schedulers = {42}, milestones = {}}, "a scheduler must be a schedule"},
      {S.from_pytorch, "StepLR", {lr = 1}, "^from_pytorch: 'StepLR': .*step_size"},
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(c[1], c[2], c[3])
      assert.is_false(ok, c[4])
      assert.matches(c[4], err)
      assert.is_nil(err:match("%.lua:%d+:"), err) -- no source position leaks into the message
    end
  end)
end)
