-- Durations in the core: a built-in kind's step counts given as "1 epoch", "10%", "2k tokens"
-- stay in the tree as text, resolve on the run's horizon (s:plan, an optimizer's total_steps,
-- lrengine train), re-resolve when it changes, and the tree's state (a plateau inside a warm-up
-- of "1 epoch") is saved like any other: lrengine train --resume continues bit for bit.
--
-- The runs: softmax on a synthetic CSV (360 training rows, batch 20: 18 steps an epoch),
-- log_every = 1, observe = "val_loss"; the plan warmup{plateau{lr = 0.1, mode = "max",
-- patience = 0, factor = 0.5}, steps = "1 epoch"}: a falling loss is never "better" in mode max,
-- so every epoch's end halves the rate (the plateau's counters are what a resume must carry).
local sh = require "support.sh"
local synthetic_csv = require "support.synthetic"
local json = require "dkjson"
local lre = require "lrengine"
local S = lre.schedule

local dir = sh.tmpdir()
synthetic_csv(dir .. "/syn.csv", 400, 1)

local function cfg(name, schedule)
  return sh.write(dir .. "/" .. name, [[
local lre = require "lrengine"
local S = lre.schedule
return {
  data = {source = "csv", train = "syn.csv", test = "syn.csv", validation = 40},
  model = {kind = "softmax"},
  optimizer = {"sgd", lr = 0.1, momentum = 0.9},
  schedule = ]] .. schedule .. [[,
  observe = "val_loss",
  epochs = 4, batch_size = 20, log_every = 1,
}]])
end

-- the rate of each step of a metrics file: rates[s] = schedule(s - 1)
local function rates(path)
  local r, n = {}, 0
  for line in sh.slurp(path):gmatch("[^\n]+") do
    local o = json.decode(line)
    if o.loss then r[o.step] = o.lr; n = math.max(n, o.step) end
  end
  return r, n
end

local function train(args) return sh.lre("train " .. args) end

-- runs conf whole, and again stopped after 2 epochs and resumed; returns both traces
local function whole_and_resumed(conf, tag)
  local mw, mr, ck = dir .. "/" .. tag .. "-whole.jsonl", dir .. "/" .. tag .. "-res.jsonl", dir .. "/" .. tag .. ".ckpt"
  local code, _, err = train(conf .. " --metrics " .. mw .. " --quiet")
  assert.are.equal(0, code, err)
  code, _, err = train(conf .. " --checkpoint " .. ck .. " --until 2 --metrics " .. mr .. " --quiet")
  assert.are.equal(0, code, err)
  code, _, err = train(conf .. " --resume " .. ck .. " --metrics " .. mr .. " --quiet")
  assert.are.equal(0, code, err)
  local whole, n = rates(mw)
  local resumed = rates(mr)
  return whole, resumed, n
end

local function same_bits(whole, resumed, n)
  assert.are.equal(72, n)
  for s = 1, n do
    assert(resumed[s] == whole[s], ("step %d: resumed %s, uninterrupted %s"):format(s, tostring(resumed[s]), tostring(whole[s])))
  end
end

describe("durations in a training run", function()
  it("a plateau inside a warm-up of '1 epoch' resumes bit for bit", function()
    local whole, resumed, n = whole_and_resumed(
      cfg("wp.lua", [[S.warmup{S.plateau{lr = 0.1, mode = "max", patience = 0, factor = 0.5}, steps = "1 epoch"}]]), "wp")
    same_bits(whole, resumed, n)
    -- the warm-up lasts 18 steps: step s uses 0.1 (s - 1) / 18 in epoch 1; the first epoch's
    -- end sets the plateau's best, each later one halves the rate: 0.1 in epoch 2, 0.05 in 3,
    -- 0.025 in 4
    assert.are.near(0.1 * 9 / 18, whole[10], 1e-15)
    assert.are.equal(0.1, whole[19])
    assert.are.equal(0.05, whole[37])
    assert.are.equal(0.025, whole[72])
  end)

  it("so does for_run (a builder in Lua): its inner tree's state is saved with it", function()
    local whole, resumed, n = whole_and_resumed(cfg("fr.lua", [[S.for_run(function(total, spe)
      return S.warmup{S.plateau{lr = 0.1, mode = "max", patience = 0, factor = 0.5}, steps = spe}
    end)]]), "fr")
    same_bits(whole, resumed, n)
    assert.are.equal(0.025, whole[72])
  end)

  it("a resume under another duration is refused, naming the texts and their steps", function()
    local ck = dir .. "/wp.ckpt" -- written above, "1 epoch"
    local other = cfg("wp2.lua", [[S.warmup{S.plateau{lr = 0.1, mode = "max", patience = 0, factor = 0.5}, steps = "2 epochs"}]])
    local code, _, err = train(other .. " --resume " .. ck)
    assert.are.equal(1, code)
    assert.is_truthy(err:find("lr: warmup: steps '1 epoch' -> '2 epochs'=36", 1, true), err)
  end)

  it("--epochs re-resolves a fraction of the run", function()
    local conf = cfg("pc.lua", [[S.cosine{lr = 0.1, t_max = "100%"}]])
    local m = dir .. "/pc.jsonl"
    assert.are.equal(0, (train(conf .. " --epochs 2 --metrics " .. m .. " --quiet")))
    local r = rates(m)
    -- on 36 steps t_max = 36: step s uses 0.05 (1 + cos(pi (s - 1) / 36))
    assert.are.near(0.05 * (1 + math.cos(math.pi * 20 / 36)), r[21], 1e-15)
  end)
end)

