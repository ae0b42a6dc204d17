-- Byte surgery on a training checkpoint (src/train/checkpoint.c, format 4) for the specs
-- that feed the job hostile ones: the config text a checkpoint's plan records is replaced by
-- another of the same length, its FNV-1a hash (src/train/plan.c) and the file's CRC-32 made
-- right, so that what a resume refuses is the text itself.
local M = {}

function M.fnv64(s)
  local h = -3750763034362895579 -- 0xcbf29ce484222325, as a Lua integer (products wrap)
  for i = 1, #s do h = (h ~ s:byte(i)) * 0x100000001b3 end
  return h
end

local crc_table = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do c = (c & 1) == 1 and (0xEDB88320 ~ (c >> 1)) or (c >> 1) end
  crc_table[i] = c
end

function M.crc32(s)
  local c = 0xFFFFFFFF
  for i = 1, #s do c = crc_table[(c ~ s:byte(i)) & 0xFF] ~ (c >> 8) end
  return c ~ 0xFFFFFFFF
end

-- bytes with the recorded text `src` of the config named `name` replaced by `text` (padded
-- with spaces to src's length); nil when src is not there.
function M.replace_source(bytes, name, src, text)
  local at = bytes:find(src, 1, true)
  if not at or #text > #src then return nil end
  text = text .. string.rep(" ", #src - #text)
  local hash_at = at - 8 - #name - 8 - 8 -- the record: ..., hash, name (length, bytes), source (length, bytes)
  assert(string.unpack("=i8", bytes, hash_at) == M.fnv64(src), "not a recorded config's text")
  local b = bytes:sub(1, hash_at - 1) .. string.pack("=i8", M.fnv64(text)) .. bytes:sub(hash_at + 8, at - 1) .. text ..
            bytes:sub(at + #src, -5)
  return b .. string.pack("=I4", M.crc32(b))
end

return M
