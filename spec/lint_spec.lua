-- lrengine check's lints (src/cli/lint.c): each fires on its example at the
-- step its formula gives (worked out in each case's comment), with a
-- suggestion, and is silenced by --allow or a comment in the script; none
-- fires on a shipped example run for as long as it is planned.
local sh = require "support.sh"
local json = require "lrengine.tune_json"

local dir = sh.tmpdir()

local function check(body, args)
  local f = sh.write(dir .. "/s.lua", body)
  local code, out, err = sh.lre("check " .. f .. " --format json " .. (args or ""))
  local doc = json.decode(out)
  return code, doc, err
end

local function names(doc)
  local t = {}
  for _, l in ipairs(doc.lints) do t[#t + 1] = l.name end
  return t
end

local S = 'local S = require "lrengine".schedule\n'

describe("lrengine check's lints", function()
  local cases = {
    { -- a warm-up of 2000 steps in a run of 1000: at the last step (999) still ramping
      name = "warmup-too-long", step = 999, args = "--steps 1000",
      body = S .. "return S.warmup{S.constant{lr = 0.1}, steps = 2000}",
      says = "still warming up", suggests = "50 steps"},
    { -- a cosine of t_max 5000 in a run of 1000 steps: cut at step 999, 20% through
      name = "cosine-period", step = 999, args = "--steps 1000",
      body = S .. "return S.cosine{lr = 0.1, t_max = 5000}",
      says = "step 999 of its t_max = 5000 %(20%% of its period%)", suggests = "t_max = 1000"},
    { -- polynomial to 0.001 over 5000 steps, stopped at 999: (0.1 - 0.001) * (1 - 999/5000) + 0.001
      -- = 0.0802198, 80% of the way from the floor
      name = "far-from-floor", step = 999, args = "--steps 1000",
      body = S .. "return S.polynomial{lr = 0.1, total_iters = 5000, end_lr = 0.001}",
      says = "at 0.0802198, 80%% of the way from its floor 0.001", suggests = "total_iters = 1000"},
    { -- Keras piecewise: values[2] from t > 500, so step 501 drops 0.1 to 0.001, a factor of 100
      name = "jump", step = 501, args = "--steps 1000",
      body = S .. "return S.piecewise{boundaries = {500}, values = {0.1, 0.001}}",
      says = "from 0.1 to 0.001 at step 501, a factor of 100", suggests = "%-%-max%-jump"},
    { -- linear from 0.1 to 0.05 over 500 steps (0.0501 at 499), then a constant 0.08 from step 500
      name = "rises-again", step = 500, args = "--steps 1000",
      body = S .. "return S.sequence{S.linear{lr = 0.1, start_factor = 1, end_factor = 0.5, total_iters = 500},"
        .. " S.constant{lr = 0.08}, milestones = {500}}",
      says = "rises again at step 500, to 0.08 from 0.0501", suggests = "restart"},
    { -- patience 10 needs 11 observations without improvement; the metrics give 5
      name = "patience-too-long", step = 999, args = "--steps 1000 --metrics " .. sh.write(dir .. "/m.txt", "5\n4\n3\n2\n1\n"),
      body = S .. "return S.plateau{lr = 0.1, patience = 10}",
      says = "needs 11 observations without improvement to cut its rate and the run observes 5", suggests = "patience < 5"},
  }

  for _, c in ipairs(cases) do
    it("fire " .. c.name .. " on its example, and stay quiet when it is allowed", function()
      local code, doc, err = check(c.body, c.args)
      assert.are.equal(1, code, err)
      assert.is_false(doc.ok)
      assert.are.same({c.name}, names(doc))
      local l = doc.lints[1]
      assert.are.same({"lr", c.step}, {l.schedule, l.step})
      assert.matches(c.says, l.message)
      assert.matches(c.suggests, l.suggestion)
      -- text: the script, the step, the lint, the suggestion and how to silence it
      local f = dir .. "/s.lua"
      local _, _, text = sh.lre("check " .. f .. " " .. c.args)
      assert.matches("s%.lua: step " .. c.step .. ": lr: " .. c.name:gsub("%-", "%%-") .. ": .*; suggestion: .*%(silence: %-%-allow "
        .. c.name:gsub("%-", "%%-") .. "%)", text)
      code, doc = check(c.body, c.args .. " --allow " .. c.name)
      assert.are.equal(0, code)
      assert.is_true(doc.ok)
      code, doc = check("-- lrengine: allow " .. c.name .. "\n" .. c.body, c.args)
      assert.are.equal(0, code)
      assert.are.same({}, doc.lints)
    end)
  end

  it("sees no decay in a rise of subnormal values (0.9 * 5e-324 rounds to 5e-324)", function()
    local code, doc = check("return function(s) return 5e-324 * s end", "--steps 100")
    assert.are.same({}, names(doc))
    assert.are.equal(0, code)
  end)

  it("sees a cosine past its period, climbing back up", function()
    -- cosine(t_max = 300) without hold in 1000 steps: at its floor at step 300, then rising
    local code, doc = check(S .. "return S.cosine{lr = 0.1, t_max = 300}", "--steps 1000 --allow rises-again")
    assert.are.equal(1, code)
    assert.are.same({"cosine-period"}, names(doc))
    assert.are.equal(300, doc.lints[1].step)
    assert.matches("climbing back up", doc.lints[1].message)
  end)

  it("lints a training config over its run, a plateau against its epochs", function()
    -- 3 epochs observe val_loss 3 times; patience 5 needs 6
    local cfg = sh.write(dir .. "/cfg.lua", [[
local S = require "lrengine".schedule
return {
  data = {source = "fashion-mnist", dir = "/usr/share/datasets/fashion-mnist", validation = 100, limit = 640, test_limit = 100},
  model = {kind = "mlp", hidden = {8}},
  optimizer = {"sgd", lr = 0.1},
  schedule = S.plateau{lr = 0.1, patience = 5},
  observe = "val_loss",
  epochs = 3, batch_size = 64,
}]])
    local code, out = sh.lre("check " .. cfg .. " --format json")
    assert.are.equal(1, code)
    local doc = json.decode(out)
    assert.are.equal(30, doc.steps) -- 640 rows of 64: 10 steps an epoch, 3 epochs
    assert.are.same({"patience-too-long"}, names(doc))
    assert.matches("the run observes 3", doc.lints[1].message)
  end)

  it("refuses an unknown lint with the closest name", function()
    local f = sh.write(dir .. "/ok.lua", "return 0.1")
    local code, _, err = sh.lre("check " .. f .. " --allow jmp")
    assert.are.equal(2, code)
    assert.matches("unknown lint 'jmp' %(did you mean 'jump'%?%)", err)
  end)

  -- Each shipped example over the run it is planned for (from its own
  -- parameters); the rest, and the configs, over check's default or their run.
  local planned = {
    ["one_cycle.lua"] = 200,                     -- total_steps = 200
    ["plateau_inside_warmup_cosine.lua"] = 450,  -- warm-up 50 + t_max 400
    ["warmup_cosine.lua"] = 1000,                -- warm-up 100 + t_max 900
    ["wsd.lua"] = 1000,                          -- 100 + 600 + 300
    ["warmup_cosine_function.lua"] = 100000,     -- warmup 1000 + decay 99000
  }

  it("stay quiet on every shipped example", function()
    local n = 0
    for f in io.popen("ls examples/schedules/*.lua examples/fashion_*.lua examples/tune_fashion_model.lua"):lines() do
      local base = f:match("[^/]+$")
      local steps = planned[base] and (" --steps " .. planned[base]) or ""
      local code, out, err = sh.lre("check " .. f .. steps .. " --format json")
      assert.are.equal(0, code, f .. ": " .. err)
      assert.are.same({}, json.decode(out).lints, f)
      n = n + 1
    end
    assert.is_true(n >= 17)
  end)
end)
