-- lrengine.runlog: the metrics file of `lrengine train --metrics` (one JSON
-- object per line) read back, and drawn as the chart of `lrengine report`:
-- loss, accuracy and the scheduled hyper-parameters over the steps, with
-- the epochs and resumed runs marked.
--
-- Lines are flat objects: step lines {"step", "epoch", "loss", "lr", ...}
-- and epoch lines {"epoch", "step", "train_loss", "val_loss", "val_acc",
-- "lr", ..., "seconds"}; a line with an "event" string is marked as that
-- event. The reader takes JSON objects of strings, numbers, true, false and
-- null, plus nan, inf and -inf (what C's printf writes for a non-finite loss).
local textfile = require "lrengine.textfile"

local M = {}

local byte, sub, find, char = string.byte, string.sub, string.find, utf8.char

local ESCAPES = {['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t"}
local WORDS = {["true"] = true, ["false"] = false, null = nil, nan = 0 / 0, inf = math.huge,
               ["-inf"] = -math.huge, ["-nan"] = 0 / 0}

-- One string starting at s[i] == '"': the text and the index after it.
local function read_string(s, i)
  local parts, j = {}, i + 1
  while true do
    local k = find(s, '["\\%c]', j)
    if not k then return nil, "unterminated string" end
    parts[#parts + 1] = sub(s, j, k - 1)
    local c = sub(s, k, k)
    if c == '"' then return table.concat(parts), k + 1 end
    if c ~= "\\" then return nil, "control character in a string" end
    local e = sub(s, k + 1, k + 1)
    if e == "u" then
      local hex = s:match("^%x%x%x%x", k + 2)
      if not hex then return nil, "bad \\u escape" end
      local cp = tonumber(hex, 16)
      local len = 6
      if cp >= 0xD800 and cp <= 0xDBFF then -- a surrogate pair
        local lo = s:match("^\\u(%x%x%x%x)", k + 6)
        lo = lo and tonumber(lo, 16)
        if not lo or lo < 0xDC00 or lo > 0xDFFF then return nil, "bad surrogate pair" end
        cp, len = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00), 12
      end
      parts[#parts + 1] = char(cp)
      j = k + len
    elseif ESCAPES[e] then
      parts[#parts + 1] = ESCAPES[e]
      j = k + 2
    else
      return nil, "bad escape \\" .. e
    end
  end
end

-- Decodes one flat JSON object: a table and the list of its names in the
-- order they came, or nil and what is wrong.
function M.decode(s)
  local i = select(2, find(s, "^%s*{%s*"))
  if not i then return nil, "expected '{'" end
  i = i + 1
  local obj, keys = {}, {}
  if byte(s, i) == 125 then -- '}'
    i = i + 1
  else
    while true do
      if byte(s, i) ~= 34 then return nil, "expected a name in quotes at column " .. i end
      local key, after = read_string(s, i)
      if not key then return nil, after end
      local j = select(2, find(s, "^%s*:%s*", after))
      if not j then return nil, "expected ':' after \"" .. key .. "\"" end
      i = j + 1
      local c, value = byte(s, i), nil
      if c == 34 then
        value, i = read_string(s, i)
        if not value then return nil, i end
      elseif c == 123 or c == 91 then
        return nil, "\"" .. key .. "\": nested objects and arrays are not read"
      else
        local num = s:match("^-?%d+%.?%d*[eE][-+]?%d+", i) or s:match("^-?%d+%.?%d*", i)
        if num and not num:find("%.$") then
          value = math.tointeger(tonumber(num)) or tonumber(num)
          i = i + #num
        else
          local word = s:match("^-?%a+", i)
          if not word or WORDS[word] == nil and word ~= "null" then
            return nil, "\"" .. key .. "\": expected a value at column " .. i
          end
          value, i = WORDS[word], i + #word
        end
      end
      if keys[key] == nil then keys[#keys + 1], keys[key] = key, true end
      obj[key] = value
      local sep = s:match("^%s*([,}])%s*", i)
      if not sep then return nil, "expected ',' or '}' at column " .. i end
      i = select(2, find(s, "^%s*[,}]%s*", i)) + 1
      if sep == "}" then break end
    end
  end
  if i <= #s and find(s, "%S", i) then return nil, "text after the object at column " .. i end
  for k in pairs(keys) do
    if type(k) == "string" then keys[k] = nil end
  end
  return obj, keys
end

-- Fields that are not hyper-parameters: the losses and accuracies (those of
-- the averaged weights too), the gradient norm and the guard's skips.
local KNOWN = {step = true, epoch = true, loss = true, train_loss = true, val_loss = true, val_acc = true,
               seconds = true, event = true, avg_val_loss = true, avg_val_acc = true, grad_norm = true,
               guard_skips = true}

-- Reads a metrics file (lines from an iterator; `name` for messages) into
-- {steps = {...}, epochs = {...}, events = {...}, hps = {"lr", ...}}. A run
-- resumed from an earlier checkpoint appends lines whose steps go back: the
-- later lines replace the earlier ones from there, and a "resumed" event
-- marks the place. Errors name the file and the line.
function M.read_lines(lines, name)
  local steps, epochs, events, hps, seen = {}, {}, {}, {}, {}
  local n = 0
  local function note(obj, keys) -- the hyper-parameters, lr first, then in the order they come
    for _, k in ipairs(keys) do
      if not KNOWN[k] and type(obj[k]) == "number" and not seen[k] then
        seen[k] = true
        if k == "lr" then table.insert(hps, 1, k) else hps[#hps + 1] = k end
      end
    end
  end
  local function cut(step) -- drops what a resumed run logs again
    while #steps > 0 and steps[#steps].step >= step do steps[#steps] = nil end
    while #epochs > 0 and epochs[#epochs].step >= step do epochs[#epochs] = nil end
    events[#events + 1] = {step = step, event = "resumed"}
  end
  for line in lines do
    n = n + 1
    if find(line, "%S") then
      local obj, keys = M.decode(line)
      if not obj then error(string.format("%s:%d: %s", name, n, keys), 0) end
      local step = obj.step
      if math.type(step) ~= "integer" or step < 0 then
        error(string.format('%s:%d: expected a whole "step" >= 0', name, n), 0)
      end
      if type(obj.event) == "string" then
        events[#events + 1] = {step = step, event = obj.event}
      elseif obj.train_loss ~= nil or obj.val_loss ~= nil then
        if #epochs > 0 and step <= epochs[#epochs].step then cut(step) end
        epochs[#epochs + 1] = obj
        if #steps == 0 then note(obj, keys) end
      elseif obj.loss ~= nil then
        if #steps > 0 and step <= steps[#steps].step then cut(step) end
        steps[#steps + 1] = obj
        note(obj, keys)
      else
        error(string.format('%s:%d: neither a step line ("loss") nor an epoch line ("train_loss")', name, n), 0)
      end
    end
  end
  if #steps == 0 and #epochs == 0 then error(name .. ": no step or epoch lines", 0) end
  return {steps = steps, epochs = epochs, events = events, hps = hps, name = name}
end

-- Lines are read whole into at most 64 KiB (as the binary's reader of these
-- files, jsonl.c): a longer one (a binary file, /dev/zero) or a NUL byte is
-- refused with its line number, not read into memory as file:lines() would.
local bounded_lines = textfile.lines

-- Reads the metrics file at `path` ("-": stdin).
function M.read(path)
  if path == "-" then return M.read_lines(bounded_lines(io.stdin, "stdin"), "stdin") end
  local f, err = io.open(path, "r")
  if not f then error("cannot open " .. err, 0) end
  local ok, run = pcall(M.read_lines, bounded_lines(f, path), path)
  f:close()
  if not ok then error(run, 0) end
  return run
end

local function column(rows, key)
  local xs, vs = {}, {}
  for _, r in ipairs(rows) do
    xs[#xs + 1] = r.step
    vs[#vs + 1] = type(r[key]) == "number" and r[key] or 0 / 0
  end
  return xs, vs
end

local function any(values, pred)
  for _, v in ipairs(values) do
    if pred(v) then return true end
  end
  return false
end

-- The chart of a run (see lrengine.plot): a loss panel (every logged step,
-- and the epochs' train and validation losses), an accuracy panel, and the
-- hyper-parameters grouped by scale (log scale with opts.logy).
function M.chart(run, opts)
  opts = opts or {}
  local series, panels = {}, {{key = "loss", ylabel = "loss"}}
  local function finite(v) return v == v and v ~= math.huge and v ~= -math.huge end
  if #run.steps > 0 then
    local xs, vs = column(run.steps, "loss")
    series[#series + 1] = {name = "loss", label = "loss (step)", x = xs, values = vs, panel = "loss",
                           color = "#7fb2dc", width = 1}
  end
  local has_val = any(run.epochs, function(e) return type(e.val_loss) == "number" and e.val_loss ~= 0 end)
  if #run.epochs > 0 then
    local xs, vs = column(run.epochs, "train_loss")
    if any(vs, finite) then
      series[#series + 1] = {name = "train_loss", label = "train loss (epoch)", x = xs, values = vs, panel = "loss",
                             color = "#1f4e8c", dots = true, width = 1.8}
    end
    if has_val then
      xs, vs = column(run.epochs, "val_loss")
      series[#series + 1] = {name = "val_loss", label = "validation loss", x = xs, values = vs, panel = "loss",
                             color = "#ff7f0e", dots = true, width = 1.8}
      xs, vs = column(run.epochs, "val_acc")
      panels[#panels + 1] = {key = "accuracy", ylabel = "validation accuracy", bounds = {0, 1}}
      series[#series + 1] = {name = "val_acc", label = "validation accuracy", x = xs, values = vs, panel = "accuracy",
                             color = "#2ca02c", dots = true, width = 1.8}
      xs, vs = column(run.epochs, "avg_val_acc")
      if any(vs, finite) then
        series[#series + 1] = {name = "avg_val_acc", label = "validation accuracy (averaged weights)", x = xs,
                               values = vs, panel = "accuracy", color = "#98df8a", dots = true, width = 1.8}
      end
    end
  end
  if any(run.steps, function(r) return type(r.grad_norm) == "number" end) then
    local xs, vs = column(run.steps, "grad_norm")
    panels[#panels + 1] = {key = "grad_norm", ylabel = "gradient norm"}
    series[#series + 1] = {name = "grad_norm", label = "gradient norm (before clipping)", x = xs, values = vs,
                           panel = "grad_norm", color = "#7f7f7f", width = 1}
  end
  local hp_rows = #run.steps > 0 and run.steps or run.epochs
  local colors = {"#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"}
  for i, k in ipairs(run.hps) do
    local xs, vs = column(hp_rows, k)
    series[#series + 1] = {name = k, x = xs, values = vs, color = colors[(i - 1) % #colors + 1]}
  end
  local markers = {}
  for _, e in ipairs(run.epochs) do
    markers[#markers + 1] = {x = e.step, label = #run.epochs <= 12 and "epoch " .. tostring(e.epoch) or nil,
                             color = "#999", dash = "2,3", width = 1}
  end
  for _, ev in ipairs(run.events) do
    markers[#markers + 1] = {x = ev.step, label = ev.event, legend = ev.event, color = "#d62728", dash = "6,3", width = 1.5}
  end
  local last = run.epochs[#run.epochs]
  local laststep = (run.steps[#run.steps] or last).step
  local title = string.format("%s: %d steps", opts.title or run.name, laststep)
  if last then
    title = title .. string.format(", %s epochs", tostring(last.epoch))
    if has_val and type(last.val_acc) == "number" then title = title .. string.format(", val_acc %.4f", last.val_acc) end
  end
  return {series = series, panels = panels, markers = markers, title = title, xlabel = "step", logy = opts.logy,
          xmin = 0}
end

-- The drawing of the metrics file at `path` in a format lrengine.plot draws
-- (ascii or svg).
function M.render(path, format, opts)
  if format ~= "ascii" and format ~= "svg" then
    error("a run is drawn as ascii or svg, not '" .. tostring(format) .. "'", 0)
  end
  opts = opts or {}
  local run = M.read(path)
  if not opts.title then opts.title = path == "-" and "stdin" or path:match("[^/]*$") end
  return require("lrengine.plot")[format](M.chart(run, opts))
end

return M
