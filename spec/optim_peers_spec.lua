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
  local kinds = {"sgd", "adam", "adagrad", "rmsprop", "adadelta", "adamax", "nadam", "radam", "rprop", "asgd"}

  it("decays as Keras 3 does: test_weight_decay's 2 -> 1.9760959 after three steps at lr 1, wd 0.004", function()
    -- keras/src/optimizers/*_test.py test_weight_decay: var1 goes through three optimizers
    -- with zero gradients; each applies param -= lr * weight_decay * param once
    for _, kind in ipairs(kinds) do
      for _, dtype in ipairs{"f64", "f32"} do
        local args = {lr = 1, weight_decay = 0.004, decoupled_weight_decay = true}
        if kind == "asgd" then args.lambd = 0 end -- ASGD's own shrinking is not weight decay
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
      local a, pa, ga = P.build(kind, {lr = lr, weight_decay = 0.1, decoupled_weight_decay = true}, P.X0, "f64")
      local b, pb, gb = P.build(kind, {lr = lre.schedule.step{lr = 0.05, step_size = 2, gamma = 0.5}}, P.X0, "f64")
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
        P.resumes(kind, {lr = 0.01, weight_decay = 0.2, decoupled_weight_decay = true}, 8, 3, dtype)
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

