-- lrengine.plot: charts and tables of curves, for `lrengine plot`,
-- `lrengine find-lr` and Lua programs. A chart is drawn from
--   {x = {...}, series = {{name = "lr", values = {...}}, ...},
--    title = "...", xlabel = "step", ylabel = "...", logx = false, logy = false}
-- and returned as a string in one of the formats: ascii, csv, json, svg.
local M = {}

-- The shortest decimal that reads back as the same double (0.1, not
-- 0.10000000000000001); "nan", "inf" and "-inf" for the non-finite (JSON
-- writes those as null).
local function shortest(v)
  if v ~= v then return "nan" end
  if v == math.huge then return "inf" end
  if v == -math.huge then return "-inf" end
  for digits = 15, 16 do
    local s = string.format("%." .. digits .. "g", v)
    if tonumber(s) == v then return s end
  end
  return string.format("%.17g", v)
end
M.shortest = shortest

local function range(values, log)
  local lo, hi = math.huge, -math.huge
  for _, v in ipairs(values) do
    if v == v and v ~= math.huge and v ~= -math.huge and (not log or v > 0) then
      local y = log and math.log(v, 10) or v
      if y < lo then lo = y end
      if y > hi then hi = y end
    end
  end
  if lo > hi then lo, hi = 0, 1 end
  if hi - lo < 1e-300 then
    local pad = math.abs(hi) * 0.05 + (log and 0.5 or 1e-12)
    lo, hi = lo - pad, hi + pad
  end
  return lo, hi
end

