-- The optimizers of the peers' lists (issue 13): decoupled weight decay on
-- every optimizer, AdamW in the epsilon-hat form, Keras' Nadam, sign SGD and
-- Signum, AdaBelief, Yogi, LAMB, LARS, NovoGrad and Adafactor. Each case
-- names where its expected values come from: a peer's own test values
-- (Keras 3's test_correctness_with_golden and friends), or an independent
-- reference implementation of the peer's documented formula in plain Lua
-- (spec/support/peer_optim.lua and the ref_* functions below), in float64
-- (1e-12) and float32 (1e-5 relative).
local lre = require "lrengine"
local P = require "support.peer_optim"

local F64, F32 = {1e-12, 1e-10}, {1e-6, 1e-5}

local function sign(v) return v > 0 and 1 or (v < 0 and -1 or 0) end

describe("decoupled_weight_decay", function()
  -- every optimizer that has an L2 weight_decay (adamw and lion decay decoupled by definition)
  local kinds = {"sgd", "adam", "adagrad", "rmsprop", "adadelta", "adamax", "nadam", "radam", "rprop", "asgd",
                 "nadam_keras", "signsgd", "signum", "adabelief", "yogi", "lamb", "lars", "novograd", "adafactor"}
  -- what each needs besides: ASGD's own shrinking is not weight decay, Yogi's first moment starts
  -- at initial_accumulator (not 0), LARS adapts its rate only with a decay or always_adapt
  local extra = {asgd = {lambd = 0}, yogi = {initial_accumulator = 0}, lars = {always_adapt = true}}
  local function with(kind, args)
    for k, v in pairs(extra[kind] or {}) do args[k] = v end
    return args
  end

  it("decays as Keras 3 does: test_weight_decay's 2 -> 1.9760959 after three steps at lr 1, wd 0.004", function()
    -- keras/src/optimizers/*_test.py test_weight_decay: var1 goes through three optimizers
    -- with zero gradients; each applies param -= lr * weight_decay * param once
    for _, kind in ipairs(kinds) do
      for _, dtype in ipairs{"f64", "f32"} do
        local args = with(kind, {lr = 1, weight_decay = 0.004, decoupled_weight_decay = true})
        local opt, p, g = P.build(kind, args, {2}, dtype)
        g:copy{0}
        for _ = 1, 3 do opt:step() end
        assert.are.near(1.9760959, p[1], 1e-6, kind .. " " .. dtype)
        assert.are.near(2 * 0.996 ^ 3, p[1], dtype == "f64" and 1e-15 or 1e-6, kind .. " " .. dtype)
      end
    end
  end)

  it("is the plain update of the decayed parameter, bit for bit, with scheduled rates too", function()
    -- Keras applies the decay before update_step reads the variable: a step with
    -- decoupled decay equals multiplying by (1 - lr * wd) and stepping without decay
    for _, kind in ipairs(kinds) do
      local lr = lre.schedule.step{lr = 0.05, step_size = 2, gamma = 0.5}
      local a, pa, ga = P.build(kind, with(kind, {lr = lr, weight_decay = 0.1, decoupled_weight_decay = true}), P.X0,
                                "f64")
      local b, pb, gb = P.build(kind, with(kind, {lr = lre.schedule.step{lr = 0.05, step_size = 2, gamma = 0.5}}),
                                P.X0, "f64")
      for t = 1, 6 do
        local rate = 0.05 * 0.5 ^ ((t - 1) // 2)
        local x = pb:totable()
        for i = 1, #x do x[i] = x[i] * (1 - rate * 0.1) end
        pb:copy(x)
        ga:copy(P.grads(#P.X0, t))
        gb:copy(P.grads(#P.X0, t))
        a:step()
        b:step()
        assert.are.same(pb:totable(), pa:totable(), kind .. " step " .. t)
      end
    end
  end)

  it("is a switch fixed at construction, and resumes byte for byte", function()
    local opt = P.build("sgd", {lr = 0.1, weight_decay = 0.1, decoupled_weight_decay = true}, {1}, "f64")
    assert.has_error(function() opt:set("decoupled_weight_decay", 0) end)
    for _, kind in ipairs(kinds) do
      for _, dtype in ipairs{"f64", "f32"} do
        P.resumes(kind, with(kind, {lr = 0.01, weight_decay = 0.2, decoupled_weight_decay = true}), 8, 3, dtype)
      end
    end
  end)
end)

describe("adamw{epsilon_hat = true}", function()
  it("reproduces Keras 3's AdamW golden values (adamw_test.py test_correctness_with_golden)", function()
    -- Keras' Adam divides by sqrt(v) + epsilon with the bias correction in the step size:
    -- Kingma & Ba's epsilon-hat form; AdamW adds the decoupled decay
    local golden = {
      {0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998},
      {0.2486, 0.2475, 0.2463, 0.2451, 0.244, 0.2428, 0.2417, 0.2405, 0.2394, 0.2382},
      {0.1223, 0.1198, 0.1174, 0.1149, 0.1124, 0.11, 0.1075, 0.1051, 0.1027, 0.1003},
      {0.0586, 0.0549, 0.0512, 0.0475, 0.0439, 0.0402, 0.0366, 0.033, 0.0294, 0.0258},
      {0.0263, 0.0215, 0.0167, 0.012, 0.0073, 0.0026, -0.0021, -0.0067, -0.0113, -0.0159}}
    for _, dtype in ipairs{"f64", "f32"} do
      P.keras_golden("adamw", {lr = 1, weight_decay = 0.5, eps = 2, epsilon_hat = true}, golden, dtype)
    end
  end)

  it("is adam{epsilon_hat = true, decoupled_weight_decay = true}, bit for bit", function()
    for _, dtype in ipairs{"f64", "f32"} do
      local args = {lr = 0.01, weight_decay = 0.3, epsilon_hat = true, amsgrad = true}
      local a = P.trace("adamw", args, 6, dtype)
      args.decoupled_weight_decay = true
      local b = P.trace("adam", args, 6, dtype)
      assert.are.same(a, b)
    end
  end)
end)


-- The hyper-parameters each case runs with, and its reference step function
-- ref(state, x, g, t) updating x in place (doubles, one element at a time).
local function lerp(a, b, w) return a + w * (b - a) end

describe("nadam_keras", function()
  it("reproduces Keras 3's Nadam golden values (nadam_test.py test_correctness_with_golden)", function()
    local golden = {
      {0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281},
      {-0.1738, -0.1731, -0.1726, -0.1723, -0.1721, -0.172, -0.1719, -0.1718, -0.1718, -0.1717},
      {-0.7115, -0.7103, -0.7096, -0.7092, -0.709, -0.7088, -0.7086, -0.7085, -0.7085, -0.7084},
      {-1.2335, -1.2322, -1.2313, -1.2309, -1.2306, -1.2304, -1.2302, -1.2301, -1.23, -1.2299},
      {-1.7492, -1.7478, -1.7469, -1.7464, -1.7461, -1.7459, -1.7457, -1.7456, -1.7455, -1.7454}}
    for _, dtype in ipairs{"f64", "f32"} do
      P.keras_golden("nadam_keras", {lr = 0.5, betas = {0.5, 0.67}, eps = 1e-5}, golden, dtype)
    end
  end)
  it("reproduces Keras 3's single step (nadam_test.py test_single_step)", function()
    for _, dtype in ipairs{"f64", "f32"} do
      local opt, p, g = P.build("nadam_keras", {lr = 0.5}, {1, 2, 3, 4}, dtype)
      g:copy{1, 6, 7, 2}
      opt:step()
      assert(P.close(p:totable(), {0.4686, 1.4686, 2.4686, 3.4686}, 1e-4, 1e-4, "x"))
    end
  end)
  it("follows keras/src/optimizers/nadam.py over many steps, with a decoupled decay", function()
    local lr, b1, b2, eps, wd = 0.01, 0.8, 0.95, 1e-3, 0.1
    local function ref(s, x, g, t)
      local u = b1 * (1 - 0.5 * 0.96 ^ t)
      local u1 = b1 * (1 - 0.5 * 0.96 ^ (t + 1))
      s.prod = (s.prod or 1) * u
      s.m, s.v = s.m or {}, s.v or {}
      for i = 1, #x do
        x[i] = x[i] - x[i] * wd * lr
        local m = (s.m[i] or 0) + (g[i] - (s.m[i] or 0)) * (1 - b1)
        local v = (s.v[i] or 0) + (g[i] ^ 2 - (s.v[i] or 0)) * (1 - b2)
        s.m[i], s.v[i] = m, v
        local mhat = u1 * m / (1 - s.prod * u1) + (1 - u) * g[i] / (1 - s.prod)
        x[i] = x[i] - mhat * lr / (math.sqrt(v / (1 - b2 ^ t)) + eps)
      end
    end
    local want = P.ref_trace(ref, 12)
    local args = {lr = lr, betas = {b1, b2}, eps = eps, weight_decay = wd}
    P.same_trace(P.trace("nadam_keras", args, 12, "f64"), want, F64[1], F64[2])
    P.same_trace(P.trace("nadam_keras", args, 12, "f32"), want, F32[1], F32[2])
    P.resumes("nadam_keras", args, 9, 4, "f64")
    P.resumes("nadam_keras", args, 9, 4, "f32")
  end)
end)

describe("signsgd and signum", function()
  -- jxbz/signSGD (Bernstein et al. 2018): d = grad + wd * param; Signum keeps
  -- buf = momentum * buf + (1 - momentum) * d from zero and steps by sign(buf)
  local function ref_for(lr, mom, wd)
    return function(s, x, g)
      s.buf = s.buf or {}
      for i = 1, #x do
        local d = g[i] + wd * x[i]
        if mom > 0 then
          s.buf[i] = mom * (s.buf[i] or 0) + (1 - mom) * d
          d = s.buf[i]
        end
        x[i] = x[i] - lr * sign(d)
      end
    end
  end
  it("steps by the sign of the gradient (signSGD) or of its momentum (Signum)", function()
    for _, c in ipairs{{"signsgd", {lr = 0.01, weight_decay = 0.05}, 0},
                       {"signum", {lr = 0.01, weight_decay = 0.05}, 0.9},
                       {"signsgd", {lr = 0.02, momentum = 0.5}, 0.5}} do
      local want = P.ref_trace(ref_for(c[2].lr, c[3], c[2].weight_decay or 0), 10)
      P.same_trace(P.trace(c[1], c[2], 10, "f64"), want, F64[1], F64[2])
      P.same_trace(P.trace(c[1], c[2], 10, "f32"), want, F32[1], F32[2])
      P.resumes(c[1], c[2], 8, 3, "f64")
      P.resumes(c[1], c[2], 8, 3, "f32")
    end
  end)
  it("needs a rate, and a momentum in [0, 1)", function()
    assert.has_error(function() P.build("signum", {}, {1}, "f64") end,
      "bad argument #1 to 'signum' (missing required parameter 'lr' (given neither to this group nor as a default))")
    assert.has_error(function() P.build("signum", {lr = 0.1, momentum = 1}, {1}, "f64") end,
      "bad argument #1 to 'signum' (momentum must be in [0, 1), got 1)")
  end)
end)

describe("adabelief", function()
  -- timm/optim/adabelief.py (_single_tensor_adabelief) and the authors' adabelief-pytorch 0.2
  local function ref_for(o)
    local b1, b2 = o.betas[1], o.betas[2]
    return function(s, x, g, t)
      s.m, s.var, s.max = s.m or {}, s.var or {}, s.max or {}
      local bc1, bc2 = 1 - b1 ^ t, 1 - b2 ^ t
      local sma_max = 2 / (1 - b2) - 1
      local sma = sma_max - 2 * t * b2 ^ t / bc2
      for i = 1, #x do
        local gi = g[i]
        if o.decoupled_weight_decay ~= false then
          x[i] = x[i] * (1 - (o.fixed_decay and 1 or o.lr) * (o.weight_decay or 0))
        else
          gi = gi + (o.weight_decay or 0) * x[i]
        end
        local m = lerp(s.m[i] or 0, gi, 1 - b1)
        local r = gi - m
        local var = (s.var[i] or 0) * b2 + (1 - b2) * r * r + o.eps
        s.m[i], s.var[i] = m, var
        local denom_var = var
        if o.amsgrad then
          s.max[i] = math.max(s.max[i] or 0, var)
          denom_var = s.max[i]
        end
        if o.rectify == false then
          x[i] = x[i] - o.lr / bc1 * (m / (math.sqrt(denom_var) / math.sqrt(bc2) + o.eps))
        elseif sma >= 5 then
          local step = math.sqrt(bc2 * (sma - 4) / (sma_max - 4) * (sma - 2) / sma * sma_max / (sma_max - 2)) / bc1
          x[i] = x[i] - step * o.lr * (m / (math.sqrt(var) + o.eps))
        elseif o.degenerated_to_sgd ~= false then
          x[i] = x[i] - 1 / bc1 * o.lr * m
        end
      end
    end
  end
  local cases = {
    {lr = 0.01, betas = {0.9, 0.999}, eps = 1e-16},                               -- timm's defaults: rectified
    {lr = 0.01, betas = {0.9, 0.5}, eps = 1e-8, weight_decay = 0.1},               -- rectified from step 3
    {lr = 0.01, betas = {0.8, 0.9}, eps = 1e-12, rectify = false, amsgrad = true, weight_decay = 0.1,
     decoupled_weight_decay = false},
    {lr = 0.01, betas = {0.8, 0.5}, eps = 1e-10, degenerated_to_sgd = false, weight_decay = 0.01,
     fixed_decay = true},
  }
  it("follows timm's AdaBelief: rectified, Adam-like with amsgrad and L2, degenerate and fixed decay", function()
    for n, c in ipairs(cases) do
      local want = P.ref_trace(ref_for(c), 12)
      P.same_trace(P.trace("adabelief", c, 12, "f64"), want, F64[1], F64[2])
      P.same_trace(P.trace("adabelief", c, 12, "f32"), want, F32[1], F32[2])
      P.resumes("adabelief", c, 9, 4, "f64")
      P.resumes("adabelief", c, 9, 4, "f32")
      assert(n)
    end
  end)
end)

describe("yogi", function()
  -- torch_optimizer/yogi.py (Zaheer et al. 2018): both moments start at initial_accumulator
  local function ref_for(o)
    local b1, b2 = o.betas[1], o.betas[2]
    local init = o.initial_accumulator or 1e-6
    return function(s, x, g, t)
      s.m, s.v = s.m or {}, s.v or {}
      for i = 1, #x do
        local gi = g[i] + (o.weight_decay or 0) * x[i]
        local m = (s.m[i] or init) * b1 + (1 - b1) * gi
        local v = s.v[i] or init
        v = v - (1 - b2) * sign(v - gi * gi) * gi * gi
        s.m[i], s.v[i] = m, v
        x[i] = x[i] - o.lr / (1 - b1 ^ t) * (m / (math.sqrt(v) / math.sqrt(1 - b2 ^ t) + o.eps))
      end
    end
  end
  it("follows torch-optimizer's Yogi, with and without L2 decay", function()
    for _, c in ipairs{{lr = 0.01, betas = {0.9, 0.999}, eps = 1e-3},
                       {lr = 0.05, betas = {0.5, 0.9}, eps = 1e-6, initial_accumulator = 0.1, weight_decay = 0.1}} do
      local want = P.ref_trace(ref_for(c), 12)
      P.same_trace(P.trace("yogi", c, 12, "f64"), want, F64[1], F64[2])
      P.same_trace(P.trace("yogi", c, 12, "f32"), want, F32[1], F32[2])
      P.resumes("yogi", c, 9, 4, "f64")
      P.resumes("yogi", c, 9, 4, "f32")
    end
  end)
  it("refuses a negative initial accumulator", function()
    assert.has_error(function() P.build("yogi", {initial_accumulator = -1}, {1}, "f64") end,
      "bad argument #1 to 'yogi' (initial_accumulator must be >= 0, got -1)")
  end)
end)

describe("lamb", function()
  it("reproduces Keras 3's Lamb golden values and single step (lamb_test.py)", function()
    local golden = {}
    for i, v in ipairs{0.999, 0.9982, 0.9974, 0.9965, 0.9955} do
      golden[i] = {}
      for j = 1, 10 do golden[i][j] = v end
    end
    for _, dtype in ipairs{"f64", "f32"} do
      P.keras_golden("lamb", {eps = 1e-7}, golden, dtype) -- Lamb(): Keras' defaults, its epsilon 1e-7
      local opt, p, g = P.build("lamb", {lr = 0.5, eps = 1e-7}, {1, 2, 3, 4}, dtype)
      g:copy{1, 6, 7, 2}
      opt:step()
      assert(P.close(p:totable(), {-0.3693, 0.6306, 1.6306, 2.6306}, 1e-4, 1e-4, "x"))
    end
  end)
  -- optax.lamb = scale_by_adam, add_decayed_weights, scale_by_trust_ratio, -lr (moments in Keras' form)
  local function ref_for(o)
    local b1, b2 = o.betas[1], o.betas[2]
    return function(s, x, g, t)
      s.m, s.v = s.m or {}, s.v or {}
      local r, pn, rn = {}, 0, 0
      for i = 1, #x do
        s.m[i] = (s.m[i] or 0) + (g[i] - (s.m[i] or 0)) * (1 - b1)
        s.v[i] = (s.v[i] or 0) + (g[i] ^ 2 - (s.v[i] or 0)) * (1 - b2)
        r[i] = s.m[i] / (1 - b1 ^ t) / (math.sqrt(s.v[i] / (1 - b2 ^ t)) + o.eps) + (o.weight_decay or 0) * x[i]
        pn, rn = pn + x[i] ^ 2, rn + r[i] ^ 2
      end
      local ratio = (pn > 0 and rn > 0) and math.sqrt(pn) / math.sqrt(rn) or 1
      for i = 1, #x do x[i] = x[i] - o.lr * ratio * r[i] end
    end
  end
  it("follows optax.lamb: the trust ratio of the group's norms, the decay inside the ratio", function()
    for _, c in ipairs{{lr = 0.01, betas = {0.9, 0.999}, eps = 1e-6},
                       {lr = 0.05, betas = {0.8, 0.9}, eps = 1e-3, weight_decay = 0.3}} do
      local want = P.ref_trace(ref_for(c), 12)
      P.same_trace(P.trace("lamb", c, 12, "f64"), want, F64[1], F64[2])
      P.same_trace(P.trace("lamb", c, 12, "f32"), want, F32[1], F32[2])
      P.resumes("lamb", c, 9, 4, "f64")
      P.resumes("lamb", c, 9, 4, "f32")
    end
  end)
  it("takes the norms per group: two groups step as two optimizers", function()
    local a1, a2, ga1, ga2 = lre.tensor{1, -2, 3}, lre.tensor{0.5, 4}, lre.tensor(3), lre.tensor(2)
    local both = lre.optim.lamb{{params = a1, grads = ga1}, {params = a2, grads = ga2}, lr = 0.1, weight_decay = 0.1}
    local one, p1, g1 = P.build("lamb", {lr = 0.1, weight_decay = 0.1}, {1, -2, 3}, "f64")
    local two, p2, g2 = P.build("lamb", {lr = 0.1, weight_decay = 0.1}, {0.5, 4}, "f64")
    for t = 1, 5 do
      local gr = P.grads(5, t)
      ga1:copy{gr[1], gr[2], gr[3]}; g1:copy{gr[1], gr[2], gr[3]}
      ga2:copy{gr[4], gr[5]}; g2:copy{gr[4], gr[5]}
      both:step(); one:step(); two:step()
      assert.are.same(p1:totable(), a1:totable())
      assert.are.same(p2:totable(), a2:totable())
    end
  end)
end)

describe("lars", function()
  -- timm/optim/lars.py
  local function ref_for(o)
    return function(s, x, g)
      s.buf = s.buf or {}
      local wd = o.weight_decay or 0
      local d = {}
      for i = 1, #x do d[i] = g[i] end
      if wd ~= 0 or o.always_adapt then
        local wn, gn = 0, 0
        for i = 1, #x do wn, gn = wn + x[i] ^ 2, gn + g[i] ^ 2 end
        wn, gn = math.sqrt(wn), math.sqrt(gn)
        local ratio = (wn > 0 and gn > 0) and o.trust_coeff * wn / (gn + wn * wd + o.eps) or 1
        if o.trust_clip then ratio = math.min(ratio / o.lr, 1) end
        for i = 1, #x do d[i] = (g[i] + wd * x[i]) * ratio end
      end
      local mom = o.momentum or 0
      for i = 1, #x do
        if mom ~= 0 then
          s.buf[i] = s.buf[i] and s.buf[i] * mom + (1 - (o.dampening or 0)) * d[i] or d[i]
          d[i] = o.nesterov and d[i] + mom * s.buf[i] or s.buf[i]
        end
        x[i] = x[i] - o.lr * d[i]
      end
    end
  end
  it("follows timm's Lars: adapted with a decay or always_adapt, LARC's clip, momentum and Nesterov", function()
    for _, c in ipairs{{lr = 0.1, trust_coeff = 0.001, eps = 1e-8, weight_decay = 1e-4, momentum = 0.9},
                       {lr = 0.5, trust_coeff = 0.01, eps = 1e-8, always_adapt = true, momentum = 0.9, nesterov = true},
                       {lr = 0.5, trust_coeff = 0.02, eps = 1e-6, weight_decay = 0.01, trust_clip = true,
                        momentum = 0.5, dampening = 0.1},
                       {lr = 0.05, trust_coeff = 0.001, eps = 1e-8}} do -- no decay, no always_adapt: plain SGD
      local want = P.ref_trace(ref_for(c), 12)
      P.same_trace(P.trace("lars", c, 12, "f64"), want, F64[1], F64[2])
      P.same_trace(P.trace("lars", c, 12, "f32"), want, F32[1], F32[2])
      P.resumes("lars", c, 9, 4, "f64")
      P.resumes("lars", c, 9, 4, "f32")
    end
  end)
  it("checks Nesterov's needs as SGD does", function()
    assert.has_error(function() P.build("lars", {nesterov = true}, {1}, "f64") end,
      "bad argument #1 to 'lars' (nesterov requires momentum > 0 and dampening = 0)")
  end)
end)

describe("novograd", function()
  -- torch_optimizer/novograd.py
  local function ref_for(o)
    local b1, b2 = o.betas[1], o.betas[2]
    return function(s, x, g)
      s.m = s.m or {}
      local norm = 0
      for i = 1, #x do norm = norm + g[i] ^ 2 end
      if (s.v or 0) == 0 then s.v = norm else s.v = s.v * b2 + (1 - b2) * norm end
      local denom = math.sqrt(s.v) + o.eps
      for i = 1, #x do
        local d = g[i] / denom + (o.weight_decay or 0) * x[i]
        if o.grad_averaging then d = d * (1 - b1) end
        s.m[i] = (s.m[i] or 0) * b1 + d
        x[i] = x[i] - o.lr * s.m[i]
      end
    end
  end
  it("follows torch-optimizer's NovoGrad: one second moment per group, grad_averaging, L2", function()
    for _, c in ipairs{{lr = 0.01, betas = {0.95, 0}, eps = 1e-8},
                       {lr = 0.02, betas = {0.9, 0.98}, eps = 1e-6, weight_decay = 0.01, grad_averaging = true}} do
      local want = P.ref_trace(ref_for(c), 12)
      P.same_trace(P.trace("novograd", c, 12, "f64"), want, F64[1], F64[2])
      P.same_trace(P.trace("novograd", c, 12, "f32"), want, F32[1], F32[2])
      P.resumes("novograd", c, 9, 4, "f64")
      P.resumes("novograd", c, 9, 4, "f32")
    end
  end)
end)

describe("adafactor", function()
  it("reproduces Keras 3's Adafactor golden values and single steps (adafactor_test.py)", function()
    local golden = {
      {0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55},
      {0.3031, 0.3026, 0.3025, 0.3024, 0.3024, 0.3024, 0.3024, 0.3024, 0.3024, 0.3024},
      {0.1671, 0.1665, 0.1663, 0.1663, 0.1663, 0.1663, 0.1663, 0.1663, 0.1663, 0.1663},
      {0.0923, 0.0916, 0.0915, 0.0914, 0.0914, 0.0914, 0.0914, 0.0914, 0.0914, 0.0914},
      {0.0554, 0.0548, 0.0546, 0.0546, 0.0546, 0.0546, 0.0546, 0.0545, 0.0545, 0.0545}}
    for _, dtype in ipairs{"f64", "f32"} do
      -- Adafactor(learning_rate=0.5, beta_2_decay=-0.65, epsilon_1=1e-15, epsilon_2=1e-4,
      -- clip_threshold=0.9, relative_step=False): Keras' update_step takes rho_t = min(lr, 1/sqrt(t))
      -- whatever relative_step says (the fifth row needs 1/sqrt(5) < 0.5), which is lrengine's
      -- relative_step with an lr; relative_step = false is HF's constant lr
      P.keras_golden("adafactor", {lr = 0.5, decay_rate = -0.65, eps = {1e-15, 1e-4}, clip_threshold = 0.9},
                     golden, dtype)
      -- test_single_step_1d and _2d: Adafactor(learning_rate=0.5), Keras' relative step min(lr, 1/sqrt(t))
      local opt, p, g = P.build("adafactor", {lr = 0.5}, {1, 2, 3, 4}, dtype)
      g:copy{1, 6, 7, 2}
      opt:step()
      assert(P.close(p:totable(), {-0.3693, 0.6307, 1.6307, 2.6307}, 1e-4, 1e-4, "1d"))
      opt, p, g = P.build("adafactor", {lr = 0.5}, {1, 2, 3, 4}, dtype, {2, 2})
      g:copy{1, 6, 7, 2}
      opt:step()
      assert(P.close(P.flat(p), {0.7007, -0.0081, 1.2492, 3.4407}, 1e-4, 1e-4, "2d"))
    end
  end)

  -- HF transformers' Adafactor (transformers/optimization.py), written out for a rows x cols
  -- matrix (factored) or a vector (rows = nil)
  local function ref_for(o, rows, cols)
    local eps1, eps2 = o.eps and o.eps[1] or 1e-30, o.eps and o.eps[2] or 1e-3
    local clip, decay_rate = o.clip_threshold or 1, o.decay_rate or -0.8
    local function rms(v)
      local s = 0
      for i = 1, #v do s = s + v[i] ^ 2 end
      return math.sqrt(s) / math.sqrt(#v)
    end
    return function(s, x, g, t)
      local n = #x
      local step = o.lr or 0
      if o.relative_step ~= false then
        step = math.min((o.lr or 0) > 0 and o.lr or (o.warmup_init and 1e-6 * t or 1e-2), 1 / math.sqrt(t))
      end
      local lr = (o.scale_parameter ~= false and math.max(eps2, rms(x)) or 1) * step
      local b2t = 1 - t ^ decay_rate
      local u = {}
      if rows then
        s.row, s.col = s.row or {}, s.col or {}
        for r = 1, rows do
          local sum = 0
          for c = 1, cols do sum = sum + g[(r - 1) * cols + c] ^ 2 + eps1 end
          s.row[r] = (s.row[r] or 0) * b2t + (1 - b2t) * sum / cols
        end
        for c = 1, cols do
          local sum = 0
          for r = 1, rows do sum = sum + g[(r - 1) * cols + c] ^ 2 + eps1 end
          s.col[c] = (s.col[c] or 0) * b2t + (1 - b2t) * sum / rows
        end
        local mean = 0
        for r = 1, rows do mean = mean + s.row[r] / rows end
        for r = 1, rows do
          for c = 1, cols do
            local i = (r - 1) * cols + c
            u[i] = (1 / math.sqrt(s.row[r] / mean)) * (1 / math.sqrt(s.col[c])) * g[i]
          end
        end
      else
        s.v = s.v or {}
        for i = 1, n do
          s.v[i] = (s.v[i] or 0) * b2t + (1 - b2t) * (g[i] ^ 2 + eps1)
          u[i] = g[i] / math.sqrt(s.v[i])
        end
      end
      local div = math.max(rms(u) / clip, 1)
      s.m = s.m or {}
      for i = 1, n do
        local ui = u[i] / div * lr
        if (o.beta1 or 0) > 0 then
          s.m[i] = (s.m[i] or 0) * o.beta1 + (1 - o.beta1) * ui
          ui = s.m[i]
        end
        x[i] = x[i] - (o.weight_decay or 0) * lr * x[i] - ui
      end
    end
  end
  local cases = {
    {},                                                                      -- HF's defaults: relative step
    {warmup_init = true, beta1 = 0.9, weight_decay = 0.1},
    {lr = 0.01, relative_step = false, scale_parameter = false, clip_threshold = 0.5, decay_rate = -0.5,
     eps = {1e-20, 1e-2}},
    {lr = 0.05, relative_step = false, beta1 = 0.5, weight_decay = 0.05},
  }
  it("follows HF's Adafactor, factored for a matrix and whole for a vector", function()
    for _, c in ipairs(cases) do
      for _, shape in ipairs{{2, 5}, {5, 2}, false} do
        local want = P.ref_trace(ref_for(c, shape and shape[1], shape and shape[2]), 12)
        P.same_trace(P.trace("adafactor", c, 12, "f64", nil, shape or nil), want, F64[1], F64[2])
        P.same_trace(P.trace("adafactor", c, 12, "f32", nil, shape or nil), want, F32[1], F32[2])
        P.resumes("adafactor", c, 9, 4, "f64", nil, shape or nil)
        P.resumes("adafactor", c, 9, 4, "f32", nil, shape or nil)
      end
    end
  end)

  it("keeps a matrix's second moment in rows + cols numbers, not rows * cols", function()
    local small = P.build("adafactor", {}, P.X0, "f64", {2, 5})
    local whole = P.build("adafactor", {}, P.X0, "f64")
    -- the saved state holds the row and column means (7 doubles) instead of v (10)
    assert.are.equal(3 * 8, #whole:save() - #small:save())
  end)

  it("checks HF's relations and the ranges", function()
    assert.has_error(function() P.build("adafactor", {warmup_init = true, relative_step = false}, {1}, "f64") end,
      "bad argument #1 to 'adafactor' (warmup_init requires relative_step)")
    assert.has_error(function() P.build("adafactor", {clip_threshold = 0}, {1}, "f64") end,
      "bad argument #1 to 'adafactor' (clip_threshold must be > 0, got 0)")
    assert.has_error(function() P.build("adafactor", {decay_rate = 0.5}, {1}, "f64") end,
      "bad argument #1 to 'adafactor' (decay_rate must be <= 0, got 0.5)")
  end)
end)
