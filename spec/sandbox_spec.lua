-- Schedule scripts in the sandbox: forbidden capabilities, the limits, and
-- every error path with its message.
local sh = require "support.sh"

local dir = sh.tmpdir()
local function script(name, text) return sh.write(dir .. "/" .. name, text) end

describe("the schedule sandbox", function()
  local forbidden = {
    io = "return function() io.open('" .. dir .. "/escaped', 'w') return 0.1 end",
    os_execute = "return function() os.execute('touch " .. dir .. "/escaped') return 0.1 end",
    os_remove = "return function() os.remove('" .. dir .. "/x') return 0.1 end",
    load = "return function() load('return 1') return 0.1 end",
    loadfile = "return function() loadfile('/etc/passwd') return 0.1 end",
    dofile = "return function() dofile('/etc/passwd') return 0.1 end",
    collectgarbage = "return function() collectgarbage() return 0.1 end",
    debug = "return function() debug.getinfo(1) return 0.1 end",
    package = "return function() package.loadlib('x', 'y') return 0.1 end",
    require_other = "return function() require 'os' return 0.1 end",
    string_dump = "return function() string.dump(print) return 0.1 end",
  }
  for name, body in pairs(forbidden) do
    it("refuses " .. name, function()
      local code, _, err = sh.lre("check " .. script("f_" .. name .. ".lua", body) .. " --steps 3")
      assert.are.equal(1, code)
      assert.matches("f_" .. name .. ".lua", err)
      assert.is_nil(io.open(dir .. "/escaped"))
    end)
  end
  it("allows math, string, table, utf8, os.clock and require 'lrengine'", function()
    local code, out = sh.lre("check " .. script("ok.lua", [[
      local lre = require "lrengine"
      local x = math.sqrt(4) + #string.format("%d", 1) + #table.concat({"a"}) + utf8.len("é") + os.clock() * 0
      return lre.schedule.constant{lr = 0.01 * x}]]) .. " --steps 3")
    assert.are.equal(0, code, out)
    assert.matches("ok, 3 steps", out)
  end)
end)


describe("script limits", function()
  it("stops a runaway loop, naming the script and the step", function()
    local code, _, err = sh.lre("check spec/fixtures/scripts/loop.lua")
    assert.are.equal(1, code)
    assert.matches("loop.lua: instruction budget of %d+ per call exceeded", err)
    assert.matches("step 0", err)
  end)
  -- Work done in C, which the count hook does not see, is charged at about
  -- its time in Lua instructions: each of these runs well under the
  -- budget's 10M instructions of Lua, and would take about a second where
  -- it was charged one instruction per element, error or 64 bytes.
  local charged = {
    ["numbers concatenated through a C __index"] = "table.concat(setmetatable({}, {__index = rawlen}), '', 1, 3e5)",
    ["errors caught by pcall"] = "local function f() error('x') end for i = 1, 2e5 do pcall(f) end",
    ["bytes scanned by utf8.len"] = "local s = string.rep('a', 2^20) for i = 1, 30 do utf8.len(s) end",
    ["elements moved through a C __index"] = "table.move(setmetatable({}, {__index = rawlen}), 1, 1.2e6, 1, {})",
    ["a tensor's entries read through a C __index"] = "local lre, p = require 'lrengine', " ..
      "setmetatable({}, {__len = function() return 2^18 end, __index = rawlen}) for i = 1, 8 do lre.tensor(p) end",
    ["milestones read through a C __index"] = "local lre, p = require 'lrengine', " ..
      "setmetatable({}, {__len = function() return 2^18 end, __index = rawlen}) " ..
      "for i = 1, 8 do lre.schedule.multistep{lr = 1, milestones = p} end",
    ["comparisons sorting through C metamethods"] =
      "table.sort(setmetatable({}, {__len = function() return 1e5 end, __index = rawlen, __newindex = rawequal}))",
  }
  for name, work in pairs(charged) do
    it("charges " .. name .. " to the budget", function()
      local file = script("charged.lua", work .. " return 0.1")
      local code, _, err = sh.lre("check " .. file .. " --steps 1")
      assert.are.equal(1, code, err)
      assert.matches("charged.lua: instruction budget of 10000000 per call exceeded", err)
    end)
  end
  it("stops a runaway allocation and the process survives", function()
    local code, _, err = sh.lre("check spec/fixtures/scripts/alloc.lua")
    assert.are.equal(1, code)
    assert.matches("alloc.lua: memory limit of %d+ bytes exceeded %(step 0%)", err)
  end)
end)


describe("script errors", function()
  local cases = {
    {"returns_nil.lua", "returns_nil.lua:1: step 7: returned nil, expected a number"},
    {"returns_nan.lua", "returns_nan.lua:1: step 5: returned %-?nan, expected a finite number >= 0"},
    {"negative.lua", "negative.lua:1: step 11: returned %-0.01, expected a finite number >= 0"},
    {"runtime_error.lua", "runtime_error.lua:4: attempt to index a nil value %(local 't'%) %(step 4%)"},
    {"not_a_schedule.lua", "not_a_schedule.lua: a schedule, a number, a function or a table with 'at' expected, got string"},
    {"syntax_error.lua", "syntax_error.lua:2:.*near <eof>"},
  }
  for _, c in ipairs(cases) do
    it("reports " .. c[1], function()
      local code, _, err = sh.lre("check spec/fixtures/scripts/" .. c[1])
      assert.are.equal(1, code)
      assert.matches("^lrengine: " .. c[2], err)
    end)
  end
  it("reports a missing file", function()
    local code, _, err = sh.lre("check " .. dir .. "/nope.lua")
    assert.are.equal(1, code)
    assert.matches("cannot open", err)
  end)
end)
