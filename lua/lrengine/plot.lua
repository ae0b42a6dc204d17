-- lrengine.plot: charts and tables of curves, for `lrengine plot`,
-- `lrengine find-lr`, `lrengine report` and Lua programs. A chart is
--   {x = {...}, series = {{name = "lr", values = {...}}, ...},
--    title = "...", xlabel = "step", ylabel = "...", logx = false, logy = false}
-- and is returned as a string in one of the formats: ascii, csv, json, svg.
--
-- Optional, for the drawn formats (ascii, svg):
--   series[i].x        the series' own x values (default chart.x)
--   series[i].panel    the key of the panel it is drawn in; series without one
--                      are grouped by scale: a rate and a momentum get panels
--                      of their own instead of one squashing the other
--   series[i].trim     "tail": the y-range ignores the rise after the minimum
--                      (a range test's divergence); the curve is clipped there
--   series[i].label, .color, .dash, .width, .opacity, .dots (a dot per point)
--   panels             {{key = "loss", ylabel = "loss", logy = false, bounds = {0, 1}},
--                      ...}: the keyed panels, in order, before the grouped ones
--                      (which are log scale when chart.logy is set); bounds
--                      limit the axis to what the values can be
--   xmin               the x axis starts there at the latest (a run's step 0)
--   markers            {{x = 0.01, label = "...", legend = "...", series = "loss",
--                      color, dash}, ...}: vertical lines over every panel, a
--                      circle where one crosses the named series
local A = require "lrengine.plot_axis"

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

-- A series' extent in its scale's units (log10 on a log scale), and the
-- least span it counts as having, so that constants can share a panel.
local function extent(s, log)
  local lo, hi = A.range(s.values, log, s.trim)
  if not lo then return nil end
  if log then return lo, hi, math.log(hi, 10) - math.log(lo, 10), 0.05 end
  return lo, hi, hi - lo, 0.05 * math.max(math.abs(lo), math.abs(hi))
end

-- Whether a group of series plus one more stay legible on one axis: each
-- still spans at least a quarter of the shared range.
local function fits(group, cand, log)
  local members = {cand}
  for _, m in ipairs(group) do members[#members + 1] = m end
  local lo, hi = math.huge, -math.huge
  for _, m in ipairs(members) do
    local a, b = m.lo, m.hi
    if log then a, b = math.log(a, 10), math.log(b, 10) end
    lo, hi = math.min(lo, a), math.max(hi, b)
  end
  for _, m in ipairs(members) do
    if math.max(m.span, m.least) < 0.25 * (hi - lo) then return false end
  end
  return true
end

-- The panels of a chart and its x range: {panels = {{series, ylabel, log,
-- lo, hi}, ...}, xlo, xhi, xlog}. Each series gets .index, its place in
-- chart.series (its color).
function M.layout(chart)
  local xlo, xhi = math.huge, -math.huge
  for _, s in ipairs(chart.series) do
    local a, b = A.range(s.x or chart.x, chart.logx)
    if a then xlo, xhi = math.min(xlo, a), math.max(xhi, b) end
  end
  if chart.xmin and chart.xmin < xlo and not (chart.logx and chart.xmin <= 0) then xlo = chart.xmin end
  if xlo > xhi then xlo, xhi = 0, 1 end
  local panels, keyed, grouped = {}, {}, {}
  for _, p in ipairs(chart.panels or {}) do
    local panel = {key = p.key, ylabel = p.ylabel or p.key, log = p.logy, bounds = p.bounds, series = {}}
    panels[#panels + 1], keyed[p.key] = panel, panel
  end
  for i, s in ipairs(chart.series) do
    s.index = s.index or i
    if s.panel then
      local panel = keyed[s.panel]
      if not panel then
        panel = {key = s.panel, ylabel = s.panel, log = chart.logy, series = {}}
        panels[#panels + 1], keyed[s.panel] = panel, panel
      end
      table.insert(panel.series, s)
    else
      local log = chart.logy and A.range(s.values, true) ~= nil
      local lo, hi, span, least = extent(s, log)
      local m = {s = s, lo = lo or 0, hi = hi or 1, span = span or 0, least = least or 1}
      local home
      for _, g in ipairs(grouped) do
        if g.log == log and fits(g.members, m, log) then home = g break end
      end
      if not home then
        home = {log = log, members = {}, series = {}}
        grouped[#grouped + 1] = home
      end
      table.insert(home.members, m)
      table.insert(home.series, s)
    end
  end
  for _, g in ipairs(grouped) do
    local names = {}
    for _, s in ipairs(g.series) do names[#names + 1] = s.label or s.name end
    local ylabel = #grouped == 1 and #panels == 0 and chart.ylabel ~= "value" and chart.ylabel or table.concat(names, ", ")
    panels[#panels + 1] = {ylabel = ylabel, log = g.log, series = g.series}
  end
  local shown = {}
  for _, p in ipairs(panels) do
    local lo, hi = math.huge, -math.huge
    for _, s in ipairs(p.series) do
      local a, b = A.range(s.values, p.log, s.trim)
      if a then lo, hi = math.min(lo, a), math.max(hi, b) end
    end
    if lo > hi then
      if p.log then lo, hi = 0.1, 1 else lo, hi = 0, 1 end
    end
    p.lo, p.hi = lo, hi
    if #p.series > 0 then shown[#shown + 1] = p end
  end
  if #shown == 0 then shown[1] = {ylabel = chart.ylabel or "value", series = {}, lo = 0, hi = 1} end
  return {panels = shown, xlo = xlo, xhi = xhi, xlog = chart.logx}
end

-- ascii: a chart for the terminal, width x height characters of plot area
-- (the height shared by the panels).
function M.ascii(chart, width, height)
  return require("lrengine.plot_ascii").render(chart, M.layout(chart), width, height)
end

-- svg: labelled panels with round ticks, grids, legends and marks.
function M.svg(chart, width, height)
  return require("lrengine.plot_svg").render(chart, M.layout(chart), width, height)
end

function M.render(format, chart)
  local f = ({ascii = M.ascii, csv = M.csv, json = M.json, svg = M.svg})[format]
  if not f then error("unknown format '" .. tostring(format) .. "' (ascii, csv, json, svg)", 2) end
  return f(chart)
end

return M
