-- lrengine.plot_ascii: the terminal drawing of lrengine.plot's charts: one
-- block of rows per panel, round tick labels on both axes, a curve drawn
-- column by column from its lowest to its highest point (so spikes show and
-- steep drops stay connected), marks as ':' columns, the legend below.
local A = require "lrengine.plot_axis"

local M = {}

local MARKS = {"*", "o", "+", "x", "#", "%", "@", "="}
M.MARKS = MARKS

function M.render(chart, layout, width, height)
  width = width or 64
  local np = #layout.panels
  local h = height and math.max(4, height // np) or (np == 1 and 16 or 9)
  local xa = A.axis(layout.xlo, layout.xhi, {log = layout.xlog, target = width / 12, style = "si", snap = 0.01})
  local function col(x)
    local p = xa.pos(x)
    return p and math.floor(p * (width - 1) + 0.5) + 1
  end
  local markers = chart.markers or {}
  local blocks, labw = {}, 6
  for _, panel in ipairs(layout.panels) do
    local ya = A.axis(panel.lo, panel.hi, {log = panel.log, target = h / 4, pad = 0.5 / (h - 1), bounds = panel.bounds})
    local function row(v)
      local p = ya.pos(v)
      return p and h - math.floor(p * (h - 1) + 0.5)
    end
    local grid = {}
    for r = 1, h do
      grid[r] = {}
      for c = 1, width do grid[r][c] = " " end
    end
    for _, mk in ipairs(markers) do
      local c = col(mk.x)
      if c and c >= 1 and c <= width then
        for r = 1, h do grid[r][c] = ":" end
      end
    end
    for _, s in ipairs(panel.series) do
      local mark = MARKS[(s.index - 1) % #MARKS + 1]
      local xs, lo, hi = s.x or chart.x, {}, {}
      for i, v in ipairs(s.values) do
        local c, r = col(xs[i]), row(v)
        if c and r and c >= 1 and c <= width then
          lo[c] = math.min(lo[c] or r, r)
          hi[c] = math.max(hi[c] or r, r)
        end
      end
      local prev
      for c = 1, width do
        local a, b = lo[c], hi[c]
        if a then
          if prev then -- join the previous column's span
            if prev[2] < a then a = prev[2] + 1 elseif prev[1] > b then b = prev[1] - 1 end
          end
          for r = math.max(1, a), math.min(h, b) do grid[r][c] = mark end
          prev = {lo[c], hi[c]}
        else
          prev = nil
        end
      end
    end
    local labels = {}
    for _, t in ipairs(ya.ticks) do
      local r = t.label and row(t.value)
      if r and r >= 1 and r <= h and not labels[r] then
        labels[r] = t.label
        labw = math.max(labw, #t.label)
      end
    end
    blocks[#blocks + 1] = {grid = grid, labels = labels, name = panel.ylabel}
  end
  local out = {}
  if chart.title then out[#out + 1] = chart.title end
  for bi, b in ipairs(blocks) do
    if np > 1 then out[#out + 1] = string.rep(" ", labw + 2) .. b.name end
    for r = 1, h do
      out[#out + 1] = string.format("%" .. labw .. "s |", b.labels[r] or "") .. table.concat(b.grid[r])
    end
    if bi < #blocks then out[#out + 1] = string.rep(" ", labw + 1) .. "|" end
  end
  -- the x axis: '+' at the ticks, their labels where they do not overlap
  local axis, under = {}, {}
  for c = 1, width do axis[c], under[c] = "-", " " end
  local free = 1
  for _, t in ipairs(xa.ticks) do
    local c = col(t.value)
    if c and c >= 1 and c <= width and not t.minor then
      axis[c] = "+"
      local lab = t.label
      if lab then
        local start = math.max(1, math.min(width - #lab + 1, c - #lab // 2))
        if start >= free then
          for k = 1, #lab do under[start + k - 1] = lab:sub(k, k) end
          free = start + #lab + 1
        end
      end
    end
  end
  out[#out + 1] = string.rep(" ", labw + 1) .. "+" .. table.concat(axis)
  out[#out + 1] = string.rep(" ", labw + 2) .. (table.concat(under):gsub("%s+$", ""))
  local legend, seen = {}, {}
  for _, panel in ipairs(layout.panels) do
    for _, s in ipairs(panel.series) do
      legend[#legend + 1] = MARKS[(s.index - 1) % #MARKS + 1] .. " " .. (s.label or s.name)
    end
  end
  for _, mk in ipairs(markers) do
    if mk.legend and not seen[mk.legend] and col(mk.x) then
      seen[mk.legend] = true
      legend[#legend + 1] = ": " .. mk.legend
    end
  end
  -- the legend after the x axis' name, wrapped to the chart's width
  local line = string.rep(" ", labw + 2) .. (chart.xlabel or "step")
  for _, entry in ipairs(legend) do
    if #line + 3 + #entry > labw + 2 + width and line:find("%S") then
      out[#out + 1] = line
      line = string.rep(" ", labw + 2) .. string.rep(" ", #(chart.xlabel or "step")) .. "   " .. entry
    else
      line = line .. "   " .. entry
    end
  end
  out[#out + 1] = line
  return table.concat(out, "\n") .. "\n"
end

return M
