-- Weight averaging and schedule-free modes from Lua: an lr schedule on top
-- of schedule-free's warm-up, the swap and eval/train round trips, save and
-- load in each mode, and misuse errors. The arithmetic itself is pinned by
-- the golden traces (spec/support/modern/ema.lua and schedule_free.lua).
local lre = require "lrengine"

describe("schedule-free optimizers", function()
  it("take an lr schedule on top of their warm-up", function()
    -- the reference's lr_t = lr * min(1, (t+1)/warmup_steps), lr here the
    -- schedule's value at step t; c_t = w_t / sum(w), w_t = (t+1)^r * lr_max^2
    local w, g = lre.tensor({1, -1}), lre.tensor({0.5, 0.25})
    local opt = lre.optim.sgd_schedulefree{params = w, grads = g, warmup_steps = 3,
      lr = function(step) return 0.1 * 0.5 ^ step end}
    local lr_max, sum = 0, 0
    for t = 0, 5 do
      opt:step()
      local lr_t = 0.1 * 0.5 ^ t * math.min(1, (t + 1) / 3)
      lr_max = math.max(lr_max, lr_t)
      local weight = lr_max ^ 2
      sum = sum + weight
      local lr, c = opt:scheduled_lr()
      assert.are.near(lr_t, lr, 1e-15)
      assert.are.near(weight / sum, c, 1e-14)
    end
  end)

  it("move the parameters to x and back exactly, and refuse to step in eval mode", function()
    local w, g = lre.tensor({1, 2, 3}, "f32"), lre.tensor({0.3, -0.2, 0.1}, "f32")
    local opt = lre.optim.adamw_schedulefree{params = w, grads = g, lr = 0.01}
    for _ = 1, 3 do opt:step() end
    local y = w:totable()
    opt:eval()
    assert.are.equal("eval", opt:mode())
    assert.are_not.same(y, w:totable())
    assert.has_error(function() opt:step() end, "adamw_schedulefree: step: the optimizer is in eval mode (the parameters hold x): call train first")
    local saved = opt:save()
    opt:train()
    assert.are.same(y, w:totable())
    assert.is_true(opt:load(saved))
    assert.are.equal("eval", opt:mode()) -- the mode comes back with the state
    opt:train()
    assert.are.equal("train", opt:mode())
  end)

  it("are no-ops for other optimizers, whose scheduled_lr is an error", function()
    local opt = lre.optim.sgd{params = lre.tensor(1), grads = lre.tensor(1), lr = 0.1}
    opt:eval()
    assert.are.equal("train", opt:mode())
    assert.has_error(function() opt:scheduled_lr() end, "scheduled_lr: sgd is not a schedule-free optimizer")
  end)
end)

describe("weight averaging from Lua", function()
  it("swaps the average in and out exactly", function()
    local w, g = lre.tensor({1, 2}), lre.tensor({0.5, -0.5})
    local opt = lre.optim.sgd{params = w, grads = g, lr = 0.1, average = {kind = "ema", decay = 0.5, use_step = false}}
    assert.is_nil(opt:average())
    opt:step()
    -- use_step = false: ema = 0.5*x0 + 0.5*x1, x1 = x0 - 0.1*g
    local avg = opt:average():totable()
    assert.are.same({0.5 * 1 + 0.5 * 0.95, 0.5 * 2 + 0.5 * 2.05}, avg)
    local x = w:totable()
    assert.is_true(opt:swap_average())
    assert.are.same(avg, w:totable())
    assert.has_error(function() opt:step() end, "sgd: step: the averaged weights are swapped in: swap them back first")
    assert.is_false(opt:swap_average())
    assert.are.same(x, w:totable())
    local info = opt:average_info()
    assert.are.same({kind = "ema", swapped = false, decay = 0.5, count = 1}, info)
  end)

  it("is set, changed and removed by set_average, with errors that name the argument", function()
    local opt = lre.optim.adam{params = lre.tensor(2), grads = lre.tensor({1, 1})}
    assert.has_error(function() opt:set_average{kind = "emma"} end,
      "bad argument #2 to 'set_average' (unknown averaging rule 'emma' (did you mean 'ema'? valid names: none, ema, swa))")
    assert.has_error(function() opt:set_average{decay = 0.9} end,
      "bad argument #2 to 'set_average' (average: kind ('ema', 'swa' or 'none') is missing)")
    assert.has_error(function() lre.optim.adam{params = lre.tensor(1), grads = lre.tensor(1), average = {kind = "swa", every = 0}} end)
    opt:set_average{kind = "swa", start = 1}
    opt:step()
    assert.is_nil(opt:average()) -- after step 1 only: start = 1 averages from step 2 on
    opt:step()
    assert.are.equal(1, opt:average_info().count)
    opt:set_average(nil)
    assert.are.equal("none", opt:average_info().kind)
    assert.has_error(function() opt:swap_average() end, "adam: swap_average: no averaging is set")
  end)
end)
