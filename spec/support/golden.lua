-- Builds lrengine schedules and optimizers from the reference cases of
-- spec/fixtures/golden (format: spec/fixtures/golden/README.md), mapping
-- PyTorch's and Keras' class names and parameters onto lrengine's.
local lre = require "lrengine"

local M = {}

local S = lre.schedule

-- PyTorch schedulers: the rate is base_lr times the scheduler's factor.
local pytorch = {}
function pytorch.StepLR(p, base) return S.step{lr = base, step_size = p.step_size, gamma = p.gamma} end
function pytorch.MultiStepLR(p, base) return S.multistep{lr = base, milestones = p.milestones, gamma = p.gamma} end
function pytorch.ConstantLR(p, base)
  return S.constant{lr = base, factor = p.factor, total_iters = p.total_iters}
end
function pytorch.LinearLR(p, base)
  return S.linear{lr = base, start_factor = p.start_factor, end_factor = p.end_factor, total_iters = p.total_iters}
end
function pytorch.ExponentialLR(p, base) return S.exponential{lr = base, gamma = p.gamma} end
function pytorch.MultiplicativeLR(p, base) return S.exponential{lr = base, gamma = p.factor} end
function pytorch.PolynomialLR(p, base) return S.polynomial{lr = base, total_iters = p.total_iters, power = p.power} end
function pytorch.CosineAnnealingLR(p, base) return S.cosine{lr = base, t_max = p.T_max, eta_min = p.eta_min} end
function pytorch.CosineAnnealingWarmRestarts(p, base)
  return S.cosine_restarts{lr = base, t_0 = p.T_0, t_mult = p.T_mult, eta_min = p.eta_min}
end
function pytorch.CyclicLR(p)
  return S.cyclic{base_lr = p.base_lr, max_lr = p.max_lr, step_size_up = p.step_size_up,
                  step_size_down = p.step_size_down, mode = p.mode, gamma = p.gamma}
end
local function one_cycle_params(p)
  return {max_lr = p.max_lr, total_steps = p.total_steps, pct_start = p.pct_start,
          anneal_strategy = p.anneal_strategy, div_factor = p.div_factor,
          final_div_factor = p.final_div_factor, three_phase = p.three_phase,
          base_momentum = p.base_momentum, max_momentum = p.max_momentum}
end
function pytorch.OneCycleLR(p) return S.one_cycle(one_cycle_params(p)) end
function pytorch.SequentialLR(p, base)
  local parts = {}
  for i, sub in ipairs(p.schedulers) do parts[i] = M.pytorch_schedule(sub.kind, sub.params, base) end
  parts.milestones = p.milestones
  return S.sequence(parts)
end
-- ChainedScheduler multiplies its schedulers' factors into one rate.
function pytorch.ChainedScheduler(p, base)
  local parts = {}
  for i, sub in ipairs(p.schedulers) do parts[i] = M.pytorch_schedule(sub.kind, sub.params, i == 1 and base or 1) end
  return S.product(parts)
end
function pytorch.ReduceLROnPlateau(p, base)
  return S.plateau{lr = base, mode = p.mode, factor = p.factor, patience = p.patience, threshold = p.threshold,
                   threshold_mode = p.threshold_mode, cooldown = p.cooldown, min_lr = p.min_lr, eps = p.eps}
end

-- Keras LearningRateSchedules: absolute rates; alpha is a fraction of the rate.
local keras = {}
function keras.ExponentialDecay(p)
  return S.exponential{lr = p.initial_learning_rate, gamma = p.decay_rate, decay_steps = p.decay_steps,
                       staircase = p.staircase}
end
function keras.InverseTimeDecay(p)
  return S.inverse_time{lr = p.initial_learning_rate, decay_rate = p.decay_rate, decay_steps = p.decay_steps,
                        staircase = p.staircase}
end
function keras.PolynomialDecay(p)
  return S.polynomial{lr = p.initial_learning_rate, total_iters = p.decay_steps, power = p.power,
                      end_lr = p.end_learning_rate, cycle = p.cycle}
end
function keras.PiecewiseConstantDecay(p) return S.piecewise{boundaries = p.boundaries, values = p.values} end
function keras.CosineDecay(p)
  local peak = p.warmup_target or p.initial_learning_rate
  local cosine = S.cosine{lr = peak, t_max = p.decay_steps, eta_min = (p.alpha or 0) * peak, hold = true}
  if not p.warmup_target then return cosine end
  return S.warmup{cosine, steps = p.warmup_steps, start_factor = p.initial_learning_rate / peak}
end
function keras.CosineDecayRestarts(p)
  return S.cosine_restarts{lr = p.initial_learning_rate, t_0 = p.first_decay_steps, t_mult = p.t_mul,
                           m_mul = p.m_mul, eta_min = (p.alpha or 0) * p.initial_learning_rate}
end

function M.pytorch_schedule(kind, params, base)
  local make = pytorch[kind]
  if not make then error("no lrengine mapping for PyTorch scheduler " .. tostring(kind)) end
  return make(params, base)
end

-- The schedule of a schedules.json case.
function M.schedule(case)
  if case.family == "pytorch" then return M.pytorch_schedule(case.kind, case.params, case.base_lr) end
  if case.family == "keras" then
    local make = keras[case.kind]
    if not make then error("no lrengine mapping for Keras schedule " .. tostring(case.kind)) end
    return make(case.params)
  end
  error("unknown family " .. tostring(case.family))
end

-- The curve the case describes: lr[t] for every t; plateau cases observe
-- metrics[i] between steps i and i+1.
function M.curve(case)
  local s = M.schedule(case)
  local got = {}
  if case.metrics then
    got[1] = s:at(0)
    for i, m in ipairs(case.metrics) do
      s:observe(m, i)
      got[i + 1] = s:at(i)
    end
  else
    got = s:curve(#case.lr)
  end
  return got
end

function M.momentum_curve(case)
  assert(case.kind == "OneCycleLR", "momentum traces are for OneCycleLR")
  return S.one_cycle_momentum(one_cycle_params(case.params)):curve(#case.momentum)
end

-- An optimizer for an optimizers.json case over fresh tensors of dtype.
function M.optimizer(case, dtype)
  local make = lre.optim[string.lower(case.optimizer)]
  if not make then error("no lrengine optimizer for " .. tostring(case.optimizer)) end
  local params, grads = lre.tensor(case.x0, dtype), lre.tensor(#case.x0, dtype)
  local args = {params = params, grads = grads}
  for k, v in pairs(case.params) do args[k] = v end
  if case.schedule then
    args.lr = M.pytorch_schedule(case.schedule.kind, case.schedule.params, case.params.lr)
  end
  return make(args), params, grads
end

function M.load(dir, file)
  local json = require "dkjson"
  local f = assert(io.open(dir .. "/" .. file, "rb"))
  local text = f:read("a")
  f:close()
  local doc, _, err = json.decode(text)
  assert(doc, err)
  return doc
end

-- |got - want| <= atol + rtol * |want|, or a message naming the first miss.
function M.close(got, want, atol, rtol, what)
  for i = 1, #want do
    local g, w = got[i], want[i]
    if type(g) ~= "number" or not (math.abs(g - w) <= atol + rtol * math.abs(w)) then
      return false, string.format("%s[%d]: got %s, want %.17g", what, i - 1, tostring(g), w)
    end
  end
  if #got ~= #want then return false, string.format("%s: %d values, want %d", what, #got, #want) end
  return true
end

return M
