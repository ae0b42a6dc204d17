-- Prodigy beside its golden traces (spec/support/modern/prodigy.lua): d as
-- scripts see it (ctx.d, the d the step starts from), the reference's early
-- return while every gradient is zero, and the refusal of groups with
-- different nonzero rates (prodigy_reference.py raises on them).
local lre = require "lrengine"

describe("prodigy", function()
  it("shows scripts the d a step starts from as ctx.d", function()
    local p, g = lre.tensor{1, -2, 3}, lre.tensor(3)
    local seen = {}
    local opt = lre.optim.prodigy{params = p, grads = g, d0 = 1e-3, weight_decay = function(step, ctx)
      seen[step + 1] = ctx.d
      return 0
    end}
    local want = {}
    for t = 1, 6 do
      want[t] = opt:get("d")
      for i = 1, 3 do g[i] = p[i] - 0.5 * i end -- the gradient of a quadratic, minimum at 0.5 i
      opt:step()
    end
    assert.are.same(want, seen)
    assert.are.equal(1e-3, seen[1])
    assert.is_true(opt:get("d") > 1e-3) -- it grew
    local other = lre.optim.adam{params = p, grads = g, lr = function(_, ctx) seen.adam = ctx.d; return 0.1 end}
    other:step()
    assert.is_nil(seen.adam) -- another optimizer has no d
  end)

  it("changes nothing while every gradient is zero (the reference returns early)", function()
    local p, g = lre.tensor{1, 2}, lre.tensor(2)
    local opt = lre.optim.prodigy{params = p, grads = g, weight_decay = 0.1}
    opt:step()
    opt:step()
    assert.are.same({1, 2}, p:totable())
    assert.are.equal(1e-6, opt:get("d"))
    assert.are.equal(2, opt:step_count())
  end)

  it("refuses groups with different nonzero rates, and takes a frozen group (lr 0)", function()
    local a, b, c = lre.tensor{1}, lre.tensor{2}, lre.tensor{3}
    local ga, gb, gc = lre.tensor{1}, lre.tensor{1}, lre.tensor{1}
    local opt = lre.optim.prodigy{{params = a, grads = ga}, {params = b, grads = gb, lr = 0.5}}
    assert.has_error(function() opt:step() end,
      "prodigy: groups' lr must be equal or 0 (group 2 has 0.5, the largest is 1)")
    assert.are.equal(0, opt:step_count())
    local ok = lre.optim.prodigy{{params = a, grads = ga}, {params = c, grads = gc, lr = 0}}
    ok:step()
    assert.are.equal(3, c[1]) -- frozen: no moments, so its step adds 0
    assert.are_not.equal(1, a[1])
  end)
end)
