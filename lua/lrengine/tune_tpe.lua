-- lrengine.tune_tpe: a Tree-structured Parzen Estimator sampler (Bergstra et
-- al. 2011, "Algorithms for Hyper-Parameter Optimization"), univariate as
-- Hyperopt's and Optuna's defaults are, with BOHB's choice of data under
-- successive halving (Falkner et al. 2018): the model is fitted on the
-- results at the largest resource (epochs or steps) that has enough of them.
--
-- The results there are split into the best fraction `gamma` (good) and the
-- rest (bad). For each parameter, in the space's order and only where
-- active, a density of the good values l(x) and of the bad g(x) is
-- estimated (Gaussian kernels in the unit coordinate of the range, log
-- space for log ranges, plus a flat prior; category counts plus one for
-- choices); 24 candidates are drawn from l and the one with the highest
-- l(x)/g(x) is taken. Until enough results exist, parameters are sampled at
-- random from the space.
local space = require "lrengine.tune_space"

local M = {}

local TPE = {}
TPE.__index = TPE

function M.new(sp, seed, mode, opts)
  opts = opts or {}
  return setmetatable({space = sp, seed = seed, mode = mode, gamma = opts.gamma or 0.25,
    candidates = opts.candidates or 24, startup = opts.startup or 8, obs = {}, params = {}}, TPE)
end

-- Records the metric of a trial at resource t.
function TPE:observe(trial, t, value)
  if value ~= value or value == math.huge or value == -math.huge then return end
  self.params[trial.id] = trial.params
  self.obs[t] = self.obs[t] or {}
  self.obs[t][trial.id] = value
end

-- The results the model is fitted on: the largest resource with at least
-- `startup` of them; nil before.
function TPE:data()
  local best_t
  for t, byid in pairs(self.obs) do
    local n = 0
    for _ in pairs(byid) do n = n + 1 end
    if n >= self.startup and (not best_t or t > best_t) then best_t = t end
  end
  if not best_t then return nil end
  local list = {}
  for id, v in pairs(self.obs[best_t]) do list[#list + 1] = {id = id, value = v} end
  local maximise = self.mode == "max"
  table.sort(list, function(a, b)
    if a.value ~= b.value then
      if maximise then return a.value > b.value end
      return a.value < b.value
    end
    return a.id < b.id
  end)
  local ngood = math.max(1, math.ceil(self.gamma * #list))
  local good, bad = {}, {}
  for i, r in ipairs(list) do
    local p = self.params[r.id]
    if i <= ngood then good[#good + 1] = p else bad[#bad + 1] = p end
  end
  return good, bad
end

local SQRT2PI = math.sqrt(2 * math.pi)

-- A kernel density over [0, 1]: points, bandwidth (Scott's rule, at least
-- 0.05), and a flat prior weighted as one point.
local function kde(points)
  local n = #points
  local mean, var = 0, 0
  for _, x in ipairs(points) do mean = mean + x end
  mean = n > 0 and mean / n or 0.5
  for _, x in ipairs(points) do var = var + (x - mean) ^ 2 end
  local sd = n > 1 and math.sqrt(var / (n - 1)) or 0.25
  local h = math.max(0.05, math.min(0.5, 1.06 * math.max(sd, 0.05) * (n + 1) ^ (-0.2)))
  return {points = points, h = h}
end

local function density(k, x)
  local n = #k.points
  local sum = 1 -- the flat prior over [0, 1]
  for _, p in ipairs(k.points) do sum = sum + math.exp(-0.5 * ((x - p) / k.h) ^ 2) / (k.h * SQRT2PI) end
  return sum / (n + 1)
end

local function draw(k, rng)
  local n = #k.points
  local i = rng:int(0, n)
  if i == 0 then return rng:uniform() end
  local x = k.points[i] + k.h * rng:normal()
  return math.min(math.max(x, 0), 1)
end

local function same(a, b)
  if space.is_code(a) and space.is_code(b) then return a.source == b.source end
  return a == b
end

function TPE:choose(name, d, rng, good, bad)
  if d.kind == "choice" then
    local K = #d.values
    local function probs(set)
      local c, total = {}, 0
      for i = 1, K do c[i] = 1 end
      for _, p in ipairs(set) do
        local v = p[name]
        if v ~= nil then
          for i, x in ipairs(d.values) do if same(x, v) then c[i] = c[i] + 1 end end
        end
      end
      for i = 1, K do total = total + c[i] end
      for i = 1, K do c[i] = c[i] / total end
      return c
    end
    local l, g = probs(good), probs(bad)
    local best, best_score
    for _ = 1, self.candidates do
      local u, i = rng:uniform(), 1
      while i < K and u > l[i] do u = u - l[i]; i = i + 1 end
      local score = l[i] / g[i]
      if not best_score or score > best_score then best, best_score = i, score end
    end
    return d.values[best]
  end
  local function coords(set)
    local xs = {}
    for _, p in ipairs(set) do if type(p[name]) == "number" then xs[#xs + 1] = d:to_unit(p[name]) end end
    return xs
  end
  local gx, bx = coords(good), coords(bad)
  if #gx == 0 then return nil end
  local l, g = kde(gx), kde(bx)
  local best, best_score
  for _ = 1, self.candidates do
    local x = draw(l, rng)
    local score = math.log(density(l, x)) - math.log(density(g, x))
    if not best_score or score > best_score then best, best_score = x, score end
  end
  return d:from_unit(best)
end

-- The parameters of trial id.
function TPE:sample(id)
  local good, bad = self:data()
  if not good then return self.space:sample(self.seed, id) end
  return self.space:sample(self.seed, id, function(name, d, rng)
    return self:choose(name, d, rng, good, bad)
  end)
end

return M