describe("durations in a script checked or plotted", function()
  it("resolve on the --steps drawn", function()
    local f = sh.write(dir .. "/pct.lua", [[
local S = require("lrengine").schedule
return S.warmup{S.cosine{lr = 0.1, t_max = "90%"}, steps = "10%"}]])
    local code, out, err = sh.lre("check " .. f .. " --steps 100")
    assert.are.equal(0, code, err)
    assert.matches("ok, 100 steps", out)
    code, out, err = sh.lre("plot " .. f .. " --steps 100 --format csv")
    assert.are.equal(0, code, err)
    -- 10 steps of warm-up, then 0.05 (1 + cos(pi (t - 10) / 90)): 0.05 at t = 55
    local v = {}
    for t, x in out:gmatch("(%d+),([^\n]+)") do v[tonumber(t)] = tonumber(x) end
    assert.are.near(0.01, v[1], 1e-15)
    assert.are.near(0.05, v[55], 1e-15)
  end)
end)

describe("durations in Lua", function()
  it("pass to the core as text, shown with what they resolve to", function()
    local s = S.warmup{S.cosine{lr = 1, t_max = "90%"}, steps = "10%"}
    assert.are.equal("warmup", s:kind())
    assert.are.equal("warmup{steps='10%', start_factor=0, mode=linear, shift=true, power=1}(cosine{lr=1, t_max='90%', eta_min=0, hold=false, exponent=1})", s:text())
    local ok, msg = pcall(s.at, s, 3)
    assert.is_false(ok)
    assert.is_truthy(msg:find("warmup: steps = '10%' needs the run's length (its total steps)", 1, true))
    local inner = S.warmup{S.cosine{lr = 1, t_max = "90%"}, steps = 5}
    local ok1, msg1 = pcall(inner.at, inner, 6)
    assert.is_false(ok1)
    assert.is_truthy(msg1:find("warmup/cosine: t_max = '90%' needs the run's length", 1, true), msg1)
    s:plan{total_steps = 100}
    assert.is_truthy(s:text():find("steps='10%'=10,", 1, true))
    assert.is_truthy(s:text():find("t_max='90%'=90,", 1, true))
    assert.are.near((1 + math.cos(math.pi * 45 / 90)) / 2, s:at(55), 1e-15)
    -- another horizon re-resolves: on 200 steps t_max = 180, the warm-up 20 steps
    s:plan{total_steps = 200}
    assert.are.near((1 + math.cos(math.pi * 90 / 180)) / 2, s:at(110), 1e-15)
    -- a plan that fails names the node and changes nothing: 1% of 20 steps rounds to 0
    local c = S.warmup{S.cosine{lr = 1, t_max = "1%"}, steps = "10%"}
    c:plan{total_steps = 1000}
    local before = c:at(105)
    local ok2, msg2 = pcall(c.plan, c, {total_steps = 20})
    assert.is_false(ok2)
    assert.matches("warmup/cosine: t_max = '1%%' is 0 steps on this horizon", msg2)
    assert.are.equal(before, c:at(105))
    assert.has_error(function() S.cosine{lr = 1, t_max = "2 weeks"} end)
  end)

  it("in lists: milestones = {\"1 epoch\", \"50%\", 90}", function()
    local m = S.multistep{lr = 1, milestones = {"1 epoch", "50%", 90}, gamma = 0.5}
    m:plan{steps_per_epoch = 10, total_steps = 100}
    assert.are.same({1, 0.5, 0.25, 0.125}, {m:at(9), m:at(10), m:at(50), m:at(90)})
    assert.is_truthy(m:text():find("milestones='1 epoch,50%,90'=[10, 50, 90]", 1, true))
    -- a sequence switching after the warm-up's epoch, planned by an optimizer's horizon
    local opt = lre.optim.sgd{params = lre.tensor{0}, grads = lre.tensor{0}, steps_per_epoch = 3, total_steps = 9,
                              lr = S.sequence{S.constant{lr = 1}, S.constant{lr = 2}, milestones = {"1 epoch"}}}
    local seen = {}
    for t = 0, 4 do opt:step(); seen[t] = opt:get("lr") end
    assert.are.same({[0] = 1, 1, 1, 2, 2}, seen)
    local ok, msg = pcall(S.multistep, {lr = 1, milestones = {"1 epoch", true}})
    assert.is_false(ok)
    assert.matches("milestones%[2%] must be a number or a duration", msg)
  end)

  it("a plateau's state inside a warm-up of '1 epoch' saves and loads through an optimizer", function()
    local function make()
      return lre.optim.sgd{params = lre.tensor{0}, grads = lre.tensor{0}, steps_per_epoch = 4, total_steps = 20,
                           lr = S.warmup{S.plateau{lr = 1, mode = "max", patience = 0, factor = 0.5}, steps = "1 epoch"}}
    end
    local a, b = make(), make()
    local want = {}
    for t = 0, 19 do
      a:step(); want[t] = a:get("lr")
      if t % 4 == 3 then a:observe(1) end
    end
    local first = make()
    for t = 0, 9 do first:step(); if t % 4 == 3 then first:observe(1) end end
    b:load(first:save())
    for t = 10, 19 do
      b:step()
      assert.are.equal(want[t], b:get("lr"))
      if t % 4 == 3 then b:observe(1) end
    end
    -- the first observation sets the best; each later one halves: after steps 7, 11 and 15
    assert.are.equal(1, want[4])
    assert.are.equal(0.5, want[8])
    assert.are.equal(0.125, want[19])
  end)
end)
