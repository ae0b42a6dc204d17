-- lrengine: optimizers and learning-rate schedules (see README.md).
-- The engine is the C module lrengine.core; this file adds the pure-Lua
-- parts: charts of schedules (lrengine.plot).
local core = require "lrengine.core"

local M = {}
for k, v in pairs(core) do M[k] = v end

-- lre.schedule.for_run(build): a schedule planned for the run it is in.
-- build(total_steps, steps_per_epoch) returns the schedule to follow; it is
-- called when the run's length is first known, and again when it changes
-- (lrengine train --epochs), so a cosine written as
--   for_run(function(total) return lre.schedule.cosine{lr = 0.1, t_max = total} end)
-- always ends with the run. The schedule build returns must be a closed form
-- of the step (its state, a plateau's counters, is not saved).
local schedule = M.schedule
local function for_run(build, name)
  if type(build) ~= "function" then
    error("bad argument #1 to 'for_run' (a function(total_steps, steps_per_epoch) expected)", 2)
  end
  local inner, planned
  return schedule.custom(function(step, ctx)
    local total = ctx.total_steps
    if not total then
      error("for_run: the run's length is unknown (give the optimizer total_steps, or use it under lrengine train)")
    end
    if planned ~= total then
      inner = build(total, ctx.steps_per_epoch)
      if type(inner) ~= "userdata" then inner = schedule.custom(inner, "for_run.inner") end
      planned = total
    end
    return inner:at(step)
  end, name or "for_run")
end
rawset(schedule, "for_run", for_run)

-- Peers' schedulers by their own names and arguments (doc/porting.md).
rawset(schedule, "from_hf", require("lrengine.import_hf").from_hf)
rawset(schedule, "from_pytorch", require("lrengine.import_pytorch").from_pytorch)
rawset(schedule, "from_keras", require("lrengine.import_keras").from_keras)
rawset(schedule, "from_optax", require("lrengine.import_optax").from_optax)
rawset(schedule, "from_timm", require("lrengine.import_timm").from_timm)
rawset(schedule, "from_deepspeed", require("lrengine.import_deepspeed").from_deepspeed)
rawset(schedule, "from_darknet", require("lrengine.import_darknet").from_darknet)
rawset(schedule, "from_llmc", require("lrengine.import_llmc").from_llmc)

-- lre.plot is loaded on first use: schedule scripts rarely need it.
setmetatable(M, {
  __index = function(t, k)
    if k == "plot" then
      local plot = require "lrengine.plot"
      rawset(t, "plot", plot)
      return plot
    end
  end,
})

return M
