-- The documentation cannot drift from the code: the man pages name every
-- command, option and C function and render cleanly; the reference docs
-- document every kind, optimizer and Lua function, their generated tables
-- match the engine's definitions; the shell completions offer what the
-- binary has.
local sh = require "support.sh"

local B = sh.build
local bin = sh.bin

-- The commands of `lrengine --help`, and the long options of a command's --help.
local function commands()
  local _, out = sh.lre("--help")
  local t = {}
  for line in out:match("commands:\n(.-)\n\n"):gmatch("[^\n]+") do t[#t + 1] = line:match("^  ([%w%-]+) ") end
  return t
end

local function options(cmd)
  local _, out = sh.lre(cmd .. " --help")
  local t = {}
  for o in out:gmatch("%-%-([%w%-]+)") do t[o] = true end
  return t
end

local function sorted(s)
  local t = {}
  for l in s:gmatch("[^\n]+") do t[#t + 1] = l end
  table.sort(t)
  return t
end

local function escape(s) return (s:gsub("%p", "%%%0")) end

describe("the man pages", function()
  it("render with man -l and groff without a warning", function()
    for _, page in ipairs{"lrengine.1", "lrengine.3"} do
      local path = B .. "/man/" .. page
      local code, out, err = sh.run("groff -man -ww -z -Tutf8 " .. path)
      assert.are.equal(0, code, page)
      assert.are.equal("", err, page)
      if os.execute("command -v man >/dev/null") then
        code, out, err = sh.run("MANWIDTH=80 man --warnings -l " .. path)
        assert.are.equal(0, code, page)
        assert.are.equal("", err, page)
        assert.matches("LRENGINE%(" .. page:sub(-1) .. "%)", out)
      end
    end
  end)

  it("lrengine(1) has a section for every command, naming each of its options, and the exit codes", function()
    local src = sh.slurp("doc/lrengine.1.in")
    local cmds = commands()
    assert.is_true(#cmds >= 7)
    for _, c in ipairs(cmds) do
      local section = src:match('%.SS "lrengine ' .. escape(c) .. ' (.-)\n%.S[SH]')
      assert.is_not_nil(section, "no section for " .. c)
      for o in pairs(options(c)) do
        if o ~= "help" and o ~= "quiet" then -- the common options have their own section
          assert.is_truthy(section:find("\\-\\-" .. o:gsub("%-", "\\-"), 1, true), c .. " --" .. o)
        end
      end
    end
    assert.matches("%.SH EXIT STATUS\n%.TP\n%.B 0\n", src)
    assert.matches("%.B 130\n", src)
  end)

  it("lrengine(3) names every function of lrengine.h and lrengine_script.h", function()
    local src = sh.slurp("doc/lrengine.3.in")
    for _, header in ipairs{"src/core/lrengine.h", "src/host/lrengine_script.h"} do
      local _, out = sh.run("CPPFLAGS=-Isrc/core bash tools/exports.sh " .. header)
      for name in out:gmatch("\n    (lre_[%w_]+);") do
        assert.is_truthy(src:find(name, 1, true), name)
      end
    end
  end)
end)

describe("the reference docs", function()
  it("have parameter tables generated from the engine's definitions, up to date", function()
    local code, _, err = sh.run("(" .. bin .. " list --format json | lua5.4 tools/gen-reference.lua --check doc/schedules.md doc/optimizers.md)")
    assert.are.equal(0, code, err)
  end)

  it("document every schedule kind and optimizer the module has", function()
    local lre = require "lrengine"
    local docs = {schedule = sh.slurp("doc/schedules.md"), optim = sh.slurp("doc/optimizers.md")}
    local n = 0
    for family, text in pairs(docs) do
      for kind in pairs(lre[family]) do
        -- Lua-made (custom, for_run, the peers' from_*): in lua-api.md and porting.md
        if kind ~= "custom" and kind ~= "for_run" and not kind:match("^from_") then
          assert.matches("\n### " .. kind .. "\n\n[^<]+%.\n", text, nil, nil, kind .. " has no prose")
          assert.matches("<!%-%- lrengine help " .. kind .. " %-%->\n[|N]", text, nil, nil, kind .. " has no table")
          n = n + 1
        end
      end
    end
    -- every kind the engine lists (its C tables, read through the binary), so a kind the module
    -- failed to expose would show as a shortfall
    local listed = 0
    for _, k in ipairs{"schedule", "optim"} do
      local code, out = sh.run(bin .. " list --quiet " .. (k == "optim" and "optimizers" or "schedules"))
      assert.are.equal(0, code)
      for _ in out:gmatch("[^\n]+") do listed = listed + 1 end
    end
    assert.are.equal(listed, n)
    -- how durations are counted, the question warmup answers unlike its peers
    assert.matches("warmup_prefix", docs.schedule)
    assert.matches("optax", docs.schedule)
  end)

  it("document every function of the Lua API", function()
    local lre = require "lrengine"
    local api = sh.slurp("doc/lua-api.md")
    local function documented(prefix, name)
      return api:find(prefix .. name .. "(", 1, true) or api:find(prefix .. name .. "{", 1, true)
        or api:find(prefix .. name .. "`", 1, true)
    end
    for k, v in pairs(lre) do
      if type(v) == "function" then assert.is_truthy(documented("lre.", k), "lre." .. k) end
    end
    assert.is_truthy(api:find("lre._VERSION", 1, true))
    assert.is_truthy(api:find("lre.schedule.KIND{", 1, true) and api:find("lre.optim.KIND{", 1, true))
    assert.is_truthy(documented("lre.schedule.", "custom"))
    local t = lre.tensor(1)
    for k in pairs(getmetatable(t).__methods) do assert.is_truthy(documented("t:", k), "t:" .. k) end
    local s = lre.schedule.constant{lr = 1}
    for k in pairs(getmetatable(s).__index) do assert.is_truthy(documented("s:", k), "s:" .. k) end
    local o = lre.optim.sgd{params = t, grads = lre.tensor(1), lr = 0.1}
    for k in pairs(getmetatable(o).__index) do assert.is_truthy(documented("opt:", k), "opt:" .. k) end
    for k, v in pairs(lre.plot) do
      if type(v) == "function" and not k:match("^_") then
        assert.is_truthy(documented("lre.plot.", k), "lre.plot." .. k)
      end
    end
  end)
end)

describe("the shell completions", function()
  local function complete(...)
    local words = {}
    for i, w in ipairs{...} do words[i] = '"' .. w .. '"' end
    local script = sh.write(os.tmpname(), "source completions/lrengine.bash\nCOMP_WORDS=(" .. table.concat(words, " ")
      .. ")\nCOMP_CWORD=" .. (#words - 1) .. "\n_lrengine\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    local code, out, err = sh.run("PATH=" .. B .. "/bin:$PATH bash " .. script)
    os.remove(script)
    assert.are.equal(0, code, err)
    return sorted(out)
  end

  it("complete the subcommands, options, formats and kinds in bash", function()
    local got = complete("lrengine", "")
    for _, c in ipairs(commands()) do assert.is_truthy(table.concat(got, " "):find(c, 1, true), c) end
    assert.are.same({"plot"}, complete("lrengine", "pl"))
    assert.are.same({"--steps"}, complete("lrengine", "check", "--st"))
    assert.are.same({"json"}, complete("lrengine", "check", "--format", "j"))
    assert.are.same({"cosine", "cosine_restarts"}, complete("lrengine", "help", "cos"))
    assert.are.same({"adam", "adamax", "adamw", "adamw_schedulefree"}, complete("lrengine", "help", "adam"))
  end)

  it("have a zsh completion for the same", function()
    local z = sh.slurp("completions/_lrengine")
    assert.matches("^#compdef lrengine\n", z)
    assert.matches("list %-%-quiet", z)
    if os.execute("command -v zsh >/dev/null") then
      local code, _, err = sh.run("zsh -n completions/_lrengine")
      assert.are.equal(0, code, err)
    end
  end)
end)
