-- lre.schedule.from_pytorch(class_name, args): torch.optim.lr_scheduler's
-- classes (PyTorch 1.13) and torch.optim.swa_utils.SWALR by class name, with
-- their constructor arguments and defaults; the optimizer's rate is lr.
-- CyclicLR and OneCycleLR with cycle_momentum (their default) return the
-- momentum schedule second. SequentialLR and ChainedScheduler take their
-- schedulers as trees, {name, args} pairs or {kind = ..., params = ...}.
local core = require "lrengine.core"
local A = require "lrengine.import_args"

local S = core.schedule
local F = "from_pytorch"
local M = {}

local COMMON = {"lr", "last_epoch", "verbose"}
local function known(...) return A.names(COMMON, ...) end

local B = {}
B.StepLR = {known("step_size", "gamma"), function(a, num)
  return S.step{lr = num("lr"), step_size = num("step_size"), gamma = num("gamma", 0.1)}
end}
B.MultiStepLR = {known("milestones", "gamma"), function(a, num)
  return S.multistep{lr = num("lr"), milestones = A.need(F, "MultiStepLR", a, "milestones"), gamma = num("gamma", 0.1)}
end}
B.ConstantLR = {known("factor", "total_iters"), function(a, num)
  return S.constant{lr = num("lr"), factor = num("factor", 1 / 3), total_iters = num("total_iters", 5)}
end}
B.LinearLR = {known("start_factor", "end_factor", "total_iters"), function(a, num)
  return S.linear{lr = num("lr"), start_factor = num("start_factor", 1 / 3), end_factor = num("end_factor", 1),
                  total_iters = num("total_iters", 5)}
end}
B.ExponentialLR = {known("gamma"), function(a, num) return S.exponential{lr = num("lr"), gamma = num("gamma")} end}
-- A constant factor (the lambda's value): lr * factor^t.
B.MultiplicativeLR = {known("factor"), function(a, num)
  return S.exponential{lr = num("lr"), gamma = num("factor")}
end}
B.PolynomialLR = {known("total_iters", "power"), function(a, num)
  return S.polynomial{lr = num("lr"), total_iters = num("total_iters", 5), power = num("power", 1)}
end}
B.CosineAnnealingLR = {known("T_max", "eta_min"), function(a, num)
  return S.cosine{lr = num("lr"), t_max = num("T_max"), eta_min = num("eta_min", 0)}
end}
B.CosineAnnealingWarmRestarts = {known("T_0", "T_mult", "eta_min"), function(a, num)
  return S.cosine_restarts{lr = num("lr"), t_0 = num("T_0"), t_mult = num("T_mult", 1), eta_min = num("eta_min", 0)}
end}
B.CyclicLR = {known("base_lr", "max_lr", "step_size_up", "step_size_down", "mode", "gamma", "scale_mode",
                    "cycle_momentum", "base_momentum", "max_momentum"), function(a, num)
  local shape = {step_size_up = num("step_size_up", 2000), step_size_down = num("step_size_down"),
                 mode = a.mode or "triangular", gamma = num("gamma", 1)}
  local p = {base_lr = num("base_lr"), max_lr = num("max_lr")}
  for k, v in pairs(shape) do p[k] = v end
  local lr = S.cyclic(p)
  if a.cycle_momentum == false then return lr end
  local m = {base_momentum = num("base_momentum", 0.8), max_momentum = num("max_momentum", 0.9)}
  for k, v in pairs(shape) do m[k] = v end
  return lr, S.cyclic_momentum(m)
end}
B.OneCycleLR = {known("max_lr", "total_steps", "epochs", "steps_per_epoch", "pct_start", "anneal_strategy",
                      "cycle_momentum", "base_momentum", "max_momentum", "div_factor", "final_div_factor",
                      "three_phase"), function(a, num)
  local total = num("total_steps")
  if total == nil then
    local e, s = num("epochs"), num("steps_per_epoch")
    if e == nil or s == nil then
      error(F .. ": 'OneCycleLR' needs total_steps, or epochs and steps_per_epoch", 0)
    end
    total = e * s
  end
  local p = {max_lr = num("max_lr"), total_steps = total, pct_start = num("pct_start", 0.3),
             anneal_strategy = a.anneal_strategy or "cos", div_factor = num("div_factor", 25),
             final_div_factor = num("final_div_factor", 1e4), three_phase = a.three_phase or false,
             base_momentum = num("base_momentum", 0.85), max_momentum = num("max_momentum", 0.95)}
  if a.cycle_momentum == false then return S.one_cycle(p) end
  return S.one_cycle(p), S.one_cycle_momentum(p)
end}
B.ReduceLROnPlateau = {known("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr", "eps"),
                       function(a, num)
  return S.plateau{lr = num("lr"), mode = a.mode, factor = num("factor"), patience = num("patience"),
                   threshold = num("threshold"), threshold_mode = a.threshold_mode, cooldown = num("cooldown"),
                   min_lr = num("min_lr"), eps = num("eps")}
end}
B.SWALR = {known("swa_lr", "anneal_epochs", "anneal_strategy"), function(a, num)
  return S.swa{lr = num("lr"), swa_lr = num("swa_lr"), anneal_steps = num("anneal_epochs", 10),
               anneal = a.anneal_strategy or "cos"}
end}

-- A sub-scheduler: a tree, {name, args} or {kind = ..., params = ...}, at rate lr.
local function sub(v, lr)
  if type(v) == "userdata" then return v end
  if type(v) == "table" then
    local name, args = v[1] or v.kind, v[2] or v.params
    if type(name) == "string" then
      local t = {}
      for k, x in pairs(args or {}) do t[k] = x end
      if t.lr == nil then t.lr = lr end
      return (M.from_pytorch(name, t))
    end
  end
  error(F .. ": a scheduler must be a schedule, a {name, args} pair or {kind = ..., params = ...}", 0)
end

-- Each from its own step 0 at its milestone.
B.SequentialLR = {known("schedulers", "milestones"), function(a, num)
  local parts = {}
  for i, v in ipairs(A.need(F, "SequentialLR", a, "schedulers")) do parts[i] = sub(v, num("lr")) end
  parts.milestones = A.need(F, "SequentialLR", a, "milestones")
  return S.sequence(parts)
end}
-- The factors multiply: the first scheduler at lr, the others at 1.
B.ChainedScheduler = {known("schedulers"), function(a, num)
  local parts = {}
  for i, v in ipairs(A.need(F, "ChainedScheduler", a, "schedulers")) do parts[i] = sub(v, i == 1 and num("lr") or 1) end
  return S.product(parts)
end}

M.builders = B

local NO_LR = {CyclicLR = true, OneCycleLR = true}

function M.from_pytorch(name, args)
  local b = A.builder(F, "scheduler", B, name)
  local a = A.check(F, name, args, b[1])
  if a.last_epoch ~= nil and tonumber(a.last_epoch) ~= -1 then
    error(F .. ": last_epoch other than -1: resume from the saved schedule state instead", 0)
  end
  if a.lr == nil and not NO_LR[name] then
    error(string.format("%s: '%s' needs lr (PyTorch takes it from the optimizer)", F, name), 0)
  end
  local function num(key, default) return A.number(F, name, a, key, default) end
  return A.run(F, name, b[2], a, num)
end

return M
