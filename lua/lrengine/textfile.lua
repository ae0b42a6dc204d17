-- lrengine.textfile: reading files whose size nobody promised, in bounded
-- pieces. file:lines() and file:read("a") hold whatever the file holds (a
-- line of /dev/zero, a trial that printed a gigabyte); these read 64 KiB at a
-- time and keep at most what the caller asked for.
local M = {}

local find, sub = string.find, string.sub

local CHUNK = 65536
M.MAX_LINE = 65536

-- An iterator over the lines of the open file f (named `name` in messages),
-- each at most max bytes (M.MAX_LINE by default). A longer line or a NUL
-- byte is an error naming the line, unless skip is set: then the line is
-- passed over (a longer one read and dropped piece by piece) and the next
-- one returned; skip may be a function, called with the line's number and
-- what is wrong with it.
function M.lines(f, name, max, skip)
  max = max or M.MAX_LINE
  local long = "a line longer than " .. max .. " bytes"
  -- dropping: what is wrong with the line being passed over, piece by piece
  local buf, pos, n, eof, dropping = "", 1, 0, false, false
  local function refuse(what) error(string.format("%s:%d: %s", name, n + 1, what), 0) end
  return function()
    while true do
      local nl = find(buf, "\n", pos, true)
      if nl or (eof and (pos <= #buf or dropping)) then
        local line = sub(buf, pos, (nl or #buf + 1) - 1)
        local bad = dropping or #line > max and long or find(line, "\0", 1, true) and "a NUL byte"
        if bad and not skip then refuse(bad) end
        if bad and type(skip) == "function" then skip(n + 1, bad) end
        pos, n, dropping = (nl or #buf) + 1, n + 1, false
        if not bad then return line end
      else
        if eof then return nil end
        local bad = find(buf, "\0", pos, true) and "a NUL byte" or #buf - pos + 1 > max and long
        if bad then
          if not skip then refuse(bad) end
          buf, pos, dropping = "", 1, dropping or bad
        end
        local more, err = f:read(CHUNK)
        if err then error(string.format("cannot read %s: %s", name, err), 0) end
        if more then buf, pos = sub(buf, pos) .. more, 1 else eof = true end
      end
    end
  end
end

-- The last at most `bytes` bytes of the file at path, or nil when it cannot
-- be opened.
function M.tail(path, bytes)
  local f = io.open(path, "rb")
  if not f then return nil end
  local size = f:seek("end")
  if not size then
    f:close()
    return nil
  end
  f:seek("set", size > bytes and size - bytes or 0)
  local s = f:read(bytes) or ""
  f:close()
  return s
end

-- Copies the file at path to the open file out, a piece at a time. true, or
-- nil and a message.
function M.copy(path, out)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  while true do
    local s, rerr = f:read(CHUNK)
    if rerr then
      f:close()
      return nil, string.format("cannot read %s: %s", path, rerr)
    end
    if not s then break end
    local ok, werr = out:write(s)
    if not ok then
      f:close()
      return nil, werr
    end
  end
  f:close()
  return true
end

-- The whole file at path when it holds at most max bytes; else nil, a
-- message, and "large" when it holds more (nil when it cannot be opened).
function M.read(path, max)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local size = f:seek("end")
  if size and size > max then
    f:close()
    return nil, string.format("%s holds %d bytes, more than the %d it may", path, size, max), "large"
  end
  f:seek("set", 0)
  local s = f:read(max + 1) or ""
  f:close()
  if #s > max then return nil, string.format("%s holds more than the %d bytes it may", path, max), "large" end
  return s
end

return M
