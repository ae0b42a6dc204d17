-- The training job with gradient clipping and the spike guard (clip = ...,
-- guard = ... in a config): the metrics JSONL carries each logged step's
-- grad_norm and the epochs' guard_skips, a guard that skips writes a
-- skipped_step event with the values that triggered it, and config errors
-- name the key.
local sh = require "support.sh"
local json = require "lrengine.tune_json"

local dir = sh.tmpdir()
local FASHION = "/usr/share/datasets/fashion-mnist"

local function config(extra)
  local path = dir .. "/c" .. tostring(math.random(1e9)) .. ".lua"
  sh.write(path, ([[
local lre = require "lrengine"
return {
  data = {source = "fashion-mnist", dir = "%s", validation = 500, limit = 2000, test_limit = 500},
  model = {kind = "mlp", hidden = {16}},
  optimizer = {"sgd", lr = 0.05, momentum = 0.9},
  %s
  epochs = 1, batch_size = 100, seed = 2, log_every = 1,
}]]):format(FASHION, extra))
  return path
end

local function lines(path)
  local out = {}
  for l in sh.slurp(path):gmatch("[^\n]+") do out[#out + 1] = json.decode(l) end
  return out
end

describe("lrengine train with clipping and a spike guard", function()
  it("reports every logged step's gradient norm, and clips by it", function()
    local c = config("clip = {max_norm = 0.5}, guard = 'zscore',")
    local code, _, err = sh.lre("train " .. c .. " --quiet --metrics " .. dir .. "/m.jsonl")
    assert.are.equal(0, code, err)
    local steps, epoch = 0, nil
    for _, l in ipairs(lines(dir .. "/m.jsonl")) do
      if l.step and not l.epoch_end and l.loss then
        assert.is_number(l.grad_norm)
        assert.is_true(l.grad_norm > 0)
        steps = steps + 1
      end
      if l.val_acc then epoch = l end
    end
    assert.are.equal(20, steps) -- limit = 2000 training rows (the validation rows come besides), batches of 100
    assert.is_number(epoch.guard_skips)
  end)

  it("skips the steps a guard function rejects, with an event naming the values", function()
    -- the guard skips steps 3 and 4 (ctx.step is the step count, which a skip does not advance:
    -- so it counts its calls in its own state)
    local c = config([[guard = {function(ctx)
    ctx.state.calls = (ctx.state.calls or 0) + 1
    if ctx.state.calls == 4 or ctx.state.calls == 5 then return "skip" end
    return "keep"
  end, max_skips = 2},]])
    local events = dir .. "/g.events.jsonl"
    local code, _, err = sh.lre("train " .. c .. " --quiet --metrics " .. dir .. "/g.jsonl --events " .. events)
    assert.are.equal(0, code, err)
    local skips = {}
    for _, e in ipairs(lines(events)) do
      if e.event == "skipped_step" then skips[#skips + 1] = e end
    end
    assert.are.equal(2, #skips)
    assert.are.equal(3, skips[1].step) -- three steps taken before the fourth call
    assert.are.equal(1, skips[1].guard)
    assert.is_number(skips[1].grad_norm)
    assert.is_number(skips[1].loss)
    local last
    for _, l in ipairs(lines(dir .. "/g.jsonl")) do if l.val_acc then last = l end end
    assert.are.equal(2, last.guard_skips)
    assert.are.equal(18, last.step) -- 20 batches, 2 skipped
  end)

  it("refuses bad settings, naming the key", function()
    local function refused(extra, want)
      local code, _, err = sh.lre("train " .. config(extra) .. " --quiet")
      assert.are.equal(1, code)
      assert.matches(want, err, 1, true)
    end
    refused("clip = 'x',", "clip must be a number (max_norm) or a table")
    refused("clip = {max_norm = -1},", "clip norm: max_norm must be >= 0, got -1")
    refused("guard = 'zscroe',", "guard: unknown rule 'zscroe' (did you mean 'zscore'?")
    refused("guard = {'zscore', window = 1},", "guard zscore: window must be a whole number in [2, 1048576], got 1")
    refused("guard = 3,", "guard must be a rule ('zscore', 'threshold'), a function or a table")
  end)
end)
