-- lre.schedule.from_darknet(cfg): darknet's learning-rate policies
-- (get_current_rate in network.c; sgdr from the AlexeyAB fork) from the
-- [net] section's keys: a table of them (numbers, or the cfg's strings), or
-- the text of a .cfg file (its [net] or [network] section; the keys that are
-- not about the rate, batch or width, are ignored there).
--
-- darknet's update k (from 1) reads batch_num = k: lrengine's step t is
-- batch t + 1, so the tree is shift{..., offset = 1} of the policy in
-- batch_num. burn_in: lr * (batch / burn_in)^power before it, the policy at
-- the same batch after. darknet computes in float: values agree to float
-- precision (about 1e-7).
local core = require "lrengine.core"
local A = require "lrengine.import_args"

local S = core.schedule
local F = "from_darknet"

local KEYS = {"learning_rate", "policy", "burn_in", "power", "max_batches", "step", "scale", "steps", "scales",
              "gamma", "learning_rate_min", "sgdr_cycle", "sgdr_mult"}

-- "400,800" or {400, 800} as a list of numbers.
local function numbers(v, key)
  if v == nil then return nil end
  local out = {}
  local items = {}
  if type(v) == "table" then items = v
  else for x in tostring(v):gmatch("[^,%s]+") do items[#items + 1] = x end end
  for i, x in ipairs(items) do
    out[i] = tonumber(x)
    if out[i] == nil then error(string.format("%s: %s must be a list of numbers, got %s", F, key, tostring(x)), 0) end
  end
  return out
end

-- The policies in batch_num, b.
local P = {}
P.constant = function(lr) return S.constant{lr = lr} end
P.step = function(lr, c) return S.step{lr = lr, step_size = c.num("step", 1), gamma = c.num("scale", 1)} end
-- rate *= scales[i] once steps[i] <= b: piecewise switches after b > steps[i] - 1
P.steps = function(lr, c)
  local steps, scales = numbers(c.a.steps, "steps"), numbers(c.a.scales, "scales")
  if not steps or not scales or #steps ~= #scales or #steps == 0 then
    error(F .. ": policy 'steps' needs steps and scales of the same length", 0)
  end
  local bounds, values, v = {}, {lr}, lr
  for i = 1, #steps do
    if i > 1 and steps[i] < steps[i - 1] then error(F .. ": steps must be in increasing order", 0) end
    v = v * scales[i]
    bounds[i], values[i + 1] = steps[i] - 1, v
  end
  return S.piecewise{boundaries = bounds, values = values}
end
P.exp = function(lr, c) return S.exponential{lr = lr, gamma = c.num("gamma", 1)} end
P.poly = function(lr, c)
  return S.polynomial{lr = lr, total_iters = c.num("max_batches", 0), power = c.num("power", 4)}
end
P.sig = function(lr, c) return S.logistic{lr = lr, rate = c.num("gamma", 1), midpoint = c.num("step", 1)} end
-- lr * u^power, u uniform: lrengine's own random stream (darknet's rand()).
P.random = function(lr, c) return S.random{min_lr = 0, max_lr = lr, power = c.num("power", 4)} end
-- cycles (start, start + size], size * sgdr_mult after each, from
-- learning_rate to learning_rate_min by a cosine of (b - start) / size.
P.sgdr = function(lr, c)
  local cycle = c.num("sgdr_cycle", c.num("max_batches", 0))
  return S.cycles{lr = lr, t_0 = cycle, t_mult = c.num("sgdr_mult", 2), eta_min = c.num("learning_rate_min", 0.00001),
                  end_inclusive = true}
end

-- The [net] (or [network]) section of a cfg text as a table.
local function parse_cfg(text)
  local section, out = nil, {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    line = line:gsub("[#;].*$", ""):gsub("^%s+", ""):gsub("%s+$", "")
    local name = line:match("^%[(.-)%]$")
    if name then
      if section then break end
      if name == "net" or name == "network" then section = name end
    elseif section and line ~= "" then
      local k, v = line:match("^([^=]-)%s*=%s*(.*)$")
      if k then out[k] = v end
    end
  end
  if not section then error(F .. ": no [net] section in the cfg text", 0) end
  local keep = {}
  for _, k in ipairs(KEYS) do keep[k] = out[k] end
  return keep
end

local M = {policies = P}

function M.from_darknet(cfg)
  if type(cfg) == "string" then cfg = parse_cfg(cfg) end
  local a = A.check(F, "[net]", cfg, KEYS)
  local policy = a.policy or "constant"
  local build = A.builder(F, "policy", P, policy)
  local c = {a = a}
  function c.num(key, default) return A.number(F, policy, a, key, default) end
  local lr = c.num("learning_rate", 0.001)
  local s = A.run(F, policy, build, lr, c)
  local burn_in = c.num("burn_in", 0)
  if burn_in > 0 then
    s = S.sequence{S.warmup{S.constant{lr = lr}, steps = burn_in, mode = "power", power = c.num("power", 4)},
                   S.shift{s, offset = burn_in}, milestones = {burn_in}}
  end
  return S.shift{s, offset = 1}
end

return M
