-- Reads a PNG as rsvg-convert writes it (8-bit RGB or RGBA, not
-- interlaced) into its size and pixels, so the chart specs can look at what
-- was drawn without an image tool. Inflate follows RFC 1951 the way zlib's
-- contrib/puff does: canonical Huffman codes decoded a bit at a time.
local M = {}

local LBASE = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
               227, 258}
local LEXT = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
local DBASE = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
               4097, 6145, 8193, 12289, 16385, 24577}
local DEXT = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
local ORDER = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

-- The bytes of a zlib stream, as a list of numbers.
function M.inflate(data)
  local pos, buf, cnt = 3, 0, 0 -- after the two-byte zlib header
  local out, n = {}, 0
  local function bits(k)
    while cnt < k do
      local b = data:byte(pos)
      if not b then error("png: truncated deflate data") end
      pos, buf, cnt = pos + 1, buf | (b << cnt), cnt + 8
    end
    local v = buf & ((1 << k) - 1)
    buf, cnt = buf >> k, cnt - k
    return v
  end
  local function build(lengths, count_of)
    local count, symbol, offs = {}, {}, {}
    for l = 0, 15 do count[l] = 0 end
    for s = 0, count_of - 1 do count[lengths[s] or 0] = count[lengths[s] or 0] + 1 end
    offs[1] = 0
    for l = 1, 14 do offs[l + 1] = offs[l] + count[l] end
    for s = 0, count_of - 1 do
      local l = lengths[s] or 0
      if l ~= 0 then symbol[offs[l]], offs[l] = s, offs[l] + 1 end
    end
    return {count = count, symbol = symbol}
  end
  local function decode(h)
    local code, first, index = 0, 0, 0
    for len = 1, 15 do
      code = code | bits(1)
      local c = h.count[len]
      if code - c < first then return h.symbol[index + code - first] end
      index, first, code = index + c, (first + c) << 1, code << 1
    end
    error("png: bad Huffman code")
  end
  local function codes(lencode, distcode)
    while true do
      local sym = decode(lencode)
      if sym < 256 then
        n = n + 1
        out[n] = sym
      elseif sym == 256 then
        return
      else
        sym = sym - 256
        local len = LBASE[sym] + bits(LEXT[sym])
        local d = decode(distcode) + 1
        local from = n - (DBASE[d] + bits(DEXT[d]))
        for i = 1, len do out[n + i] = out[from + i] end
        n = n + len
      end
    end
  end
  repeat
    local last, kind = bits(1), bits(2)
    if kind == 0 then -- stored
      buf, cnt = 0, 0
      local len = data:byte(pos) | data:byte(pos + 1) << 8
      pos = pos + 4
      for i = 0, len - 1 do out[n + 1 + i] = data:byte(pos + i) end
      n, pos = n + len, pos + len
    elseif kind == 1 then -- fixed codes
      local l, d = {}, {}
      for s = 0, 287 do l[s] = s < 144 and 8 or s < 256 and 9 or s < 280 and 7 or 8 end
      for s = 0, 29 do d[s] = 5 end
      codes(build(l, 288), build(d, 30))
    elseif kind == 2 then -- dynamic codes
      local nlen, ndist, ncode = bits(5) + 257, bits(5) + 1, bits(4) + 4
      local cl = {}
      for i = 1, ncode do cl[ORDER[i]] = bits(3) end
      local clcode = build(cl, 19)
      local lengths, i = {}, 0
      while i < nlen + ndist do
        local sym = decode(clcode)
        if sym < 16 then
          lengths[i], i = sym, i + 1
        else
          local rep, val = 0, 0
          if sym == 16 then rep, val = 3 + bits(2), lengths[i - 1]
          elseif sym == 17 then rep = 3 + bits(3)
          else rep = 11 + bits(7) end
          for _ = 1, rep do lengths[i], i = val, i + 1 end
        end
      end
      local dl = {}
      for s = 0, ndist - 1 do dl[s] = lengths[nlen + s] end
      codes(build(lengths, nlen), build(dl, ndist))
    else
      error("png: bad block type")
    end
  until last == 1
  return out, n
end

local function u32(s, i) return s:byte(i) << 24 | s:byte(i + 1) << 16 | s:byte(i + 2) << 8 | s:byte(i + 3) end

-- {width, height, pixel = function(x, y) -> r, g, b, a (0-based)}.
function M.read(bytes)
  assert(bytes:sub(1, 8) == "\137PNG\r\n\26\n", "not a PNG")
  local pos, idat, w, h, depth, ctype, interlace = 9, {}, nil, nil, nil, nil, nil
  while pos <= #bytes do
    local len, kind = u32(bytes, pos), bytes:sub(pos + 4, pos + 7)
    local data = bytes:sub(pos + 8, pos + 7 + len)
    if kind == "IHDR" then
      w, h, depth, ctype, interlace = u32(data, 1), u32(data, 5), data:byte(9), data:byte(10), data:byte(13)
    elseif kind == "IDAT" then
      idat[#idat + 1] = data
    elseif kind == "IEND" then
      break
    end
    pos = pos + 12 + len
  end
  assert(depth == 8 and (ctype == 6 or ctype == 2) and interlace == 0, "png: only 8-bit RGB(A), not interlaced")
  local bpp = ctype == 6 and 4 or 3
  local raw = M.inflate(table.concat(idat))
  local stride = w * bpp
  local px = {} -- unfiltered rows, flat, 1-based
  for y = 0, h - 1 do
    local f, src, dst = raw[y * (stride + 1) + 1], y * (stride + 1) + 1, y * stride
    for i = 1, stride do
      local x = raw[src + i]
      local a = i > bpp and px[dst + i - bpp] or 0
      local b = y > 0 and px[dst - stride + i] or 0
      local c = (i > bpp and y > 0) and px[dst - stride + i - bpp] or 0
      if f == 1 then x = x + a
      elseif f == 2 then x = x + b
      elseif f == 3 then x = x + (a + b) // 2
      elseif f == 4 then
        local p = a + b - c
        local pa, pb, pc = math.abs(p - a), math.abs(p - b), math.abs(p - c)
        x = x + ((pa <= pb and pa <= pc) and a or pb <= pc and b or c)
      end
      px[dst + i] = x & 255
    end
  end
  return {width = w, height = h, pixel = function(x, y)
    local i = y * stride + x * bpp
    return px[i + 1], px[i + 2], px[i + 3], bpp == 4 and px[i + 4] or 255
  end}
end

return M
