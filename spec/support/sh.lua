-- Runs a command and returns its exit code, stdout and stderr.
local M = {}
M.build = os.getenv("LRE_BUILD") or "build"
M.bin = "./" .. M.build .. "/bin/lrengine"

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

function M.run(cmd)
  local out, err = os.tmpname(), os.tmpname()
  local ok, how, code = os.execute(cmd .. " >" .. out .. " 2>" .. err .. " </dev/null")
  local o, e = slurp(out), slurp(err)
  os.remove(out)
  os.remove(err)
  if how == "signal" then code = 128 + code end
  return code, o, e
end

function M.lre(args) return M.run(M.bin .. " " .. args) end

function M.write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

M.slurp = slurp

function M.tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p " .. p))
  return p
end

return M
