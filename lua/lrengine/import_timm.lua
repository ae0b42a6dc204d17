-- lre.schedule.from_timm(sched, args): timm's schedulers. sched is either
-- create_scheduler_v2's `sched` ("cosine", "tanh", "poly", "step",
-- "multistep", "plateau") with its arguments (num_epochs, warmup_epochs,
-- warmup_lr, warmup_prefix, cycle_mul, cycle_decay, cycle_limit, k_decay,
-- noise, step_on_epochs, updates_per_epoch, ...), or a scheduler class
-- ("CosineLRScheduler", ...) with the class's arguments (t_initial, warmup_t,
-- warmup_lr_init, lr_min, ...). The optimizer's rate is lr. Returns the
-- schedule and, for the cycle schedulers given by `sched`, the run's length
-- create_scheduler_v2 returns (cycles, warm-up prefix and cooldown counted).
local core = require "lrengine.core"
local A = require "lrengine.import_args"

local S = core.schedule
local F = "from_timm"

-- timm's warm-up: warmup_lr_init + t (lr - warmup_lr_init) / warmup_t, then
-- main at t - warmup_t (warmup_prefix) or at t.
local function with_warmup(lr, c, main)
  local W = c.warmup_t
  if W <= 0 then return main end
  if not (lr > 0) then error(F .. ": a warm-up needs lr > 0", 0) end
  local up = S.warmup{S.constant{lr = lr}, steps = W, start_factor = c.warmup_lr_init / lr}
  if not c.warmup_prefix then main = S.shift{main, offset = W} end
  return S.sequence{up, main, milestones = {W}}
end

-- timm's noise (noise_range_t: [start, end) or from start on) as lrengine's
-- noise node: the same distribution (a standard normal redrawn until |z| <
-- noise_pct, timm ignoring noise_std; or uniform within +-noise_pct), its own
-- random stream.
local function with_noise(s, c)
  local range = c.noise_range_t
  if range == nil then return s end
  local lo, hi
  if type(range) == "table" then lo, hi = range[1], range[2] else lo = range end
  local normal = c.noise_type == "normal"
  local noisy = S.noise{s, amplitude = normal and 1 or c.noise_pct, limit = normal and c.noise_pct or nil,
                        distribution = normal and "normal" or "uniform", seed = c.noise_seed}
  local parts, milestones = {s, S.shift{noisy, offset = lo}}, {lo}
  if hi then
    parts[3] = S.shift{s, offset = hi}
    milestones[2] = hi
  end
  parts.milestones = milestones
  return S.sequence(parts)
end

local function cycles(lr, c, shape, extra)
  local p = {lr = lr, t_0 = c.t_initial, t_mult = c.cycle_mul, eta_min = c.lr_min, cycle_decay = c.cycle_decay,
             cycle_limit = c.cycle_limit, k_decay = c.k_decay, shape = shape}
  for k, v in pairs(extra or {}) do p[k] = v end
  return S.cycles(p)
end

-- The class builders: c holds the class's arguments with timm's defaults.
local CLASS = {}
CLASS.CosineLRScheduler = function(lr, c) return cycles(lr, c, "cosine") end
CLASS.TanhLRScheduler = function(lr, c) return cycles(lr, c, "tanh", {lb = c.lb, ub = c.ub}) end
CLASS.PolyLRScheduler = function(lr, c) return cycles(lr, c, "poly", {power = c.power}) end
CLASS.StepLRScheduler = function(lr, c) return S.step{lr = lr, step_size = c.decay_t, gamma = c.decay_rate} end
CLASS.MultiStepLRScheduler = function(lr, c)
  local m = type(c.decay_t) == "table" and c.decay_t or {c.decay_t}
  return S.multistep{lr = lr, milestones = m, gamma = c.decay_rate}
