-- lrengine.tune_space: what lrengine.tune searches over. A space is a table
-- of named parameters, each a distribution or a fixed value:
--
--   {lr = T.loguniform(1e-4, 1e-1), momentum = T.uniform(0.8, 0.99),
--    hidden = T.choice{128, 256, 512}, batch_size = 128,
--    warmup = T.when({schedule = "cosine"}, T.integer(0, 3))}
--
-- Sampling is seeded and reproducible: each parameter of each trial draws
-- from its own stream, derived from (seed, trial, parameter name) with
-- SplitMix64 on Lua's 64-bit integers, so adding a parameter or sampling in
-- another order changes no other value. A conditional parameter (T.when) is
-- present only when its condition holds; conditions are evaluated after the
-- parameters they name.
local M = {}

local floor, log, exp = math.floor, math.log, math.exp

-- ---- random numbers: SplitMix64 (Steele, Lea, Flood 2014), as the core's lre_splitmix64 ----

local Rng = {}
Rng.__index = Rng

local function mix(z)
  z = (z ~ (z >> 30)) * 0xbf58476d1ce4e5b9
  z = (z ~ (z >> 27)) * 0x94d049bb133111eb
  return z ~ (z >> 31)
end

-- A generator whose 64-bit state is seed (an integer).
function M.rng(seed)
  return setmetatable({s = math.tointeger(seed) or floor(seed)}, Rng)
end

function Rng:next()
  self.s = self.s + 0x9e3779b97f4a7c15
  return mix(self.s)
end

-- [0, 1) with 53 random bits
function Rng:uniform() return (self:next() >> 11) * 0x1p-53 end

-- a whole number in [lo, hi], without modulo bias
function Rng:int(lo, hi)
  local n = hi - lo + 1
  if n <= 0 or n >= 1 << 53 then error("Rng:int: a range of 1 to 2^53 - 1 numbers", 2) end
  local limit = (-1 >> 11) // n * n -- draw 53-bit numbers below a multiple of n
  while true do
    local v = self:next() >> 11
    if v < limit then return lo + v % n end
  end
end

-- a standard normal (Box-Muller)
function Rng:normal()
  local u = 1 - self:uniform()
  return math.sqrt(-2 * log(u)) * math.cos(2 * math.pi * self:uniform())
end

-- 64-bit FNV-1a of a string
local function fnv(s)
  local h = -3750763034362895579 -- 0xcbf29ce484222325
  for i = 1, #s do h = (h ~ s:byte(i)) * 0x100000001b3 end
  return h
end
M.fnv = fnv

-- A stream of its own for (seed, k1, k2, ...): integers or strings.
function M.stream(seed, ...)
  local s = mix(math.tointeger(seed) or floor(seed))
  for i = 1, select("#", ...) do
    local k = select(i, ...)
    s = mix(s ~ (type(k) == "string" and fnv(k) or math.tointeger(k) or floor(k)) + 0x9e3779b97f4a7c15)
  end
  return M.rng(s)
end

-- ---- values written into configs: Lua source, exact for numbers ----

local Code = {}
Code.__index = Code
Code.__tostring = function(c) return c.source end

