-- The lrengine binary: its subcommands, options, output formats and exit
-- codes.
local sh = require "support.sh"

local dir = sh.tmpdir()
local function script(name, text) return sh.write(dir .. "/" .. name, text) end

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
      -- loads and evaluates without a problem; whether 500 steps suit the
      -- example's plan is the lints' business (lint_spec), so they are allowed here
      local allow = ""
      for _, name in ipairs{"warmup-too-long", "cosine-period", "far-from-floor", "jump", "rises-again", "patience-too-long"} do
        allow = allow .. " --allow " .. name
      end
      local code, out, err = sh.lre("check " .. f .. " --steps 500" .. allow)
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
  it("stops on Ctrl-C with exit 130", function()
    local code, _, err = sh.run("sh -c '" .. sh.bin .. " run " .. script("spin.lua", "while true do end")
      .. " & pid=$!; sleep 1; kill -INT $pid; wait $pid'")
    assert.are.equal(130, code)
    assert.matches("interrupted!", err)
  end)

  it("refuses an output format it cannot write instead of writing CSV under its name", function()
    local out = dir .. "/curve.png"
    local code, _, err = sh.lre("plot examples/schedules/warmup_cosine.lua --output " .. out)
    assert.are.equal(2, code)
    assert.matches("cannot tell the format of .*curve.png", err)
    assert.is_nil(io.open(out))
  end)

  it("prints the shortest number that reads back, and nan for NaN", function()
    local code, out = sh.lre("plot " .. script("tenth.lua", "return function() return 0.1 end") .. " --steps 2 --format csv")
    assert.are.equal(0, code)
    assert.are.equal("step,lr\n0,0.1\n1,0.1\n", out)
    local plot = require("lrengine.plot")
    assert.are.equal("nan", plot.shortest(0 / 0))
    assert.are.equal("0.30000000000000004", plot.shortest(0.1 + 0.2))
    assert.matches('%[null,1%]', plot.json{x = {0, 1}, series = {{name = "lr", values = {0 / 0, 1}}}, xlabel = "step"})
  end)

  it("names the reason a metrics file cannot be opened", function()
    local code, _, err = sh.lre("plot examples/schedules/plateau_cooldown.lua --metrics " .. dir .. "/none.txt")
    assert.are.equal(1, code)
    assert.matches("cannot open metrics file .*none.txt: No such file or directory", err)
  end)

  it("does not wait on a FIFO that nobody writes: a script, config or run is refused, a stream reads as empty", function()
    local fifo = dir .. "/fifo"
    assert.are.equal(0, (sh.run("mkfifo " .. fifo)))
    local s = "examples/schedules/cyclic.lua"
    for _, case in ipairs{
      {"plot " .. fifo, 1, "fifo: not a regular file"}, {"check " .. fifo, 1, "fifo: not a regular file"},
      {"train " .. fifo, 1, "fifo: not a regular file"}, {"find-lr " .. fifo, 1, "fifo: not a regular file"},
      {"explain " .. fifo, 1, "fifo: not a regular file"}, {"diff " .. fifo .. " " .. s, 1, "fifo: not a regular file"},
      {"tune " .. fifo, 1, "fifo: not a regular file"}, {"report " .. fifo, 1, "a pipe: give it on standard input"},
      {"find-lr --curve " .. fifo, 1, "a curve needs at least 2 points, it has 0"},
      {"explain " .. s .. " -m " .. fifo, 0, ""}, {"plot -m " .. fifo .. " " .. s, 0, ""},
    } do
      local code, _, err = sh.run("timeout 20 " .. sh.bin .. " " .. case[1])
      assert.are.equal(case[2], code, case[1] .. ": " .. err)
      assert.is_truthy(err:find(case[3], 1, true), case[1] .. ": " .. err)
    end
  end)

  it("draws a chart of any number of steps in the same memory, and refuses a diff larger than its own", function()
    local s = "examples/schedules/one_cycle.lua"
    -- 3e7 steps of two schedules (a chart of 1.2 GB before it was reduced as the steps came), in 300 MB
    local limit = sh.build:match("san") and "" or "ulimit -v 300000; "
    local code, _, err = sh.run(string.format("sh -c %q", limit .. "OPENBLAS_NUM_THREADS=1 " .. sh.bin .. " plot -s 30000000 -f svg -o "
      .. dir .. "/big.svg " .. s))
    assert.are.equal(0, code, err)
    local svg = sh.slurp(dir .. "/big.svg")
    assert.is_true(#svg < 200 * 1024, #svg .. " bytes")
    assert.matches(">30M</text>", svg)
    assert.matches('data%-name="momentum"', svg)
    code, _, err = sh.lre("diff -s 100000000 " .. s .. " " .. s)
    assert.are.equal(1, code, err)
    assert.matches("100000000 steps of 4 schedules take 3.2 GB %(at most 2%): compare fewer with %-%-steps N", err)
  end)

  -- OpenBLAS, linked, started its threads as a program loaded, and under an
  -- address-space limit too small for their buffers retried without end
  it("runs under an address-space limit, and a GEMM that would not fit says so instead of hanging", function()
    if sh.build:match("san") then return end -- (a sanitizer's shadow memory takes more than the limit)
    local limited = "ulimit -v 150000; timeout 30 "
    local code, out, err = sh.run(string.format("sh -c %q", limited .. sh.bin .. " --help"))
    assert.are.equal(0, code, err)
    assert.matches("usage", out:lower())
    local lua = string.format("package.path = %q; package.cpath = %q; local lre = require 'lrengine'; "
      .. "print(lre.schedule.cosine{lr = 1, t_max = 10}:at(5))", package.path, package.cpath)
    code, out, err = sh.run(string.format("sh -c %q", limited .. "lua5.4 -e " .. string.format("%q", lua)))
    assert.are.equal(0, code, err)
    assert.are.equal("0.5\n", out)
    local cfg = sh.write(dir .. "/tiny.lua", "return {data = {source = 'fashion-mnist', validation = 5000}, "
      .. "model = {kind = 'mlp', hidden = {8}}, optimizer = {'sgd', lr = 0.1}, epochs = 1, batch_size = 128}\n")
    code, _, err = sh.run(string.format("sh -c %q", limited .. "env OPENBLAS_NUM_THREADS=4 " .. sh.bin .. " train -q " .. cfg))
    assert.are.equal(1, code, err)
    assert.matches("OpenBLAS needs 576 MB of address space for 4 threads, and the process's limit %(ulimit %-v: %d+ MB%) "
      .. "leaves less", err)
  end)

  it("writes an output file whole or not at all: a failed write leaves the file that was there", function()
    local keep = dir .. "/keep.svg"
    local run = sh.write(dir .. "/run.jsonl", '{"step":5,"epoch":1,"loss":2.3,"lr":0.04}\n{"step":10,"epoch":1,"loss":2.1,"lr":0.05}\n')
    local curve = {"lr,loss"}
    for i = 0, 29 do curve[#curve + 1] = string.format("%.17g,%.17g", 10 ^ (-7 + i * 0.25), 2 + math.sin(i)) end
    curve = sh.write(dir .. "/curve.csv", table.concat(curve, "\n") .. "\n")
    local s = "examples/schedules/warmup_cosine.lua"
    for _, args in ipairs{
      "plot -s 2000 -f svg -o " .. keep .. " " .. s,
      "plot -s 100000 -f csv -o " .. keep .. " " .. s,
      "report -o " .. keep .. " " .. run,
      "find-lr -q --curve " .. curve .. " -o " .. keep,
      "diff -s 2000 " .. s .. " examples/schedules/one_cycle.lua -o " .. keep,
    } do
      sh.write(keep, "<svg>the one before</svg>\n")
      -- a file size limit of 2 KiB: the write fails part way (XFSZ ignored, so write returns EFBIG)
      local code, _, err = sh.run("sh -c " .. string.format("%q", "trap '' XFSZ; ulimit -f 2; " .. sh.bin .. " " .. args))
      assert.are.equal(1, code, args .. ": " .. err)
      assert.matches("File too large", err)
      assert.are.equal("<svg>the one before</svg>\n", sh.slurp(keep), args)
      local _, left = sh.run("ls " .. dir .. " | grep -c 'keep.svg.'")
      assert.are.equal("0\n", left, args .. ": a temporary file left")
    end
  end)

  it("reads a metrics file a bounded line at a time, and names the line it refuses", function()
    local plateau = "examples/schedules/plateau_cooldown.lua --steps 5 --format csv --metrics "
    -- /dev/zero is one endless line of NUL bytes: refused at once, not read into memory
    for _, case in ipairs{
      {"/dev/zero", "/dev/zero:1: a NUL byte: not a number"},
      {sh.write(dir .. "/nul.txt", "1\n0.5\0junk\n"), "nul.txt:2: a NUL byte: not a number"},
      {sh.write(dir .. "/long.txt", "1\n" .. string.rep(" ", 5000) .. "0.5\n"), "long.txt:2: a line longer than 4096 bytes"},
      {sh.write(dir .. "/word.txt", "1\n# a comment\n\nhalf\n"), "word.txt:4: not a finite number: 'half'"},
    } do
      local code, _, err = sh.lre("plot " .. plateau .. case[1])
      assert.are.equal(1, code, err)
      assert.is_truthy(err:find(case[2], 1, true), err)
    end
    local code, out, err = sh.lre("plot " .. plateau .. sh.write(dir .. "/ok.txt", "# fine\n1\n\n  0.5\r\n0.25\n"))
    assert.are.equal(0, code, err)
    assert.matches("^step,lr", out)
    -- and no more lines than it keeps: an endless stream ends at 1e7 metrics (80 MB)
    code, _, err = sh.run("sh -c " .. string.format("%q", "yes 1 | " .. sh.bin .. " check -s 10 -m - examples/schedules/plateau_cooldown.lua"))
    assert.are.equal(1, code, err)
    assert.matches("stdin:10000001: more than 10000000 metrics", err)
  end)
end)
