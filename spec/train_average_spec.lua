-- The training job with weight averaging (average = {...}) and with the
-- schedule-free optimizers: both accuracies reported (the printed lines and
-- the metrics JSONL), runs that resume exactly (schedule-free checkpoints are
-- written in eval mode), and config errors that name the key.
local sh = require "support.sh"

local dir = sh.tmpdir()
local FASHION = "/usr/share/datasets/fashion-mnist"

local function config(name, body) return sh.write(dir .. "/" .. name, body) end

local function small(optimizer, extra)
  return config("c" .. tostring(math.random(1e9)) .. ".lua", ([[
local lre = require "lrengine"
return {
  data = {source = "fashion-mnist", dir = "%s", validation = 500, limit = 3000, test_limit = 1000},
  model = {kind = "mlp", hidden = {32}},
  optimizer = %s,
  %s
  epochs = 3, batch_size = 64, seed = 3,
}]]):format(FASHION, optimizer, extra or ""))
end

local function figures(out, key)
  local t = {}
  for v in out:gmatch(key .. "=([%d.]+)") do t[#t + 1] = tonumber(v) end
  return t
end

describe("lrengine train with weight averaging", function()
  it("reports both accuracies; with decay 0 the average is the weights, so they agree", function()
    -- decay 0: every update copies the weights (ema = 0*ema + 1*x), so
    -- the averaged figures must equal the plain ones exactly
    local same = small('{"adamw", lr = 3e-3}', 'average = {kind = "ema", decay = 0},')
    local code, out, err = sh.lre("train " .. same .. " --metrics " .. dir .. "/same.jsonl")
    assert.are.equal(0, code, err)
    assert.are.same(figures(out, " val_acc"), figures(out, "avg_val_acc"))
    assert.are.equal(3, #figures(out, "avg_val_acc"))
    assert.are.equal(out:match(" test_acc=([%d.]+)"), out:match("avg_test_acc=([%d.]+)"))
    local m = sh.slurp(dir .. "/same.jsonl")
    local v, a = m:match('"val_acc":([^,]+),"avg_val_loss":[^,]+,"avg_val_acc":([^,]+)')
    assert.are.equal(v, a)
    -- decay 0.95: an average of the last steps, another model
    local ema = small('{"adamw", lr = 3e-3}', 'average = {kind = "ema", decay = 0.95},')
    code, out, err = sh.lre("train " .. ema .. " --metrics " .. dir .. "/ema.jsonl")
    assert.are.equal(0, code, err)
    assert.are_not.equal(out:match(" test_loss=([%d.]+)"), out:match("avg_test_loss=([%d.]+)"))
    assert.is_true(tonumber(out:match("avg_test_acc=([%d.]+)")) > 0.6, out)
    assert.matches('"avg_val_acc":', sh.slurp(dir .. "/ema.jsonl"))
  end)

  it("averages a schedule-free optimizer's training weights (y), evaluated beside x", function()
    -- decay 0: the average is a copy of the training point y, so the averaged
    -- figures are those of y, and the run must not stop at the first evaluation
    -- (the job evaluates x in eval mode and swaps the average in at y)
    local sf = small('{"adamw_schedulefree", lr = 2.5e-3, warmup_steps = 20}', 'average = {kind = "ema", decay = 0},')
    local code, out, err = sh.lre("train " .. sf)
    assert.are.equal(0, code, err)
    assert.are.equal(3, #figures(out, "avg_val_acc"))
    assert.is_true(tonumber(out:match("avg_test_acc=([%d.]+)")) > 0.6, out)
  end)

  it("takes the decay as a schedule, and SWA", function()
    local fn = small('{"sgd", lr = 0.05, momentum = 0.9}',
      'average = {kind = "ema", decay = function(step) return step < 50 and 0.5 or 0.95 end},')
    local code, out, err = sh.lre("train " .. fn .. " --quiet")
    assert.are.equal(0, code, err)
    assert.matches("avg_test_acc=", out)
    local cst = small('{"sgd", lr = 0.05, momentum = 0.9}',
      'average = {kind = "ema", decay = lre.schedule.constant{lr = 0.9}},')
    code, out, err = sh.lre("train " .. cst .. " --quiet")
    assert.are.equal(0, code, err)
    assert.matches("avg_test_acc=", out)
    local swa = small('{"sgd", lr = 0.05, momentum = 0.9}', 'average = {kind = "swa", start = 47, every = 47},')
    code, out, err = sh.lre("train " .. swa .. " --quiet")
    assert.are.equal(0, code, err)
    assert.matches("avg_test_acc=", out)
  end)

  it("resumes exactly: byte-identical checkpoints and the same figures", function()
    -- the part run stops with --until (its plan, which checkpoints record, is the full run's)
    local cfg = small('{"adamw", lr = 3e-3}', 'average = {kind = "ema", decay = 0.9, warmup = true},')
    local full, part = dir .. "/ema_full.ckpt", dir .. "/ema_part.ckpt"
    local c1, out_full = sh.lre("train " .. cfg .. " --checkpoint " .. full)
    assert.are.equal(0, c1)
    assert.are.equal(0, (sh.lre("train " .. cfg .. " --until 1 --checkpoint " .. part)))
    local c2, out_resumed = sh.lre("train " .. cfg .. " --resume " .. part .. " --checkpoint " .. part)
    assert.are.equal(0, c2)
    assert.are.equal(sh.slurp(full), sh.slurp(part))
    assert.are.equal(out_full:match("final [^\n]+"), out_resumed:match("final [^\n]+"))
  end)

  it("refuses a checkpoint written under another averaging rule", function()
    local a = small('{"adamw", lr = 3e-3}', 'average = {kind = "ema", decay = 0.9},')
    local b = small('{"adamw", lr = 3e-3}', 'average = {kind = "ema", decay = 0.8},')
    local ck = dir .. "/rule.ckpt"
    assert.are.equal(0, (sh.lre("train " .. a .. " --epochs 1 --quiet --checkpoint " .. ck)))
    local code, _, err = sh.lre("train " .. b .. " --resume " .. ck .. " --quiet")
    assert.are.equal(1, code)
    assert.matches("another averaging rule", err)
  end)
end)

describe("lrengine train with a schedule-free optimizer", function()
  for _, kind in ipairs{'{"adamw_schedulefree", lr = 5e-3, warmup_steps = 40}',
                        '{"sgd_schedulefree", lr = 0.5, warmup_steps = 40}'} do
    it("learns and resumes exactly (checkpoints written in eval mode): " .. kind, function()
      -- the part run stops with --until (its plan, which checkpoints record, is the full run's)
      local cfg = small(kind)
      local full, part = dir .. "/sf_full.ckpt", dir .. "/sf_part.ckpt"
      local c1, out_full, err = sh.lre("train " .. cfg .. " --checkpoint " .. full)
      assert.are.equal(0, c1, err)
      assert.is_true(tonumber(out_full:match("final test_acc=([%d.]+)")) > 0.6, out_full)
      assert.are.equal(0, (sh.lre("train " .. cfg .. " --until 1 --checkpoint " .. part)))
      local c2, out_resumed = sh.lre("train " .. cfg .. " --resume " .. part .. " --checkpoint " .. part)
      assert.are.equal(0, c2)
      assert.are.equal(sh.slurp(full), sh.slurp(part))
      assert.are.equal(out_full:match("final [^\n]+"), out_resumed:match("final [^\n]+"))
      assert.are.equal(out_full:match("epoch 3/3[^(]+"), out_resumed:match("epoch 3/3[^(]+"))
    end)
  end
end)

describe("lrengine train refuses a bad average", function()
  local function fails(body, pattern)
    local code, _, err = sh.lre("train " .. config("bad_avg.lua", body) .. " --quiet")
    assert.are.equal(1, code)
    assert.matches(pattern, err)
  end
  it("names the key and the problem", function()
    fails("return {average = 0.999}", "average must be a table")
    fails("return {average = {decay = 0.9}}", "average.kind %('ema' or 'swa'%) is missing")
    fails("return {average = {kind = 'emma'}}", "did you mean 'ema'")
    fails("return {average = {kind = 'ema', decay = 2}}", "decay must be in %[0, 1%]")
    fails("return {average = {kind = 'ema', deacy = 0.9}}", "unknown parameter 'deacy'")
    fails("return {average = {kind = 'ema', decay = 'slow'}}", "average.decay must be a number")
    fails("return {average = {kind = 'swa', every = 0}}", "every")
    fails("return {average = {kind = 'ema', use_step = false, warmup = true}}", "need use_step")
  end)
end)