-- A value given as Lua source (a schedule, an optimizer table...): written
-- as is into generated configs, where `lre`, `S` (lre.schedule) and `P` (the
-- trial's parameters) are in scope.
function M.code(source)
  if type(source) ~= "string" then error("tune.code takes Lua source as a string", 2) end
  return setmetatable({source = source}, Code)
end
function M.is_code(v) return getmetatable(v) == Code end

-- The shortest decimal that reads back as the same double.
local function number(v)
  if math.type(v) == "integer" then return tostring(v) end
  if v ~= v then return "(0/0)" end
  if v == math.huge then return "math.huge" end
  if v == -math.huge then return "-math.huge" end
  for digits = 15, 17 do
    local s = string.format("%." .. digits .. "g", v)
    if tonumber(s) == v then
      if not s:find("[%.eEn]") then s = s .. ".0" end -- stays a float
      return s
    end
  end
end
M.number = number

local function is_name(k)
  return type(k) == "string" and k:match("^[%a_][%w_]*$") and not ({
    ["and"] = 1, ["break"] = 1, ["do"] = 1, ["else"] = 1, ["elseif"] = 1, ["end"] = 1, ["false"] = 1,
    ["for"] = 1, ["function"] = 1, ["goto"] = 1, ["if"] = 1, ["in"] = 1, ["local"] = 1, ["nil"] = 1,
    ["not"] = 1, ["or"] = 1, ["repeat"] = 1, ["return"] = 1, ["then"] = 1, ["true"] = 1, ["until"] = 1,
    ["while"] = 1})[k]
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    if type(a) == type(b) then return a < b end
    return type(a) == "number"
  end)
  return keys
end
M.sorted_keys = sorted_keys

