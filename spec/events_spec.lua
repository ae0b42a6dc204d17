-- The event log of `lrengine train` (src/train/eventlog.c): every plateau
-- reduction of a run, at the step its metric was observed, with the metric
-- and counters; the expected reductions are derived here by replaying
-- PyTorch's ReduceLROnPlateau rule (torch/optim/lr_scheduler.py, mode min,
-- threshold_mode rel) on the validation losses the metrics file records.
local sh = require "support.sh"
local json = require "lrengine.tune_json"

local dir = sh.tmpdir()
local FASHION = "/usr/share/datasets/fashion-mnist"

local function lines(path)
  local out = {}
  for l in sh.slurp(path):gmatch("[^\n]+") do out[#out + 1] = json.decode(l) end
  return out
end

local plateau = [[
local S = require "lrengine".schedule
return {
  data = {source = "fashion-mnist", dir = "%s", validation = 500, limit = 3000, test_limit = 500},
  model = {kind = "mlp", hidden = {32}},
  optimizer = {"sgd", lr = 0.05, momentum = 0.9},
  schedule = S.warmup{S.plateau{lr = 0.05, factor = 0.5, patience = 0, threshold = 0.05}, steps = 20},
  observe = "val_loss",
  epochs = 5, batch_size = 64, seed = 3,
}]]

describe("the event log", function()
  local cfg = sh.write(dir .. "/plateau.lua", plateau:format(FASHION))

  it("records each plateau reduction of a run, as the rule gives them from the metrics", function()
    local code, _, err = sh.lre("train " .. cfg .. " --quiet --metrics " .. dir .. "/run.jsonl")
    assert.are.equal(0, code, err)
    local epochs = {}
    for _, l in ipairs(lines(dir .. "/run.jsonl")) do
      if l.val_loss then epochs[#epochs + 1] = l end
    end
    assert.are.equal(5, #epochs)
    -- the rule: best starts at +inf; a loss below best * (1 - threshold) is
    -- better, anything else a bad epoch; more than patience (0) bad epochs
    -- halve the rate, observed after the epoch's last step
    local expected, best, lr = {}, math.huge, 0.05
    for _, e in ipairs(epochs) do
      assert.are.near(lr, e.lr, 1e-15) -- the rate the epoch ended with
      if e.val_loss < best * (1 - 0.05) then
        best = e.val_loss
      else
        expected[#expected + 1] = {step = e.step, metric = e.val_loss, best = best, before = lr, after = lr / 2}
        lr = lr / 2
      end
    end
    local got = {}
    local events = lines(dir .. "/run.events.jsonl")
    for _, ev in ipairs(events) do
      if ev.event == "plateau_reduce" then got[#got + 1] = ev end
    end
    assert.is_true(#expected >= 1, "the run is meant to reach a plateau")
    assert.are.equal(#expected, #got)
    for i, want in ipairs(expected) do
      local ev = got[i]
      assert.are.equal("lr/warmup/plateau", ev.node)
      assert.are.equal(want.step, ev.step)
      assert.are.equal(want.metric, ev.metric)
      assert.are.equal(want.best, ev.best)
      assert.are.equal(1, ev.num_bad_epochs)
      assert.are.near(want.before, ev.lr_before, 1e-15)
      assert.are.near(want.after, ev.lr_after, 1e-15)
    end
    -- the warm-up's end: step 20, in the first epoch (ceil(3000 / 64) = 47 steps)
    assert.are.same({20, 1, "warmup_end", "lr/warmup"}, {events[1].step, events[1].epoch, events[1].event, events[1].node})
  end)

  it("is appended to on --resume, with the resume recorded", function()
    local ck, m = dir .. "/r.ckpt", dir .. "/r.jsonl"
    assert.are.equal(0, (sh.lre("train " .. cfg .. " --quiet --epochs 5 --until 2 --checkpoint " .. ck .. " --metrics " .. m)))
    local code, _, err = sh.lre("train " .. cfg .. " --quiet --resume " .. ck .. " --metrics " .. m)
    assert.are.equal(0, code, err)
    local resumes = {}
    for _, ev in ipairs(lines(dir .. "/r.events.jsonl")) do
      if ev.event == "resume" then resumes[#resumes + 1] = ev end
    end
    assert.are.equal(1, #resumes)
    assert.are.equal("run", resumes[1].node)
    assert.are.equal(2 * 47, resumes[1].step) -- 2 epochs of ceil(3000 / 64) steps
    assert.are.equal(ck, resumes[1].checkpoint)
  end)

  it("logs a schedule shared by two hyper-parameters under each of them", function()
    -- one plateau object drives lr and momentum; threshold 0.99 makes every
    -- epoch after the first a bad one (a loss below best * 0.01 is out of
    -- reach), so with patience 0 each observation after epochs 2 and 3 halves
    -- both, at the step after the epoch's last (ceil(1000 / 50) = 20 per epoch)
    local shared = sh.write(dir .. "/shared.lua", ([[
local S = require "lrengine".schedule
local P = S.plateau{lr = 0.05, factor = 0.5, patience = 0, threshold = 0.99}
return {
  data = {source = "fashion-mnist", dir = "%s", validation = 200, limit = 1000, test_limit = 200},
  model = {kind = "softmax"},
  optimizer = {"sgd", lr = 0.05, momentum = 0.5}, -- both scheduled below
  schedule = {lr = P, momentum = P},
  observe = "val_loss",
  epochs = 3, batch_size = 50, seed = 1,
}]]):format(FASHION))
    local code, _, err = sh.lre("train " .. shared .. " --quiet --metrics " .. dir .. "/shared.jsonl")
    assert.are.equal(0, code, err)
    local got = {}
    for _, ev in ipairs(lines(dir .. "/shared.events.jsonl")) do
      if ev.event == "plateau_reduce" then got[#got + 1] = {ev.step, ev.node, ev.lr_before, ev.lr_after} end
    end
    assert.are.same({{40, "lr/plateau", 0.05, 0.025}, {40, "momentum/plateau", 0.05, 0.025},
                     {60, "lr/plateau", 0.025, 0.0125}, {60, "momentum/plateau", 0.025, 0.0125}}, got)
    local momentum = {}
    for _, l in ipairs(lines(dir .. "/shared.jsonl")) do
      if l.val_loss then momentum[#momentum + 1] = l.momentum end
    end
    assert.are.same({0.05, 0.05, 0.025}, momentum) -- what each epoch's last step used: the cut at 40 in epoch 3
  end)

  it("logs the clip's bound under clip.max_norm, its plateau observed as lr's would be", function()
    -- the same rule as above (threshold 0.99: every epoch after the first is
    -- a bad one) on the clip's max_norm: halved after epochs 2 and 3
    local clip = sh.write(dir .. "/clip.lua", ([[
local S = require "lrengine".schedule
return {
  data = {source = "fashion-mnist", dir = "%s", validation = 200, limit = 1000, test_limit = 200},
  model = {kind = "softmax"},
  optimizer = {"sgd", lr = 0.05},
  clip = {max_norm = S.plateau{lr = 2, factor = 0.5, patience = 0, threshold = 0.99}},
  observe = "val_loss",
  epochs = 4, batch_size = 50, seed = 1,
}]]):format(FASHION))
    local code, _, err = sh.lre("train " .. clip .. " --quiet --metrics " .. dir .. "/clip.jsonl")
    assert.are.equal(0, code, err)
    local got = {}
    for _, ev in ipairs(lines(dir .. "/clip.events.jsonl")) do
      if ev.event == "plateau_reduce" then got[#got + 1] = {ev.step, ev.node, ev.lr_before, ev.lr_after} end
    end
    assert.are.same({{40, "clip.max_norm/plateau", 2, 1}, {60, "clip.max_norm/plateau", 1, 0.5},
                     {80, "clip.max_norm/plateau", 0.5, 0.25}}, got)
  end)

  it("goes where --events says, and a log that cannot be written fails the run", function()
    local code, _, err = sh.lre("train " .. cfg .. " --quiet --epochs 1 --events " .. dir .. "/e.jsonl")
    assert.are.equal(0, code, err)
    assert.matches('"event":"warmup_end"', sh.slurp(dir .. "/e.jsonl"))
    code, _, err = sh.lre("train " .. cfg .. " --quiet --epochs 1 --events " .. dir .. "/no/such/dir/e.jsonl")
    assert.are.equal(1, code)
    assert.matches("cannot write event log .*no/such/dir/e.jsonl", err)
  end)
end)
