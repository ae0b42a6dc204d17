-- tools/gen-reference.lua: fills the generated parts of the reference docs
-- from the engine's own definition tables, as `lrengine list --format json`
-- gives them (the core's introspection API), so that the documented
-- parameters, defaults and ranges are the ones the constructors accept.
--
--   lrengine list --format json | lua5.4 tools/gen-reference.lua [--check] FILE...
--
-- In each FILE, the lines between "<!-- lrengine help KIND -->" and
-- "<!-- end -->" become KIND's parameter table, formula, peers and inner
-- schedules. Every schedule kind and optimizer needs such a block in one of
-- the files. With --check nothing is written: the exit status is 1 when a
-- file is out of date or a kind has no block (`make docs` updates them).
local json = require "dkjson"

local check = arg[1] == "--check"
local files = {}
for i = check and 2 or 1, #arg do files[#files + 1] = arg[i] end
assert(#files > 0, "usage: lrengine list --format json | lua5.4 tools/gen-reference.lua [--check] FILE...")

local dump = assert(json.decode(io.read("a")), "stdin: not the JSON of lrengine list --format json")
local kinds, order = {}, {}
for _, family in ipairs{"schedules", "optimizers"} do
  for _, k in ipairs(dump[family]) do
    kinds[k.name] = k
    order[#order + 1] = k.name
  end
end

local function cell(s) return (tostring(s):gsub("|", "\\|")) end

local function children(k)
  local lo, hi = k.children.min, k.children.max
  if hi == 0 then return "none" end
  if hi == nil then return lo .. " or more" end
  if lo == hi then return tostring(lo) end
  return lo .. " or " .. hi
end

local function block(k)
  local optim = k.family == "optimizer"
  local out, pairs_given = {}, {}
  if #k.params == 0 then
    out[#out + 1] = "No parameters."
  else
    out[#out + 1] = optim and "| parameter | default | range | schedulable |" or "| parameter | default | range |"
    out[#out + 1] = optim and "| --- | --- | --- | --- |" or "| --- | --- | --- |"
    for _, p in ipairs(k.params) do
      local name = "`" .. p.name .. "`"
      if p.type == "list" then name = name .. " (list)" end
      if p.pair then
        local base = p.name:match("^[^%[]+")
        local items = {}
        for _, q in ipairs(k.params) do
          if q.name:match("^[^%[]+") == base and q.name:find("[", 1, true) then items[#items + 1] = q.name end
        end
        pairs_given[#pairs_given + 1] = "`" .. base .. " = {" .. table.concat(items, ", ") .. "}`"
      end
      local row = "| " .. name .. " | " .. cell(p.default_text) .. " | " .. cell(p.range) .. " |"
      if optim then row = row .. " " .. (p.schedulable and "yes" or "no") .. " |" end
      out[#out + 1] = row
    end
  end
  if #pairs_given > 0 then
    out[#out + 1] = ""
    out[#out + 1] = "Also given as lists: " .. table.concat(pairs_given, ", ") .. "."
  end
  out[#out + 1] = ""
  out[#out + 1] = (optim and "Update: `" or "Value at step t: `") .. k.formula .. "`."
  out[#out + 1] = "Follows: " .. k.peers .. "." .. (optim and "" or " Inner schedules: " .. children(k) .. ".")
  return table.concat(out, "\n")
end

local seen, stale = {}, false
for _, path in ipairs(files) do
  local f = assert(io.open(path, "rb"))
  local text = f:read("a")
  f:close()
  local new = text:gsub("(<!%-%- lrengine help ([%w_]+) %-%->\n)(.-)(<!%-%- end %-%->)", function(open, name, _, close)
    local k = kinds[name]
    if not k then error(path .. ": no schedule kind or optimizer '" .. name .. "'", 0) end
    seen[name] = true
    return open .. block(k) .. "\n" .. close
  end)
  if new ~= text then
    stale = true
    if check then
      io.stderr:write(path .. ": out of date with the engine's definitions; run make docs\n")
    else
      f = assert(io.open(path, "wb"))
      f:write(new)
      f:close()
    end
  end
end
local missing = {}
for _, name in ipairs(order) do
  if not seen[name] then missing[#missing + 1] = name end
end
if #missing > 0 then
  io.stderr:write("undocumented (no <!-- lrengine help KIND --> block): " .. table.concat(missing, ", ") .. "\n")
  os.exit(1)
end
os.exit(check and stale and 1 or 0)
