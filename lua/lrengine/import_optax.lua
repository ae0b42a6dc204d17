-- lre.schedule.from_optax(name, args): optax's schedule functions by name
-- (optax/schedules/_schedule.py) and their argument names, edge cases
-- included: transition_steps <= 0 or decay_rate = 0 give the constant
-- init_value, a negative transition_begin counts as 0. join_schedules and
-- sgdr_schedule take schedules (trees, or {name, args} pairs).
local core = require "lrengine.core"
local A = require "lrengine.import_args"

local S = core.schedule
local F = "from_optax"
local M = {}

-- The schedule, then held at init until transition_begin.
local function begin_at(init, begin, s)
  if begin <= 0 then return s end
  return S.sequence{S.constant{lr = init}, s, milestones = {begin}}
end

local B = {}

B.constant_schedule = {{"value"}, function(a, num) return S.constant{lr = num("value")} end}

-- (I - E) (1 - clip(t - B, 0, T) / T)^power + E
local function polynomial(a, num, power)
  local init, T = num("init_value"), num("transition_steps")
  if T <= 0 then return S.constant{lr = init} end
  return begin_at(init, math.max(0, num("transition_begin", 0)),
                  S.polynomial{lr = init, end_lr = num("end_value"), power = power, total_iters = T})
end

B.polynomial_schedule = {{"init_value", "end_value", "power", "transition_steps", "transition_begin"},
                         function(a, num) return polynomial(a, num, num("power")) end}
B.linear_schedule = {{"init_value", "end_value", "transition_steps", "transition_begin"},
                     function(a, num) return polynomial(a, num, 1) end}
B.warmup_constant_schedule = {{"init_value", "peak_value", "warmup_steps"}, function(a, num)
  local T = num("warmup_steps")
  if T <= 0 then return S.constant{lr = num("init_value")} end
  return S.polynomial{lr = num("init_value"), end_lr = num("peak_value"), power = 1, total_iters = T}
end}

-- init * rate^((t - B) / T) (floored with staircase), clipped at end_value
-- from below (rate < 1) or above.
local function exponential(init, a, num)
  local T, rate = num("transition_steps"), num("decay_rate")
  if T <= 0 or rate == 0 then return S.constant{lr = init} end
  local s = begin_at(init, math.max(0, num("transition_begin", 0)),
                     S.exponential{lr = init, gamma = rate, decay_steps = T, staircase = a.staircase or false})
  local e = num("end_value")
  if e == nil then return s end
  if rate < 1 then return S.clamp{s, min = e} end
  return S.clamp{s, max = e}
end

B.exponential_decay = {{"init_value", "transition_steps", "decay_rate", "transition_begin", "staircase", "end_value"},
                       function(a, num) return exponential(num("init_value"), a, num) end}

-- init ((1 - alpha) c^exponent + alpha), c the cosine factor, held from decay_steps on.
local function cosine(init, steps, alpha, exponent)
  if not (steps > 0) then
    error(string.format("%s: 'cosine_decay_schedule' requires positive decay_steps, got %s", F, steps), 0)
  end
  return S.cosine{lr = init, t_max = steps, eta_min = alpha * init, hold = true, exponent = exponent}
end

B.cosine_decay_schedule = {{"init_value", "decay_steps", "alpha", "exponent"}, function(a, num)
  return cosine(num("init_value"), num("decay_steps"), num("alpha", 0), num("exponent", 1))
end}

local function linear_to(init, peak, steps)
  if steps <= 0 then return S.constant{lr = init} end
  return S.polynomial{lr = init, end_lr = peak, power = 1, total_iters = steps}
end

-- join_schedules([linear(init -> peak, W), cosine(peak, decay_steps - W, end / peak)], [W])
local function warmup_cosine(a, num)
  local peak, W = num("peak_value"), num("warmup_steps")
  local alpha = peak == 0 and 0 or num("end_value", 0) / peak
  return S.sequence{linear_to(num("init_value"), peak, W),
                    cosine(peak, num("decay_steps") - W, alpha, num("exponent", 1)), milestones = {math.max(0, W)}}
end

B.warmup_cosine_decay_schedule = {{"init_value", "peak_value", "warmup_steps", "decay_steps", "end_value",
                                   "exponent"}, warmup_cosine}

B.warmup_exponential_decay_schedule = {{"init_value", "peak_value", "warmup_steps", "transition_steps", "decay_rate",
                                        "transition_begin", "staircase", "end_value"}, function(a, num)
  local W = num("warmup_steps")
  return S.sequence{linear_to(num("init_value"), num("peak_value"), W), exponential(num("peak_value"), a, num),
                    milestones = {math.max(0, W)}}
end}

