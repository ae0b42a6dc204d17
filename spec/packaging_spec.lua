-- lrengine as the ecosystem expects it: shared libraries with a soname that
-- export only the public API, pkg-config files, make install/uninstall with
-- PREFIX and DESTDIR, and a LuaRocks rock that lints, builds, tests and packs
-- offline.
local sh = require "support.sh"

local B = sh.build
local san = B == "build-san"
local make = "make --no-print-directory B=" .. B .. (san and " SANITIZE=1" or "")
local cwd = os.getenv("PWD") or io.popen("pwd"):read("l")

local function lines(s)
  local t = {}
  for l in s:gmatch("[^\n]+") do t[#t + 1] = l end
  table.sort(t)
  return t
end

-- The functions a public header declares, as tools/exports.sh reads them.
local function declared(header, other)
  local code, out, err = sh.run("CPPFLAGS=-Isrc/core bash tools/exports.sh " .. header .. " " .. (other or ""))
  assert.are.equal(0, code, err)
  local t = {}
  for name in out:gmatch("\n    (lre_[%w_]+);") do t[#t + 1] = name end
  table.sort(t)
  return t
end

local function exported(lib)
  local code, out, err = sh.run("(nm -D --defined-only " .. lib .. " | awk '{print $3}')")
  assert.are.equal(0, code, err)
  return lines(out)
end

describe("the C libraries", function()
  it("are shared libraries with a soname and versioned names, beside the static ones", function()
    for _, l in ipairs{"liblrengine", "liblrengine-script"} do
      assert.is_not_nil(io.open(B .. "/" .. l .. ".a"), l)
      local code, out = sh.run("(readlink " .. B .. "/" .. l .. ".so && readlink " .. B .. "/" .. l .. ".so.0)")
      assert.are.equal(0, code, l)
      assert.are.equal(l .. ".so.0\n" .. l .. ".so.0.1.0\n", out)
      code, out = sh.run("readelf -d " .. B .. "/" .. l .. ".so.0.1.0")
      assert.matches("Library soname: %[" .. l:gsub("%-", "%%-") .. "%.so%.0%]", out)
    end
    local _, out = sh.run("readelf -d " .. B .. "/liblrengine-script.so.0.1.0")
    assert.matches("NEEDED.-%[liblrengine%.so%.0%]", out)
  end)

  it("export exactly the functions their public headers declare, the Lua module only its entry point", function()
    local core = declared("src/core/lrengine.h")
    assert.is_true(#core > 50)
    assert.are.same(core, exported(B .. "/liblrengine.so.0.1.0"))
    assert.are.same(declared("src/host/lrengine_script.h", "src/core/lrengine.h"),
      exported(B .. "/liblrengine-script.so.0.1.0"))
    assert.are.same({"luaopen_lrengine_core"}, exported(B .. "/lrengine/core.so"))
  end)
end)

describe("make install and make uninstall", function()
  local root = sh.tmpdir()
  local prefix = root .. "/usr/local"

  it("install into DESTDIR under PREFIX everything a user and a C programmer need", function()
    local code, _, err = sh.run(make .. " install DESTDIR=" .. root .. " PREFIX=/usr/local")
    assert.are.equal(0, code, err)
    local want = {
      "bin/lrengine", "include/lrengine.h", "include/lrengine_script.h",
      "lib/liblrengine.a", "lib/liblrengine.so", "lib/liblrengine.so.0", "lib/liblrengine.so.0.1.0",
      "lib/liblrengine-script.a", "lib/liblrengine-script.so", "lib/liblrengine-script.so.0",
      "lib/liblrengine-script.so.0.1.0", "lib/pkgconfig/lrengine.pc", "lib/pkgconfig/lrengine-script.pc",
      "lib/lua/5.4/lrengine/core.so", "share/lua/5.4/lrengine/init.lua", "share/lua/5.4/lrengine/plot.lua",
      "share/man/man1/lrengine.1", "share/man/man3/lrengine.3",
      "share/bash-completion/completions/lrengine", "share/zsh/site-functions/_lrengine",
      "share/doc/lrengine/README.md", "share/doc/lrengine/lua-api.md", "share/doc/lrengine/schedules.md",
      "share/doc/lrengine/optimizers.md",
    }
    for _, f in ipairs(want) do
      assert.is_true(os.execute("test -e " .. prefix .. "/" .. f) == true, f)
    end
    local _, pc = sh.run("cat " .. prefix .. "/lib/pkgconfig/lrengine.pc " .. prefix .. "/lib/pkgconfig/lrengine-script.pc")
    assert.matches("prefix=/usr/local\n", pc)
    assert.matches("Libs.private: %-lopenblas %-lz %-lm %-fopenmp", pc)
    assert.matches("Requires.private: lua5.4", pc)
    -- the installed binary and Lua module work from there
    local out
    code, out = sh.run(prefix .. "/bin/lrengine --version")
    assert.are.equal(0, code)
    assert.matches("^lrengine 0.1.0", out)
    code, out = sh.run("LUA_PATH='" .. prefix .. "/share/lua/5.4/?.lua;" .. prefix .. "/share/lua/5.4/?/init.lua' LUA_CPATH='"
      .. prefix .. "/lib/lua/5.4/?.so' lua5.4 -e 'print(require(\"lrengine\").schedule.step{lr = 1, step_size = 2}:at(2))'")
    assert.are.equal(0, code, out)
    assert.are.equal("0.1\n", out)
  end)

  -- A C program built with nothing but pkg-config's flags (the staged tree
  -- found through PKG_CONFIG_PATH, its paths through the sysroot variable
  -- made for DESTDIR installs), linked shared and static.
  local pc = "PKG_CONFIG_PATH=" .. prefix .. "/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=" .. root .. " pkg-config "
  local cc = "cc -std=c11 " .. (san and "-fsanitize=address,undefined " or "")

  it("builds examples/c/trainer.c with pkg-config --cflags --libs lrengine-script, shared", function()
    local exe = root .. "/trainer-shared"
    local code, _, err = sh.run(cc .. "-o " .. exe .. " examples/c/trainer.c $(" .. pc .. "--cflags --libs lrengine-script)")
    assert.are.equal(0, code, err)
    local out
    code, out = sh.run("ldd " .. exe)
    assert.matches("liblrengine%-script%.so%.0", out)
    assert.matches("liblrengine%.so%.0", out)
    code, out, err = sh.run("LD_LIBRARY_PATH=" .. prefix .. "/lib " .. exe .. " examples/schedules/warmup_cosine.lua")
    assert.are.equal(0, code, err)
    assert.matches("resumed run identical", out)
  end)

  it("builds it static with pkg-config --static", function()
    if san then return end -- AddressSanitizer has no static runtime; the plain build covers it
    local exe = root .. "/trainer-static"
    local code, _, err = sh.run(cc .. "-static -o " .. exe .. " examples/c/trainer.c $(" .. pc
      .. "--static --cflags --libs lrengine-script)")
    assert.are.equal(0, code, err)
    local out
    code, out = sh.run("file " .. exe)
    assert.matches("statically linked", out)
    code, out, err = sh.run(exe .. " examples/schedules/rises_twice.lua")
    assert.are.equal(0, code, err)
    assert.matches("resumed run identical", out)
  end)

  it("uninstall removes every file it installed", function()
    local code, _, err = sh.run(make .. " uninstall DESTDIR=" .. root .. " PREFIX=/usr/local")
    assert.are.equal(0, code, err)
    local out
    code, out = sh.run("find " .. root .. "/usr -type f -o -type l")
    assert.are.equal("", out)
    sh.run("rm -rf " .. root)
  end)
end)

describe("the rock", function()
  if san then return end -- luarocks builds the module with its own flags: the same in both builds
  local tree = sh.tmpdir()
  local lr = "luarocks --lua-version 5.4 "

  it("passes luarocks lint, names lua5.4 for busted and declares zlib", function()
    local code, _, err = sh.run(lr .. "lint lrengine-scm-1.rockspec")
    assert.are.equal(0, code, err)
    local spec = sh.slurp("lrengine-scm-1.rockspec")
    assert.matches('ZLIB = { header = "zlib.h", library = "z" }', spec, nil, true)
    assert.is_nil(spec:find("/dev/null", 1, true))
    assert.matches('lua = "lua5.4"', sh.slurp(".busted"), nil, true)
  end)

  it("builds with luarocks make, installing the Lua parts and the docs, and passes luarocks test", function()
    local code, _, err = sh.run(lr .. "--tree " .. tree .. " make lrengine-scm-1.rockspec")
    assert.are.equal(0, code, err)
    for _, f in ipairs{"lib/lua/5.4/lrengine/core.so", "share/lua/5.4/lrengine/init.lua",
                       "share/lua/5.4/lrengine/plot.lua", "lib/luarocks/rocks-5.4/lrengine/scm-1/doc/lua-api.md"} do
      assert.is_true(os.execute("test -f " .. tree .. "/" .. f) == true, f)
    end
    local out
    code, out, err = sh.run(lr .. "test lrengine-scm-1.rockspec")
    assert.are.equal(0, code, out .. err)
    assert.matches("%d+ successes / 0 failures / 0 errors", out)
  end)

  it("packs and builds offline from the release tarball and rockspec of make dist", function()
    local dist = B .. "/dist"
    sh.run("rm -rf " .. dist)
    local code, out, err = sh.run(make .. " dist")
    assert.are.equal(0, code, err)
    assert.matches("lrengine%-0.1.0%-1.rockspec", out)
    local rockspec = cwd .. "/" .. dist .. "/lrengine-0.1.0-1.rockspec"
    code, _, err = sh.run(lr .. "lint " .. rockspec)
    assert.are.equal(0, code, err)
    code, out, err = sh.run("cd " .. dist .. " && " .. lr .. "pack " .. rockspec)
    assert.are.equal(0, code, err)
    assert.matches("lrengine%-0.1.0%-1.src.rock", out)
    local tree2 = sh.tmpdir()
    code, _, err = sh.run("cd " .. dist .. " && " .. lr .. "--tree " .. tree2 .. " build lrengine-0.1.0-1.src.rock")
    assert.are.equal(0, code, err)
    code, out, err = sh.run("cd / && LUA_PATH='" .. tree2 .. "/share/lua/5.4/?.lua;" .. tree2 .. "/share/lua/5.4/?/init.lua' LUA_CPATH='"
      .. tree2 .. "/lib/lua/5.4/?.so' lua5.4 -e 'print(require(\"lrengine\")._VERSION)'")
    assert.are.equal(0, code, err)
    assert.are.equal("lrengine 0.1.0\n", out)
    -- and a binary rock of what is installed
    code, out, err = sh.run("cd " .. dist .. " && " .. lr .. "--tree " .. tree2 .. " pack lrengine")
    assert.are.equal(0, code, err)
    assert.matches("lrengine%-0.1.0%-1%.linux%-x86_64%.rock", out)
    sh.run("rm -rf " .. tree .. " " .. tree2 .. " " .. dist)
  end)
end)
