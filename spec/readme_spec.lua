-- The README's examples work as written.
local sh = require "support.sh"

local readme = sh.slurp("README.md")

local function blocks(lang)
  local out = {}
  for code in readme:gmatch("```" .. lang .. "\n(.-)```") do out[#out + 1] = code end
  return out
end

describe("the README", function()
  it("gives make demo and make test as its two commands", function()
    assert.matches("make demo", readme)
    assert.matches("make test", readme)
    assert.matches("\nmake test\n", sh.slurp(".ci/run"))
  end)
  it("has a Lua example that runs and fits its target", function()
    local lua = blocks("lua")
    local path = sh.write(os.tmpname() .. ".lua", lua[1])
    local code, out, err = sh.lre("run " .. path)
    assert.are.equal(0, code, err)
    local target = tonumber(out:match("%s([%d.]+)\n$"))
    assert.are.near(2, target, 1e-2)
  end)
  it("installs the module with the luarocks command it gives, for plain lua5.4", function()
    assert.matches("luarocks %-%-lua%-version 5.4 make %-%-local lrengine%-scm%-1.rockspec", readme)
    local tree = sh.tmpdir()
    local code, _, err = sh.run("luarocks --lua-version 5.4 --tree " .. tree .. " make lrengine-scm-1.rockspec")
    assert.are.equal(0, code, err)
    local path = sh.write(os.tmpname() .. ".lua", blocks("lua")[1])
    local env = string.format("LUA_PATH='%s/share/lua/5.4/?.lua;%s/share/lua/5.4/?/init.lua' LUA_CPATH='%s/lib/lua/5.4/?.so' ",
      tree, tree, tree)
    local out
    code, out, err = sh.run("cd / && " .. env .. "lua5.4 " .. path)
    assert.are.equal(0, code, err)
    assert.are.near(2, tonumber(out:match("%s([%d.]+)\n$")), 1e-2)
    sh.run("rm -rf " .. tree)
  end)
  it("shows the schedule script that examples/ holds", function()
    local script = blocks("lua")[2]
    local file = sh.slurp("examples/schedules/rises_twice.lua")
    local function code(s) return (s:gsub("%-%-[^\n]*", ""):gsub("%s+", " ")) end
    assert.are.equal(code(file), code(script))
  end)
  it("lists commands that accept the options it shows", function()
    for line in blocks("sh")[2]:gmatch("[^\n]+") do
      local cmd = line:match("^lrengine (%S+)")
      local code = sh.lre(cmd .. " --help")
      assert.are.equal(0, code, line)
    end
  end)
  it("has a C example whose calls compile against the headers", function()
    local c = blocks("c")[1]
    local src = "#include <stdio.h>\n" .. c:match("^(.-)\n\n") .. "\nint run(float *params, const float *grads, size_t n, int training);\n"
      .. "static void compute_grads(void) {}\nint run(float *params, const float *grads, size_t n, int training) {\n"
      .. c:match("\n\n(.*)$") .. "return 0; }\n"
    local path = sh.write(os.tmpname() .. ".c", src)
    local code, _, err = sh.run("cc -std=c11 -fsyntax-only -Isrc/core -Isrc/host " .. path)
    assert.are.equal(0, code, err)
  end)
end)
