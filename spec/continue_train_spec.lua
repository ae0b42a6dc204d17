-- lrengine train --resume with a changed plan: refused by default with what differs and
-- what would continue, --plan checkpoint|config, --continue extend|cooldown|rewarm|replace,
-- a continued run's checkpoint continued again, node state carried by path.
--
-- The runs: softmax on a synthetic CSV (360 training rows, batch 20: 18 steps an epoch),
-- log_every = 1, so the metrics line of step s holds the rate schedule(s - 1) that step used.
-- The plan: warmup{cosine{lr = 0.1, t_max = 40}, steps = 5}, so for t >= 5
--   plan(t) = 0.05 * (1 + cos(pi * (t - 5) / 40)),
-- stopped after 2 epochs (--until 2): the resume step is K = 36.
local sh = require "support.sh"
local synthetic_csv = require "support.synthetic"
local json = require "dkjson"
local ckpt = require "support.ckpt"

local dir = sh.tmpdir()
synthetic_csv(dir .. "/syn.csv", 400, 1)
local K = 36

local function cfg(name, schedule, extra)
  return sh.write(dir .. "/" .. name, [[
local lre = require "lrengine"
local S = lre.schedule
return {
  data = {source = "csv", train = "syn.csv", test = "syn.csv", validation = 40},
  model = {kind = "softmax"},
  optimizer = {"sgd", lr = 0.1, momentum = 0.9},
  schedule = ]] .. schedule .. [[,
  epochs = 4, batch_size = 20, log_every = 1,]] .. (extra or "") .. [[
}]])
end

local a = cfg("a.lua", "S.warmup{S.cosine{lr = 0.1, t_max = 40}, steps = 5}")
local b = cfg("b.lua", "S.warmup{S.cosine{lr = 0.1, t_max = 80}, steps = 5}")
local function plan(t) return 0.05 * (1 + math.cos(math.pi * (t - 5) / 40)) end

-- the rate of each step of a metrics file: rates[s] = schedule(s - 1)
local function rates(path)
  local r = {}
  for line in sh.slurp(path):gmatch("[^\n]+") do
    local o = json.decode(line)
    if o.loss then r[o.step] = o.lr end
  end
  return r
end
local function near(want, got, what)
  assert(got and math.abs(want - got) <= 1e-12 * math.max(1, math.abs(want)),
         ("%s: expected %.17g, got %s"):format(what, want, tostring(got)))
end

local function train(args)
  local code, out, err = sh.lre("train " .. args)
  return code, out, err
end