-- {[step] = scale} (Lua tables from JSON have string keys: both accepted),
-- sorted by step; scales >= 0.
local function boundaries(a, fname)
  local bs, out = a.boundaries_and_scales or {}, {}
  for k, v in pairs(bs) do
    local b, s = tonumber(k), tonumber(v)
    if not b or not s or b ~= math.floor(b) then
      error(string.format("%s: '%s': boundaries_and_scales must map whole steps to scales", F, fname), 0)
    end
    if s < 0 then error(string.format("%s: '%s' expects non-negative scale factors", F, fname), 0) end
    out[#out + 1] = {b, s}
  end
  table.sort(out, function(x, y) return x[1] < y[1] end)
  return out
end

-- init times the scales of every boundary <= t: values after boundary b
-- apply from t = b on (piecewise switches after t > b - 1).
B.piecewise_constant_schedule = {{"init_value", "boundaries_and_scales"}, function(a, num)
  local v = num("init_value")
  local bounds, values = {}, {v}
  for _, bs in ipairs(boundaries(a, "piecewise_constant_schedule")) do
    v = v * bs[2]
    bounds[#bounds + 1] = bs[1] - 1
    values[#values + 1] = v
  end
  if #bounds == 0 then return S.constant{lr = v} end
  return S.piecewise{boundaries = bounds, values = values}
end}

-- Between the accumulated values at 0, b_1, ..., b_n: linear or cosine pieces
-- of max(1, b_{i+1} - b_i) steps, then the last value.
local function interpolate(kind, init, bs)
  local parts, milestones = {}, {}
  local from, at = init, 0
  for _, b in ipairs(bs) do
    local to = from * b[2]
    local size = math.max(1, b[1] - at)
    if kind == "linear" then
      parts[#parts + 1] = S.linear{lr = 1, start_factor = from, end_factor = to, total_iters = size}
    else
      parts[#parts + 1] = S.cosine{lr = from, eta_min = to, t_max = size, hold = true}
    end
    if #parts > 1 then milestones[#milestones + 1] = at end
    from, at = to, math.max(at, b[1])
  end
  if #parts == 0 then return S.constant{lr = from} end
  parts[#parts + 1] = S.constant{lr = from}
  milestones[#milestones + 1] = at
  parts.milestones = milestones
  return S.sequence(parts)
end

B.piecewise_interpolate_schedule = {{"interpolate_type", "init_value", "boundaries_and_scales"}, function(a, num)
  local kind = a.interpolate_type
  if kind ~= "linear" and kind ~= "cosine" then
    error(F .. ": 'piecewise_interpolate_schedule': interpolate_type must be either 'cosine' or 'linear'", 0)
  end
  return interpolate(kind, num("init_value"), boundaries(a, "piecewise_interpolate_schedule"))
end}

local function onecycle_bounds(T)
  if T <= 0 then error(F .. ": a onecycle schedule needs a positive transition_steps", 0) end
end

B.cosine_onecycle_schedule = {{"transition_steps", "peak_value", "pct_start", "div_factor", "final_div_factor"},
                              function(a, num)
  local T, peak, div = num("transition_steps"), num("peak_value"), num("div_factor", 25)
  onecycle_bounds(T)
  local bs = {{math.floor(num("pct_start", 0.3) * T), div}, {T, 1 / (div * num("final_div_factor", 1e4))}}
  table.sort(bs, function(x, y) return x[1] < y[1] end)
  return interpolate("cosine", peak / div, bs)
end}

B.linear_onecycle_schedule = {{"transition_steps", "peak_value", "pct_start", "pct_final", "div_factor",
                               "final_div_factor"}, function(a, num)
  local T, peak, div = num("transition_steps"), num("peak_value"), num("div_factor", 25)
  onecycle_bounds(T)
  local bs = {{math.floor(num("pct_start", 0.3) * T), div}, {math.floor(num("pct_final", 0.85) * T), 1 / div},
              {T, 1 / num("final_div_factor", 1e4)}}
  table.sort(bs, function(x, y) return x[1] < y[1] end)
  return interpolate("linear", peak / div, bs)
end}

local function schedule_of(v)
  if type(v) == "userdata" then return v end
  if type(v) == "table" and type(v[1]) == "string" then return M.from_optax(v[1], v[2]) end
  error(F .. ": a schedule or a {name, args} pair expected", 0)
end

-- Each schedule from its own step 0 at its boundary (optax's join: step - boundary).
B.join_schedules = {{"schedules", "boundaries"}, function(a)
  local parts = {}
  for i, s in ipairs(A.need(F, "join_schedules", a, "schedules")) do parts[i] = schedule_of(s) end
  parts.milestones = A.need(F, "join_schedules", a, "boundaries")
  return S.sequence(parts)
end}

-- warmup_cosine_decay_schedules joined at the running sum of decay_steps.
B.sgdr_schedule = {{"cosine_kwargs"}, function(a)
  local parts, milestones, step = {}, {}, 0
  local list = A.need(F, "sgdr_schedule", a, "cosine_kwargs")
  for i, kw in ipairs(list) do
    parts[i] = M.from_optax("warmup_cosine_decay_schedule", kw)
    step = step + tonumber(kw.decay_steps)
    if i < #list then milestones[i] = step end
  end
  parts.milestones = milestones
  return S.sequence(parts)
end}

M.builders = B

-- The arguments with a default in optax; every other one is required.
local OPTIONAL = {transition_begin = true, staircase = true, end_value = true, alpha = true, exponent = true,
                  pct_start = true, pct_final = true, div_factor = true, final_div_factor = true,
                  boundaries_and_scales = true}

function M.from_optax(name, args)
  local b = A.builder(F, "schedule", B, name)
  local a = A.check(F, name, args, b[1])
  local function num(key, default) return A.number(F, name, a, key, default) end
  for _, k in ipairs(b[1]) do
    if not OPTIONAL[k] then A.need(F, name, a, k) end
  end
  return A.run(F, name, b[2], a, num)
end

return M
