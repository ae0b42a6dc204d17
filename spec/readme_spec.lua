-- The README's examples work as written, and what it states (the Debian
-- packages, the exit codes, the figures, the docs it links) is what the
-- project has.
local sh = require "support.sh"

local readme = sh.slurp("README.md")
local cwd = os.getenv("PWD") or io.popen("pwd"):read("l")
local san = sh.build == "build-san"

local function blocks(lang)
  local out = {}
  for code in readme:gmatch("```" .. lang .. "\n(.-)```") do out[#out + 1] = code end
  return out
end

-- The sh block whose first command starts with `first`.
local function sh_block(first)
  for _, b in ipairs(blocks("sh")) do
    if b:match("^" .. first) then return b end
  end
  error("no sh block starting with " .. first)
end

local function commands(block)
  local t = {}
  for line in block:gmatch("[^\n]+") do t[#t + 1] = line:gsub("%s+#.*$", "") end
  return t
end

describe("the README", function()
  it("gives make demo and make test as its two commands", function()
    assert.are.same({"make demo", "make test"}, commands(sh_block("make demo")))
    assert.matches("\nmake test\n", sh.slurp(".ci/run"))
  end)

  it("lists the Debian packages of tools/debian-packages, which make test checks first", function()
    local listed = readme:match("The packages, the same list as `tools/debian%-packages`.-: `([^`]+)`")
    assert.is_not_nil(listed)
    local want, got = {}, {}
    for p in sh.slurp("tools/debian-packages"):gmatch("[^\n]+") do
      if not p:match("^#") then want[#want + 1] = p end
    end
    for p in listed:gmatch("%S+") do got[#got + 1] = p end
    table.sort(want)
    table.sort(got)
    assert.are.same(want, got)
    assert.matches("test:\n\t@bash tools/check%-deps%.sh\n", sh.slurp("Makefile"))
  end)

  it("is right that make test names a missing package and how to install it", function()
    local fake = sh.tmpdir()
    sh.write(fake .. "/dpkg", '#!/bin/sh\n[ "$2" = zlib1g-dev ] && exit 1\nexit 0\n')
    os.execute("chmod +x " .. fake .. "/dpkg")
    local code, _, err = sh.run("PATH=" .. fake .. ":$PATH bash tools/check-deps.sh")
    assert.are.equal(1, code)
    assert.matches("missing Debian packages: zlib1g%-dev\n", err)
    assert.matches("sudo apt%-get install %-y zlib1g%-dev", err)
    sh.run("rm -rf " .. fake)
  end)

  it("installs with the make install command it gives, putting lrengine and its man page on the PATH", function()
    local home = sh.tmpdir()
    local env = "HOME=" .. home .. " B=" .. sh.build .. (san and " SANITIZE=1" or "")
      .. " PATH=" .. home .. "/.local/bin:$PATH MANPAGER=cat MANWIDTH=80 "
    local lines = commands(sh_block("make install"))
    assert.are.equal("make install PREFIX=$HOME/.local", lines[1])
    for _, line in ipairs(lines) do
      local code, out, err = sh.run(env .. "sh -c '" .. line .. "'")
      assert.are.equal(0, code, line .. ": " .. err)
      if line:match("^lrengine") then assert.matches("^lrengine 0.1.0", out) end
      if line:match("^man") then assert.matches("lrengine %- learning%-rate schedules", out) end
    end
    local code = sh.run(env .. "make --no-print-directory uninstall PREFIX=" .. home .. "/.local")
    assert.are.equal(0, code)
    sh.run("rm -rf " .. home)
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

  it("shows command lines that run as written", function()
    -- in a directory of their own (they write curve.svg, run.ckpt...), with the
    -- examples at hand and the build's lrengine first on the PATH
    local dir = sh.tmpdir()
    assert(os.execute("ln -s " .. cwd .. "/examples " .. dir .. "/examples"))
    local lines = commands(sh_block("lrengine list"))
    assert.is_true(#lines >= 9)
    for _, line in ipairs(lines) do
      local code, out, err = sh.run("cd " .. dir .. " && PATH=" .. cwd .. "/" .. sh.build .. "/bin:$PATH; (" .. line .. ")")
      assert.are.equal(0, code, line .. ": " .. err)
      assert.is_true(#out > 0 or line:match("%-%-output") ~= nil, line)
    end
    assert.matches("^<svg", sh.slurp(dir .. "/curve.svg"))
    assert.matches("^<svg", sh.slurp(dir .. "/lr.svg"))
    sh.run("rm -rf " .. dir)
  end)

  it("gives the exit codes the binary documents", function()
    local _, out = sh.lre("--help")
    local codes = out:match("exit status: (0 success, 1 failure, 2 usage error, 130 interrupted)")
    assert.is_not_nil(codes)
    local pattern = ("Exit codes, the same for every command: " .. codes):gsub("%p", "%%%0"):gsub(" ", "%%s+")
    assert.matches(pattern, readme)
  end)

  it("quotes figures that BENCHMARKS.md has", function()
    local bench = sh.slurp("BENCHMARKS.md")
    local speed = readme:match("## Speed\n(.-)\n## ")
    local n = 0
    for fig in speed:gmatch("%d[%d.–]*%d") do
      if fig ~= "10" then -- 10M parameters
        assert.is_truthy(bench:find(fig, 1, true), fig)
        n = n + 1
      end
    end
    assert.is_true(n >= 7)
  end)

  it("links reference docs that exist", function()
    local n = 0
    for path in readme:gmatch("%]%((doc/[%w%-_.]+)%)") do
      assert.is_not_nil(io.open(path), path)
      n = n + 1
    end
    assert.is_true(n >= 3)
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
