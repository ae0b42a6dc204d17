-- lre.schedule.from_hf(name, args): Hugging Face transformers' schedulers
-- (optimization.py, SchedulerType names or the get_*_schedule* function
-- names) as lrengine trees, with HF's argument names. HF reads the peak rate
-- from the optimizer: give it as lr. The trees and why they are exact are in
-- doc/porting.md; the golden traces of modern.json check them.
local core = require "lrengine.core"
local A = require "lrengine.import_args"

local S = core.schedule
local F = "from_hf"

-- HF's warm-up: factor t / max(1, W) from 0 (or from start_factor with a
-- shape), its inner schedule starting after it.
local function warm(W, inner, extra)
  if W == 0 then return inner end
  local p = {inner, steps = W}
  for k, v in pairs(extra or {}) do p[k] = v end
  return S.warmup(p)
end

local COMMON = {"lr", "num_warmup_steps", "num_training_steps"}
local function known(...) return A.names(COMMON, ...) end

-- Each builder: known argument names and a function(args, num) -> tree,
-- num(key, default) reading a number argument.
local B = {}

B.constant = {known(), function(a, num) return S.constant{lr = num("lr")} end}

B.constant_with_warmup = {known(), function(a, num)
  return warm(num("num_warmup_steps", 0), S.constant{lr = num("lr")})
end}

-- max(0, (N - t) / max(1, N - W)) after the warm-up: a linear decay to 0 at N.
B.linear = {known(), function(a, num)
  local lr, W, N = num("lr"), num("num_warmup_steps", 0), num("num_training_steps")
  if N <= W then -- the decay has ended before it starts: 0 after the warm-up
    if W == 0 then return S.constant{lr = 0} end
    return S.sequence{S.warmup{S.constant{lr = lr}, steps = W}, S.constant{lr = 0}, milestones = {W}}
  end
  return warm(W, S.polynomial{lr = lr, total_iters = N - W, power = 1})
end}

-- 0.5 (1 + cos(2 pi num_cycles p)), p = (t - W) / max(1, N - W), not clamped:
-- a cosine of period max(1, N - W) / num_cycles, eta_min min_lr.
local function cosine_after(lr, W, N, cycles, eta_min)
  if cycles == 0 then return S.constant{lr = lr} end
  return S.cosine{lr = lr, t_max = math.max(1, N - W) / (2 * math.abs(cycles)), eta_min = eta_min or 0}
end

B.cosine = {known("num_cycles"), function(a, num)
  local W = num("num_warmup_steps", 0)
  return warm(W, cosine_after(num("lr"), W, num("num_training_steps"), num("num_cycles", 0.5)))
end}

-- Hard restarts: num_cycles cosines of max(1, N - W) / num_cycles steps each
-- from lr to 0, then 0 from N on.
B.cosine_with_restarts = {known("num_cycles"), function(a, num)
  local lr, W, N, c = num("lr"), num("num_warmup_steps", 0), num("num_training_steps"), num("num_cycles", 1)
  local M = math.max(1, N - W)
  local inner = c == 0 and S.constant{lr = lr} or S.cycles{lr = lr, t_0 = M / c}
  return warm(W, S.sequence{inner, S.constant{lr = 0}, milestones = {M}})
end}

-- ((L - E) (1 - (t - W) / (N - W))^power + E) after the warm-up, E past N.
B.polynomial = {known("lr_end", "power"), function(a, num)
  local lr, W, N, E = num("lr"), num("num_warmup_steps", 0), num("num_training_steps"), num("lr_end", 1e-7)
  if not (lr > E) then error(string.format("%s: 'polynomial': lr_end (%s) must be smaller than lr (%s)", F, E, lr), 0) end
  if N <= W then
    error(string.format("%s: 'polynomial': num_training_steps (%s) must exceed num_warmup_steps (%s)", F, N, W), 0)
  end
  return warm(W, S.polynomial{lr = lr, total_iters = N - W, power = num("power", 1), end_lr = E})
end}

-- 1 / sqrt((t + T - W) / T) after the warm-up; T defaults to W, or 10000.
B.inverse_sqrt = {known("timescale"), function(a, num)
  local W = num("num_warmup_steps", 0)
  local T = num("timescale")
  if T == nil then T = W ~= 0 and W or 10000 end
  return warm(W, S.inverse_sqrt{lr = num("lr"), timescale = T})
end}

-- torch.optim.lr_scheduler.ReduceLROnPlateau's arguments.
B.reduce_lr_on_plateau = {{"lr", "mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr",
                           "eps", "verbose"}, function(a, num)
  return S.plateau{lr = num("lr"), mode = a.mode, factor = num("factor"), patience = num("patience"),
                   threshold = num("threshold"), threshold_mode = a.threshold_mode, cooldown = num("cooldown"),
                   min_lr = num("min_lr"), eps = num("eps")}
end}

-- min_lr or min_lr_rate (one of them): the floor of the cosine.
local function min_rate(a, num, name)
  if a.min_lr ~= nil and a.min_lr_rate ~= nil then
    error(string.format("%s: '%s': only one of min_lr or min_lr_rate should be set", F, name), 0)
  end
  if a.min_lr ~= nil then return num("min_lr") end
  if a.min_lr_rate == nil then error(string.format("%s: '%s' needs min_lr or min_lr_rate", F, name), 0) end
  return num("min_lr_rate") * num("lr")
end

-- Warm-up from 0, then the cosine down to the floor, not clamped past N.
B.cosine_with_min_lr = {known("num_cycles", "min_lr", "min_lr_rate"), function(a, num)
  local lr, W = num("lr"), num("num_warmup_steps", 0)
  local eta_min = min_rate(a, num, "cosine_with_min_lr")
  return warm(W, cosine_after(lr, W, num("num_training_steps"), num("num_cycles", 0.5), eta_min))
end}

