-- lrengine.textfile: files read in bounded pieces (tune's working files,
-- report's metrics), and the tune readers built on it.
local textfile = require "lrengine.textfile"
local tune_cli = require "lrengine.tune_cli"
local sh = require "support.sh"

local dir = sh.tmpdir()

local function collect(path, max, skip)
  local f = assert(io.open(path, "rb"))
  local out = {}
  local ok, err = pcall(function()
    for line in textfile.lines(f, "F", max, skip) do out[#out + 1] = line end
  end)
  f:close()
  return ok and out or nil, err
end

describe("lrengine.textfile", function()
  it("gives each line whole, a last one without its newline included, across its 64 KiB pieces", function()
    local long = string.rep("x", 65536) -- a line exactly at the limit, past the first piece
    local path = sh.write(dir .. "/lines.txt", "a\n\nb\n" .. long .. "\nc")
    local lines = assert(collect(path))
    assert.are.same({"a", "", "b", long, "c"}, lines)
  end)

  it("refuses an overlong line or a NUL byte with its line number", function()
    local path = sh.write(dir .. "/long.txt", "a\n" .. string.rep("y", 70000) .. "\nb\n")
    local lines, err = collect(path)
    assert.is_nil(lines)
    assert.are.equal("F:2: a line longer than 65536 bytes", err)
    path = sh.write(dir .. "/endless.txt", "a\nb\n" .. string.rep("y", 200000))
    lines, err = collect(path)
    assert.are.equal("F:3: a line longer than 65536 bytes", err)
    path = sh.write(dir .. "/nul.txt", "a\nb\0c\nd\n")
    lines, err = collect(path)
    assert.are.equal("F:2: a NUL byte", err)
    lines, err = collect(sh.write(dir .. "/short.txt", "abc\nabcd\n"), 3)
    assert.are.equal("F:2: a line longer than 3 bytes", err)
  end)

  it("passes over what it refuses when asked to, holding no more than a piece of it", function()
    local path = sh.write(dir .. "/mixed.txt",
      "a\n" .. string.rep("y", 300000) .. "\nb\nc\0d\n" .. string.rep("z", 70000) .. "\n" .. "e\n" .. string.rep("w", 100000))
    assert.are.same({"a", "b", "e"}, assert(collect(path, nil, true)))
    local skipped = {}
    assert.are.same({"a", "b", "e"}, assert(collect(path, nil, function(n, why) skipped[#skipped + 1] = n .. ": " .. why end)))
    assert.are.same({"2: a line longer than 65536 bytes", "4: a NUL byte", "5: a line longer than 65536 bytes",
                     "7: a line longer than 65536 bytes"}, skipped)
    -- a last line of zeros, without its newline (what a crash can leave), is passed over and said
    skipped = {}
    path = sh.write(dir .. "/zeros.txt", "a\nb\n" .. string.rep("\0", 4096))
    assert.are.same({"a", "b"}, assert(collect(path, nil, function(n, why) skipped[#skipped + 1] = n .. ": " .. why end)))
    assert.are.same({"3: a NUL byte"}, skipped)
    -- /dev/zero: one endless line of NUL bytes, read and dropped piece by piece (a bounded read of it)
    local f = assert(io.open("/dev/zero", "rb"))
    local reads = 0
    local zero = {read = function(_, n)
      reads = reads + 1
      if reads > 50 then return nil end -- an end after 50 pieces, for the test to end
      return f:read(n)
    end}
    assert.is_nil(textfile.lines(zero, "/dev/zero", 8, true)())
    assert.are.equal(51, reads)
    f:close()
  end)

  it("reads a file's tail, a whole file within a bound, and copies one in pieces", function()
    local body = string.rep("0123456789", 20000)
    local path = sh.write(dir .. "/body.txt", body)
    assert.are.equal(body:sub(-100), textfile.tail(path, 100))
    assert.are.equal(body, textfile.tail(path, 1e9))
    assert.is_nil(textfile.tail(dir .. "/none.txt", 10))
    assert.are.equal(body, textfile.read(path, #body))
    local s, err, large = textfile.read(path, #body - 1)
    assert.is_nil(s)
    assert.matches("body%.txt holds 200000 bytes, more than the 199999 it may", err)
    assert.are.equal("large", large)
    s, err, large = textfile.read(dir .. "/none.txt", 10)
    assert.is_nil(s)
    assert.matches("none%.txt", err)
    assert.is_nil(large)
    local out = assert(io.open(dir .. "/copy.txt", "wb"))
    assert.is_true(textfile.copy(path, out))
    out:close()
    assert.are.equal(body, textfile.read(dir .. "/copy.txt", 1e9))
    out = assert(io.open(dir .. "/copy2.txt", "wb"))
    local ok, cerr = textfile.copy(dir .. "/none.txt", out)
    out:close()
    assert.is_nil(ok)
    assert.matches("none%.txt", cerr)
  end)
end)

describe("lrengine tune's readers", function()
  it("take a trial's epoch lines past a line no job writes (overlong, binary)", function()
    local path = sh.write(dir .. "/metrics.jsonl", '{"epoch":1,"val_loss":0.5}\n' .. string.rep("#", 1000000) ..
      '\n{"epoch":2,"val_loss":0.4}\n{"epoch":3\0,"val_loss":0.3}\n{"epoch":3,"val_loss":0.25}\n')
    local m = tune_cli.read_metrics(path)
    assert.are.equal(0.5, m[1].val_loss)
    assert.are.equal(0.4, m[2].val_loss)
    assert.are.equal(0.25, m[3].val_loss)
    -- a line of 128 MiB, read by a process limited to 120 MB (file:lines() ran out of memory on it)
    local big = dir .. "/big.jsonl"
    local f = assert(io.open(big, "wb"))
    f:write('{"epoch":1,"val_loss":0.5}\n')
    local block = string.rep("#", 1 << 20)
    for _ = 1, 128 do f:write(block) end
    f:write('\n{"epoch":2,"val_loss":0.4}\n')
    f:close()
    local lua = string.format("package.path = %q; package.cpath = %q; local m = require('lrengine.tune_cli').read_metrics(%q); "
      .. "print(m[1].val_loss, m[2].val_loss)", package.path, package.cpath, big)
    local limit = sh.build:match("san") and "" or "ulimit -v 120000; " -- (a sanitizer's shadow memory needs more)
    local code, out, err = sh.run(string.format("sh -c %q", limit .. "lua5.4 -e " .. string.format("%q", lua)))
    os.remove(big)
    assert.are.equal(0, code, err)
    assert.are.equal("0.5\t0.4\n", out)
  end)
end)