local function all_y(chart)
  local ys = {}
  for _, s in ipairs(chart.series) do
    for _, v in ipairs(s.values) do ys[#ys + 1] = v end
  end
  return ys
end

-- csv: header then one row per point, numbers printed so they read back exactly.
function M.csv(chart)
  local head = {chart.xlabel or "step"}
  for _, s in ipairs(chart.series) do head[#head + 1] = s.name end
  local out = {table.concat(head, ",")}
  for i, x in ipairs(chart.x) do
    local row = {math.type(x) == "integer" and tostring(x) or shortest(x)}
    for _, s in ipairs(chart.series) do row[#row + 1] = shortest(s.values[i]) end
    out[#out + 1] = table.concat(row, ",")
  end
  return table.concat(out, "\n") .. "\n"
end

-- json: {"x": [...], "series": {"lr": [...]}} with exact numbers.
function M.json(chart)
  local function list(t)
    local parts = {}
    for i, v in ipairs(t) do
      if math.type(v) == "integer" then parts[i] = tostring(v)
      elseif v ~= v or v == math.huge or v == -math.huge then parts[i] = "null"
      else parts[i] = shortest(v) end
    end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  local parts = {}
  for _, s in ipairs(chart.series) do parts[#parts + 1] = string.format("%q:%s", s.name, list(s.values)) end
  return string.format('{"%s":%s,"series":{%s}}\n', chart.xlabel or "step", list(chart.x), table.concat(parts, ","))
end

local MARKS = {"*", "o", "+", "x", "#"}

-- ascii: a chart for the terminal, width x height characters of plot area.
function M.ascii(chart, width, height)
  width, height = width or 64, height or 16
  local logy = chart.logy
  local lo, hi = range(all_y(chart), logy)
  local xlo, xhi = range(chart.x, chart.logx)
  local grid = {}
  for r = 1, height do
    grid[r] = {}
    for c = 1, width do grid[r][c] = " " end
  end
  for si, s in ipairs(chart.series) do
    for i, v in ipairs(s.values) do
      local x = chart.logx and math.log(chart.x[i], 10) or chart.x[i]
      local y = logy and (v > 0 and math.log(v, 10) or nil) or v
      if y and y == y then
        local c = math.floor((x - xlo) / (xhi - xlo) * (width - 1) + 0.5) + 1
        local r = height - math.floor((y - lo) / (hi - lo) * (height - 1) + 0.5)
        if r >= 1 and r <= height and c >= 1 and c <= width then grid[r][c] = MARKS[(si - 1) % #MARKS + 1] end
      end
    end
  end
  local function label(y) return string.format("%10.4g", logy and 10 ^ y or y) end
  local out = {}
  if chart.title then out[#out + 1] = chart.title end
  for r = 1, height do
    local y = hi - (r - 1) / (height - 1) * (hi - lo)
    local lab = (r == 1 or r == height or r == math.floor(height / 2) + 1) and label(y) or string.rep(" ", 10)
    out[#out + 1] = lab .. " |" .. table.concat(grid[r])
  end
  out[#out + 1] = string.rep(" ", 11) .. "+" .. string.rep("-", width)
  local function xl(v) return string.format("%.4g", chart.logx and 10 ^ v or v) end
  local left, right = xl(xlo), xl(xhi)
  out[#out + 1] = string.rep(" ", 12) .. left .. string.rep(" ", math.max(1, width - #left - #right)) .. right
  local legend = {}
  for si, s in ipairs(chart.series) do legend[#legend + 1] = MARKS[(si - 1) % #MARKS + 1] .. " " .. s.name end
  out[#out + 1] = string.rep(" ", 12) .. (chart.xlabel or "step") .. "   " .. table.concat(legend, "   ")
  return table.concat(out, "\n") .. "\n"
end

local COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"}

local function esc(s) return (tostring(s):gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")) end

-- svg: a labelled chart with axes, ticks, grid and a legend.
function M.svg(chart, width, height)
  width, height = width or 720, height or 400
  local ml, mr, mt, mb = 70, 20, 40, 50
  local pw, ph = width - ml - mr, height - mt - mb
  local lo, hi = range(all_y(chart), chart.logy)
  local xlo, xhi = range(chart.x, chart.logx)
  local function px(x) return ml + ((chart.logx and math.log(x, 10) or x) - xlo) / (xhi - xlo) * pw end
  local function py(y) return mt + ph - ((chart.logy and math.log(y, 10) or y) - lo) / (hi - lo) * ph end
  local o = {}
  o[#o + 1] = string.format('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">', width, height, width, height)
  o[#o + 1] = string.format('<rect width="%d" height="%d" fill="white"/>', width, height)
  o[#o + 1] = string.format('<text x="%d" y="22" font-size="15" text-anchor="middle">%s</text>', width / 2, esc(chart.title or ""))
  for i = 0, 5 do
    local yv = lo + (hi - lo) * i / 5
    local y = mt + ph - ph * i / 5
    local lab = chart.logy and 10 ^ yv or yv
    o[#o + 1] = string.format('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>', ml, y, ml + pw, y)
    o[#o + 1] = string.format('<text x="%d" y="%.1f" text-anchor="end">%.4g</text>', ml - 6, y + 4, lab)
    local xv = xlo + (xhi - xlo) * i / 5
    local x = ml + pw * i / 5
    o[#o + 1] = string.format('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>', x, mt, x, mt + ph)
    o[#o + 1] = string.format('<text x="%.1f" y="%d" text-anchor="middle">%.4g</text>', x, mt + ph + 18, chart.logx and 10 ^ xv or xv)
  end
  o[#o + 1] = string.format('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>', ml, mt, pw, ph)
  o[#o + 1] = string.format('<text x="%d" y="%d" text-anchor="middle">%s</text>', ml + pw / 2, height - 10, esc(chart.xlabel or "step"))
  o[#o + 1] = string.format('<text transform="translate(16 %d) rotate(-90)" text-anchor="middle">%s</text>', mt + ph / 2, esc(chart.ylabel or "value"))
  for si, s in ipairs(chart.series) do
    local pts = {}
    for i, v in ipairs(s.values) do
      if v == v and (not chart.logy or v > 0) then pts[#pts + 1] = string.format("%.2f,%.2f", px(chart.x[i]), py(v)) end
    end
    local color = COLORS[(si - 1) % #COLORS + 1]
    o[#o + 1] = string.format('<polyline fill="none" stroke="%s" stroke-width="1.8" points="%s"/>', color, table.concat(pts, " "))
    o[#o + 1] = string.format('<text x="%d" y="%d" fill="%s">%s</text>', ml + pw - 110, mt + 16 * si, color, esc(s.name))
  end
  o[#o + 1] = "</svg>"
  return table.concat(o, "\n") .. "\n"
end

function M.render(format, chart)
  local f = M[format]
  if type(f) ~= "function" or format == "render" then error("unknown format '" .. tostring(format) .. "' (ascii, csv, json, svg)", 2) end
  return f(chart)
end

return M
