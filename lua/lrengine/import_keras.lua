-- lre.schedule.from_keras(class_name, config): Keras 3's
-- keras.optimizers.schedules classes by class name and their constructor
-- arguments (Keras' defaults where lrengine's kinds default otherwise), or a
-- serialized schedule {class_name = ..., config = {...}} (keras.saving's form).
local core = require "lrengine.core"
local A = require "lrengine.import_args"

local S = core.schedule
local F = "from_keras"

local B = {}
local REQUIRED

B.ExponentialDecay = {{"initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name"}, function(a, num)
  return S.exponential{lr = num("initial_learning_rate"), decay_steps = num("decay_steps"),
                       gamma = num("decay_rate"), staircase = a.staircase or false}
end}

B.InverseTimeDecay = {{"initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name"}, function(a, num)
  return S.inverse_time{lr = num("initial_learning_rate"), decay_steps = num("decay_steps"),
                        decay_rate = num("decay_rate"), staircase = a.staircase or false}
end}

B.PolynomialDecay = {{"initial_learning_rate", "decay_steps", "end_learning_rate", "power", "cycle", "name"},
                     function(a, num)
  return S.polynomial{lr = num("initial_learning_rate"), total_iters = num("decay_steps"),
                      end_lr = num("end_learning_rate", 0.0001), power = num("power", 1), cycle = a.cycle or false}
end}

B.PiecewiseConstantDecay = {{"boundaries", "values", "name"}, function(a)
  return S.piecewise{boundaries = A.need(F, "PiecewiseConstantDecay", a, "boundaries"),
                     values = A.need(F, "PiecewiseConstantDecay", a, "values")}
end}

-- alpha is a fraction of the peak; with warmup_target the peak is the target
-- and the warm-up runs linearly from initial_learning_rate to it first.
B.CosineDecay = {{"initial_learning_rate", "decay_steps", "alpha", "warmup_target", "warmup_steps", "name"},
                 function(a, num)
  local init, target = num("initial_learning_rate"), num("warmup_target")
  local peak = target or init
  local cosine = S.cosine{lr = peak, t_max = num("decay_steps"), eta_min = num("alpha", 0) * peak, hold = true}
  local W = num("warmup_steps", 0)
  if target == nil or W == 0 then return cosine end
  if peak == 0 then
    return S.sequence{S.linear{lr = 1, start_factor = init, end_factor = 0, total_iters = W}, cosine, milestones = {W}}
  end
  return S.warmup{cosine, steps = W, start_factor = init / peak}
end}

B.CosineDecayRestarts = {{"initial_learning_rate", "first_decay_steps", "t_mul", "m_mul", "alpha", "name"},
                         function(a, num)
  local lr = num("initial_learning_rate")
  return S.cosine_restarts{lr = lr, t_0 = num("first_decay_steps"), t_mult = num("t_mul", 2), m_mul = num("m_mul", 1),
                           eta_min = num("alpha", 0) * lr}
end}

-- The arguments Keras requires (no default).
REQUIRED = {
  ExponentialDecay = {"initial_learning_rate", "decay_steps", "decay_rate"},
  InverseTimeDecay = {"initial_learning_rate", "decay_steps", "decay_rate"},
  PolynomialDecay = {"initial_learning_rate", "decay_steps"},
  PiecewiseConstantDecay = {"boundaries", "values"},
  CosineDecay = {"initial_learning_rate", "decay_steps"},
  CosineDecayRestarts = {"initial_learning_rate", "first_decay_steps"},
}

local M = {builders = B}

function M.from_keras(name, config)
  if type(name) == "table" and config == nil then -- {class_name = ..., config = {...}}
    name, config = name.class_name, name.config
  end
  local b = A.builder(F, "schedule class", B, name)
  local a = A.check(F, name, config, b[1])
  local function num(key, default) return A.number(F, name, a, key, default) end
  for _, k in ipairs(REQUIRED[name] or {}) do A.need(F, name, a, k) end
  return A.run(F, name, b[2], a, num)
end

return M
