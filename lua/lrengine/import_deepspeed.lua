-- lre.schedule.from_deepspeed(config): DeepSpeed's schedulers
-- (deepspeed/runtime/lr_schedules.py) from the "scheduler" object of a
-- ds_config JSON ({type = "WarmupLR", params = {...}}) or as
-- from_deepspeed(type, params). DeepSpeed steps its scheduler after each
-- optimizer step: step t uses last_batch_iteration t - 1, and step 0 the rate
-- the scheduler's constructor set (warmup_min_lr for WarmupLR and
-- WarmupDecayLR, 0 for WarmupCosineLR, cycle_min_lr for OneCycle). OneCycle
-- with cycle_momentum returns the momentum schedule (betas[1]) second.
local core = require "lrengine.core"
local A = require "lrengine.import_args"

local S = core.schedule
local F = "from_deepspeed"

-- The warm-up of WarmupLR over last_batch_iteration b: min + (max - min) *
-- gamma(b), gamma log(b + 1) / log(W) or b / W, W = max(2, warmup_num_steps).
local function warm(lo, hi, W, kind, inner)
  if kind ~= "log" and kind ~= "linear" then
    error(string.format("%s: warmup_type must be 'log' or 'linear', got %s", F, tostring(kind)), 0)
  end
  if hi <= 0 then error(string.format("%s: warmup_max_lr must be > 0, got %s", F, hi), 0) end
  return S.warmup{inner, steps = W, start_factor = lo / hi, mode = kind}
end

local WARM = {"warmup_min_lr", "warmup_max_lr", "warmup_num_steps", "warmup_type", "last_batch_iteration"}

local B = {}

B.WarmupLR = {WARM, function(a, num)
  local lo, hi = num("warmup_min_lr", 0), num("warmup_max_lr", 0.001)
  local W = math.max(2, num("warmup_num_steps", 1000))
  return S.shift{warm(lo, hi, W, a.warmup_type or "log", S.constant{lr = hi}), offset = -1}
end}

-- After the warm-up: min + (max - min) * max(0, (T - b) / max(1, T - W)).
B.WarmupDecayLR = {{"total_num_steps", table.unpack(WARM)}, function(a, num)
  local lo, hi = num("warmup_min_lr", 0), num("warmup_max_lr", 0.001)
  local W, T = math.max(2, num("warmup_num_steps", 1000)), A.need(F, "WarmupDecayLR", a, "total_num_steps")
  T = tonumber(T)
  local decay
  if T - W >= 1 then
    decay = S.polynomial{lr = hi, end_lr = lo, power = 1, total_iters = T - W}
  else -- max(1, T - W) = 1: min + delta * max(0, T - b), already lo at b = W >= T
    decay = S.constant{lr = lo}
  end
  return S.shift{warm(lo, hi, W, a.warmup_type or "log", decay), offset = -1}
end}

-- lr * ratio: the warm-up from warmup_min_ratio, then cos_min_ratio + (1 -
-- cos_min_ratio) (1 + cos(pi (b - W + 1) / (T - W))) / 2, not clamped.
B.WarmupCosineLR = {{"lr", "total_num_steps", "warmup_min_ratio", "warmup_num_steps", "cos_min_ratio", "warmup_type",
                     "last_batch_iteration"}, function(a, num)
  local lr = A.need(F, "WarmupCosineLR", a, "lr") and num("lr")
  local T = tonumber(A.need(F, "WarmupCosineLR", a, "total_num_steps"))
  local W = math.max(2, num("warmup_num_steps", 1000))
  local cosine = S.shift{S.cosine{lr = lr, t_max = T - W, eta_min = num("cos_min_ratio", 0.0001) * lr}, offset = 1}
  local kind = a.warmup_type or "log"
  if kind ~= "log" and kind ~= "linear" then
    error(string.format("%s: warmup_type must be 'log' or 'linear', got %s", F, tostring(kind)), 0)
  end
  local f = S.sequence{S.warmup{S.constant{lr = lr}, steps = W, start_factor = num("warmup_min_ratio", 0), mode = kind},
                       cosine, milestones = {W}}
  return S.sequence{S.constant{lr = 0}, f, milestones = {1}}
end}

local ONE = {"cycle_min_lr", "cycle_max_lr", "decay_lr_rate", "cycle_first_step_size", "cycle_second_step_size",
             "cycle_first_stair_count", "cycle_second_stair_count", "decay_step_size", "cycle_momentum",
             "cycle_min_mom", "cycle_max_mom", "decay_mom_rate", "last_batch_iteration"}

-- The triangle of PyTorch's CyclicLR at batch_iteration = t for t <= the
-- cycle's size, then min_lr / (1 + decay_lr_rate (t - size) / decay_step_size)
-- (min_lr when either is 0); the momentum inversely, then max_mom * (1 +
-- decay_mom_rate (t - size) / decay_step_size), cycle_min_mom at step 0.
B.OneCycle = {ONE, function(a, num)
  local lo, hi = num("cycle_min_lr"), num("cycle_max_lr")
  if lo == nil or hi == nil then error(F .. ": 'OneCycle' needs cycle_min_lr and cycle_max_lr", 0) end
  local up = num("cycle_first_step_size", 2000)
  local down = num("cycle_second_step_size", up)
  local size, ds = up + down, num("decay_step_size", 0)
  local rate, mrate = num("decay_lr_rate", 0), num("decay_mom_rate", 0)
  local lr_decay = (ds == 0 or rate == 0) and S.constant{lr = lo}
                   or S.inverse_time{lr = lo, decay_rate = rate, decay_steps = ds}
  local lr = S.sequence{S.cyclic{base_lr = lo, max_lr = hi, step_size_up = up, step_size_down = down}, lr_decay,
                        milestones = {size}}
  if a.cycle_momentum == false then return lr end
  local mlo, mhi = num("cycle_min_mom", 0.8), num("cycle_max_mom", 0.9)
  local K = 2 ^ 40 -- a linear growth without end within any run
  local mom_decay = (ds == 0 or mrate == 0) and S.constant{lr = mhi}
                    or S.linear{lr = mhi, start_factor = 1, end_factor = 1 + mrate * K / ds, total_iters = K}
  local mom = S.sequence{S.constant{lr = mlo},
                         S.shift{S.cyclic_momentum{base_momentum = mlo, max_momentum = mhi, step_size_up = up,
                                                   step_size_down = down}, offset = 1},
                         mom_decay, milestones = {1, size}}
  return lr, mom
end}

local M = {builders = B}

function M.from_deepspeed(kind, params)
  if type(kind) == "table" and params == nil then -- the ds_config "scheduler" object
    kind, params = kind.type, kind.params
  end
  local b = A.builder(F, "scheduler", B, kind)
  local a = A.check(F, kind, params, b[1])
  if a.last_batch_iteration ~= nil and tonumber(a.last_batch_iteration) ~= -1 then
    error(F .. ": last_batch_iteration other than -1: resume from the saved schedule state instead", 0)
  end
  local function num(key, default) return A.number(F, kind, a, key, default) end
  return A.run(F, kind, b[2], a, num)
end

return M
