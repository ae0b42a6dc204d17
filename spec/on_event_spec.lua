-- opt:on_event(fn) (src/lua/event_lua.c, optim_lua.c): the events of an
-- optimizer's schedules handed to Lua after the call that caused them, once
-- per hyper-parameter (and group) a schedule drives. The expected steps and
-- values are worked out by hand from the rules (doc/schedules.md).
local lre = require "lrengine"
local S = lre.schedule

local function sgd(t)
  t.params, t.grads = t.params or lre.tensor({0, 0}), t.grads or lre.tensor({1, 1})
  return lre.optim.sgd(t)
end

describe("opt:on_event", function()
  it("reports a plateau shared by lr and momentum under each, from observe", function()
    -- plateau(lr 0.5, patience 0, factor 0.5) fed 1 after step 0 (best = 1)
    -- and 1 after step 1 (one bad epoch > patience): cut at step 2, 0.5 -> 0.25
    local P = S.plateau{lr = 0.5, patience = 0, factor = 0.5}
    local opt = sgd{lr = P, momentum = P}
    local got = {}
    opt:on_event(function(ev) got[#got + 1] = ev end)
    opt:step(); opt:observe(1)
    opt:step()
    assert.are.equal(0, #got)
    opt:observe(1)
    assert.are.equal(2, #got)
    for i, hp in ipairs({"lr", "momentum"}) do
      local ev = got[i]
      assert.are.same({"plateau_reduce", 2, "plateau", hp, nil}, {ev.name, ev.step, ev.path, ev.hp, ev.group})
      assert.are.equal(0.5, ev.lr_before)
      assert.are.equal(0.25, ev.lr_after)
      assert.are.equal(1, ev.num_bad_epochs)
      assert.is_true(math.type(ev.num_bad_epochs) == "integer")
    end
    opt:step()
    assert.are.equal(0.25, opt:get("momentum"))
  end)

  it("names the group of a schedule that drives one group, from step", function()
    -- warmup over 2 steps: its full rate first used at step 2, in group 2 alone
    local opt = lre.optim.sgd{{params = lre.tensor({0}), grads = lre.tensor({1})},
                    {params = lre.tensor({0}), grads = lre.tensor({1}), lr = S.warmup{S.constant{lr = 0.1}, steps = 2}},
                    lr = 0.01}
    local got = {}
    opt:on_event(function(ev) got[#got + 1] = ev end)
    for _ = 1, 4 do opt:step() end
    assert.are.equal(1, #got)
    assert.are.same({"warmup_end", 2, "warmup", "lr", 2, 2},
                    {got[1].name, got[1].step, got[1].path, got[1].hp, got[1].group, got[1].steps})
  end)

  it("hands on a script's own ctx.event with its fields", function()
    local f = function(step, ctx)
      if step == 3 then ctx.event("mark", {x = 1.5, why = "three"}) end
      return 0.1
    end
    local opt = sgd{lr = f}
    local got = {}
    opt:on_event(function(ev) got[#got + 1] = ev end)
    for _ = 1, 5 do opt:step() end
    assert.are.same({{name = "mark", step = 3, path = "function", hp = "lr", x = 1.5, why = "three"}}, got)
  end)

  it("raises the function's error from the step, the step taken whole and the rest of its events dropped", function()
    local P = S.plateau{lr = 0.5, patience = 0, factor = 0.5}
    local twin_P = S.plateau{lr = 0.5, patience = 0, factor = 0.5}
    local opt, twin = sgd{lr = P, momentum = P}, sgd{lr = twin_P, momentum = twin_P}
    local calls = 0
    opt:on_event(function(ev)
      calls = calls + 1
      error("handler failed on " .. ev.hp)
    end)
    for _, o in ipairs({opt, twin}) do o:step(); o:observe(1); o:step() end
    assert.has_error(function() opt:observe(1) end, "handler failed on lr")
    assert.are.equal(1, calls) -- momentum's report of the same cut was dropped
    twin:observe(1)
    opt:step(); twin:step() -- no event left over for the next call
    assert.are.equal(1, calls)
    assert.are.equal(twin:step_count(), opt:step_count())
    assert.are.equal(twin:get("lr"), opt:get("lr"))
    assert.are.equal(0.25, opt:get("momentum"))
  end)

  it("delivers the events of a failed step, then raises the step's error, nothing changed", function()
    local f = function(step, ctx)
      if step == 2 then
        ctx.event("going_negative", {v = -1})
        return -1
      end
      return 0.1
    end
    local w = lre.tensor({0, 0})
    local opt = sgd{params = w, lr = f}
    local got = {}
    opt:on_event(function(ev) got[#got + 1] = ev.name .. "@" .. ev.step end)
    opt:step(); opt:step()
    local before = {w[1], w[2]}
    assert.has_error(function() opt:step() end)
    local ok, err = pcall(opt.step, opt)
    assert.is_false(ok)
    assert.matches("schedule of lr: .*step 2: returned %-1", err)
    assert.are.same({"going_negative@2", "going_negative@2"}, got)
    assert.are.equal(2, opt:step_count())
    assert.are.same(before, {w[1], w[2]})
  end)

  it("stops with nil, refuses what is not a function, and is released on close", function()
    local P = S.plateau{lr = 0.5, patience = 0, factor = 0.5}
    local opt = sgd{lr = P}
    local n = 0
    opt:on_event(function() n = n + 1 end)
    opt:on_event(nil)
    opt:step(); opt:observe(1); opt:step(); opt:observe(1)
    assert.are.equal(0, n)
    assert.has_error(function() opt:on_event(5) end, "bad argument #1 to 'on_event' (function expected, got number)")
    opt:on_event(function() n = n + 1 end)
    opt:close()
    -- the schedule lives on: its events no longer reach the closed optimizer
    assert.are.equal(0.25, P:curve(1)[1] * 1) -- its state: the cut it made
    assert.are.equal(0, n)
  end)

  it("keeps ctx.event's fields apart from the event's own keys", function()
    local opt = sgd{lr = function(_, ctx) ctx.event("x", {hp = 1}) return 0.1 end}
    assert.has_error(function() opt:step() end)
    local ok, err = pcall(opt.step, opt)
    assert.is_false(ok)
    assert.matches("bad field name 'hp'", err)
  end)

  it("reports the clip's, the guard's and the average's trees under their names, and observes them", function()
    -- plateau(1, patience 0, factor 0.5) as the clip's max_norm: fed 1 after
    -- steps 0 and 1, it cuts at step 2 (as for lr above), so the gradient
    -- (3, 4) of norm 5 is clipped to 1, then 0.5
    local P = S.plateau{lr = 1, patience = 0, factor = 0.5}
    local guard = function(ctx)
      if ctx.step == 1 then ctx.event("looked", {norm = ctx.grad_norm}) end
      return "keep"
    end
    local opt = sgd{grads = lre.tensor({3, 4}), lr = 0.1, clip = {max_norm = P}, guard = guard,
                    average = {kind = "ema", decay = S.warmup{S.constant{lr = 0.9}, steps = 2}, use_step = false}}
    local got = {}
    opt:on_event(function(ev) got[#got + 1] = ev end)
    opt:step(); opt:observe(1)
    opt:step(); opt:observe(1)
    opt:step()
    assert.are.equal(0.5 / (5 + 1e-6), opt:clip_coef())
    table.sort(got, function(a, b) return a.step < b.step end)
    assert.are.same({{"looked", 1, "guard", "guard"}, {"plateau_reduce", 2, "plateau", "clip.max_norm"},
                     {"warmup_end", 2, "warmup", "average.decay"}},
                    {{got[1].name, got[1].step, got[1].path, got[1].hp},
                     {got[2].name, got[2].step, got[2].path, got[2].hp},
                     {got[3].name, got[3].step, got[3].path, got[3].hp}})
    assert.are.equal(3, #got)
    assert.are.equal(5, got[1].norm)
    assert.are.same({1, 0.5}, {got[2].lr_before, got[2].lr_after})
  end)

  it("observes a tree shared by lr and the clip once, and reports its event under both", function()
    local P = S.plateau{lr = 1, patience = 0, factor = 0.5}
    local opt = sgd{grads = lre.tensor({3, 4}), lr = P, clip = {max_norm = P}}
    local got = {}
    opt:on_event(function(ev) got[#got + 1] = ev.hp end)
    opt:step(); opt:observe(1)
    assert.are.equal(0, #got) -- observed twice, it would have cut here
    opt:step(); opt:observe(1)
    assert.are.same({"lr", "clip.max_norm"}, got)
    opt:step()
    assert.are.same({0.5, 0.5 / (5 + 1e-6)}, {opt:get("lr"), opt:clip_coef()})
  end)

  it("stops reporting a side tree the optimizer no longer holds", function()
    local P = S.plateau{lr = 1, patience = 0, factor = 0.5}
    local opt = sgd{grads = lre.tensor({3, 4}), lr = 0.1, clip = {max_norm = P}}
    local n = 0
    opt:on_event(function() n = n + 1 end)
    opt:step()
    opt:set_clip(1.0)
    P:observe(1, 0); P:observe(1, 1)
    assert.are.equal(0.5, P:at(2))
    opt:step() -- would hand on what the tree reported to it since
    assert.are.equal(0, n)
  end)
end)
