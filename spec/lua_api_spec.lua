-- The Lua module: tensors, schedules, optimizers, misuse and state.
local lre = require "lrengine"
local S = lre.schedule

describe("lrengine", function()
  it("exposes its version", function()
    assert.matches("^lrengine %d+%.%d+%.%d+$", lre._VERSION)
  end)
end)

describe("lre.tensor", function()
  it("indexes from 1, has a length, fills, copies and converts", function()
    local t = lre.tensor({1, 2, 3}, "f32")
    assert.are.equal(3, #t)
    assert.are.equal(2, t[2])
    t[2] = 5
    assert.are.same({1, 5, 3}, t:totable())
    t:fill(0.5)
    assert.are.same({0.5, 0.5, 0.5}, t:totable())
    assert.are.equal("f32", t:dtype())
    assert.are.equal("f64", lre.tensor(2):dtype())
  end)
  it("refuses out-of-range indices and bad dtypes", function()
    local t = lre.tensor(2)
    assert.has_error(function() return t[3] end, "tensor index 3 out of range [1, 2]")
    assert.has_error(function() lre.tensor(2, "f16") end)
    assert.has_error(function() lre.tensor({1, "x"}) end)
  end)
end)

describe("lre.schedule", function()
  it("names the constructor and the parameter on misuse", function()
    assert.has_error(function() S.cosine{lr = 0.1, t_max = -1} end,
      "bad argument #1 to 'cosine' (t_max must be > 0, got -1)")
    assert.has_error(function() S.cosine{lr = 0.1} end,
      "bad argument #1 to 'cosine' (missing required parameter 't_max')")
    assert.has_error(function() S.step{lr = 0.1, step_size = 5, gama = 0.5} end,
      "bad argument #1 to 'step' (unknown parameter 'gama' (did you mean 'gamma'? parameters: lr, step_size, gamma))")
    assert.has_error(function() S.multistep{lr = 1, milestones = {1, 2, -3}} end,
      "bad argument #1 to 'multistep' (milestones[3] must be a whole number >= 0, got -3)")
    assert.has_error(function() S.cyclic{base_lr = 0.1, max_lr = 0.2, mode = "sine"} end)
  end)
  it("evaluates any step directly and previews a curve", function()
    local s = S.warmup{S.cosine{lr = 0.1, t_max = 10}, steps = 5}
    assert.are.near(0.06, s:at(3), 1e-15)
    assert.are.equal(s:at(12), s(12))
    local c = s:curve(20)
    assert.are.equal(20, #c)
    assert.are.near(c[13], s:at(12), 0)
  end)
  it("cuts the level of warmup-cosine with a plateau node fed metrics", function()
    local s = S.plateau{S.warmup{S.cosine{lr = 0.1, t_max = 100}, steps = 10}, patience = 1, factor = 0.5}
    local metrics = {}
    for i = 1, 30 do metrics[i] = 1.0 end
    local c = s:curve(31, metrics)
    local plain = S.warmup{S.cosine{lr = 0.1, t_max = 100}, steps = 10}:curve(31)
    assert.are.near(plain[30] * 0.5 ^ 14, c[30], 1e-15)
  end)
  it("accepts plain functions and tables as schedules, inside built-ins", function()
    local s = S.warmup{function(step) return 0.2 end, steps = 4}
    assert.are.near(0.1, s:at(2), 1e-15)
    local t = S.scale{{at = function(self, step) return step end}, factor = 2}
    assert.are.equal(6, t:at(3))
  end)
  it("calls the methods a table schedule inherits from its class", function()
    local Halving = {}
    Halving.__index = Halving
    function Halving.at(self, step) return self.base / 2 ^ step end
    function Halving.observe(self, metric) self.base = metric end
    local rule = setmetatable({base = 1}, Halving)
    local s = S.custom(rule)
    assert.are.equal(0.25, s:at(2))
    s:observe(4)
    assert.are.equal(1, s:at(2))
  end)
  it("reports a function's bad return value with its step", function()
    local s = S.custom(function(step) if step == 3 then return -1 end return 0.1 end)
    assert.has_error(function() s:curve(5) end)
    local ok, msg = pcall(s.curve, s, 5)
    assert.is_false(ok)
    assert.matches("step 3: returned %-1, expected a finite number >= 0", msg)
  end)
  it("saves and restores script state; refuses another schedule's state", function()
    local rule = function(step, ctx)
      ctx.state.n = (ctx.state.n or 0) + 1
      return 0.1 / ctx.state.n
    end
    local a = S.custom(rule, "rule")
    a:run(4)
    local saved = a:save()
    local b = S.custom(rule, "rule")
    assert.is_true(b:load(saved))
    assert.are.equal(a:at(4), b:at(4))
    assert.has_error(function() S.cosine{lr = 1, t_max = 5}:load(saved) end,
      "bad argument #2 to 'load' (schedule state belongs to another schedule (its kinds or structure differ))")
    local broken = saved:sub(1, #saved - 3)
    local ok, msg = pcall(b.load, b, broken)
    assert.is_false(ok)
    assert.matches("bad argument #2 to 'load' %(.*truncated", msg)
  end)
  it("identifies a function schedule's state by its name and place, not by where its source lies", function()
    local first = load("return function(step, ctx) ctx.state.n = (ctx.state.n or 0) + 1; return 0.1 end", "=one.lua")()
    local moved = load("\n\n-- a comment\nreturn function(step, ctx) ctx.state.n = (ctx.state.n or 0) + 1; return 0.1 end",
      "=renamed.lua")()
    local a = S.custom(first)
    a:run(3)
    local b = S.custom(moved)
    assert.is_true(b:load(a:save()))
    assert.has_error(function() S.custom(first, "named"):load(a:save()) end)
  end)
end)

describe("lre.optim", function()
  local function setup(kind, extra)
    local p, g = lre.tensor({1, 2}), lre.tensor({0.5, -0.5})
    local args = {params = p, grads = g}
    for k, v in pairs(extra or {}) do args[k] = v end
    return lre.optim[kind](args), p, g
  end
  it("names the optimizer, the parameter, the range and the value", function()
    assert.has_error(function() setup("adam", {betas = {0.9, 1.5}}) end,
      "bad argument #1 to 'adam' (betas[2] must be in [0, 1), got 1.5)")
    assert.has_error(function() setup("sgd", {}) end,
      "bad argument #1 to 'sgd' (missing required parameter 'lr' (given neither to this group nor as a default))")
  end)
  it("accepts a required hyper-parameter given by every group instead of as a default, as PyTorch does", function()
    local p1, g1, p2, g2 = lre.tensor{1, 2}, lre.tensor{1, 1}, lre.tensor{3}, lre.tensor{1}
    local opt = lre.optim.sgd{{params = p1, grads = g1, lr = 0.1}, {params = p2, grads = g2, lr = 0.5}}
    opt:step()
    assert.are.same({0.9, 1.9}, p1:totable())
    assert.are.same({2.5}, p2:totable())
    assert.has_error(function() lre.optim.sgd{{params = p1, grads = g1, lr = 0.1}, {params = p2, grads = g2}} end,
      "bad argument #1 to 'sgd' (group 2: missing required parameter 'lr' (given neither to this group nor as a default))")
  end)
  it("refuses a non-finite gradient and leaves parameters as they were", function()
    local opt, p, g = setup("adam", {lr = 0.1})
    g[1] = 0 / 0
    assert.has_error(function() opt:step() end)
    assert.are.same({1, 2}, p:totable())
    local skip = setup("adam", {lr = 0.1, nonfinite = "skip"})
    assert.is_true(skip:step())
  end)
  it("drives hyper-parameters by schedules and reports the values used", function()
    local opt = setup("sgd", {lr = S.step{lr = 0.1, step_size = 1, gamma = 0.5}, momentum = 0.9})
    opt:step()
    opt:step()
    assert.are.near(0.05, opt:get("lr"), 1e-15)
    opt:set("lr", 0.01)
    opt:step()
    assert.are.near(0.01, opt:get("lr"), 1e-15)
  end)
  it("gives a script schedule its context: step, epoch, horizon, last rate, metric, state", function()
    local seen = {}
    local rule = {state = {calls = 0}}
    function rule.at(self, step, ctx)
      self.state.calls = self.state.calls + 1
      seen[#seen + 1] = {step = ctx.step, epoch = ctx.epoch, spe = ctx.steps_per_epoch, total = ctx.total_steps,
                         last_lr = ctx.last_lr, metric = ctx.metric, calls = ctx.state.calls}
      return 0.125 * (step + 1)
    end
    function rule.observe(self, metric, ctx) self.state.observed = metric + ctx.step end
    local plain = setup("sgd", {lr = rule})
    plain:step()
    assert.are.same({step = 0, calls = 1}, seen[1]) -- unknown fields are nil
    local opt = setup("sgd", {lr = rule, steps_per_epoch = 3, total_steps = 12})
    for _ = 1, 4 do opt:step() end
    opt:observe(0.25)
    opt:step()
    assert.are.same({step = 3, epoch = 1, spe = 3, total = 12, last_lr = 0.375, calls = 5}, seen[5])
    assert.are.same({step = 4, epoch = 1, spe = 3, total = 12, last_lr = 0.5, metric = 0.25, calls = 6}, seen[6])
    assert.are.equal(4.25, rule.state.observed)
  end)
  it("calls a schedule shared by several groups once per step", function()
    local calls, observed = 0, 0
    local rule = {at = function() calls = calls + 1; return 0.1 end, observe = function() observed = observed + 1 end}
    local opt = lre.optim.sgd{{params = lre.tensor({1, 2}), grads = lre.tensor({0.5, -0.5})},
                              {params = lre.tensor({3}), grads = lre.tensor({1})}, lr = rule}
    for _ = 1, 3 do opt:step() end
    opt:observe(1)
    assert.are.equal(3, calls)
    assert.are.equal(1, observed)
  end)
  it("resumes exactly from saved state", function()
    local a, pa, ga = setup("adamw", {lr = S.cosine{lr = 0.1, t_max = 20}})
    for _ = 1, 5 do a:step() end
    local saved, x = a:save(), pa:totable()
    for _ = 1, 5 do a:step() end
    local b, pb = setup("adamw", {lr = S.cosine{lr = 0.1, t_max = 20}})
    pb:copy(x)
    assert.is_true(b:load(saved))
    for _ = 1, 5 do b:step() end
    assert.are.same(pa:totable(), pb:totable())
    -- a state that does not fit is an error, so an unchecked load cannot go unnoticed
    local ok, msg = pcall(b.load, b, "not a state")
    assert.is_false(ok)
    assert.matches("^bad argument #2 to 'load'", msg)
    assert.are.equal(10, b:step_count())
  end)
end)

describe("lre schedules and threads", function()
  local lre = require "lrengine"
  it("calls a schedule built in a coroutine that has since died, from the main thread and another coroutine", function()
    local opt, p
    local co = coroutine.create(function()
      p = lre.tensor{1, 1}
      local g = lre.tensor{1, 1}
      local sched = lre.schedule.custom(function(step, ctx)
        ctx.state.n = (ctx.state.n or 0) + 1
        return 0.1 / (step + 1)
      end)
      opt = lre.optim.sgd{params = p, grads = g, lr = sched}
      opt:step()
      error("the coroutine dies here")
    end)
    assert.is_false(coroutine.resume(co))
    co = nil
    collectgarbage()
    collectgarbage()
    for _ = 1, 3 do opt:step() end
    local other = coroutine.wrap(function() opt:step(); return opt:save() end)
    local saved = other()
    collectgarbage()
    assert.are.equal(5, opt:step_count())
    assert.is_true(opt:load(saved))
    assert.are.near(0.1 / 5, opt:get("lr"), 1e-15)
  end)
  it("refuses to close or re-enter an optimizer from a schedule it is running", function()
    local p, g = lre.tensor{1}, lre.tensor{1}
    local opt
    local what = {}
    opt = lre.optim.sgd{params = p, grads = g, lr = function(step)
      for _, f in ipairs{"step", "close", "save"} do
        local ok, msg = pcall(opt[f], opt)
        what[#what + 1] = not ok and msg or "allowed"
      end
      local ok, msg = pcall(opt.set, opt, "lr", 0.5)
      what[#what + 1] = not ok and msg or "allowed"
      return 0.1
    end}
    opt:step()
    assert.are.equal(4, #what)
    for _, m in ipairs(what) do assert.matches("optimizer is running a step", m) end
    assert.are.equal(1, opt:step_count())
    assert.are.near(0.9, p[1], 1e-6)
  end)
  it("keeps a schedule alive while it runs, even if its own callback closes it", function()
    local s
    s = lre.schedule.custom(function(step) s:close(); collectgarbage(); return 0.25 end)
    assert.are.equal(0.25, s:at(0))
    assert.has_error(function() s:at(1) end, "calling 'at' on bad self (schedule is closed)")
  end)
end)

-- s:at(t) on a function or table schedule, against the same schedule inside a
-- tree (scale by 1): the context, the record of the value, the messages and
-- the nesting limit must not depend on where the schedule stands (a path
-- that calls a root Lua schedule without the core's walk was tried for speed
-- and would have to keep these; BENCHMARKS.md, calls from Lua).
describe("s:at(t) of a Lua schedule, called from Lua", function()
  local function both(make)
    return S.custom(make()), S.scale{S.custom(make()), factor = 1}
  end
  it("gives the function the context the engine gives it inside a tree", function()
    local logs = {}
    local direct, tree = both(function()
      local log = {}
      logs[#logs + 1] = log
      return function(step, ctx)
        log[#log + 1] = string.format("%s %s %s %s", step, ctx.step, ctx.last_lr, ctx.metric)
        return 0.5 / (step + 1)
      end
    end)
    for _, s in ipairs{direct, tree} do
      s:at(0)
      s:at(3)
      s:observe(0.25)
      s:at(4)
      s:curve(2)
      s:at(7)
    end
    assert.are.same(logs[2], logs[1])
    assert.are.same({"0 0 nil nil", "3 3 0.5 nil", "4 4 0.125 0.25", "0 0 0.1 0.25", "1 1 0.5 0.25",
                     "7 7 0.1 0.25"}, logs[1])
  end)
  it("records its value in the node an optimizer shares", function()
    local seen = {}
    local s = S.custom(function(step, ctx) seen[#seen + 1] = ctx.last_lr or -1 return step == 9 and 0.75 or 0.1 end)
    local opt = lre.optim.sgd{params = lre.tensor{1}, grads = lre.tensor{0}, lr = s}
    assert.are.equal(0.75, s:at(9))
    opt:step()
    assert.are.same({-1, 0.75}, seen)
  end)
  it("reports a Lua error, a bad value and a non-string error object as inside a tree, with the step", function()
    local bodies = {
      {"error('boom')", "boom %(step 2%)$"},
      {"return -1", "step 2: returned %-1, expected a finite number >= 0$"},
      {"return 0/0", "step 2: returned %-?nan, expected a finite number >= 0$"},
      {"return 'x'", "step 2: returned the string 'x', expected a number$"},
      {"return nil", "step 2: returned nil, expected a number$"},
      {"error({})", "error object is a table value %(step 2%)$"},
    }
    for _, b in ipairs(bodies) do
      local direct, tree = both(function()
        return load("local step = ... if step == 2 then " .. b[1] .. " end return 0.1", "=rule.lua")
      end)
      local ok1, msg1 = pcall(direct.at, direct, 2)
      local ok2, msg2 = pcall(tree.at, tree, 2)
      assert.is_false(ok1)
      assert.is_false(ok2)
      assert.matches(b[2], msg1)
      assert.are.equal(msg2, msg1)
      assert.are.equal(0.1, direct:at(3)) -- still usable
    end
  end)
  it("stops a schedule that evaluates itself through at, and runs again afterwards", function()
    local s
    s = S.custom(function(step) if step > 1000 then return 0.1 end return s:at(step + 1) end)
    local ok, msg = pcall(s.at, s, 0)
    assert.is_false(ok)
    assert.matches("schedules called inside one another more than 64 deep", msg)
    assert.are.equal(0.1, s:at(2000))
    assert.are.equal(0.1, s:at(990)) -- 11 deep
  end)
  it("calls a table schedule's at with the table", function()
    local t = {k = 3}
    function t:at(step) return self.k * step end
    assert.are.equal(6, S.custom(t):at(2))
  end)
end)

describe("lre names", function()
  local lre = require "lrengine"
  it("says 'did you mean' for a misspelt schedule kind or optimizer, with the valid names", function()
    assert.has_error(function() return lre.schedule.cosin{lr = 1, t_max = 10} end)
    local ok, msg = pcall(function() return lre.schedule.cosin end)
    assert.is_false(ok)
    assert.matches("unknown schedule kind 'cosin' %(did you mean 'cosine'%? valid names: constant, ", msg)
    ok, msg = pcall(function() return lre.optim.adamm end)
    assert.matches("unknown optimizer 'adamm' %(did you mean 'adam'%?", msg)
    ok, msg = pcall(function() return lre.optim.zzzzzz end)
    assert.matches("unknown optimizer 'zzzzzz' %(valid names: sgd, ", msg)
  end)
end)

describe("lre schedule previews", function()
  local S = require("lrengine").schedule
  it("curve is pure: a plateau previewed with metrics keeps its rate; run advances it", function()
    local p = S.plateau{S.constant{lr = 1}, patience = 0, factor = 0.5}
    local c = p:curve(4, {1, 2, 3, 4})
    assert.are.same({1, 1, 0.5, 0.25}, c)
    assert.are.equal(1, p:at(4))
    p:run(4, {1, 2, 3, 4})
    assert.are.equal(0.125, p:at(4))
  end)
end)

describe("lre.schedule.for_run", function()
  local lre = require "lrengine"
  it("plans a schedule for the run's length and re-plans it when the length changes", function()
    local p, g = lre.tensor{0}, lre.tensor{0}
    local plan = lre.schedule.for_run(function(total) return lre.schedule.cosine{lr = 1, t_max = total} end)
    local opt = lre.optim.sgd{params = p, grads = g, lr = plan, total_steps = 10}
    for _ = 1, 5 do opt:step() end
    assert.are.near(0.5 * (1 + math.cos(math.pi * 4 / 10)), opt:get("lr"), 1e-12)
    local longer = lre.optim.sgd{params = p, grads = g, lr = plan, total_steps = 20}
    for _ = 1, 5 do longer:step() end
    assert.are.near(0.5 * (1 + math.cos(math.pi * 4 / 20)), longer:get("lr"), 1e-12)
    local unplanned = lre.schedule.for_run(function(total) return lre.schedule.cosine{lr = 1, t_max = total} end)
    local ok, msg = pcall(unplanned.at, unplanned, 0)
    assert.is_false(ok)
    assert.matches("the run's length is unknown", msg)
  end)
end)
