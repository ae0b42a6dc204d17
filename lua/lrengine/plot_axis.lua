-- lrengine.plot_axis: the scales of lrengine.plot's charts. An axis maps
-- values to [0, 1] in linear or log10 space and carries round ticks: steps
-- of 1, 2 or 5 times a power of ten on linear axes, decades (with minor
-- ticks at 2..9 times) on log axes spanning more than one, and labels
-- written from whole numbers so they read "0.3", never "0.30000000000000004".
local M = {}

local floor, log, huge = math.floor, math.log, math.huge

local function finite(v) return v == v and v ~= huge and v ~= -huge end
M.finite = finite

-- The decimal text of n * 10^e for a whole number n: "120", "0.012", "1.2e-05"
-- (sci), or with a k/M suffix (si).
local function decimal(n, e, style)
  if n == 0 then return "0" end
  local sign, digits = n < 0 and "-" or "", string.format("%d", n < 0 and -n or n)
  digits = digits:gsub("0+$", function(z) e = e + #z return "" end)
  if style == "si" and e >= 3 then
    local unit, pow = "k", 3
    if #digits + e > 6 then unit, pow = "M", 6 end
    return sign .. decimal(tonumber(digits), e - pow) .. unit
  end
  if style == "sci" then
    local exp = e + #digits - 1
    local mant = digits:sub(1, 1) .. (#digits > 1 and "." .. digits:sub(2) or "")
    return string.format("%s%se%s%d", sign, mant, exp < 0 and "-" or "", math.abs(exp))
  end
  if e >= 0 then return sign .. digits .. string.rep("0", e) end
  if #digits <= -e then digits = string.rep("0", -e - #digits + 1) .. digits end
  return sign .. digits:sub(1, #digits + e) .. "." .. digits:sub(#digits + e + 1)
end
M.decimal = decimal

-- Round linear ticks over [lo, hi], about `target` of them: {value, label}.
-- The step is m * 10^e with m in {1, 2, 5}; tick k is k * m * 10^e.
local function linear_ticks(lo, hi, target, style)
  local raw = (hi - lo) / math.max(target, 1)
  if not (raw > 0) or not finite(raw) then return {} end
  local e = floor(log(raw, 10))
  local best, bestm
  for _, m in ipairs{1, 2, 5, 10} do
    local n = (hi - lo) / (m * 10.0 ^ e)
    local d = math.abs(n - target)
    if not best or d < best then best, bestm = d, m end
  end
  local m = bestm
  if m == 10 then m, e = 1, e + 1 end
  local step = m * 10.0 ^ e
  local big = math.max(math.abs(lo), math.abs(hi))
  if style == "si" then style = big >= 1e4 and "si" or nil
  else style = (big >= 1e6 or big < 1e-3) and "sci" or nil end
  local ticks = {}
  local k0, k1 = math.ceil(lo / step - 1e-9), floor(hi / step + 1e-9)
  for k = k0, k1 do
    local n = math.tointeger(k * m)
    -- the value from its exact decimal text, so 0.3 is the double nearest 0.3
    ticks[#ticks + 1] = {value = tonumber(decimal(n, e)), label = decimal(n, e, style)}
  end
  return ticks, m * 10.0 ^ e
end
M.linear_ticks = linear_ticks

-- Ticks of a log10 axis over the exponents [a, b]: decades when two or more
-- fit (every k-th labelled when too many, the others minor), else 1-2-5
-- values, else round linear values placed on the log scale.
local function log_ticks(a, b, target)
  local d0, d1 = math.ceil(a - 1e-9), floor(b + 1e-9)
  local ticks = {}
  if d1 - d0 >= 1 then
    local every = math.max(1, math.ceil((d1 - d0 + 1) / math.max(target, 2)))
    local sci = d0 < -3 or d1 > 4
    for d = d0, d1 do
      local major = (d - d0) % every == 0
      ticks[#ticks + 1] = {value = tonumber("1e" .. d), decade = true, minor = not major,
                           label = major and (sci and "1e" .. d or decimal(1, d)) or nil}
    end
    if d1 - d0 <= 3 then -- minor grid at 2..9 times each decade
      for d = d0 - 1, d1 do
        for m = 2, 9 do
          local v = m * 10.0 ^ d
          local lv = log(v, 10)
          if lv >= a and lv <= b then ticks[#ticks + 1] = {value = v, minor = true} end
        end
      end
    end
    return ticks
  end
  local sci = b > 6 or a < -3
  for d = floor(a) - 1, math.ceil(b) do
    for _, m in ipairs{1, 2, 5} do
      local v = tonumber(decimal(m, d))
      local lv = log(v, 10)
      if lv >= a - 1e-12 and lv <= b + 1e-12 then ticks[#ticks + 1] = {value = v, label = decimal(m, d, sci and "sci")} end
    end
  end
  if #ticks >= 3 then return ticks end
  return (linear_ticks(10 ^ a, 10 ^ b, target))
end
M.log_ticks = log_ticks

-- An axis over values in [lo, hi] (data units), linear or log10 ("log" set
-- and lo > 0), padded by `pad` of its span on both sides. Returns
-- {lo, hi (scale units), log, ticks, pos(v) -> [0, 1] or nil}.
function M.axis(lo, hi, opts)
  opts = opts or {}
  local islog = opts.log and lo > 0
  local a, b = lo, hi
  if islog then a, b = log(lo, 10), log(hi, 10) end
  if not (a <= b) then a, b = 0, 1 end
  if b - a < 1e-12 * math.max(1, math.abs(a)) then
    local w = islog and 0.5 or math.max(math.abs(a) * 0.1, 1e-12)
    if not islog and a >= 0 and a - w < 0 then a, b = 0, 2 * a else a, b = a - w, b + w end
    if a == b then b = a + 1 end
  end
  local pad = (opts.pad or 0) * (b - a)
  a, b = a - pad, b + pad
  if opts.bounds then -- never past what the values can be (an accuracy's [0, 1])
    local lo_b, hi_b = opts.bounds[1], opts.bounds[2]
    if islog then lo_b, hi_b = lo_b and lo_b > 0 and log(lo_b, 10), hi_b and hi_b > 0 and log(hi_b, 10) end
    if lo_b and a < lo_b and b > lo_b then a = lo_b end
    if hi_b and b > hi_b and a < hi_b then b = hi_b end
  end
  local ticks, step
  if islog then ticks = log_ticks(a, b, opts.target or 5)
  else ticks, step = linear_ticks(a, b, opts.target or 5, opts.style) end
  if opts.snap and step then -- end on a tick that lies just past the values (0..999 on 0..1000)
    local span = b - a
    local up, down, moved = math.ceil(b / step - 1e-9) * step, floor(a / step + 1e-9) * step, false
    if up > b and up - b <= opts.snap * span then b, moved = up, true end
    if down < a and a - down <= opts.snap * span then a, moved = down, true end
    if moved then ticks = linear_ticks(a, b, opts.target or 5, opts.style) end
  end
  local ax = {lo = a, hi = b, log = islog, ticks = ticks}
  function ax.pos(v)
    if not finite(v) then return nil end
    if islog then
      if v <= 0 then return nil end
      v = log(v, 10)
    end
    return (v - a) / (b - a)
  end
  return ax
end

-- The finite range of a list (positive values only when `positive`):
-- lo, hi, or nil when there is none. With trim = "tail" the values after
-- the minimum count only up to the largest value before it, so a range
-- test's divergent end does not squash the curve.
function M.range(values, positive, trim)
  local lo, hi, imin = huge, -huge, nil
  for i, v in ipairs(values) do
    if finite(v) and (not positive or v > 0) then
      if v < lo then lo, imin = v, i end
      if v > hi then hi = v end
    end
  end
  if not imin then return nil end
  if trim == "tail" then
    local head = -huge
    for i = 1, imin do
      local v = values[i]
      if finite(v) and (not positive or v > 0) and v > head then head = v end
    end
    -- keep a little of the rise in view
    hi = math.min(hi, head + 0.1 * (head - lo))
  end
  return lo, hi
end

return M
