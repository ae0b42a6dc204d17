-- lrengine explain and lrengine diff on trees whose values are worked out by
-- hand here (each expectation says how, from the kinds' formulas in
-- doc/schedules.md), and a script's own events through ctx.event.
local sh = require "support.sh"
local json = require "lrengine.tune_json"

local dir = sh.tmpdir()
local function script(name, body) return sh.write(dir .. "/" .. name, body) end

local function explain(args)
  local code, out, err = sh.lre("explain " .. args .. " --format json")
  assert.are.equal(0, code, err)
  return json.decode(out)
end

local function events_of(doc, kind)
  local out = {}
  for _, e in ipairs(doc.events) do
    if e.event == kind then out[#out + 1] = e end
  end
  return out
end

describe("lrengine explain", function()
  it("gives each node of a known tree its step and value", function()
    -- warmup(steps = 4){cosine(lr = 1, t_max = 8)} at step 6: the warm-up is
    -- over (factor 1) and shifts its inner schedule by 4, so the cosine sees
    -- step 2: (1 + cos(2 pi / 8)) / 2 = (1 + sqrt(2) / 2) / 2
    local f = script("wc.lua", [[
local S = require "lrengine".schedule
return S.warmup{S.cosine{lr = 1, t_max = 8}, steps = 4}]])
    local doc = explain(f .. " --step 6")
    local want = (1 + math.sqrt(2) / 2) / 2
    assert.are.equal(6, doc.step)
    local lr = doc.schedules[1]
    assert.are.equal("lr", lr.name)
    assert.are.near(want, lr.value, 1e-15)
    assert.are.equal(2, #lr.nodes)
    assert.are.same({"warmup", "warmup", "steps=4", 0, true, 6},
      {lr.nodes[1].path, lr.nodes[1].kind, lr.nodes[1].params, lr.nodes[1].depth, lr.nodes[1].active, lr.nodes[1].step})
    assert.are.same({"warmup/cosine", "lr=1, t_max=8", 1, 2},
      {lr.nodes[2].path, lr.nodes[2].params, lr.nodes[2].depth, lr.nodes[2].step})
    assert.are.near(want, lr.nodes[2].value, 1e-15)
    -- the warm-up's end, at step 4, is the one event up to step 6
    assert.are.equal(1, #doc.events)
    assert.are.same({4, "warmup_end", "lr/warmup"}, {doc.events[1].step, doc.events[1].event, doc.events[1].node})
    -- at step 2 the warm-up factor is 2/4 and the cosine sees step 0 (value 1)
    doc = explain(f .. " --step 2")
    assert.are.near(0.5, doc.schedules[1].value, 1e-15)
    assert.are.equal(0, doc.schedules[1].nodes[2].step)
    assert.are.equal(0, #doc.events)
  end)

  it("marks a sequence's parts not in force", function()
    -- sequence(milestones = {5}){constant(2), cosine(1, t_max = 10)} at step
    -- 7: the cosine sees 7 - 5 = 2: (1 + cos(pi / 5)) / 2
    local f = script("seq.lua", [[
local S = require "lrengine".schedule
return S.sequence{S.constant{lr = 2}, S.cosine{lr = 1, t_max = 10}, milestones = {5}}]])
    local doc = explain(f .. " --step 7")
    local nodes = doc.schedules[1].nodes
    assert.are.same({"sequence/1:constant", false}, {nodes[2].path, nodes[2].active})
    assert.are.same({"sequence/2:cosine", true, 2}, {nodes[3].path, nodes[3].active, nodes[3].step})
    assert.are.near((1 + math.cos(math.pi / 5)) / 2, doc.schedules[1].value, 1e-15)
    assert.are.same({5, "phase", 2}, {doc.events[1].step, doc.events[1].event, doc.events[1].part})
  end)

  it("replays a plateau with the metrics: the reductions and the counters at the step", function()
    -- plateau(lr = 1, patience = 1, factor = 0.5) fed 1 after every step:
    -- the first observation (before step 1) sets best = 1, then each is a
    -- bad epoch; two bad epochs (> patience) halve the rate, before steps 3
    -- and 5; at step 5 the counters are back to 0
    local f = script("plateau.lua", [[
return require "lrengine".schedule.plateau{lr = 1, patience = 1, factor = 0.5}]])
    local m = sh.write(dir .. "/ones.txt", "1\n1\n1\n1\n1\n1\n")
    local doc = explain(f .. " --metrics " .. m .. " --step 5")
    local lr = doc.schedules[1]
    assert.are.equal(0.25, lr.value)
    assert.are.same({scale = 0.25, best = 1, num_bad_epochs = 0, cooldown_counter = 0}, lr.nodes[1].state)
    local cuts = events_of(doc, "plateau_reduce")
    assert.are.equal(2, #cuts)
    assert.are.same({3, 1, 0.5}, {cuts[1].step, cuts[1].lr_before, cuts[1].lr_after})
    assert.are.same({5, 0.5, 0.25}, {cuts[2].step, cuts[2].lr_before, cuts[2].lr_after})
    -- text: the tree and the events, readable
    local code, out = sh.lre("explain " .. f .. " --metrics " .. m .. " --step 5")
    assert.are.equal(0, code)
    assert.matches("lr = 0.25\n", out)
    assert.matches("plateau%(lr=1, factor=0.5, patience=1%) +at step 5 +0.25 +%[scale=0.25 best=1", out)
    assert.matches("events that shaped lr up to step 5: 2 %(replayed%)", out)
  end)

  it("records a script's own events, rate-limited", function()
    -- an event at every step: a burst of 16 (steps 0..15), then one per 100
    -- steps as the bucket refills (steps 100, 200, ..., 900): 25 up to step
    -- 999; the one at step 100 counts the 84 dropped at steps 16..99
    local f = script("ticks.lua", [[
return function(step, ctx)
  ctx.event("tick", {n = step, odd = step % 2 == 1, why = "every step"})
  return 0.1
end]])
    local doc = explain(f .. " --step 999")
    local ticks = events_of(doc, "tick")
    assert.are.equal(25, #ticks)
    for i = 1, 16 do assert.are.equal(i - 1, ticks[i].step) end
    for i = 17, 25 do assert.are.equal((i - 16) * 100, ticks[i].step) end
    assert.are.same({100, 84, 0, "every step", "lr/function"},
      {ticks[17].n, ticks[17].dropped, ticks[17].odd, ticks[17].why, ticks[17].node})
    assert.is_nil(ticks[16].dropped)
  end)

  it("refuses bad events with the script's line and the step", function()
    for _, case in ipairs{
      {'ctx.event("two words")', "event name 'two words'"},
      {'ctx.event("restart")', "'restart' is one of the engine's own events"},
      {'ctx.event("x", {step = 1})', "bad field name 'step'"},
      {'ctx.event("x", {t = {}})', "field 't' is a table"},
      {'ctx.event("x", {a=1,b=1,c=1,d=1,e=1,f=1,g=1,h=1,i=1})', "at most 8 fields"},
      {'ctx.event("x", {s = string.rep("a", 201)})', "field 's': a string of at most 200 bytes"},
    } do
      local f = script("bad.lua", "return function(step, ctx)\n  if step == 3 then " .. case[1] .. " end\n  return 0.1\nend")
      local code, _, err = sh.lre("explain " .. f .. " --step 10")
      assert.are.equal(1, code, case[1])
      assert.matches("bad%.lua:2: bad argument #%d to 'event' %(", err)
      assert.is_truthy(err:find(case[2], 1, true), err)
      assert.matches("%(step 3%)", err)
    end
  end)

  it("explains a training run from its metrics and event log, and a checkpoint at its step", function()
    local cfg = sh.write(dir .. "/run.lua", ([[
local S = require "lrengine".schedule
return {
  data = {source = "fashion-mnist", dir = "/usr/share/datasets/fashion-mnist", validation = 500, limit = 2000, test_limit = 200},
  model = {kind = "mlp", hidden = {16}},
  optimizer = {"sgd", lr = 0.05, momentum = 0.9},
  schedule = S.warmup{S.plateau{lr = 0.05, factor = 0.5, patience = 0, threshold = 0.05}, steps = 10},
  observe = "val_loss",
  epochs = 4, batch_size = 64, seed = 5,
}]]))
    local m, ck = dir .. "/run.jsonl", dir .. "/run.ckpt"
    local code, _, err = sh.lre("train " .. cfg .. " --quiet --metrics " .. m .. " --checkpoint " .. ck)
    assert.are.equal(0, code, err)
    -- 2000 rows of 64: 32 steps an epoch, 128 in the run; the checkpoint is at 128
    local doc = explain(cfg .. " --metrics " .. m)
    assert.are.same({128, 32, 128, 5}, {doc.step, doc.steps_per_epoch, doc.total_steps, doc.epoch})
    assert.are.equal(dir .. "/run.events.jsonl", doc.event_log)
    local logged = 0
    for l in sh.slurp(dir .. "/run.events.jsonl"):gmatch('"event":"plateau_reduce"') do logged = logged + 1 end
    assert.are.equal(logged, #events_of(doc, "plateau_reduce"))
    -- the checkpoint's own state gives the same tree at its step as the replay
    local at_ckpt = explain(ck .. " --config " .. cfg)
    assert.are.equal("checkpoint", at_ckpt.kind)
    assert.are.equal(128, at_ckpt.step)
    assert.are.equal(doc.schedules[1].value, at_ckpt.schedules[1].value)
    assert.are.same(doc.schedules[1].nodes[2].state, at_ckpt.schedules[1].nodes[2].state)
    -- an earlier step needs the metrics to replay (a plateau holds a state): run.jsonl is
    -- beside run.ckpt, so it is used, and said; a checkpoint alone names what is missing
    local code2, out = sh.lre("explain " .. ck .. " --config " .. cfg .. " --step 40")
    assert.are.equal(0, code2)
    assert.matches("found beside .-run%.ckpt, and used: .-run%.jsonl %(its run's metrics%)", out)
    assert.matches("replayed from step 0 with 4 observed metrics from .-run%.jsonl", out)
    local alone = dir .. "/alone.ckpt"
    sh.write(alone, sh.slurp(ck))
    code, _, err = sh.lre("explain " .. alone .. " --config " .. cfg .. " --step 40")
    assert.are.equal(1, code)
    assert.matches("holds the state at step 128, after step 40, and its run's metrics are not beside it %(no .-alone%.jsonl", err)
    code, _, err = sh.lre("explain " .. ck)
    assert.are.equal(2, code)
    assert.matches("is a checkpoint: give %-%-config", err)
    -- a config of another model is refused on the checkpoint's header, before its model (74M
    -- parameters, 600 MB with their gradients) is built: under a 400 MB limit, not for memory
    local wide = sh.write(dir .. "/wide.lua", (sh.slurp(cfg):gsub("hidden = {16}", "hidden = {8192, 8192}")))
    local limit = sh.build:match("san") and "" or "ulimit -v 400000; "
    code, _, err = sh.run(string.format("sh -c %q", limit .. sh.bin .. " explain " .. ck .. " --config " .. wide))
    assert.are.equal(1, code, err)
    assert.matches("run%.ckpt: offset 24: belongs to another configuration", err)
  end)
end)

describe("lrengine explain after a resume to an earlier checkpoint", function()
  it("leaves out the events of the part the resume abandoned, as TensorBoard does", function()
    -- the run went on to step 6, was resumed from its checkpoint at step 4 and went on to 7,
    -- then resumed from the one at step 2 (so the events after 2 before that resume are gone)
    local function ev(step, kind) return ('{"step":%d,"event":"%s","node":"lr/x"}\n'):format(step, kind) end
    local function resume(step) return ('{"step":%d,"event":"resume","node":"run","op":"exact"}\n'):format(step) end
    local log = script("r.events.jsonl", ev(1, "a") .. ev(3, "b") .. ev(6, "c") .. resume(4) .. ev(5, "d") ..
      ev(7, "e") .. resume(2) .. ev(3, "f") .. ev(8, "g"))
    local doc = explain(script("r.lua", "return 0.1") .. " --events " .. log .. " --step 9")
    local got = {}
    for _, e in ipairs(doc.events) do got[#got + 1] = e.event .. "@" .. e.step end
    assert.are.same({"a@1", "resume@2", "f@3", "g@8"}, got)
    -- before the last resume's step only the events up to it
    doc = explain(script("r.lua", "return 0.1") .. " --events " .. log .. " --step 5")
    assert.are.equal(3, #doc.events)
  end)
end)

describe("lrengine explain reads hostile logs", function()
  it("names the line of an event log or metrics file it can not read", function()
    local f = script("h.lua", "return 0.1")
    for _, case in ipairs{
      {'{"step":1,"event":"x"}\n{"step":2,"event":{"nested":1}}\n', "h.events.jsonl:2: not an event"},
      {'{"step":1}\n', "h.events.jsonl:1: not an event"},
      {'{"step":1,"event":"x",\n', "h.events.jsonl:1: not an event"},
      {'{"step":1,"event":"\\q"}\n', "h.events.jsonl:1: not an event"},
    } do
      local log = sh.write(dir .. "/h.events.jsonl", case[1])
      local code, _, err = sh.lre("explain " .. f .. " --events " .. log)
      assert.are.equal(1, code, case[1])
      assert.is_truthy(err:find(case[2], 1, true), err)
    end
    local m = sh.write(dir .. "/h.jsonl", '{"epoch":1,"step":10,"val_loss":0.5}\n{"epoch":2,"step":-3,"val_loss":0.4}\n')
    local code, _, err = sh.lre("explain " .. f .. " --metrics " .. m .. " --events " .. dir .. "/h.events.jsonl")
    assert.are.equal(1, code)
    assert.matches("h%.jsonl:2: val_loss 0%.4 at step %-3: expected a finite metric at a whole step", err)
  end)

  it("keeps the events of a long replay within a bound, and says at which step it stopped", function()
    -- a restart every step: a million events, about 100 bytes each packed,
    -- pass the 64 MiB kept in memory (run_source.h) before step 1,000,000
    local f = script("every.lua", [[
return require "lrengine".schedule.cosine_restarts{lr = 0.1, t_0 = 1}]])
    local code, _, err = sh.lre("explain " .. f .. " --step 1000000")
    assert.are.equal(1, code, err)
    local at = tonumber(err:match("replayed to step (%d+): the events up to here pass 64 MiB, the most kept in memory"))
    assert.is_truthy(at and at > 100000 and at < 1000000, err)
    -- and below the bound every event is listed
    local doc = explain(f .. " --step 5000")
    assert.are.equal(5000, #events_of(doc, "restart"))
  end)

  it("refuses a replay past 1e8 steps, whether the step is asked for or the metrics' last", function()
    local f = script("r8.lua", "return 0.1")
    local m = sh.write(dir .. "/far.jsonl", '{"epoch":1,"step":10,"val_loss":0.5}\n{"epoch":2,"step":9000000000000,"val_loss":0.4}\n')
    local code, _, err = sh.lre("explain " .. f .. " --metrics " .. m)
    assert.are.equal(1, code, err)
    assert.matches("step 9000000000000 %(the metrics' last%) is past the 1e8 steps a replay from step 0 covers", err)
    code, _, err = sh.lre("explain " .. f .. " --step 100000000")
    assert.are.equal(1, code, err)
    assert.matches("step 100000000 %(%-%-step%) is past the 1e8 steps", err)
    code, _, err = sh.lre("explain " .. f .. " --metrics " .. m .. " --step 20")
    assert.are.equal(0, code, err)
  end)
end)

describe("lrengine explain after a continuation", function()
  it("shows the plan in force from the checkpoint, and says where a config's own plan stopped being the run's", function()
    local cfg = sh.write(dir .. "/cont.lua", [[
local S = require "lrengine".schedule
return {
  data = {source = "fashion-mnist", dir = "/usr/share/datasets/fashion-mnist", validation = 500, limit = 2000, test_limit = 200},
  model = {kind = "mlp", hidden = {16}},
  optimizer = {"adamw", lr = 1e-3},
  schedule = S.warmup{S.cosine{lr = 1e-3, t_max = 96}, steps = 32},
  epochs = 4, batch_size = 64, seed = 5,
}]])
    local m, ck, cool = dir .. "/cont.jsonl", dir .. "/cont.ckpt", dir .. "/cool.ckpt"
    -- 32 steps an epoch: stopped after epoch 2 (step 64), then cooled down over one epoch
    assert.are.equal(0, (sh.lre("train " .. cfg .. " --quiet --until 2 --checkpoint " .. ck .. " --metrics " .. m)))
    local code, _, err = sh.lre("train " .. cfg .. " --quiet --resume " .. ck .. " --continue cooldown:steps=1epoch"
      .. " --checkpoint " .. cool .. " --metrics " .. m)
    assert.are.equal(0, code, err)
    local doc = explain(cfg .. " --metrics " .. m .. " --step 80")
    assert.are.equal(64, doc.plan_changed_at)
    local kinds = {}
    for _, e in ipairs(doc.events) do kinds[#kinds + 1] = e.event .. "@" .. e.step end
    assert.are.same({"warmup_end@32", "resume@64", "continue@64"}, kinds)
    -- the checkpoint's tree is the cooldown holding the plan it continues
    doc = explain(cool .. " --config " .. cfg .. " --events " .. dir .. "/cont.events.jsonl")
    assert.are.equal("cooldown", doc.schedules[1].nodes[1].kind)
    assert.is_false(doc.schedules[1].nodes[2].active) -- the old plan, not in force after step 64
    assert.is_nil(doc.plan_changed_at)
    -- inside the cool-down (no node holds a state: its closed forms): at step 80 a linear
    -- cool-down from the rate at 64 to 0 over 32 steps is half way
    local at64 = explain(cfg .. " --step 64").schedules[1].value
    doc = explain(cool .. " --config " .. cfg .. " --step 80")
    assert.matches("closed forms", doc.state)
    assert.are.near(at64 / 2, doc.schedules[1].value, 1e-15)
  end)
end)

describe("lrengine diff", function()
  -- A: constant 0.1; B: step(lr = 0.1, step_size = 10, gamma = 0.5), 0.1 *
  -- 0.5^floor(t / 10): equal before step 10, then B is half of A (ratio 2)
  -- and from step 20 a quarter (ratio 4, the largest in 30 steps)
  local a = script("a.lua", 'return require "lrengine".schedule.constant{lr = 0.1}')
  local b = script("b.lua", 'return require "lrengine".schedule.step{lr = 0.1, step_size = 10, gamma = 0.5}')

  it("finds the first differing step and the largest ratio", function()
    local code, out, err = sh.lre("diff " .. a .. " " .. b .. " --steps 30 --format json")
    assert.are.equal(0, code, err)
    local d = json.decode(out).schedules[1]
    assert.are.same({"lr", 10, 0.1, 0.05, 4, 20, 0.1, 0.025},
      {d.name, d.first_difference, d.a, d.b, d.largest_ratio, d.largest_ratio_step, d.a_there, d.b_there})
    code, out = sh.lre("diff " .. a .. " " .. b .. " --steps 30")
    assert.matches("lr: first differs at step 10 %(A 0.1, B 0.05%); largest ratio 4 at step 20", out)
    code, out = sh.lre("diff " .. a .. " " .. a .. " --steps 30")
    assert.matches("lr: the same at every step", out)
  end)

  it("draws both curves on the same axes", function()
    local svg = dir .. "/d.svg"
    local code, _, err = sh.lre("diff " .. a .. " " .. b .. " --steps 30 --output " .. svg)
    assert.are.equal(0, code, err)
    local s = sh.slurp(svg)
    local _, panels = s:gsub('<g class="panel"', "")
    assert.are.equal(1, panels)
    assert.matches('data%-name="lr %(A%)"', s)
    assert.matches('data%-name="lr %(B%)"', s)
    code, _, err = sh.lre("diff " .. a .. " " .. b .. " --output " .. dir .. "/d.png")
    assert.are.equal(2, code)
    assert.matches("cannot tell the chart format", err)
  end)
end)