-- Lua source for v: numbers, strings, booleans, tune.code and tables of them.
local function serialize(v, seen)
  local t = type(v)
  if t == "number" then return number(v) end
  if t == "string" then return string.format("%q", v) end
  if t == "boolean" or t == "nil" then return tostring(v) end
  if M.is_code(v) then return "(" .. v.source .. ")" end
  if t ~= "table" then error("cannot write a " .. t .. " into a config (use tune.code for Lua source)", 0) end
  seen = seen or {}
  if seen[v] then error("cannot write a table that contains itself", 0) end
  seen[v] = true
  local parts, n = {}, #v
  for i = 1, n do parts[#parts + 1] = serialize(v[i], seen) end
  for _, k in ipairs(sorted_keys(v)) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then
      local key = is_name(k) and k or "[" .. serialize(k, seen) .. "]"
      parts[#parts + 1] = key .. " = " .. serialize(v[k], seen)
    end
  end
  seen[v] = nil
  return "{" .. table.concat(parts, ", ") .. "}"
end
M.serialize = serialize

-- A short text of a value for tables and logs.
function M.show(v)
  if type(v) == "number" then
    if math.type(v) == "integer" then return tostring(v) end
    return string.format("%.4g", v)
  end
  if M.is_code(v) then return v.source end
  if type(v) == "table" then return serialize(v) end
  return tostring(v)
end

-- ---- distributions ----

local Dist = {}
Dist.__index = Dist

local function dist(kind, fields)
  fields.kind = kind
  return setmetatable(fields, Dist)
end
function M.is_dist(v) return getmetatable(v) == Dist end

local function check_range(name, lo, hi, positive)
  if type(lo) ~= "number" or type(hi) ~= "number" or not (lo <= hi) or lo ~= lo or hi ~= hi
    or lo == -math.huge or hi == math.huge then
    error(string.format("tune.%s: bounds must be finite numbers with low <= high, got %s, %s", name,
      tostring(lo), tostring(hi)), 3)
  end
  if positive and not (lo > 0) then
    error(string.format("tune.%s: bounds must be > 0, got %s", name, tostring(lo)), 3)
  end
end

-- A rate-like number: uniform in log space over [lo, hi].
function M.loguniform(lo, hi)
  check_range("loguniform", lo, hi, true)
  return dist("loguniform", {lo = lo, hi = hi, log = true})
end

function M.uniform(lo, hi)
  check_range("uniform", lo, hi)
  return dist("uniform", {lo = lo, hi = hi})
end

-- A whole number in [lo, hi]; log = true draws it uniform in log space.
function M.integer(lo, hi, opts)
  if math.type(lo) ~= "integer" and not (type(lo) == "number" and lo == floor(lo)) then
    error("tune.integer: bounds must be whole numbers", 2)
  end
  check_range("integer", lo, hi, opts and opts.log)
  -- Rng:int draws below a multiple of the count within 53 bits: a wider range would never draw
  if (hi + 0.0) - (lo + 0.0) >= 2 ^ 52 then
    error(string.format("tune.integer: a range of at most 2^52 numbers, got %s to %s", tostring(lo), tostring(hi)), 2)
  end
  return dist("integer", {lo = floor(lo), hi = floor(hi), log = opts and opts.log or false})
end

-- One of the values listed (numbers, strings, tables, tune.code, or in a Lua
-- program any value: schedules, optimizers, functions).
function M.choice(values)
  if type(values) ~= "table" or #values == 0 then error("tune.choice takes a non-empty list of values", 2) end
  local copy = {}
  for i, v in ipairs(values) do copy[i] = v end
  return dist("choice", {values = copy})
end

-- The learning rate around the range test's suggestion: loguniform over
-- [s / below, s * above]; `lrengine tune` runs `lrengine find-lr` on the
-- base config first (rule: valley, steepest, minimum or slide), a Lua
-- program passes tune.run the suggestion (its findlr option).
function M.around_findlr(opts)
  opts = opts or {}
  local d = dist("around_findlr", {below = opts.below or 10, above = opts.above or 3, rule = opts.rule or "valley",
    steps = opts.steps, min = opts.min, max = opts.max})
  if not (d.below >= 1 and d.above >= 1) then error("tune.around_findlr: below and above must be >= 1", 2) end
  return d
end

-- A parameter present only when cond holds: a table {name = value} or
-- {name = {value, ...}} (every listed parameter must have one of its values),
-- or a function(params) -> boolean.
function M.when(cond, inner)
  if type(cond) ~= "table" and type(cond) ~= "function" then
    error("tune.when takes a condition (a table or a function) and a distribution or value", 2)
  end
  return dist("when", {cond = cond, inner = inner})
end

local function value_eq(a, b)
  if M.is_code(a) and M.is_code(b) then return a.source == b.source end
  return a == b
end

function Dist:sample(rng)
  local k = self.kind
  if k == "uniform" then return self.lo + (self.hi - self.lo) * rng:uniform() end
  if k == "loguniform" then
    local v = exp(log(self.lo) + (log(self.hi) - log(self.lo)) * rng:uniform())
    return math.min(math.max(v, self.lo), self.hi)
  end
  if k == "integer" then
    if self.log then
      local v = floor(exp(log(self.lo) + (log(self.hi + 1) - log(self.lo)) * rng:uniform()))
      return math.min(math.max(v, self.lo), self.hi)
    end
    return rng:int(self.lo, self.hi)
  end
  if k == "choice" then return self.values[rng:int(1, #self.values)] end
  error("tune: a " .. k .. " parameter must be resolved before sampling", 0)
end

-- The values a grid search visits: a choice's values, every integer of a
-- small range, else `points` values evenly spaced (in log space for log ones).
function Dist:grid(points)
  local k = self.kind
  if k == "choice" then return self.values end
  points = points or 3
  local out = {}
  if k == "integer" and self.hi - self.lo + 1 <= math.max(points, 10) then
    for v = self.lo, self.hi do out[#out + 1] = v end
    return out
  end
  for i = 0, points - 1 do
    local f = points == 1 and 0.5 or i / (points - 1)
    local v
    if self.log then v = exp(log(self.lo) + (log(self.hi) - log(self.lo)) * f)
    else v = self.lo + (self.hi - self.lo) * f end
    if k == "integer" then v = floor(v + 0.5) end
    if i == 0 then v = self.lo elseif i == points - 1 then v = self.hi end
    if #out == 0 or out[#out] ~= v then out[#out + 1] = v end
  end
  return out
end

-- PBT's explore for one value: multiply a number by one of factors (0.8,
-- 1.2), clipped to the bounds (whole for integers); move a choice to a
-- neighbouring value.
function Dist:perturb(v, rng, factors)
  local k = self.kind
  if k == "choice" then
    local i = 1
    for j, x in ipairs(self.values) do if value_eq(x, v) then i = j end end
    i = i + (rng:uniform() < 0.5 and -1 or 1)
    return self.values[math.min(math.max(i, 1), #self.values)]
  end
  local f = factors[rng:int(1, #factors)]
  local x = v * f
  if k == "integer" then
    x = floor(x + 0.5)
    if x == v then x = v + (f > 1 and 1 or -1) end
  end
  return math.min(math.max(x, self.lo), self.hi)
end

-- The unit interval coordinate of v (TPE's working space) and back.
function Dist:to_unit(v)
  if self.hi == self.lo then return 0.5 end
  if self.log then return (log(v) - log(self.lo)) / (log(self.hi) - log(self.lo)) end
  return (v - self.lo) / (self.hi - self.lo)
end
function Dist:from_unit(u)
  u = math.min(math.max(u, 0), 1)
  local v = self.log and exp(log(self.lo) + (log(self.hi) - log(self.lo)) * u) or self.lo + (self.hi - self.lo) * u
  if self.kind == "integer" then v = floor(v + 0.5) end
  return math.min(math.max(v, self.lo), self.hi)
end

function Dist:describe()
  local k = self.kind
  if k == "choice" then
    local parts = {}
    for i, v in ipairs(self.values) do parts[i] = M.show(v) end
    return "choice{" .. table.concat(parts, ", ") .. "}"
  end
  if k == "when" then return "when(...) " .. (M.is_dist(self.inner) and self.inner:describe() or M.show(self.inner)) end
  if k == "around_findlr" then return string.format("around_findlr{below = %g, above = %g, rule = %s}", self.below, self.above, self.rule) end
  return string.format("%s(%g, %g)", k, self.lo, self.hi)
end

-- ---- spaces ----

local Space = {}
Space.__index = Space

-- Checks a space table and orders its parameters: those without conditions
-- first, then conditional ones once what their conditions name is placed.
function M.space(t)
  if type(t) ~= "table" then error("tune: the space must be a table of parameters", 2) end
  local names = {}
  for k, v in pairs(t) do
    if type(k) ~= "string" then error("tune: space keys must be parameter names (strings)", 2) end
    if M.is_dist(v) and v.kind == "when" and M.is_dist(v.inner) and v.inner.kind == "when" then
      error("tune: parameter '" .. k .. "': nested tune.when; give one condition (a function may test several)", 2)
    end
    names[#names + 1] = k
  end
  table.sort(names)
  local order, placed = {}, {}
  for _, k in ipairs(names) do
    local v = t[k]
    if not (M.is_dist(v) and v.kind == "when") then order[#order + 1] = k; placed[k] = true end
  end
  local pending = {}
  for _, k in ipairs(names) do if not placed[k] then pending[#pending + 1] = k end end
  while #pending > 0 do
    local rest, progress = {}, false
    for _, k in ipairs(pending) do
      local cond, ready = t[k].cond, true
      if type(cond) == "table" then
        for name in pairs(cond) do
          if t[name] == nil then error("tune: parameter '" .. k .. "' depends on '" .. tostring(name) .. "', which is not in the space", 2) end
          if not placed[name] then ready = false end
        end
      end
      if ready then order[#order + 1] = k; placed[k] = true; progress = true else rest[#rest + 1] = k end
    end
    if not progress then error("tune: the conditions of " .. table.concat(rest, ", ") .. " depend on each other", 2) end
    pending = rest
  end
  return setmetatable({params = t, order = order}, Space)
end

function M.is_space(v) return getmetatable(v) == Space end

local function holds(cond, p)
  if type(cond) == "function" then return cond(p) and true or false end
  for name, want in pairs(cond) do
    local have = p[name]
    if have == nil then return false end
    if type(want) == "table" and not M.is_code(want) then
      local any = false
      for _, w in ipairs(want) do if value_eq(have, w) then any = true end end
      if not any then return false end
    elseif not value_eq(have, want) then
      return false
    end
  end
  return true
end

-- Is parameter name active given the other values in p?
function Space:active(name, p)
  local v = self.params[name]
  return not (M.is_dist(v) and v.kind == "when") or holds(v.cond, p)
end

-- The distribution of a parameter (nil for a fixed value).
function Space:dist(name)
  local v = self.params[name]
  if M.is_dist(v) and v.kind == "when" then v = v.inner end
  return M.is_dist(v) and v or nil
end

-- The value of every active parameter of trial `trial`; choose(name, dist,
-- rng, p) may pick instead of sampling (TPE), returning nil to sample.
function Space:sample(seed, trial, choose)
  local p = {}
  for _, name in ipairs(self.order) do
    if self:active(name, p) then
      local d = self:dist(name)
      if d then
        local rng = M.stream(seed, trial, name)
        local v = choose and choose(name, d, rng, p)
        if v == nil then v = d:sample(rng) end
        p[name] = v
      else
        local v = self.params[name]
        if M.is_dist(v) then v = v.inner end
        p[name] = v
      end
    end
  end
  return p
end

-- A grid search's combinations at most: each is a trial.
M.MAX_GRID = 100000

-- Every combination of grid values (choices enumerated, ranges at `points`
-- values), conditional parameters only where active; in a fixed order.
function Space:grid(points)
  local out = {{}}
  for _, name in ipairs(self.order) do
    local d = self:dist(name)
    local fixed = self.params[name]
    if M.is_dist(fixed) then fixed = fixed.inner end
    local next_out = {}
    for _, p in ipairs(out) do
      if not self:active(name, p) then
        next_out[#next_out + 1] = p
      else
        for _, v in ipairs(d and d:grid(points) or {fixed}) do
          if #next_out == M.MAX_GRID then
            error(string.format("tune.grid: more than %d combinations (with %s): fewer points or parameters",
              M.MAX_GRID, name), 0)
          end
          local q = {}
          for k, x in pairs(p) do q[k] = x end
          q[name] = v
          next_out[#next_out + 1] = q
        end
      end
    end
    out = next_out
  end
  return out
end

-- PBT's explore: every searchable parameter is resampled with probability
-- resample, else perturbed; conditions are then re-evaluated (a parameter
-- that becomes active is sampled, one that becomes inactive is dropped).
function Space:explore(p, rng, opts)
  local q = {}
  for _, name in ipairs(self.order) do
    if self:active(name, q) then
      local d = self:dist(name)
      if d and p[name] ~= nil then
        if rng:uniform() < (opts.resample or 0.25) then q[name] = d:sample(rng)
        else q[name] = d:perturb(p[name], rng, opts.factors or {0.8, 1.2}) end
      elseif d then
        q[name] = d:sample(rng)
      else
        local v = self.params[name]
        if M.is_dist(v) then v = v.inner end
        q[name] = v
      end
    end
  end
  return q
end

-- Replaces around_findlr parameters by loguniform ranges around suggestions
-- (a table rule -> rate, or a function(dist) -> rate).
function Space:resolve(suggest)
  local t, changed = {}, false
  for k, v in pairs(self.params) do
    local inner = M.is_dist(v) and v.kind == "when" and v.inner or v
    if M.is_dist(inner) and inner.kind == "around_findlr" then
      local s = type(suggest) == "function" and suggest(inner) or type(suggest) == "table" and suggest[inner.rule]
      if not (type(s) == "number" and s > 0) then
        error("tune: parameter '" .. k .. "' is around find-lr's suggestion, and there is none (rule " .. inner.rule .. ")", 0)
      end
      local d = M.loguniform(s / inner.below, s * inner.above)
      t[k] = inner == v and d or M.when(v.cond, d)
      changed = true
    else
      t[k] = v
    end
  end
  return changed and M.space(t) or self
end

function Space:needs_findlr()
  for _, v in pairs(self.params) do
    local inner = M.is_dist(v) and v.kind == "when" and v.inner or v
    if M.is_dist(inner) and inner.kind == "around_findlr" then return inner end
  end
end

return M
