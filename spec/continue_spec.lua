-- Continuing a plan: extend, cooldown, rewarm, replace (src/core/schedule_continue.c),
-- and the tree as a whole: text, where two trees differ, state carried by path
-- (src/core/schedule_tree.c). A carry that a script refuses changes nothing: tests/c/test_core_continue.c.
--
-- Expected values are derived by hand from each continuation's definition
-- (doc/schedules.md) on plans whose values are known in closed form:
--   plan = cosine{lr = 1, t_max = 100}: plan(t) = (1 + cos(pi t / 100)) / 2, so at the
--   resume step K = 40, cos(0.4 pi) = (sqrt(5) - 1) / 4 and
--   v0 = plan(40) = (1 + (sqrt(5) - 1) / 4) / 2 = (3 + sqrt(5)) / 8 = 0.654508...
--   lin = polynomial{lr = 1, total_iters = 100} (power 1): lin(t) = 1 - t / 100.
local lre = require "lrengine"
local S = lre.schedule

local K = 40
local v0 = (3 + math.sqrt(5)) / 8
local function plan() return S.cosine{lr = 1, t_max = 100} end
local function near(want, got, tol)
  tol = tol or 1e-12
  assert(math.abs(want - got) <= tol * math.max(1, math.abs(want)),
         ("expected %.17g, got %.17g"):format(want, got))
end
-- the continued schedule equals the plan before K and at K (continuity)
local function continuous(c, p, upto)
  for t = 0, upto or K do near(p:at(t), c:at(t), 0) end
end

describe("cooldown", function()
  it("decays from the plan's value at K to the floor over steps, in each shape", function()
    local floor, n = 0.01, 8
    -- at x = (t - K) / n: linear v0 + (floor - v0) x; cosine v0 + (floor - v0) (1 - cos(pi x)) / 2;
    -- sqrt v0 + (floor - v0) sqrt(x) (the "1 - sqrt" cool-down: floor + (v0 - floor)(1 - sqrt x)).
    -- g(1/4) and g(1/2) by hand: linear 1/4, 1/2; cosine (1 - sqrt(2)/2) / 2, 1/2; sqrt 1/2, sqrt(2)/2
    local g = {linear = {0.25, 0.5}, cosine = {(1 - math.sqrt(2) / 2) / 2, 0.5}, sqrt = {0.5, math.sqrt(2) / 2}}
    for shape, want in pairs(g) do
      local c = S.cooldown{plan(), at = K, steps = n, shape = shape, floor = floor}
      continuous(c, plan())
      near(v0, c:at(K))
      near(v0 + (floor - v0) * want[1], c:at(K + 2))
      near(v0 + (floor - v0) * want[2], c:at(K + 4))
      near(floor, c:at(K + n))
      near(floor, c:at(K + 1000))
    end
  end)
  it("starts from a given value instead of the plan's", function()
    local c = S.cooldown{plan(), at = K, steps = 4, value = 0.5}
    near(0.5, c:at(K)); near(0.25, c:at(K + 2)); near(0, c:at(K + 4))
  end)
end)

describe("extend", function()
  it("stretches the rest of a linear decay to the new total, exactly", function()
    -- u = K + (t - K) (100 - K) / (160 - K) = 40 + (t - 40) / 2; lin(u) = 1 - u / 100
    local lin = function() return S.polynomial{lr = 1, total_iters = 100} end
    local e = S.extend{lin(), at = K, old_total = 100, total = 160}
    continuous(e, lin())
    near(1 - 40.5 / 100, e:at(41))
    near(0.3, e:at(100))
    near(0, e:at(160))
  end)
  it("stretches a cosine within the interpolation bound", function()
    -- cosine at u between whole steps: within pi^2 / (16 T^2) (T = 100) of the closed form
    local e = S.extend{plan(), at = K, old_total = 100, total = 130}
    continuous(e, plan())
    for t = K, 130 do
      local u = K + (t - K) * 60 / 90
      local want = (1 + math.cos(math.pi * u / 100)) / 2
      assert(math.abs(e:at(t) - want) <= math.pi ^ 2 / (16 * 100 ^ 2), t)
    end
    near(0, e:at(130))
  end)
  it("refuses a total that ends before the resume step", function()
    assert.has_error(function() S.extend{plan(), at = K, old_total = 100, total = K} end,
                     "bad argument #1 to 'extend' (total (40) must be > at (40))")
  end)
end)