-- The same, counted one step later: the warm-up (t + 1) / max(1, W) reaches
-- the peak at step W - 1 (or runs from warmup_lr_rate over max(1, W - 1)
-- steps), and the cosine's progress is (t - W + 1) / max(1, N - W).
B.cosine_warmup_with_min_lr = {known("num_cycles", "min_lr", "min_lr_rate", "warmup_lr_rate"), function(a, num)
  local lr, W, N = num("lr"), num("num_warmup_steps", 0), num("num_training_steps")
  local eta_min = min_rate(a, num, "cosine_warmup_with_min_lr")
  local decay = S.shift{cosine_after(lr, W, N, num("num_cycles", 0.5), eta_min), offset = 1}
  if W == 0 then return decay end
  local up
  if a.warmup_lr_rate == nil then
    up = S.shift{S.warmup{S.constant{lr = lr}, steps = W}, offset = 1}
  else
    up = S.warmup{S.constant{lr = lr}, steps = math.max(1, W - 1), start_factor = num("warmup_lr_rate")}
  end
  return S.sequence{up, decay, milestones = {W}}
end}

local SHAPES = {linear = "linear", cosine = "cosine", ["1-sqrt"] = "sqrt"}
local function shape(a, key, default)
  local v = a[key] or default
  local s = SHAPES[v]
  if not s then
    error(string.format("%s: 'warmup_stable_decay': unknown %s '%s' (known: linear, cosine, 1-sqrt)", F, key,
                        tostring(v)), 0)
  end
  return s
end

-- Warm-up from min_lr_ratio by warmup_type, stable, decay by decay_type to
-- min_lr_ratio, then min_lr_ratio.
B.warmup_stable_decay = {known("num_decay_steps", "num_stable_steps", "warmup_type", "decay_type", "min_lr_ratio",
                               "num_cycles"), function(a, num)
  local lr, W, D = num("lr"), num("num_warmup_steps", 0), num("num_decay_steps")
  if D == nil then error(F .. ": 'warmup_stable_decay' needs num_decay_steps", 0) end
  local stable = num("num_stable_steps")
  if stable == nil then
    local N = num("num_training_steps")
    if N == nil then
      error(F .. ": 'warmup_stable_decay' needs num_training_steps or num_stable_steps", 0)
    end
    stable = N - W - D
    if stable < 0 then
      error(string.format("%s: 'warmup_stable_decay': num_training_steps (%s) is less than num_warmup_steps + " ..
                          "num_decay_steps (%s)", F, N, W + D), 0)
    end
  end
  local m = num("min_lr_ratio", 0)
  local inner = S.wsd{lr = lr, stable_steps = stable, decay_steps = D, decay = shape(a, "decay_type", "cosine"),
                      min_lr = m * lr, num_cycles = num("num_cycles", 0.5)}
  return warm(W, inner, {start_factor = m, mode = shape(a, "warmup_type", "linear")})
end}

-- The functions of optimization.py by their own names.
local ALIASES = {
  get_constant_schedule = "constant",
  get_constant_schedule_with_warmup = "constant_with_warmup",
  get_linear_schedule_with_warmup = "linear",
  get_cosine_schedule_with_warmup = "cosine",
  get_cosine_with_hard_restarts_schedule_with_warmup = "cosine_with_restarts",
  get_polynomial_decay_schedule_with_warmup = "polynomial",
  get_inverse_sqrt_schedule = "inverse_sqrt",
  get_reduce_on_plateau_schedule = "reduce_lr_on_plateau",
  get_cosine_with_min_lr_schedule_with_warmup = "cosine_with_min_lr",
  get_cosine_with_min_lr_schedule_with_warmup_lr_rate = "cosine_warmup_with_min_lr",
  get_wsd_schedule = "warmup_stable_decay",
}
local ALL = {}
for k, v in pairs(B) do ALL[k] = v end
for k, v in pairs(ALIASES) do ALL[k] = B[v] end

local NO_WARMUP = {constant = true, reduce_lr_on_plateau = true}
local NO_TOTAL = {constant = true, reduce_lr_on_plateau = true, constant_with_warmup = true, inverse_sqrt = true,
                  warmup_stable_decay = true}

local M = {builders = B, aliases = ALIASES}

-- from_hf(name, args): args holds HF's argument names and lr; TrainingArguments'
-- lr_scheduler_kwargs (a table) and learning_rate are accepted too.
function M.from_hf(name, args)
  local b = A.builder(F, "scheduler", ALL, name)
  local flat = {}
  if args ~= nil and type(args) ~= "table" then A.check(F, name, args, {}) end
  for k, v in pairs(args or {}) do
    if k == "lr_scheduler_kwargs" and type(v) == "table" then
      for k2, v2 in pairs(v) do flat[k2] = v2 end
    elseif k == "learning_rate" then
      flat.lr = v
    else
      flat[k] = v
    end
  end
  A.check(F, name, flat, b[1])
  if flat.lr == nil then error(string.format("%s: '%s' needs lr (HF takes it from the optimizer)", F, name), 0) end
  local function num(key, default) return A.number(F, name, flat, key, default) end
  -- get_scheduler: every scheduler but constant and plateau needs the
  -- warm-up's length, all but these and three more the run's
  local canon = ALIASES[name] or name
  if not NO_WARMUP[canon] then A.need(F, name, flat, "num_warmup_steps") end
  if not NO_TOTAL[canon] then A.need(F, name, flat, "num_training_steps") end
  return A.run(F, name, b[2], flat, num)
end

return M