describe("lrengine train --resume with a changed plan", function()
  local ck = dir .. "/a.ckpt"
  setup(function()
    local code, _, err = train(a .. " --checkpoint " .. ck .. " --until 2 --quiet")
    assert.are.equal(0, code, err)
  end)

  it("refuses a config with other schedules, naming the node, the parameter, the values and the options", function()
    local code, _, err = train(b .. " --resume " .. ck)
    assert.are.equal(1, code)
    assert.matches("checkpoint .-a%.ckpt was written under another plan than b%.lua's: " ..
                   "lr: warmup/cosine: t_max 40 %-> 80 %(recorded from a%.lua%)", err)
    assert.matches("%-%-plan checkpoint", err)
    assert.matches("%-%-plan config or %-%-continue replace", err)
    assert.matches("%-%-continue extend|cooldown|rewarm", err)
  end)

  it("refuses a script whose code changed though its tree did not, with the line that differs", function()
    local f1 = cfg("f1.lua", "function(step) return 0.1 end")
    local f2 = cfg("f2.lua", "function(step) return 0.2 end")
    local c = dir .. "/f.ckpt"
    assert.are.equal(0, (train(f1 .. " --checkpoint " .. c .. " --until 1 --quiet")))
    local code, _, err = train(f2 .. " --resume " .. c)
    assert.are.equal(1, code)
    assert.matches("its code may differ: f2%.lua's text %(hash %x+%) is not the recorded f1%.lua's %(hash %x+%), " ..
                   "line 7: '  schedule = function%(step%) return 0%.1 end,' %-> '  schedule = function%(step%) return 0%.2 end,'", err)
  end)

  it("resumes the same config exactly, and with --plan checkpoint keeps the recorded plan", function()
    for _, c in ipairs{{a, ""}, {b, " --plan checkpoint"}} do
      local m = dir .. "/exact.jsonl"
      os.remove(m)
      local code, _, err = train(c[1] .. " --resume " .. ck .. c[2] .. " --metrics " .. m .. " --quiet")
      assert.are.equal(0, code, err)
      local r = rates(m)
      for s = K + 1, 72 do near(plan(s - 1), r[s], "step " .. s) end
    end
  end)

  it("--plan config runs the config's schedules from the resume step (a replace)", function()
    local m = dir .. "/config.jsonl"
    local code, out, err = train(b .. " --resume " .. ck .. " --plan config --metrics " .. m)
    assert.are.equal(0, code, err)
    assert.matches("continue at step 36: replace: b%.lua's schedules from step 36", out)
    local r = rates(m)
    -- b's plan on the run's steps: 0.05 * (1 + cos(pi (t - 5) / 80))
    for s = K + 1, 72 do near(0.05 * (1 + math.cos(math.pi * (s - 1 - 5) / 80)), r[s], "step " .. s) end
  end)

  it("cools down from the plan's rate at K, in the shape asked, and ends the run there", function()
    local m, c = dir .. "/cool.jsonl", dir .. "/cool.ckpt"
    local code, out, err = train(a .. " --resume " .. ck .. " --checkpoint " .. c ..
                                 " --continue cooldown:steps=10,shape=cosine,floor=0.001 --metrics " .. m)
    assert.are.equal(0, code, err)
    assert.matches("continue at step 36: cooldown: the rate from 0%.0", out)
    local r, v0 = rates(m), plan(K)
    near(v0, r[K + 1], "continuous at K")
    -- x = (t - K) / 10, cosine: v0 + (0.001 - v0) (1 - cos(pi x)) / 2
    for s = K + 1, K + 10 do
      local x = (s - 1 - K) / 10
      near(v0 + (0.001 - v0) * (1 - math.cos(math.pi * x)) / 2, r[s], "step " .. s)
    end
    assert.is_nil(r[K + 11]) -- the run ended with the cool-down
    assert.matches("final test_acc=", out)
  end)

  it("cools down the hyper-parameter hp= names, the rate going on as planned; the checkpoint resumes it", function()
    -- momentum(t) = 0.45 (1 + cos(pi t / 200)) beside the plan's lr; at K linear to 0.5 over 9 steps
    local mc = cfg("mom.lua", "{lr = S.warmup{S.cosine{lr = 0.1, t_max = 40}, steps = 5}, " ..
                   "momentum = S.cosine{lr = 0.9, t_max = 200}}")
    local function mom(t) return 0.45 * (1 + math.cos(math.pi * t / 200)) end
    local ck2, c, m = dir .. "/mom.ckpt", dir .. "/momc.ckpt", dir .. "/mom.jsonl"
    assert.are.equal(0, (train(mc .. " --checkpoint " .. ck2 .. " --until 2 --quiet")))
    local code, out, err = train(mc .. " --resume " .. ck2 .. " --checkpoint " .. c ..
                                 " --continue cooldown:steps=9,hp=momentum,floor=0.5 --epochs 4 --until 3 --metrics " .. m)
    assert.are.equal(0, code, err)
    assert.matches(("continue at step 36: cooldown: momentum from %.6g to 0.5 over 9 steps %%(linear%%)"):format(mom(K)), out)
    local lr, mo = {}, {}
    for line in sh.slurp(m):gmatch("[^\n]+") do
      local o = json.decode(line)
      if o.loss then lr[o.step], mo[o.step] = o.lr, o.momentum end
    end
    for s = K + 1, 54 do
      local t = s - 1
      near(plan(t), lr[s], "lr at step " .. t)
      near(t < K + 9 and mom(K) + (0.5 - mom(K)) * (t - K) / 9 or 0.5, mo[s], "momentum at step " .. t)
    end
    -- the checkpoint records the cooldown's hyper-parameter: resumed, momentum stays at its floor
    local m2 = dir .. "/mom2.jsonl"
    code, _, err = train(mc .. " --resume " .. c .. " --epochs 4 --metrics " .. m2)
    assert.are.equal(0, code, err)
    for line in sh.slurp(m2):gmatch("[^\n]+") do
      local o = json.decode(line)
      if o.loss then near(0.5, o.momentum, "momentum at step " .. o.step - 1) near(plan(o.step - 1), o.lr, "lr") end
    end
    -- extend stretches every scheduled hyper-parameter: momentum as lr (u = 36 + (t - 36) / 2)
    local m3 = dir .. "/mom3.jsonl"
    code, _, err = train(mc .. " --resume " .. ck2 .. " --continue extend --epochs 6 --metrics " .. m3)
    assert.are.equal(0, code, err)
    local n = 0
    for line in sh.slurp(m3):gmatch("[^\n]+") do
      local o = json.decode(line)
      if o.loss then
        n = n + 1
        local u = K + (o.step - 1 - K) / 2
        local lo = math.floor(u)
        near(mom(lo) + (mom(lo + 1) - mom(lo)) * (u - lo), o.momentum, "extended momentum at step " .. o.step - 1)
      end
    end
    assert.are.equal(108 - K, n) -- every step from K on
    code, _, err = train(a .. " --resume " .. ck .. " --continue cooldown:steps=9,hp=momentum")
    assert.are.equal(1, code)
    assert.matches("%-%-continue cooldown: the run's plan does not schedule momentum", err)
    code, _, err = train(a .. " --resume " .. ck .. " --continue cooldown:steps=9,hp=Mom")
    assert.are.equal(2, code)
    assert.matches("hp=Mom: not a hyper%-parameter's name", err)
  end)

  it("continues a continued run again: the history is in the checkpoint", function()
    local c1, c2, m = dir .. "/h1.ckpt", dir .. "/h2.ckpt", dir .. "/h.jsonl"
    assert.are.equal(0, (train(a .. " --resume " .. ck .. " --checkpoint " .. c1 ..
                                " --continue cooldown:steps=1epoch,shape=sqrt --quiet")))
    -- at K + 18 = 54: replace by b's schedules, on the run's steps, 6 epochs
    local code, out, err = train(b .. " --resume " .. c1 .. " --checkpoint " .. c2 ..
                                 " --continue replace --epochs 6 --metrics " .. m)
    assert.are.equal(0, code, err)
    assert.matches("continue at step 54: replace", out)
    local r = rates(m)
    near(0.05 * (1 + math.cos(math.pi * (54 - 5) / 80)), r[55], "b's plan at 54")
    -- the twice-continued checkpoint resumes exactly with b.lua; a.lua is refused, naming the difference
    local text = sh.slurp(c2)
    assert.truthy(text:find("lr: replace{at=54, shift=false}(cooldown{at=36, steps=18, value=", 1, true))
    assert.truthy(text:find("--continue cooldown:steps=1epoch,shape=sqrt", 1, true))
    assert.are.equal(0, (train(b .. " --resume " .. c2 .. " --epochs 6 --quiet")))
    local code2, _, err2 = train(a .. " --resume " .. c2 .. " --epochs 6")
    assert.are.equal(1, code2)
    assert.matches("lr: warmup/cosine: t_max 80 %-> 40 %(recorded from b%.lua %-%-continue replace %-%-epochs 6%)", err2)
  end)

  it("extends the rest of the plan to the new total, continuous at K", function()
    local m = dir .. "/ext.jsonl"
    local code, out, err = train(a .. " --resume " .. ck .. " --continue extend --epochs 6 --metrics " .. m)
    assert.are.equal(0, code, err)
    assert.matches("continue at step 36: extend: the rest of the plan stretched from step 72 to 108", out)
    local r = rates(m)
    -- u = 36 + (t - 36) (72 - 36) / (108 - 36) = 36 + (t - 36) / 2, linear between whole steps
    for s = K + 1, 108 do
      local u = K + (s - 1 - K) / 2
      local lo = math.floor(u)
      near(plan(lo) + (plan(lo + 1) - plan(lo)) * (u - lo), r[s], "step " .. s)
    end
  end)

  it("resumes an extended run to the checkpoint's recorded length, saying so; --plan config takes the config's", function()
    -- extended to 108 steps at K, stopped at 54; resumed without --epochs, it runs to 108 on the
    -- stretched plan (u = 36 + (t - 36) / 2, as above), not to the config's 4 epochs (72)
    local ext, m = dir .. "/ext3.ckpt", dir .. "/ext3.jsonl"
    local code, _, err = train(a .. " --resume " .. ck .. " --continue extend --epochs 6 --until 3 --quiet --checkpoint " .. ext)
    assert.are.equal(0, code, err)
    local out
    code, out, err = train(a .. " --resume " .. ext .. " --metrics " .. m)
    assert.are.equal(0, code, err)
    assert.are.equal("", err) -- a notice, not a warning
    assert.matches("run length: 108 steps %(6 epochs%), the checkpoint's plan's %(recorded with [^)]*%-%-epochs 6[^)]*%), "
                   .. "not the config's 4 epochs", out)
    local r = rates(m)
    for s = 55, 108 do
      local u = K + (s - 1 - K) / 2
      local lo = math.floor(u)
      near(plan(lo) + (plan(lo + 1) - plan(lo)) * (u - lo), r[s], "step " .. s)
    end
    assert.is_nil(r[109])
    local logged = sh.slurp(dir .. "/ext3.events.jsonl")
    assert.matches('"event":"length","node":"run","op":"checkpoint"', logged)
    -- --plan config: the config's 4 epochs, and its schedule from the resume step (a replace)
    local mc = dir .. "/ext3c.jsonl"
    code, out, err = train(a .. " --resume " .. ext .. " --plan config --metrics " .. mc)
    assert.are.equal(0, code, err)
    assert.matches("run length: 72 steps %(4 epochs%), the config's: %-%-plan config takes its plan; the checkpoint's ran 108", out)
    r = rates(mc)
    for s = 55, 72 do near(plan(s - 1), r[s], "step " .. s) end
    assert.is_nil(r[73])
  end)

  it("re-warms to a peak, then runs the config's schedule from its own step 0", function()
    local m = dir .. "/rw.jsonl"
    local code, _, err = train(b .. " --resume " .. ck .. " --continue rewarm:steps=10%,peak=0.08 --epochs 5 --metrics " .. m)
    assert.are.equal(0, code, err)
    local r, v0 = rates(m), plan(K)
    -- 10% of 90 steps: 9; linear from v0 to 0.08, then b's warmup+cosine from its step 0
    for s = K + 1, K + 9 do near(v0 + (0.08 - v0) * (s - 1 - K) / 9, r[s], "step " .. s) end
    near(0, r[K + 10], "b at its step 0 (warm-up from 0)")
    near(0.02, r[K + 11], "b at its step 1")
  end)

  it("replace carries a plateau's reductions by path", function()
    local p1 = cfg("p1.lua", "S.plateau{S.cosine{lr = 0.1, t_max = 72}, patience = 0, factor = 0.5, mode = 'max'}",
                   ' observe = "val_loss",')
    local p2 = cfg("p2.lua", "S.plateau{S.cosine{lr = 0.1, t_max = 144}, patience = 0, factor = 0.5, mode = 'max'}",
                   ' observe = "val_loss",')
    local c, m1, m2 = dir .. "/p.ckpt", dir .. "/p1.jsonl", dir .. "/p2.jsonl"
    assert.are.equal(0, (train(p1 .. " --checkpoint " .. c .. " --until 2 --quiet")))
    assert.are.equal(0, (train(p1 .. " --resume " .. c .. " --until 3 --metrics " .. m1 .. " --quiet")))
    local code, out, err = train(p2 .. " --resume " .. c .. " --until 3 --continue replace --metrics " .. m2)
    assert.are.equal(0, code, err)
    assert.matches("the state of 1 node carried by path", out)
    -- the reductions at K (mode max on a falling loss: epoch 2 is bad, so at least one): the exact resume's
    -- rate over its cosine; the replaced plan's rate is its cosine times the same
    local scale = rates(m1)[K + 1] / (0.05 * (1 + math.cos(math.pi * K / 72)))
    assert.is_true(scale <= 0.5)
    near(scale * 0.05 * (1 + math.cos(math.pi * K / 144)), rates(m2)[K + 1], "carried reductions")
  end)

  it("replace carries a script's state by path", function()
    -- the script counts its calls in ctx.state, one per step: steps 0..35 under s1 leave
    -- calls = 36; s2's rate is 0.001 * calls, so step 36 (its 37th call) uses 0.037
    local body = "{state = {}, at = function(self, step) self.state.calls = (self.state.calls or 0) + 1 return %s end}"
    local s1 = cfg("s1.lua", body:format("0.1"))
    local s2 = cfg("s2.lua", body:format("0.001 * self.state.calls"))
    local c, m = dir .. "/s.ckpt", dir .. "/s.jsonl"
    assert.are.equal(0, (train(s1 .. " --checkpoint " .. c .. " --until 2 --quiet")))
    local code, out, err = train(s2 .. " --resume " .. c .. " --continue replace --until 3 --metrics " .. m)
    assert.are.equal(0, code, err)
    assert.matches("the state of 1 node carried by path", out)
    local r = rates(m)
    near(0.037, r[K + 1], "step 36")
    near(0.054, r[54], "step 53")
  end)

  -- A checkpoint is hostile input, and the plan it records is code a resume runs: the config's
  -- text, rebuilt in the sandbox within its limits. Here a.lua's recorded text is replaced by a
  -- loop (then by a precompiled chunk) of the same length, its hash and the checkpoint's CRC made
  -- right, so the text itself is what must be refused.
  it("runs a recorded config in the sandbox: a looping or precompiled one is refused", function()
    local good, src = sh.slurp(ck), sh.slurp(a)
    for _, bad in ipairs{{"while true do end", "instruction budget of %d+ per call exceeded"},
                         {"\27Lua", "attempt to load a binary chunk"}} do
      local b = assert(ckpt.replace_source(good, "a.lua", src, bad[1]))
      local path = sh.write(dir .. "/hostile.ckpt", b)
      local code, _, err = train(a .. " --resume " .. path .. " --checkpoint " .. dir .. "/never.ckpt")
      assert.are.equal(1, code)
      assert.matches("checkpoint .-hostile%.ckpt: rebuilding its recorded plan: a%.lua.-" .. bad[2], err)
      assert.is_nil(io.open(dir .. "/never.ckpt"))
    end
  end)

  it("refuses what cannot continue, with usage errors for the options", function()
    local code, _, err = train(a .. " --resume " .. ck .. " --continue rewarm:steps=5")
    assert.are.equal(2, code)
    assert.matches("rewarm needs peak=X", err)
    code, _, err = train(a .. " --resume " .. ck .. " --continue cooldwn:steps=5")
    assert.are.equal(2, code)
    assert.matches("unknown change 'cooldwn' %(did you mean 'cooldown'%?%)", err)
    code, _, err = train(a .. " --continue replace")
    assert.are.equal(2, code)
    assert.matches("need %-%-resume", err)
    code, _, err = train(a .. " --resume " .. ck .. " --continue cooldown:steps=5,steps=6")
    assert.are.equal(2, code)
    assert.matches("cooldown: steps given twice", err)
    code, _, err = train(a .. " --resume " .. ck .. " --continue cooldown:steps=1Mtokens,tokens_per_step=0")
    assert.are.equal(2, code)
    assert.matches("tokens_per_step=0: not a number > 0", err)
    code, _, err = train(a .. " --resume " .. ck .. " --continue cooldown:steps=2weeks")
    assert.are.equal(1, code)
    assert.matches("duration '2weeks': unknown unit 'weeks'", err)
    code, _, err = train(a .. " --resume " .. ck .. " --continue extend")
    assert.are.equal(1, code)
    assert.matches("extend: the run's 72 steps are the plan's already: give %-%-epochs", err)
    code, _, err = train(b .. " --resume " .. ck .. " --plan checkpoint --continue replace")
    assert.are.equal(1, code)
    assert.matches("give one of them", err)
  end)
end)