describe("rewarm", function()
  it("climbs from the plan's value to the peak, then runs the next schedule from its step 0", function()
    local nxt = function() return S.cosine{lr = 0.5, t_max = 50} end
    local r = S.rewarm{plan(), nxt(), at = K, steps = 10, peak = 0.5}
    continuous(r, plan())
    near(v0 + (0.5 - v0) * 0.5, r:at(K + 5))
    near(0.5, r:at(K + 10))                                     -- next(0) = 0.5
    near(0.25 * (1 + math.cos(0.2 * math.pi)), r:at(K + 20))   -- next(10)
    local unshifted = S.rewarm{plan(), nxt(), at = K, steps = 10, peak = 0.5, shift = false}
    near(0.25 * (1 + math.cos(math.pi * (K + 20) / 50)), unshifted:at(K + 20))
  end)
end)

describe("replace", function()
  it("runs another schedule from K, on the run's steps or its own", function()
    local new = function() return S.constant{lr = 0.2} end
    local r = S.replace{plan(), S.exponential{lr = 1, gamma = 0.5}, at = K}
    continuous(r, plan(), K - 1)
    near(0.5 ^ K, r:at(K))
    local shifted = S.replace{plan(), S.exponential{lr = 1, gamma = 0.5}, at = K, shift = true}
    near(1, shifted:at(K)); near(0.25, shifted:at(K + 2))
    near(0.2, S.replace{plan(), new(), at = K}:at(K + 7))
  end)
end)

describe("a plan continued twice", function()
  it("keeps its history: each continuation holds the plan before it", function()
    -- replace at 40 by constant 0.3, then cool down at 60 over 20 steps (linear) to 0.1
    local once = S.replace{plan(), S.constant{lr = 0.3}, at = K}
    local twice = S.cooldown{once, at = 60, steps = 20, floor = 0.1}
    near(plan():at(10), twice:at(10))
    near(0.3, twice:at(59))
    near(0.3, twice:at(60))
    near(0.2, twice:at(70))
    near(0.1, twice:at(90))
    assert.are.equal("cooldown{at=60, steps=20, shape=linear, floor=0.1}(replace{at=40, shift=false}(" ..
                     "cosine{lr=1, t_max=100, eta_min=0, hold=false, exponent=1}, constant{lr=0.3, factor=1, total_iters=0}))",
                     twice:text())
  end)
  it("saves and loads the state of the plans it holds", function()
    local function build()
      return S.cooldown{S.replace{S.plateau{lr = 1, patience = 0, factor = 0.5}, plan(), at = 5}, at = 8, steps = 4}
    end
    local a = build()
    a:observe(1); a:observe(2)        -- one bad observation past patience 0: the plateau halves
    near(0.5, a:at(0))
    local b = build()
    b:load(a:save())
    near(0.5, b:at(0))
    assert.has_error(function() S.cooldown{plan(), at = 8, steps = 5}:load(a:save()) end)
  end)
end)

describe("schedule:differ", function()
  it("names the node, the parameter, the old and the new value", function()
    local a = S.warmup{S.cosine{lr = 1e-3, t_max = 1716}, steps = 429}
    local b = S.warmup{S.cosine{lr = 1e-3, t_max = 3432}, steps = 429}
    assert.are.equal("warmup/cosine: t_max 1716 -> 3432", a:differ(b))
    assert.is_nil(a:differ(S.warmup{S.cosine{lr = 1e-3, t_max = 1716}, steps = 429}))
    assert.are.equal("warmup: steps 429 -> 100", a:differ(S.warmup{S.cosine{lr = 1e-3, t_max = 1716}, steps = 100}))
    assert.are.equal("the kind: warmup -> cosine", a:differ(S.cosine{lr = 1, t_max = 5}))
    assert.are.equal("sequence/2:step: the kind: step -> constant",
                     S.sequence{S.constant{lr = 1}, S.step{lr = 1, step_size = 2}, milestones = {3}}:differ(
                       S.sequence{S.constant{lr = 1}, S.constant{lr = 1}, milestones = {3}}))
    assert.are.equal("warmup: mode linear -> constant",
                     a:differ(S.warmup{S.cosine{lr = 1e-3, t_max = 1716}, steps = 429, mode = "constant"}))
  end)
end)

