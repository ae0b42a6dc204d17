-- Group plumbing (issue 13's Schedules section): a schedule driving one
-- group from Lua as lre_optim_schedule does from C, a group added to a live
-- optimizer (PyTorch's add_param_group), and loads under other
-- hyper-parameters with the side that wins said explicitly (PyTorch's
-- load_state_dict takes the saved ones). Expected values come from twin
-- optimizers built the other way (a group alone, a fresh optimizer, a load
-- followed by opt:set), compared bit for bit.
local lre = require "lrengine"
local S = lre.schedule

local function bits(t)
  local out = {}
  for i = 1, #t do out[i] = string.pack("<d", t[i]) end
  return table.concat(out)
end

describe("per-group schedules from Lua", function()
  it("drive only their group, as a single group with that schedule runs", function()
    local a, b = lre.tensor{1, 2}, lre.tensor{3, 4}
    local ga, gb = lre.tensor{0.5, -1}, lre.tensor{2, 0.25}
    local opt = lre.optim.sgd{{params = a, grads = ga}, {params = b, grads = gb}, lr = 0.1, momentum = 0.9}
    opt:set("lr", S.cosine{lr = 0.3, t_max = 7}, 2)
    assert.is_nil(opt:schedule("lr", 1))
    assert.are.equal("cosine", opt:schedule("lr", 2):kind())
    local a1, b1 = lre.tensor{1, 2}, lre.tensor{3, 4}
    local o1 = lre.optim.sgd{params = a1, grads = lre.tensor{0.5, -1}, lr = 0.1, momentum = 0.9}
    local o2 = lre.optim.sgd{params = b1, grads = lre.tensor{2, 0.25}, lr = S.cosine{lr = 0.3, t_max = 7}, momentum = 0.9}
    for _ = 1, 5 do opt:step(); o1:step(); o2:step() end
    assert.are.equal(bits(a1), bits(a))
    assert.are.equal(bits(b1), bits(b))
    assert.are.equal(o2:get("lr"), opt:get("lr", 2))
  end)
end)

describe("opt:add_group", function()
  it("adds a group to a live optimizer, with the defaults and fresh state (add_param_group)", function()
    local a, ga = lre.tensor{1, -1}, lre.tensor{0.2, 0.4}
    local opt = lre.optim.adam{params = a, grads = ga, lr = 0.01}
    opt:step(); opt:step()
    opt:set("weight_decay", 0.1) -- every group and the defaults
    local b, gb = lre.tensor{{1, 2}, {3, 4}}, lre.tensor{0.1, 0.2, 0.3, 0.4}
    assert.are.equal(2, opt:add_group{params = b, grads = gb, lr = 0.05})
    assert.are.equal(0.1, opt:get("weight_decay", 2))
    assert.are.equal(0.05, opt:get("lr", 2))
    assert.are.same({2, 2}, {opt:shape(2)})
    opt:step()
    -- the new group's first update is a fresh Adam's first (bias corrections at t = 1)
    local b1 = lre.tensor{1, 2, 3, 4}
    local fresh = lre.optim.adam{params = b1, grads = lre.tensor{0.1, 0.2, 0.3, 0.4}, lr = 0.05, weight_decay = 0.1}
    fresh:step()
    assert.are.equal(bits(b1), bits(b))
    assert.are.equal(3, opt:step_count())
  end)

  it("refuses what the constructor refuses, naming add_group, and params already in a group", function()
    local a, ga = lre.tensor(2), lre.tensor(2)
    local opt = lre.optim.sgd{params = a, grads = ga, lr = 0.1}
    assert.has_error(function() opt:add_group{params = a, grads = ga} end,
      "bad argument #2 to 'add_group' (group 2: its params are in another group too)")
    assert.has_error(function() opt:add_group{params = lre.tensor(2), grads = lre.tensor(3)} end,
      "bad argument #2 to 'add_group' (group 2: params and grads must have the same size and dtype)")
    assert.has_error(function() opt:add_group{params = lre.tensor(2), grads = lre.tensor(2), momentum = -1} end,
      "bad argument #2 to 'add_group' (group 2: momentum must be >= 0, got -1)")
    assert.are.equal(1, #{opt:shape(1)})
    assert.has_error(function() opt:shape(2) end)
  end)
end)

describe("loading under other hyper-parameters", function()
  local function adam(lr, extra)
    local p = lre.tensor{1, -2, 0.5}
    local args = {params = p, grads = lre.tensor{0.3, -0.1, 0.7}, lr = lr}
    for k, v in pairs(extra or {}) do args[k] = v end
    return lre.optim.adam(args), p
  end

  it("takes the saved ones by default (PyTorch), keeps this optimizer's with hparams = 'current'", function()
    local a = adam(0.01)
    a:step(); a:step()
    local bytes = a:save()
    local saved = adam(0.05)
    saved:load(bytes)
    assert.are.equal(0.01, saved:get("lr"))
    local cur, pc = adam(0.05)
    cur:load(bytes, {hparams = "current"})
    assert.are.equal(0.05, cur:get("lr"))
    assert.are.equal(2, cur:step_count())
    -- the same as loading the saved state, then setting the rate
    local twin, pt = adam(0.05)
    twin:load(bytes)
    twin:set("lr", 0.05)
    cur:step(); twin:step()
    assert.are.equal(bits(pt), bits(pc))
    assert.has_error(function() cur:load(bytes, {hparams = "mine"}) end)
  end)

  it("lets switches differ under 'current' when the state buffers are the same ones", function()
    local a = adam(0.01)
    a:step()
    local bytes = a:save()
    local m = adam(0.01, {maximize = true})
    assert.has_error(function() m:load(bytes) end)
    assert.is_true(m:load(bytes, {hparams = "current"}))
    assert.are.equal(1, m:get("maximize"))
    local ams = adam(0.01, {amsgrad = true}) -- one more buffer: no side can make the state fit
    assert.has_error(function() ams:load(bytes, {hparams = "current"}) end)
  end)

  it("loads a schedule's state under other parameters only under 'current' (streams carry no parameters)", function()
    local function tree(lr, patience) return S.plateau{S.cosine{lr = lr, t_max = 50}, patience = patience} end
    local s = tree(0.1, 3)
    for _, m in ipairs{1, 1, 1} do s:observe(m) end
    local bytes = s:save()
    local other = tree(0.2, 5)
    assert.has_error(function() other:load(bytes) end)
    assert.is_true(other:load(bytes, {hparams = "current"}))
    -- the counters came along (best 1, two bad observations): with patience 5, four more bad metrics
    -- make 6 > 5 and the rate drops by factor 0.1 at step 4; a fresh tree (best 2 from its first
    -- metric) has only 4 bad ones by then and does not drop
    local got, fresh = other:curve(6, {2, 2, 2, 2, 2}), tree(0.2, 5):curve(6, {2, 2, 2, 2, 2})
    assert.are.equal(fresh[4], got[4])
    assert.are.near(fresh[5] * 0.1, got[5], 1e-15)
    -- another tree's state does not load either way
    assert.has_error(function() S.cosine{lr = 0.1, t_max = 50}:load(bytes, {hparams = "current"}) end)
    -- and an optimizer's schedules follow the same rule
    local function opt(lr) return lre.optim.sgd{params = lre.tensor(2), grads = lre.tensor{1, 1}, lr = tree(lr, 3)} end
    local o = opt(0.1)
    o:step(); o:observe(1); o:step()
    local ob = o:save()
    assert.has_error(function() opt(0.3):load(ob) end)
    local o2 = opt(0.3)
    assert.is_true(o2:load(ob, {hparams = "current"}))
    assert.are.equal(2, o2:step_count())
  end)
end)
