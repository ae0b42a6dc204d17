-- lrengine.plot_svg: the SVG drawing of lrengine.plot's charts. Panels are
-- stacked over one x axis; each has round ticks, a grid, a legend with
-- swatches in its emptiest corner, and its curves clipped to its frame.
-- A curve of more points than the chart has pixel columns is reduced per
-- column to its first, lowest, highest and last points (the M4 reduction of
-- Jugel et al., VLDB 2014) and drawn as a path of vertical strokes: the
-- same picture, spikes included, in a file whose size depends on the
-- chart's width, not on the number of steps.
local A = require "lrengine.plot_axis"

local M = {}

local COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"}
M.COLORS = COLORS

local fmt, floor, concat = string.format, math.floor, table.concat

local function esc(s)
  return (tostring(s):gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end

local function clamp(v) return v < -1e4 and -1e4 or v > 1e4 and 1e4 or v end

-- The curve of one series in pixels: a list of runs (a NaN, or a value a log
-- scale cannot show, breaks the line), each a flat list x1, y1, x2, y2...
-- Reduced per pixel column when there are more points than columns.
local function trace(xs, ys, X, Y, columns)
  local n = #ys
  local reduce = n > 2 * columns
  local runs, run = {}, nil
  local col, b -- the current column and its first, lowest, highest, last points
  local function flush()
    if not b then return end
    local pts = {b[1], b[2], b[3], b[4]}
    table.sort(pts, function(p, q) return p[1] < q[1] end)
    local last
    for _, p in ipairs(pts) do
      if p[1] ~= last then
        local k = #run
        run[k + 1], run[k + 2] = p[2], p[3]
        last = p[1]
      end
    end
    b = nil
  end
  for i = 1, n do
    local px, py = X(xs[i]), Y(ys[i])
    if not (px and py) then
      flush()
      run = nil
    else
      py = clamp(py)
      if not run then
        run = {}
        runs[#runs + 1] = run
      end
      if not reduce then
        local k = #run
        run[k + 1], run[k + 2] = px, py
      else
        local c = floor(px)
        if c ~= col then
          flush()
          col = c
        end
        local p = {i, c, py} -- x to the column: no visible change, shorter text
        if not b then b = {p, p, p, p}
        else
          if py < b[2][3] then b[2] = p end
          if py > b[3][3] then b[3] = p end
          b[4] = p
        end
      end
    end
  end
  flush()
  return runs, reduce
end

-- "x,y x,y ..." with one decimal (none for whole x), repeated points left out.
local function points(run)
  local out, prev = {}, nil
  for i = 1, #run, 2 do
    local x = run[i]
    local p = math.type(x) == "integer" and fmt("%d,%.1f", x, run[i + 1]) or fmt("%.1f,%.1f", x, run[i + 1])
    if p ~= prev then out[#out + 1], prev = p, p end
  end
  return out
end

-- The path of a reduced run: each column a vertical stroke through its
-- points ("V"), joined to the next ("L"); a third of the text of a polyline.
local function path(run)
  local out, px, py = {}, nil, nil
  for i = 1, #run, 2 do
    local x, y = run[i], fmt("%.1f", run[i + 1])
    if not px then out[#out + 1] = fmt("M%d,%s", x, y)
    elseif x ~= px then out[#out + 1] = fmt("L%d,%s", x, y)
    elseif y ~= py then out[#out + 1] = "V" .. y end
    px, py = x, y
  end
  return concat(out)
end

local function nearest(xs, x)
  local best, bi = math.huge, nil
  for i, v in ipairs(xs) do
    local d = math.abs(v - x)
    if d < best then best, bi = d, i end
  end
  return bi
end

-- The legend's corner: the one of the four whose box covers the fewest
-- points of the panel's curves.
local function corner(runs, left, top, w, h, bw, bh)
  local inset = 8
  local boxes = {{left + w - bw - inset, top + inset}, {left + inset, top + inset},
                 {left + w - bw - inset, top + h - bh - inset}, {left + inset, top + h - bh - inset}}
  local best, bx, by = math.huge, nil, nil
  for _, box in ipairs(boxes) do
    local count = 0
    for _, run in ipairs(runs) do
      for i = 1, #run, 2 do
        local x, y = run[i], run[i + 1]
        if x >= box[1] and x <= box[1] + bw and y >= box[2] and y <= box[2] + bh then count = count + 1 end
      end
    end
    if count < best then best, bx, by = count, box[1], box[2] end
  end
  return bx, by
end

local function dash_attr(dash) return dash and fmt(' stroke-dasharray="%s"', dash) or "" end

-- chart: as lrengine.plot documents; layout: plot.layout(chart).
function M.render(chart, layout, width, height)
  local np = #layout.panels
  width = width or 760
  local markers = chart.markers or {}
  local labelled = false
  for _, mk in ipairs(markers) do labelled = labelled or mk.label ~= nil end
  local ml, mr, mt, mb, gap = 84, 24, (chart.title and 44 or 20) + (labelled and 12 or 0), 52, 22
  local ph = np == 1 and 306 or np == 2 and 200 or 170
  if height then ph = (height - mt - mb - (np - 1) * gap) / np else height = mt + np * ph + (np - 1) * gap + mb end
  local pw = width - ml - mr
  local xa = A.axis(layout.xlo, layout.xhi, {log = layout.xlog, target = pw / 100, style = "si", snap = 0.01})
  local function X(v)
    local p = xa.pos(v)
    return p and ml + p * pw
  end
  local o = {}
  local function add(...) o[#o + 1] = fmt(...) end
  add('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">',
      width, floor(height + 0.5), width, floor(height + 0.5))
  add('<rect width="100%%" height="100%%" fill="white"/>')
  if chart.title then add('<text x="%d" y="26" font-size="15" text-anchor="middle">%s</text>', width // 2, esc(chart.title)) end
  local legend_done = {}
  for pi, panel in ipairs(layout.panels) do
    local top = mt + (pi - 1) * (ph + gap)
    local ya = A.axis(panel.lo, panel.hi, {log = panel.log, pad = 0.05, target = ph / 48, bounds = panel.bounds})
    local function Y(v)
      local p = ya.pos(v)
      return p and top + ph - p * ph
    end
    add('<g class="panel" data-name="%s" data-ylog="%s">', esc(panel.ylabel), ya.log and "true" or "false")
    add('<clipPath id="clip%d"><rect x="%d" y="%.1f" width="%d" height="%.1f"/></clipPath>', pi, ml, top, pw, ph)
    for _, t in ipairs(ya.ticks) do
      local y = Y(t.value)
      if y and y >= top - 0.01 and y <= top + ph + 0.01 then
        add('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/>', ml, y, ml + pw, y, t.minor and "#f2f2f2" or "#e0e0e0")
        if t.label then add('<text class="ytick" x="%d" y="%.1f" text-anchor="end">%s</text>', ml - 6, y + 4, esc(t.label)) end
      end
    end
    for _, t in ipairs(xa.ticks) do
      local x = X(t.value)
      if x and x >= ml - 0.01 and x <= ml + pw + 0.01 then
        add('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>', x, top, x, top + ph, t.minor and "#f2f2f2" or "#e0e0e0")
        if pi == np and t.label then
          add('<text class="xtick" x="%.1f" y="%.1f" text-anchor="middle">%s</text>', x, top + ph + 17, esc(t.label))
        end
      end
    end
    add('<text transform="translate(18 %.1f) rotate(-90)" text-anchor="middle">%s</text>', top + ph / 2, esc(panel.ylabel))
    -- vertical marks: find-lr's suggestions, a run's epochs and events
    local labels = {}
    for mi, mk in ipairs(markers) do
      local x = X(mk.x)
      if x and x >= ml - 0.01 and x <= ml + pw + 0.01 then
        add('<line class="marker" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%s"%s/>', x, top, x,
            top + ph, mk.color or "#555", mk.width or 1.2, dash_attr(mk.dash or "5,3"))
        if pi == 1 and mk.label then labels[#labels + 1] = {x = x, mk = mk, order = mi} end
      end
    end
    -- their labels above the frame, those with a legend (events) first, none over another
    table.sort(labels, function(a, b)
      if (a.mk.legend ~= nil) ~= (b.mk.legend ~= nil) then return a.mk.legend ~= nil end
      return a.order < b.order
    end)
    local taken = {}
    for _, l in ipairs(labels) do
      local w = 6.2 * utf8.len(l.mk.label)
      local x0, anchor = l.x + 3, "start"
      if x0 + w > ml + pw + mr then x0, anchor = l.x - 3 - w, "end" end
      local free = true
      for _, t in ipairs(taken) do free = free and (x0 + w + 4 < t[1] or x0 > t[2] + 4) end
      if free then
        taken[#taken + 1] = {x0, x0 + w}
        add('<text class="marker-label" x="%.1f" y="%.1f" font-size="11" fill="%s" text-anchor="%s">%s</text>',
            anchor == "start" and x0 or x0 + w, top - 4, l.mk.color or "#555", anchor, esc(l.mk.label))
      end
    end
    local all_runs, entries = {}, {}
    add('<g clip-path="url(#clip%d)">', pi)
    for _, s in ipairs(panel.series) do
      local color = s.color or COLORS[(s.index - 1) % #COLORS + 1]
      local xs = s.x or chart.x
      local runs, reduced = trace(xs, s.values, X, Y, pw)
      local style = fmt('class="series" data-name="%s" fill="none" stroke="%s" stroke-width="%s" stroke-linejoin="round"%s%s',
                        esc(s.name), color, s.width or 1.6, dash_attr(s.dash),
                        s.opacity and fmt(' stroke-opacity="%s"', s.opacity) or "")
      for _, run in ipairs(runs) do
        all_runs[#all_runs + 1] = run
        if #run == 2 then
          add('<circle cx="%.1f" cy="%.1f" r="1.5" fill="%s"/>', run[1], run[2], color)
        elseif reduced then
          add('<path %s d="%s"/>', style, path(run))
        else
          add('<polyline %s points="%s"/>', style, concat(points(run), " "))
        end
      end
      if s.dots and #s.values <= 400 then
        for i, v in ipairs(s.values) do
          local x, y = X(xs[i]), Y(v)
          if x and y then add('<circle cx="%.1f" cy="%.1f" r="2.6" fill="%s"/>', x, clamp(y), color) end
        end
      end
      entries[#entries + 1] = {label = s.label or s.name, color = color, dash = s.dash, dots = s.dots, width = s.width,
                               opacity = s.opacity}
      -- the marks' points on this curve (find-lr's suggested rate on the loss)
      for _, mk in ipairs(markers) do
        if mk.series == s.name then
          local i = nearest(xs, mk.x)
          local x, y = i and X(xs[i]), i and Y(s.values[i])
          if x and y then
            add('<circle class="marker-point" cx="%.1f" cy="%.1f" r="4.5" fill="none" stroke="%s" stroke-width="2"/>', x, y,
                mk.color or "#555")
          end
        end
      end
    end
    add("</g>")
    for _, mk in ipairs(markers) do
      if mk.legend and not legend_done[mk.legend] and X(mk.x) then
        legend_done[mk.legend] = true
        entries[#entries + 1] = {label = mk.legend, color = mk.color or "#555", dash = mk.dash or "5,3", width = mk.width or 1.2}
      end
    end
    add('<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="none" stroke="#333"/>', ml, top, pw, ph)
    if #entries > 0 then
      local chars = 0
      for _, e in ipairs(entries) do chars = math.max(chars, #e.label) end
      local bw, bh = 42 + 7.2 * chars, 8 + 16 * #entries
      local bx, by = corner(all_runs, ml, top, pw, ph, bw, bh)
      add('<g class="legend"><rect x="%.1f" y="%.1f" width="%.1f" height="%d" fill="white" fill-opacity="0.85" stroke="#bbb"/>',
          bx, by, bw, bh)
      for i, e in ipairs(entries) do
        local y = by + 16 * i - 4
        add('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%s"%s%s/>', bx + 6, y, bx + 28, y,
            e.color, math.max(e.width or 1.6, 1.6), dash_attr(e.dash), e.opacity and fmt(' stroke-opacity="%s"', math.max(e.opacity, 0.6)) or "")
        if e.dots then add('<circle cx="%.1f" cy="%.1f" r="2.6" fill="%s"/>', bx + 17, y, e.color) end
        add('<text x="%.1f" y="%.1f">%s</text>', bx + 33, y + 4, esc(e.label))
      end
      add("</g>")
    end
    add("</g>")
  end
  add('<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>', ml + pw / 2, height - 12, esc(chart.xlabel or "step"))
  add("</svg>")
  return concat(o, "\n") .. "\n"
end

return M