describe("schedule:carry", function()
  it("carries plateau counters by path, cut to the new patience", function()
    -- metrics 11..16 rising, patience 3: 11 best; 12, 13, 14 bad (3); 15 bad (4 > 3): halve, 0; 16 bad (1)
    local old = S.warmup{S.plateau{S.cosine{lr = 1, t_max = 100}, patience = 3, factor = 0.5}, steps = 0}
    for m = 11, 16 do old:observe(m) end
    local new = S.warmup{S.plateau{S.cosine{lr = 1, t_max = 200}, patience = 1, factor = 0.5}, steps = 0}
    assert.are.equal(1, new:carry(old))
    near(0.5 * (1 + math.cos(math.pi * 10 / 200)) / 2, new:at(10))
    -- num_bad_epochs 1 = patience 1: one more bad observation reduces again
    new:observe(17)
    near(0.25 * (1 + math.cos(math.pi * 10 / 200)) / 2, new:at(10))
  end)
  it("carries a script's state to the script at the same path", function()
    local function scr(n)
      return S.custom({state = {n = n}, at = function(self) return 0.1 * (self.state.n or 0) end}, "scr.lua")
    end
    local to = S.scale{scr(nil), factor = 2}
    assert.are.equal(1, to:carry(S.scale{scr(3), factor = 1}))
    near(0.6, to:at(0))
    assert.are.equal(0, S.scale{S.custom(function() return 1 end, "other.lua"), factor = 2}:carry(S.scale{scr(3), factor = 1}))
  end)
end)

describe("durations", function()
  it("resolve in steps, epochs, % of the run and tokens (lre.duration)", function()
    -- 10% of 1000 = 100; 2 epochs of 50 = 100; 3M tokens at 1e4 per step = 300
    assert.are.equal(100, lre.duration("10%", {total_steps = 1000}))
    assert.are.equal(100, lre.duration("2 epochs", {steps_per_epoch = 50}))
    assert.are.equal(300, lre.duration("3M tokens", {tokens_per_step = 1e4}))
    assert.are.equal(7, lre.duration("7"))
    assert.has_error(function() lre.duration("10%") end,
                     "bad argument #1 to 'duration' (duration '10%': a fraction of the run needs its total steps, unknown here)")
  end)
  it("in a schedule's parameters plan it for the run, resolved when the run's length is known", function()
    -- on 100 steps: warm-up 10% = 10 steps, then a cosine over 90% = 90 steps: at t >= 10,
    -- (1 + cos(pi (t - 10) / 90)) / 2: 1 at 10, 1/2 at 55, 0 at 100
    local w, g = lre.tensor({0}), lre.tensor({0})
    local opt = lre.optim.sgd{params = w, grads = g, total_steps = 100,
                              lr = S.warmup{S.cosine{lr = 1, t_max = "90%"}, steps = "10%"}}
    local seen = {}
    for t = 0, 99 do
      opt:step()
      seen[t] = opt:get("lr") -- the rate step t used
    end
    near(0, seen[0]); near(0.5, seen[5]); near(1, seen[10]); near(0.5, seen[55])
    near((1 + math.cos(math.pi * 89 / 90)) / 2, seen[99])
    -- a length unknown is an error that says so
    assert.has_error(function() S.cosine{lr = 1, t_max = "50%"}:at(3) end)
  end)
  it("in tokens, with tokens_per_step beside them", function()
    local w, g = lre.tensor({0}), lre.tensor({0})
    -- 2k tokens at 500 a step: 4 steps of linear warm-up
    local opt = lre.optim.sgd{params = w, grads = g, total_steps = 10,
                              lr = S.warmup{S.constant{lr = 1}, steps = "2k tokens", tokens_per_step = 500}}
    local seen = {}
    for t = 0, 5 do opt:step() seen[t] = opt:get("lr") end
    near(0, seen[0]); near(0.25, seen[1]); near(0.75, seen[3]); near(1, seen[4])
  end)
end)

describe("a live optimizer's plan", function()
  it("continues in place: opt:set(name, S.cooldown{opt:schedule(name), at = opt:step_count(), ...})", function()
    local w, g = lre.tensor({0}), lre.tensor({0})
    local opt = lre.optim.sgd{params = w, grads = g, lr = plan()}
    for _ = 1, K do opt:step() end
    -- step K uses the plan's value there, v0; then linear over 8 steps to 0 (x = 1/2 at K + 4)
    opt:set("lr", S.cooldown{opt:schedule("lr"), at = opt:step_count(), steps = 8})
    local seen = {}
    for t = K, K + 9 do opt:step() seen[t] = opt:get("lr") end
    near(v0, seen[K]); near(v0 / 2, seen[K + 4]); near(0, seen[K + 8]); near(0, seen[K + 9])
    -- the optimizer's saved state holds the plan's: a fresh optimizer under the same tree resumes it
    local again = lre.optim.sgd{params = lre.tensor({0}), grads = lre.tensor({0}),
                                lr = S.cooldown{plan(), at = K, steps = 8}}
    again:load(opt:save())
    again:step()
    near(0, again:get("lr"))
  end)
end)
