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
-- always ends with the run. (A built-in kind takes durations itself:
-- lre.schedule.cosine{lr = 0.1, t_max = "100%"} is the same, in the core.)
-- The tree build returns is planned on the run's horizon (s:plan), gets the
-- metrics (a plateau inside reduces), and its state is saved with the
-- for_run node: the node's `state.inner` holds the inner tree's saved
-- stream, so an optimizer's or a checkpoint's state resumes it exactly. A
-- re-plan carries the old tree's state over by path (s:carry).
local schedule = M.schedule
local function for_run(build, name)
  if type(build) ~= "function" then
    error("bad argument #1 to 'for_run' (a function(total_steps, steps_per_epoch) expected)", 2)
  end
  local inner, planned, planned_spe, synced
  local node = {state = {}}
  local function plan(ctx)
    local total, spe = ctx.total_steps, ctx.steps_per_epoch
    if not total then
      error("for_run: the run's length is unknown (give the optimizer total_steps, or use it under lrengine train)")
    end
    if not inner or planned ~= total or planned_spe ~= spe then
      local new = build(total, spe)
      if type(new) ~= "userdata" then new = schedule.custom(new, "for_run.inner") end
      new:plan{total_steps = total, steps_per_epoch = spe}
      if inner then new:carry(inner) end
      inner, planned, planned_spe, synced = new, total, spe, nil
    end
    -- a state loaded into the node (a checkpoint, or a preview's snapshot put back)
    local saved = node.state.inner
    if saved ~= nil and saved ~= synced then
      if type(saved) ~= "string" then error("for_run: saved state.inner is not a schedule's state") end
      if not pcall(inner.load, inner, saved) then inner:load(saved, {hparams = "current"}) end
      synced = saved
    end
  end
  local function sync()
    synced = inner:save()
    node.state.inner = synced
  end
  function node:at(step, ctx)
    plan(ctx)
    local v = inner:at(step)
    sync()
    return v
  end
  function node:observe(metric, ctx)
    plan(ctx)
    inner:observe(metric, ctx.step)
    sync()
  end
  return schedule.custom(node, name or "for_run")
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