end
-- WSDLRScheduler: after the (always prefixed) warm-up, lr_min + (stable -
-- lr_min) * decay(frac) over the last decay_t of t_initial steps. A
-- constant stable phase is the wsd kind; a decaying one (rsqrt, power) is
-- stable * d + lr_min * (1 - d): sum{product{max{inverse_sqrt, lr_min}, d},
-- d's complement}, each d a wsd factor.
local WSD_SHAPES = {linear = "linear", ["1-sqrt"] = "sqrt", cosine = "cosine", power = "power", exp = "exp"}
local function wsd_shape(c)
  local shape = WSD_SHAPES[c.decay_fn]
  if not shape then
    error(string.format("decay_fn '%s' is not one of linear, 1-sqrt, cosine, power, exp (a Python callable is not "
                        .. "expressible)", tostring(c.decay_fn)), 0)
  end
  return shape
end
CLASS.WSDLRScheduler = function(lr, c)
  local T, D = c.t_initial, c.decay_t
  if not (T > 0) or not (D > 0 and D <= T) then
    error(string.format("decay_t (%s) must be in (0, t_initial = %s]", tostring(D), tostring(T)), 0)
  end
  local function decay(from, to)
    return S.wsd{lr = from, stable_steps = T - D, decay_steps = D, decay = wsd_shape(c), min_lr = to,
                 decay_power = c.decay_power, decay_ratio = c.decay_ratio}
  end
  if c.stable_fn == "constant" then return decay(math.max(lr, c.lr_min), c.lr_min) end
  if c.stable_fn ~= "rsqrt" and c.stable_fn ~= "power" then
    error(string.format("stable_fn '%s' is not one of constant, rsqrt, power", tostring(c.stable_fn)), 0)
  end
  local ts = c.stable_timescale or c.warmup_t
  if not (ts > 0) then error("stable_fn " .. c.stable_fn .. " needs a positive stable_timescale", 0) end
  local stable = S.inverse_sqrt{lr = lr, timescale = ts, power = c.stable_fn == "rsqrt" and 0.5 or c.stable_power}
  if c.lr_min == 0 then return S.product{stable, decay(1, 0)} end
  return S.sum{S.product{S.max{stable, S.constant{lr = c.lr_min}}, decay(1, 0)}, decay(0, c.lr_min)}
end
CLASS.PlateauLRScheduler = function(lr, c)
  return S.plateau{lr = lr, factor = c.decay_rate, patience = c.patience_t, threshold = c.threshold,
                   cooldown = c.cooldown_t, min_lr = c.lr_min, mode = c.mode}
end

local COMMON = {"lr", "warmup_t", "warmup_lr_init", "warmup_prefix", "t_in_epochs", "noise_range_t", "noise_type",
                "noise_pct", "noise_std", "noise_seed", "initialize"}
local CYCLE = {"t_initial", "lr_min", "cycle_mul", "cycle_decay", "cycle_limit"}
local function list(a, b, c) return A.names(A.names(a, table.unpack(b)), table.unpack(c or {})) end
local CLASS_ARGS = {
  CosineLRScheduler = list(COMMON, CYCLE, {"k_decay"}),
  TanhLRScheduler = list(COMMON, CYCLE, {"lb", "ub"}),
  PolyLRScheduler = list(COMMON, CYCLE, {"power", "k_decay"}),
  StepLRScheduler = list(COMMON, {"decay_t", "decay_rate"}),
  MultiStepLRScheduler = list(COMMON, {"decay_t", "decay_rate"}),
  PlateauLRScheduler = list(COMMON, {"decay_rate", "patience_t", "verbose", "threshold", "cooldown_t", "mode",
                                     "lr_min"}),
  WSDLRScheduler = list(COMMON, {"t_initial", "decay_t", "lr_min", "stable_fn", "stable_timescale", "stable_power",
                                 "decay_fn", "decay_power", "decay_ratio"}),
}
local CLASS_DEFAULTS = {warmup_t = 0, warmup_lr_init = 0, warmup_prefix = false, noise_pct = 0.67, noise_std = 1,
                        noise_seed = 42, noise_type = "normal", lr_min = 0, cycle_mul = 1, cycle_decay = 1,
                        cycle_limit = 1, k_decay = 1, lb = -7, ub = 3, power = 0.5, decay_rate = 0.1,
                        patience_t = 10, threshold = 1e-4, cooldown_t = 0, mode = "max", stable_fn = "constant",
                        stable_power = 0.5, decay_fn = "1-sqrt", decay_power = 0.5, decay_ratio = 0.1}
local REQUIRED = {CosineLRScheduler = "t_initial", TanhLRScheduler = "t_initial", PolyLRScheduler = "t_initial",
                  StepLRScheduler = "decay_t", MultiStepLRScheduler = "decay_t", WSDLRScheduler = "decay_t"}

local function from_class(name, a)
  A.check(F, name, a, CLASS_ARGS[name])
  if a.lr == nil then error(string.format("%s: '%s' needs lr (timm takes it from the optimizer)", F, name), 0) end
  if REQUIRED[name] then A.need(F, name, a, REQUIRED[name]) end
  local c = {}
  for k, v in pairs(CLASS_DEFAULTS) do c[k] = v end
  for k, v in pairs(a) do c[k] = v end
  local lr = tonumber(c.lr)
  if name == "WSDLRScheduler" then c.warmup_prefix = true end -- always a prefix there
  return with_noise(with_warmup(lr, c, CLASS[name](lr, c)), c)
end

-- create_scheduler_v2's arguments and defaults.
local V2 = {lr = false, num_epochs = 300, decay_epochs = false, decay_fn = false, stable_timescale = false, decay_milestones = {90, 180, 270}, cooldown_epochs = 0,
            patience_epochs = 10, decay_rate = 0.1, min_lr = 0, warmup_lr = 1e-5, warmup_epochs = 0,
            warmup_prefix = false, noise = false, noise_pct = 0.67, noise_std = 1, noise_seed = 42, cycle_mul = 1,
            cycle_decay = 0.1, cycle_limit = 1, k_decay = 1, plateau_mode = "max", step_on_epochs = true,
            updates_per_epoch = 0, sched = false}
local V2_NAMES = {}
for k in pairs(V2) do V2_NAMES[#V2_NAMES + 1] = k end
local SCHEDS = {cosine = "CosineLRScheduler", tanh = "TanhLRScheduler", poly = "PolyLRScheduler",
                step = "StepLRScheduler", multistep = "MultiStepLRScheduler", plateau = "PlateauLRScheduler",
                wsd = "WSDLRScheduler", rsqrt = "WSDLRScheduler"}

-- timm's get_cycle_length: the cycles' steps (plus the warm-up with a prefix).
local function cycle_length(c)
  local n = math.max(1, c.cycle_limit)
  local t
  if c.cycle_mul == 1 then t = c.t_initial * n
  else t = math.floor(-c.t_initial * (c.cycle_mul ^ n - 1) / (1 - c.cycle_mul)) end
  return c.warmup_prefix and t + c.warmup_t or t
end

local function from_v2(sched, a)
  A.check(F, sched, a, V2_NAMES)
  local v = {}
  for k, d in pairs(V2) do v[k] = d end
  for k, x in pairs(a) do v[k] = x end
  if not v.lr then error(string.format("%s: '%s' needs lr (timm takes it from the optimizer)", F, sched), 0) end
  if not v.decay_epochs then -- wsd / rsqrt: the last 20% of the stable + decay length; step: every 90
    v.decay_epochs = (sched == "wsd" or sched == "rsqrt") and 0.2 or 90
  end
  local t_initial, warmup_t, decay_t, cooldown_t = v.num_epochs, v.warmup_epochs, v.decay_epochs, v.cooldown_epochs
  local timescale = v.stable_timescale or nil
  local milestones = {}
  for i, m in ipairs(v.decay_milestones) do milestones[i] = m end
  if not v.step_on_epochs then
    local u = v.updates_per_epoch
    if not (u > 0) then error(F .. ": step_on_epochs = false needs updates_per_epoch > 0", 0) end
    t_initial, warmup_t, decay_t, cooldown_t = t_initial * u, warmup_t * u, decay_t * u, cooldown_t * u
    if timescale then timescale = timescale * u end
    for i, m in ipairs(milestones) do milestones[i] = m * u end
  end
  local noise_range
  if v.noise then
    if type(v.noise) == "table" then
      noise_range = {}
      for i, n in ipairs(v.noise) do noise_range[i] = n * t_initial end
      if #noise_range == 1 then noise_range = noise_range[1] end
    else
      noise_range = v.noise * t_initial
    end
  end
  local c = {lr = v.lr, warmup_lr_init = v.warmup_lr, warmup_t = warmup_t, warmup_prefix = v.warmup_prefix,
             noise_range_t = noise_range, noise_pct = v.noise_pct, noise_std = v.noise_std, noise_seed = v.noise_seed}
  local class = SCHEDS[sched]
  if class == "CosineLRScheduler" or class == "TanhLRScheduler" or class == "PolyLRScheduler" then
    c.t_initial, c.lr_min, c.cycle_mul, c.cycle_decay, c.cycle_limit = t_initial, v.min_lr, v.cycle_mul,
                                                                      v.cycle_decay, v.cycle_limit
    if class ~= "TanhLRScheduler" then c.k_decay = v.k_decay end
    if class == "PolyLRScheduler" then c.power = v.decay_rate end -- timm overloads decay_rate as the power
  elseif class == "WSDLRScheduler" then
    -- the stable + decay phases fit in num_epochs unless the warm-up is a prefix
    local t_sched = v.warmup_prefix and t_initial or t_initial - warmup_t
    if v.decay_epochs > 0 and v.decay_epochs < 1 then decay_t = v.decay_epochs * t_sched end
    local f = math.floor(decay_t) -- Python's round(): halves to even
    if decay_t - f > 0.5 or (decay_t - f == 0.5 and f % 2 == 1) then f = f + 1 end
    decay_t = f
    c.t_initial, c.decay_t, c.lr_min = t_sched, decay_t, v.min_lr
    c.stable_fn = sched == "rsqrt" and "rsqrt" or "constant"
    c.stable_timescale = timescale
    c.decay_fn = v.decay_fn or (sched == "rsqrt" and "linear" or "1-sqrt")
    local s = from_class(class, c)
    local len = warmup_t + t_sched + cooldown_t
    if not v.step_on_epochs then len = len // v.updates_per_epoch end
    return s, len
  elseif class == "StepLRScheduler" then
    c.decay_t, c.decay_rate = decay_t, v.decay_rate
  elseif class == "MultiStepLRScheduler" then
    c.decay_t, c.decay_rate = milestones, v.decay_rate
  else
    if not v.step_on_epochs then error(F .. ": 'plateau' steps on epochs only", 0) end
    c.decay_rate, c.patience_t, c.cooldown_t, c.lr_min, c.mode = v.decay_rate, v.patience_epochs, 0, v.min_lr,
                                                                v.plateau_mode
  end
  local s = from_class(class, c)
  if c.t_initial then
    local len = cycle_length({t_initial = c.t_initial, cycle_mul = c.cycle_mul, cycle_limit = c.cycle_limit,
                              warmup_prefix = c.warmup_prefix, warmup_t = warmup_t}) + cooldown_t
    if not v.step_on_epochs then len = len // v.updates_per_epoch end
    return s, len
  end
  return s, v.warmup_prefix and v.num_epochs + v.warmup_epochs or v.num_epochs
end

local ALL = {}
for k in pairs(SCHEDS) do ALL[k] = true end
for k in pairs(CLASS) do ALL[k] = true end

local M = {}

-- from_timm(sched_or_class, args), or from_timm{sched = ..., ...} as
-- create_scheduler_v2's keyword arguments.
function M.from_timm(name, args)
  if type(name) == "table" and args == nil then
    args = {}
    for k, v in pairs(name) do if k ~= "sched" then args[k] = v end end
    name = name.sched or "cosine"
  end
  A.builder(F, "scheduler", ALL, name)
  if args ~= nil and type(args) ~= "table" then A.check(F, name, args, {}) end
  local a = {}
  for k, v in pairs(args or {}) do a[k] = type(v) == "string" and tonumber(v) or v end
  return A.run(F, name, SCHEDS[name] and from_v2 or from_class, name, a)
end

return M
