-- The arguments of the peer mappings (lrengine.import_*): each mapping names
-- the arguments a peer's scheduler takes, and anything else is an error that
-- names the peer, the scheduler and the known names, with a suggestion.
local M = {}

-- Edit distance of a and b (case ignored), capped at 9.
local function distance(a, b)
  a, b = a:lower(), b:lower()
  if #a > 40 or #b > 40 then return 9 end
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = {[0] = i}
    for j = 1, #b do
      local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return math.min(prev[#b], 9)
end

-- " (did you mean 'x'? known: a, b, c)" for name among the sorted names.
local function suggest(name, names)
  local best, bestd = nil, 3
  for _, n in ipairs(names) do
    local d = distance(name, n)
    if d < bestd and d < #name then best, bestd = n, d end
  end
  local known = "known: " .. table.concat(names, ", ")
  if best then return " (did you mean '" .. best .. "'? " .. known .. ")" end
  return " (" .. known .. ")"
end

local function sorted_keys(t)
  local names = {}
  for k in pairs(t) do names[#names + 1] = k end
  table.sort(names)
  return names
end

-- The builder of `name` in the table builders, or an error naming the peer.
function M.builder(fname, what, builders, name)
  if type(name) ~= "string" then
    error(string.format("bad argument #1 to '%s' (a %s name expected, got %s)", fname, what, type(name)), 0)
  end
  local b = builders[name]
  if not b then
    error(string.format("%s: unknown %s '%s'%s", fname, what, name, suggest(name, sorted_keys(builders))), 0)
  end
  return b
end

-- Checks that every key of args is among known (a list of names) and
-- returns args (a new empty table when nil).
function M.check(fname, name, args, known)
  if args == nil then return {} end
  if type(args) ~= "table" then
    error(string.format("bad argument #2 to '%s' (a table of arguments expected, got %s)", fname, type(args)), 0)
  end
  local set = {}
  for _, k in ipairs(known) do set[k] = true end
  for k in pairs(args) do
    if type(k) ~= "string" or not set[k] then
      local names = {}
      for _, n in ipairs(known) do names[#names + 1] = n end
      table.sort(names)
      error(string.format("%s: '%s' takes no argument '%s'%s", fname, name, tostring(k),
                          suggest(tostring(k), names)), 0)
    end
  end
  return args
end

-- The names of common (a list) followed by the other arguments: the
-- argument list of one scheduler of a peer.
function M.names(common, ...)
  local t = {table.unpack(common)}
  for _, k in ipairs({...}) do t[#t + 1] = k end
  return t
end

-- A required argument, or an error naming it.
function M.need(fname, name, args, key)
  local v = args[key]
  if v == nil then error(string.format("%s: '%s' needs %s", fname, name, key), 0) end
  return v
end

-- A number argument (nil when absent): strings of numbers are accepted, as
-- config files give them.
function M.number(fname, name, args, key, default)
  local v = args[key]
  if v == nil then return default end
  local n = tonumber(v)
  if n == nil then
    error(string.format("%s: '%s': %s must be a number, got %s", fname, name, key, tostring(v)), 0)
  end
  return n
end

-- Calls build(...) and returns what it returns; an error it raises (a
-- kind's range error, a Lua error) is raised again as the mapping's:
-- "from_hf: 'cosine': cosine: t_max must be > 0, got 0", no source position.
function M.run(fname, name, build, ...)
  local r = table.pack(pcall(build, ...))
  if r[1] then return table.unpack(r, 2, r.n) end
  local msg = tostring(r[2]):gsub("^[^\n]-:%d+: ", "")
  if msg:sub(1, #fname + 1) ~= fname .. ":" then
    msg = string.format("%s: '%s': %s", fname, tostring(name), msg)
  end
  error(msg, 0)
end

return M
