-- Schedule scripts in the sandbox: forbidden capabilities, limits, every error
-- path with its message, and the binary's subcommands and exit codes.
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

describe("the lrengine binary", function()
  it("prints help and version, exit 0", function()
    for _, args in ipairs{"--help", "--version", "run --help", "plot --help", "check --help", "train --help",
                          "find-lr --help"} do
      local code, out = sh.lre(args)
      assert.are.equal(0, code, args)
      assert.is_true(#out > 0)
    end
  end)
  it("exits 2 on usage errors", function()
    for _, args in ipairs{"", "frobnicate", "plot", "plot x.lua --steps -3", "plot x.lua --format png",
                          "check x.lua --bogus", "train", "train c.lua --epochs x"} do
      local code, _, err = sh.lre(args)
      assert.are.equal(2, code, args)
      assert.is_true(#err > 0)
    end
  end)
  it("plots csv that reads back exactly, and json and svg", function()
    local code, out = sh.lre("plot examples/schedules/one_cycle.lua --steps 200 --format csv")
    assert.are.equal(0, code)
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.are.equal("step,lr,momentum", lines[1])
    assert.are.equal(201, #lines)
    local lre = require "lrengine"
    local want = lre.schedule.one_cycle{max_lr = 0.1, total_steps = 200, pct_start = 0.3}:at(57)
    local step, lr = lines[59]:match("^(%d+),([^,]+),")
    assert.are.equal("57", step)
    assert.are.equal(want, tonumber(lr))
    code, out = sh.lre("plot examples/schedules/cyclic.lua --steps 50 --format json")
    assert.are.equal(0, code)
    assert.matches('^{"step":%[0,1,2', out)
    local svg = dir .. "/curve.svg"
    code = sh.lre("plot examples/schedules/warmup_cosine.lua --steps 1000 --output " .. svg)
    assert.are.equal(0, code)
    local text = sh.slurp(svg)
    assert.matches("^<svg", text)
    assert.matches("<polyline", text)
  end)
  it("feeds a metric trace to metric-driven schedules", function()
    local m = {}
    for i = 1, 40 do m[i] = tostring(1 + (i % 2) * 0.001) end
    local metrics = sh.write(dir .. "/metrics.txt", table.concat(m, "\n") .. "\n")
    local code, out = sh.lre("plot examples/schedules/plateau_cooldown.lua --steps 40 --format csv --metrics " .. metrics)
    assert.are.equal(0, code)
    assert.matches("^step,lr\n0,0.1", out)
    assert.matches("\n39,0.000390625", out)
  end)
  it("checks and plots every example schedule", function()
    local n = 0
    for f in io.popen("ls examples/schedules/*.lua"):lines() do
      local code, out, err = sh.lre("check " .. f .. " --steps 500")
      assert.are.equal(0, code, f .. ": " .. err)
      code = sh.lre("plot " .. f .. " --steps 300 --format ascii")
      assert.are.equal(0, code, f)
      n = n + 1
    end
    assert.is_true(n >= 10)
  end)
  it("runs a Lua program that compares rates on a linear regression", function()
    local code, out = sh.lre("run examples/linear_regression.lua")
    assert.are.equal(0, code)
    assert.matches("constant%s+final loss", out)
    assert.matches("adam%s+final loss", out)
  end)
  it("runs programs that require C modules (the embedded Lua exports its API)", function()
    local code, out, err = sh.lre("run " .. script("cmod.lua", "print(type(require('lfs').currentdir()))"))
    assert.are.equal(0, code, err)
    assert.are.equal("string\n", out)
  end)
  it("reports a runtime error of a program with a traceback, exit 1", function()
    local code, _, err = sh.lre("run " .. script("boom.lua", "error('boom')"))
    assert.are.equal(1, code)
    assert.matches("^lrengine: .*boom.lua:1: boom\nstack traceback", err)
  end)
  it("stops on Ctrl-C with a non-zero exit", function()
    local code = sh.run("sh -c '" .. sh.bin .. " run " .. script("spin.lua", "while true do end")
      .. " & pid=$!; sleep 1; kill -INT $pid; wait $pid'")
    assert.are_not.equal(0, code)
  end)
end)

describe("the C trainer example", function()
  it("uses a script schedule from C and resumes it exactly", function()
    for _, s in ipairs{"rises_twice.lua", "plateau_cooldown.lua", "warmup_cosine.lua"} do
      local code, out = sh.run("./" .. sh.build .. "/examples/c_trainer examples/schedules/" .. s)
      assert.are.equal(0, code, s)
      assert.matches("resumed run identical", out)
    end
  end)
end)
