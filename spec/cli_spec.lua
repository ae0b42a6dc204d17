-- The command line's conventions: one option parser for every command
-- (--opt=value, --, - for stdin, "did you mean"), one shape for every usage
-- error, the same exit codes everywhere, machine-readable output, and
-- `list`/`help` read from the engine's own definition tables.
local sh = require "support.sh"
local json = require "dkjson"

local dir = sh.tmpdir()
local cwd = os.getenv("PWD") or io.popen("pwd"):read("l")
local bin = cwd .. "/" .. sh.build .. "/bin/lrengine"
local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end
-- runs `lrengine ARGS < FILE` (stdin from a file holding `input`)
local function with_stdin(input, args)
  local f = sh.write(dir .. "/stdin.txt", input)
  return sh.run("sh -c " .. q(bin .. " " .. args .. " < " .. f))
end

local commands = {"run", "plot", "check", "train", "find-lr", "list", "help"}

describe("the lrengine command line", function()
  it("gives every command --help with its usage, options and the exit codes", function()
    for _, c in ipairs(commands) do
      local code, out = sh.lre(c .. " --help")
      assert.are.equal(0, code, c)
      assert.matches("^usage: lrengine " .. c:gsub("%-", "%%-") .. " ", out)
      assert.matches("%-%-quiet", out)
      assert.matches("exit status: 0 success, 1 failure, 2 usage error, 130 interrupted", out, nil, true)
      assert.are.same({sh.lre("help " .. c)}, {code, out, ""})
    end
  end)

  it("reports every usage error in one shape, with exit 2", function()
    local cases = {
      {"plot x.lua --stpes 3", "unknown option '%-%-stpes' %(did you mean '%-%-steps'%?%)"},
      {"check x.lua --steps", "option '%-%-steps' needs a value %(N%)"},
      {"check x.lua --steps=abc", "%-%-steps takes a whole number from 1 to 100000000, got 'abc'"},
      {"train c.lua --epcohs 2", "unknown option '%-%-epcohs' %(did you mean '%-%-epochs'%?%)"},
      {"find-lr c.lua --min=-1", "%-%-min takes a finite number > 0, got '%-1'"},
      {"find-lr c.lua --formt json", "unknown option '%-%-formt' %(did you mean '%-%-format'%?%)"},
      {"plot x.lua --format png", "%-%-format must be one of ascii, csv, json, svg, got 'png'"},
      {"check x.lua --quiet=1", "option '%-%-quiet' takes no value"},
      {"plot", "plot: missing SCHEDULE.lua"},
      {"plot a.lua b.lua", "plot: unexpected argument 'b.lua'"},
      {"list frobs", "list: unknown family 'frobs'"},
      {"run", "run: missing SCRIPT"},
      {"help cosin", "unknown command, schedule kind or optimizer 'cosin' %(did you mean 'cosine'%? valid names: run,"},
    }
    for _, c in ipairs(cases) do
      local code, out, err = sh.lre(c[1])
      assert.are.equal(2, code, c[1])
      assert.are.equal("", out, c[1])
      local cmd = c[1]:match("^(%S+)")
      assert.matches("^lrengine: " .. c[2], err)
      assert.matches("\nusage: lrengine " .. cmd:gsub("%-", "%%-") .. " %[OPTION%]%.%.%.", err)
      assert.matches("\nTry 'lrengine " .. cmd:gsub("%-", "%%-") .. " %-%-help' for more information%.\n$", err)
    end
    local code, _, err = sh.lre("plto x.lua")
    assert.are.equal(2, code)
    assert.matches("^lrengine: unknown command 'plto' %(did you mean 'plot'%?%)\n", err)
  end)

  it("takes --opt=value, short options, options after the operands, and --", function()
    local code, out = sh.lre("plot --steps=3 --format=csv examples/schedules/step_decay.lua")
    assert.are.equal(0, code)
    assert.are.equal(4, select(2, out:gsub("\n", "")))
    local code2, out2 = sh.lre("plot examples/schedules/step_decay.lua -s 3 -f csv")
    assert.are.equal(0, code2)
    assert.are.equal(out, out2)
    sh.write(dir .. "/-dash.lua", "return 0.5\n")
    local code3, out3, err3 = sh.run("cd " .. dir .. " && " .. bin .. " check --steps 5 -- -dash.lua")
    assert.are.equal(0, code3, err3)
    assert.matches("^%-dash.lua: ok, 5 steps", out3)
  end)

  it("reads a schedule, a metrics file or a program from stdin for -", function()
    local code, out, err = with_stdin("return function(step) return 0.1 * 0.5 ^ (step // 2) end\n",
      "plot - --steps 4 --format csv")
    assert.are.equal(0, code, err)
    assert.are.equal("step,lr\n0,0.1\n1,0.1\n2,0.05\n3,0.05\n", out)
    code, out, err = with_stdin("1\n1\n1\n1\n1\n", "plot examples/schedules/plateau_cooldown.lua --steps 5 --format csv --metrics -")
    assert.are.equal(0, code, err)
    assert.matches("^step,lr\n0,", out)
    code, out = with_stdin("print(arg[0], arg[1], select('#', ...), require('lrengine')._VERSION)\n", "run - a b")
    assert.are.equal(0, code)
    assert.are.equal("-\ta\t2\tlrengine 0.1.0\n", out)
    code, _, err = with_stdin("return 1", "plot - --metrics -")
    assert.are.equal(2, code)
    assert.matches("can not both be read from stdin", err)
    -- a script is read from stdin up to the memory limit (64 MiB), as from a file, and no further
    code, _, err = with_stdin("return 0.1 --" .. string.rep(" ", 64 * 2 ^ 20), "plot - --steps 2 --format csv")
    assert.are.equal(1, code)
    assert.matches("stdin: a script of more than 67108864 bytes is larger than the memory limit", err)
  end)

  it("says what check found as one JSON document with --format json, and nothing with --quiet", function()
    local code, out = sh.lre("check examples/schedules/one_cycle.lua --steps 200 --format json")
    assert.are.equal(0, code)
    local doc = json.decode(out)
    assert.is_true(doc.ok)
    assert.are.equal(200, doc.steps)
    assert.are.equal("lr", doc.schedules[1].name)
    assert.are.equal("momentum", doc.schedules[2].name)
    assert.are.equal(0.1, doc.schedules[1].max)
    local err
    code, out, err = sh.lre("check spec/fixtures/scripts/returns_nan.lua --format json")
    assert.are.equal(1, code)
    doc = json.decode(out)
    assert.is_false(doc.ok)
    assert.are.equal(5, doc.step)
    assert.matches("returned %-?nan", doc.error)
    assert.matches("^lrengine: ", err) -- errors still go to stderr
    code, out = sh.lre("check " .. dir .. "/missing.lua --format json")
    assert.are.equal(1, code)
    doc = json.decode(out)
    assert.is_false(doc.ok)
    assert.is_nil(doc.step) -- null: the script did not load
    assert.matches("cannot open", doc.error)
    code, out, err = sh.lre("check examples/schedules/cyclic.lua --quiet")
    assert.are.equal(0, code)
    assert.are.equal("", out .. err)
  end)

  it("lists every schedule kind and optimizer of the engine, and nothing else", function()
    local lre = require "lrengine"
    local want = {}
    for k in pairs(lre.schedule) do if k ~= "custom" and k ~= "for_run" and not k:match("^from_") then want[#want + 1] = k end end -- Lua-made
    for k in pairs(lre.optim) do want[#want + 1] = k end
    table.sort(want)
    local code, out = sh.lre("list --quiet")
    assert.are.equal(0, code)
    local got = {}
    for name in out:gmatch("[^\n]+") do got[#got + 1] = name end
    table.sort(got)
    assert.are.same(want, got)
    code, out = sh.lre("list optimizers --quiet")
    assert.are.equal(0, code)
    assert.matches("^sgd\nadam\n", out)
  end)

  it("describes each kind with the parameters, defaults and ranges the constructors enforce", function()
    local lre = require "lrengine"
    local code, out = sh.lre("list --format json")
    assert.are.equal(0, code)
    local doc = json.decode(out)
    -- as many as the module has (its Lua-made functions aside): the C tables are one source
    local nsched, noptim = 0, 0
    for k in pairs(lre.schedule) do
      if k ~= "custom" and k ~= "for_run" and not k:match("^from_") then nsched = nsched + 1 end
    end
    for _ in pairs(lre.optim) do noptim = noptim + 1 end
    assert.are.equal(nsched, #doc.schedules)
    assert.are.equal(noptim, #doc.optimizers)
    assert.is_true(nsched >= 34 and noptim >= 13)
    for _, k in ipairs(doc.schedules) do
      assert.is_true(#k.summary > 0 and #k.formula > 0 and #k.peers > 0, k.name)
      for _, p in ipairs(k.params) do
        -- a number one step below its lower bound is refused with the described range
        if p.type == "number" and p.lo and not p.required and k.children.min == 0 then
          local args = {[p.name] = p.lo - 1}
          for _, r in ipairs(k.params) do
            if r.required and r.type ~= "list" then args[r.name] = (r.lo or 0) + 2 end
            if r.required and r.type == "list" then args[r.name] = {1, 2} end
          end
          local ok, err = pcall(lre.schedule[k.name], args)
          assert.is_false(ok, k.name .. "." .. p.name)
          assert.matches(p.range, err, nil, true)
        end
      end
    end
    code, out = sh.lre("help cosine")
    assert.are.equal(0, code)
    assert.matches("cosine %(schedule kind%): cosine annealing", out)
    assert.matches("follows: torch.optim.lr_scheduler.CosineAnnealingLR", out)
    assert.matches("\n  t_max%s+required%s+> 0, or a duration\n", out) -- a step count: also "90%"
    assert.matches("\n  eta_min%s+0%s+>= 0\n", out)
    code, out = sh.lre("help adamw")
    assert.matches("\n  weight_decay%s+0.01%s+>= 0%s+yes\n", out)
    assert.matches("\n  amsgrad%s+false%s+a boolean%s+no\n", out)
    code, out = sh.lre("help warmup --format json")
    local w = json.decode(out)
    assert.are.same({min = 1, max = 1}, w.children)
    assert.are.equal("shift", w.params[4].name)
    assert.are.equal(true, w.params[4].default)
  end)

  it("exits 0, 1, 2 and 130 alike in every command", function()
    -- 1: a failure
    for _, args in ipairs{"run " .. dir .. "/none.lua", "plot " .. dir .. "/none.lua", "check " .. dir .. "/none.lua",
                          "train " .. dir .. "/none.lua", "find-lr " .. dir .. "/none.lua"} do
      local code, _, err = sh.lre(args)
      assert.are.equal(1, code, args)
      assert.matches("^lrengine: ", err)
    end
    -- 130: Ctrl-C, in run and in check (a long evaluation)
    local slow = sh.write(dir .. "/slow.lua", "return function(step) local x = 0 for i = 1, 2000 do x = x + i end return 0.1 end\n")
    local code, _, err = sh.run("sh -c '" .. bin .. " check " .. slow
      .. " --steps 10000000 & pid=$!; sleep 1; kill -INT $pid; wait $pid'")
    assert.are.equal(130, code)
    assert.matches("interrupted", err)
  end)
end)
