-- Charts: lrengine.plot's axes, panels and marks, and the SVG charts of
-- `lrengine plot`, `find-lr` and `report` parsed as XML, rendered with
-- rsvg-convert (Debian's librsvg2-bin) and looked at pixel by pixel.
local sh = require "support.sh"
local png = require "support.png"
local plot = require "lrengine.plot"
local axis = require "lrengine.plot_axis"
local runlog = require "lrengine.runlog"

local dir = sh.tmpdir()

-- Well-formed XML (tags nested and closed, attributes quoted and unique,
-- no bare '<' or '&' in text), one root element; returns the number of
-- elements, or fails naming the problem.
local function check_xml(text)
  local entity = "&[%a#][%w]*;"
  local function clean(s, where)
    local bare = s:gsub(entity, ""):find("[<&]")
    assert(not bare, "bare '<' or '&' in " .. where .. ": " .. s:sub(1, 60))
  end
  local stack, pos, elements, roots = {}, 1, 0, 0
  while true do
    local lt = text:find("<", pos, true)
    local between = text:sub(pos, (lt or #text + 1) - 1)
    clean(between, "text")
    if #stack == 0 then assert(not between:find("%S"), "text outside the root: " .. between:sub(1, 40)) end
    if not lt then break end
    local gt = text:find(">", lt, true)
    assert(gt, "unclosed tag at " .. lt)
    local tag = text:sub(lt + 1, gt - 1)
    if tag:sub(1, 1) == "/" then
      local name = tag:match("^/([%w:_%-%.]+)%s*$")
      assert(name and name == stack[#stack], "</" .. tostring(name) .. "> closes <" .. tostring(stack[#stack]) .. ">")
      stack[#stack] = nil
    elseif tag:sub(1, 1) == "?" or tag:sub(1, 3) == "!--" then
      assert(tag:sub(-1) == "?" or tag:sub(-2) == "--", "bad declaration or comment")
    else
      local name, rest = tag:match("^([%a_][%w:_%-%.]*)(.-)$")
      assert(name, "bad tag <" .. tag:sub(1, 30) .. ">")
      local empty = rest:sub(-1) == "/"
      if empty then rest = rest:sub(1, -2) end
      local seen = {}
      rest = rest:gsub('%s+([%a_][%w:_%-%.]*)%s*=%s*"([^"]*)"', function(k, v)
        assert(not seen[k], "attribute " .. k .. " twice in <" .. name .. ">")
        seen[k] = true
        clean(v, "attribute " .. k)
        return ""
      end)
      assert(not rest:find("%S"), "bad attributes in <" .. name .. ">: " .. rest:sub(1, 40))
      if #stack == 0 then roots = roots + 1 end
      elements = elements + 1
      if not empty then stack[#stack + 1] = name end
    end
    pos = gt + 1
  end
  assert(#stack == 0, "unclosed <" .. tostring(stack[#stack]) .. ">")
  assert(roots == 1, "expected one root element, got " .. roots)
  return elements
end

local function attr(tag, name) return tag:match("%s" .. name .. '="([^"]*)"') end

-- The SVG checked as XML (and by xmllint when installed), rendered to PNG;
-- returns the image, after checking its size and that it is not blank.
local function render(svg_path)
  local text = sh.slurp(svg_path)
  assert(check_xml(text) > 10)
  if os.execute("command -v xmllint >/dev/null 2>&1") then
    local code, _, err = sh.run("xmllint --noout " .. svg_path)
    assert.are.equal(0, code, err)
  end
  assert(os.execute("command -v rsvg-convert >/dev/null 2>&1"),
    "rsvg-convert is missing: apt-get install librsvg2-bin (tools/debian-packages)")
  local out = svg_path:gsub("%.svg$", "") .. ".png"
  local code, _, err = sh.run("rsvg-convert " .. svg_path .. " -o " .. out)
  assert.are.equal(0, code, err)
  local img = png.read(sh.slurp(out))
  local root = text:match("<svg[^>]*>")
  assert.are.equal(tonumber(attr(root, "width")), img.width)
  assert.are.equal(tonumber(attr(root, "height")), img.height)
  local inked = 0
  for y = 0, img.height - 1, 2 do
    for x = 0, img.width - 1, 2 do
      local r, g, b = img.pixel(x, y)
      if r + g + b < 600 then inked = inked + 1 end
    end
  end
  assert.is_true(inked > img.width * img.height / 4 * 0.01, "the chart is (nearly) blank")
  return img, text
end

-- The tick labels of a kind ("ytick", "xtick"), per panel for y ticks.
local function ticks(text, class)
  local panels = {}
  for panel in text:gmatch('<g class="panel".-</g>\n</g>') do
    local labels = {}
    for label in panel:gmatch('class="' .. class .. '"[^>]*>([^<]*)<') do labels[#labels + 1] = label end
    panels[#panels + 1] = labels
  end
  return panels
end

-- Labels of a round linear axis: every value k * m * 10^e for one step
-- m * 10^e, m in {1, 2, 5}.
local function assert_round(labels)
  assert.is_true(#labels >= 2, table.concat(labels, " "))
  local vals = {}
  for i, l in ipairs(labels) do
    local v = tonumber((l:gsub("k$", "e3"):gsub("M$", "e6")))
    assert(v, "not a number: " .. l)
    vals[i] = v
  end
  local step = vals[2] - vals[1]
  local e = math.floor(math.log(step, 10) + 1e-9)
  local m = step / 10 ^ e
  assert.is_true(math.abs(m - 1) < 1e-6 or math.abs(m - 2) < 1e-6 or math.abs(m - 5) < 1e-6,
    "step " .. step .. " of " .. table.concat(labels, " "))
  for i, v in ipairs(vals) do
    assert.is_true(math.abs(v / step - math.floor(v / step + 0.5)) < 1e-6, labels[i] .. " is not a multiple of " .. step)
    if i > 1 then assert.is_true(math.abs(v - vals[i - 1] - step) < step * 1e-6, table.concat(labels, " ")) end
  end
end

local function assert_decades(labels)
  assert.is_true(#labels >= 2, table.concat(labels, " "))
  for _, l in ipairs(labels) do
    local v = tonumber(l)
    assert(v and v > 0, "not a positive number: " .. l)
    local d = math.log(v, 10)
    assert.is_true(math.abs(d - math.floor(d + 0.5)) < 1e-9, l .. " is not a decade")
  end
end

describe("lrengine.plot axes", function()
  it("puts ticks on 1, 2 or 5 times a power of ten, written without rounding noise", function()
    for _, r in ipairs{{0, 1}, {0, 0.1}, {4e-7, 0.1}, {0.85, 0.95}, {0, 3e-4}, {-2.5, 7.3}, {0, 999999}, {1e-9, 3e-9},
                       {123456, 123789}, {0.3, 0.3}} do
      local ax = axis.axis(r[1], r[2], {target = 5, pad = 0.05})
      local labels = {}
      for _, t in ipairs(ax.ticks) do
        labels[#labels + 1] = t.label
        assert.is_true(#t.label <= 8, t.label)
        assert.is_falsy(t.label:find("0000000"), t.label)
      end
      assert_round(labels)
    end
    local labels = {}
    for _, t in ipairs(axis.axis(0, 1000000, {style = "si"}).ticks) do labels[#labels + 1] = t.label end
    assert.are.same({"0", "200k", "400k", "600k", "800k", "1M"}, labels)
  end)

  it("puts decades on log axes, and 1-2-5 values on a log axis within one decade", function()
    local labels = {}
    for _, t in ipairs(axis.axis(1e-7, 10, {log = true, target = 5}).ticks) do labels[#labels + 1] = t.label end
    assert_decades(labels)
    labels = {}
    for _, t in ipairs(axis.axis(0.011, 0.9, {log = true}).ticks) do labels[#labels + 1] = t.label end
    assert.are.same({"0.02", "0.05", "0.1", "0.2", "0.5"}, labels)
  end)

  it("gives a rate and a momentum panels of their own, and one to curves of one scale", function()
    local x, lr, lr2, mom = {}, {}, {}, {}
    for i = 0, 99 do
      x[#x + 1], lr[#lr + 1], lr2[#lr2 + 1], mom[#mom + 1] = i, 1e-3 * i / 99, 2e-3 * i / 99, 0.95 - 0.1 * i / 99
    end
    local layout = plot.layout{x = x, series = {{name = "lr", values = lr}, {name = "momentum", values = mom}}}
    assert.are.equal(2, #layout.panels)
    layout = plot.layout{x = x, series = {{name = "a", values = lr}, {name = "b", values = lr2}}}
    assert.are.equal(1, #layout.panels)
  end)

  it("leaves a range test's divergent tail out of the y-range", function()
    local lrs, loss = {}, {}
    for i = 1, 100 do
      lrs[i] = 10 ^ (-6 + 7 * (i - 1) / 99)
      loss[i] = i <= 80 and 0.5 - 0.3 * (i / 80) ^ 2 or 0.2 * 2 ^ (i - 80)
    end
    local svg = plot.svg{x = lrs, series = {{name = "loss", values = loss, trim = "tail"}}, logx = true, xlabel = "lr"}
    check_xml(svg)
    local top = 0
    for _, l in ipairs(ticks(svg, "ytick")[1]) do top = math.max(top, tonumber(l)) end
    assert.is_true(top <= 0.6, "the y axis reaches " .. top)
  end)

  it("draws a log scale on decades and marks a suggestion on the curve it names", function()
    local lrs, loss = {}, {}
    for i = 1, 200 do
      lrs[i] = 10 ^ (-7 + 8 * (i - 1) / 199)
      loss[i] = 2.3 - 1.5 / (1 + math.exp(-(i - 120) / 12))
    end
    local svg = plot.svg{x = lrs, series = {{name = "loss", values = loss}}, logx = true, logy = true, xlabel = "lr",
                         markers = {{x = lrs[120], label = "0.002", legend = "suggested lr=0.002", series = "loss"}}}
    check_xml(svg)
    assert_decades(ticks(svg, "xtick")[1])
    assert.matches('data%-ylog="true"', svg)
    assert.matches('<g class="legend">.-suggested lr=0%.002', svg)
    local cx, cy = svg:match('class="marker%-point" cx="([%d.]+)" cy="([%d.]+)"')
    local lx = svg:match('<line class="marker" x1="([%d.]+)"')
    assert.are.equal(lx, cx)
    assert.is_truthy(cy)
  end)

  it("draws ascii charts with round tick labels, a panel per scale and a legend", function()
    local code, out = sh.lre("plot examples/schedules/one_cycle.lua --steps 200 --format ascii")
    assert.are.equal(0, code)
    assert.matches("\n +lr\n", out)
    assert.matches("\n +momentum\n", out)
    assert.matches("\n +0%.95 |", out)
    assert.matches("\n +0%.05 |", out)
    assert.matches("\n +0 +50 +100 +150", out)
    assert.matches("%* lr   o momentum", out)
  end)
end)

describe("lrengine's SVG charts", function()
  it("draw a one-cycle schedule as two panels with round ticks and legends, the rate on decades with --logy", function()
    local svg = dir .. "/one_cycle.svg"
    assert.are.equal(0, (sh.lre("plot examples/schedules/one_cycle.lua --steps 200 --output " .. svg)))
    local _, text = render(svg)
    local names = {}
    for name in text:gmatch('<g class="panel" data%-name="([^"]*)"') do names[#names + 1] = name end
    assert.are.same({"lr", "momentum"}, names)
    local y = ticks(text, "ytick")
    assert_round(y[1])
    assert_round(y[2])
    assert_round(ticks(text, "xtick")[2])
    assert.matches('<g class="legend">.-momentum', text)
    assert.are.equal(0, (sh.lre("plot examples/schedules/one_cycle.lua --steps 200 --logy --output " .. svg)))
    _, text = render(svg)
    assert.matches('data%-name="lr" data%-ylog="true"', text)
    assert_decades(ticks(text, "ytick")[1])
  end)

  it("keeps a million steps under 200 KB, with the one spike in them", function()
    local script = sh.write(dir .. "/spike.lua", [[
return function(step)
  if step == 654321 then return 0.5 end
  return 0.01 * (1 + math.cos(math.pi * step / 1e6)) / 2
end]])
    local svg = dir .. "/spike.svg"
    assert.are.equal(0, (sh.lre("plot " .. script .. " --steps 1000000 --output " .. svg)))
    local img, text = render(svg)
    assert.is_true(#text < 200 * 1024, #text .. " bytes")
    -- the y axis reaches the spike, and the curve goes up there: the pixel
    -- at the curve's highest point is the curve's blue
    local labels = ticks(text, "ytick")[1]
    assert.are.equal("0.5", labels[#labels])
    local d = text:match('<path class="series" data%-name="lr"[^>]- d="([^"]*)"')
    local hx, hy, x = nil, math.huge, nil
    for cmd, a, b in d:gmatch("([MLV])([%d.]+),?([%d.]*)") do
      local y = tonumber(cmd == "V" and a or b)
      if cmd ~= "V" then x = tonumber(a) end
      if y < hy then hx, hy = x, y end
    end
    local tick_y = tonumber(text:match('<text class="ytick" x="%d+" y="([%d.]+)"[^>]*>0%.5<')) - 4
    assert.is_true(math.abs(hy - tick_y) < 1.5, hy .. " vs " .. tick_y)
    local blue = false
    for dx = -2, 2 do
      for dy = 0, 3 do
        local r, g, b = img.pixel(math.floor(hx + 0.5) + dx, math.floor(hy + 0.5) + dy)
        blue = blue or (b > 150 and r < 100 and g < 150)
      end
    end
    assert.is_true(blue, "no curve drawn at the spike")
  end)

  -- a chart of more steps than 16384 is reduced as they come (src/cli/plot_reduce.c)
  it("keeps, reducing a chart as its steps come, the breaks a log scale makes and the curve's range", function()
    local script = sh.write(dir .. "/gap.lua", [[
return function(step)
  if step >= 40000 and step < 60000 then return 0 end
  return 1e-3 * (1 + step / 1e4)
end]])
    local svg = dir .. "/gap.svg"
    assert.are.equal(0, (sh.lre("plot " .. script .. " --steps 100000 --logy --output " .. svg)))
    local text = sh.slurp(svg)
    local _, runs = text:gsub('<path class="series" data%-name="lr"', "")
    assert.are.equal(2, runs) -- the zeros a log scale cannot show split the curve
    local labels = ticks(text, "ytick")[1]
    assert.are.equal("0.001", labels[1])
    assert.are.equal("0.01", labels[#labels]) -- the decades the values span, 0.001 to 0.011
    -- the same curve drawn whole (16384 steps or fewer are not reduced before the drawing) shows its one run
    assert.are.equal(0, (sh.lre("plot " .. script .. " --steps 16000 --logy --output " .. svg)))
    _, runs = sh.slurp(svg):gsub('<path class="series" data%-name="lr"', "")
    assert.are.equal(1, runs)
  end)

  -- csv and json are written as the steps are evaluated (src/cli/cmd_plot.c)
  -- with numbers formatted in C (src/cli/plot_number.c): the expected text
  -- of each is lrengine.plot.shortest of the same schedule's :at(t), built
  -- here by the same script, so every row is the one the Lua module would
  -- write and reads back as the value. The cosine's tail goes below 1e-5
  -- (the C formatter's printf path) and its middle spans 15, 16 and 17 digits.
  it("streams csv of a million steps, every number exact", function()
    local src = [[
local S = require("lrengine").schedule
return S.warmup{S.cosine{lr = 0.1, t_max = 999000, eta_min = 1e-9}, steps = 1000}
]]
    local script = sh.write(dir .. "/long.lua", src)
    local sched = load(src)()
    local csv = dir .. "/long.csv"
    assert.are.equal(0, (sh.lre("plot " .. script .. " --steps 1000000 --output " .. csv)))
    local f = assert(io.open(csv))
    assert.are.equal("step,lr", f:read("l"))
    local t, bad, kinds = 0, 0, {}
    for line in f:lines() do
      local step, text = line:match("^(%d+),(.+)$")
      local want = sched:at(t)
      if tonumber(step) ~= t or text ~= plot.shortest(want) or tonumber(text) ~= want then
        bad = bad + 1
        assert(bad < 5, "row " .. t .. ": " .. line .. ", expected " .. plot.shortest(want))
      end
      kinds[#text:gsub("[^%d]", ""):gsub("^0+", "")] = true
      t = t + 1
    end
    f:close()
    assert.are.equal(1000000, t)
    assert.are.equal(0, bad)
    assert.is_true(kinds[15] or kinds[14], "no value of 15 digits or fewer")
    assert.is_true(kinds[16] and kinds[17], "no value of 16 and 17 digits")
  end)

  it("streams json with several series, as lrengine.plot.json writes it", function()
    local src = [[
local S = require("lrengine").schedule
return {lr = S.one_cycle{max_lr = 0.3, total_steps = 20000}, weight_decay = S.cosine{lr = 1e-4, t_max = 7000}}
]]
    local script = sh.write(dir .. "/multi.lua", src)
    local scheds = load(src)()
    local code, out = sh.lre("plot " .. script .. " --steps 20000 --format json")
    assert.are.equal(0, code)
    -- the chart lrengine.plot.json is given by `plot` for its other formats:
    -- x the steps, a series per schedule in the script's order (lr first)
    local x, lr, wd = {}, {}, {}
    for t = 0, 19999 do
      x[#x + 1], lr[#lr + 1], wd[#wd + 1] = t, scheds.lr:at(t), scheds.weight_decay:at(t)
    end
    local order = out:find('"lr"', 1, true) < out:find('"weight_decay"', 1, true)
    local series = order and {{name = "lr", values = lr}, {name = "weight_decay", values = wd}}
      or {{name = "weight_decay", values = wd}, {name = "lr", values = lr}}
    assert.are.equal(plot.json{x = x, series = series, xlabel = "step"}, out)
  end)

  it("leaves no file behind when a streamed plot fails, and an existing one as it was", function()
    local script = sh.write(dir .. "/fails.lua", "return function(t) if t == 70000 then error('boom') end return 0.1 end")
    local out = dir .. "/kept.csv"
    sh.write(out, "old\n")
    local code, _, err = sh.lre("plot " .. script .. " --steps 100000 --output " .. out)
    assert.are.equal(1, code)
    assert.matches("boom", err)
    assert.are.equal("old\n", sh.slurp(out))
    local fresh = dir .. "/fresh.json"
    code = sh.lre("plot " .. script .. " --steps 100000 --output " .. fresh)
    assert.are.equal(1, code)
    assert.is_nil(io.open(fresh))
    for name in io.popen("ls " .. dir):lines() do assert.is_nil(name:match("%.XXXXXX$") or name:match("^fresh%.json%.")) end
  end)

  it("mark find-lr's suggestion on its chart", function()
    local rows, s = {"label,a,b,c,d"}, 7
    local function r()
      s = (s * 1103515245 + 12345) % 2147483648
      return s / 2147483648 - 0.5
    end
    for i = 1, 1000 do
      local c = i % 2 == 1 and 1 or -1
      rows[#rows + 1] = string.format("%d,%.4f,%.4f,%.4f,%.4f", i % 2, c + r(), c + r(), r(), r())
    end
    local csv = sh.write(dir .. "/syn.csv", table.concat(rows, "\n") .. "\n")
    local cfg = sh.write(dir .. "/syn.lua", 'return {data = {source = "csv", train = "' .. csv .. '", test = "' .. csv
      .. '", validation = 100}, model = {kind = "softmax"}, optimizer = {"sgd", lr = 0.1}, batch_size = 32}')
    local svg = dir .. "/lr.svg"
    local code, out, err = sh.lre("find-lr " .. cfg .. " --steps 150 --output " .. svg)
    assert.are.equal(0, code, err)
    local suggested = out:match("suggested lr=([%d.e+-]+)")
    local _, text = render(svg)
    assert.matches('<g class="legend">.-suggested lr=' .. suggested:gsub("%p", "%%%0"), text)
    assert.matches('class="marker%-point"', text)
    assert.matches('class="marker"', text)
    assert_decades(ticks(text, "xtick")[1])
  end)

  it("draw a training run from its metrics file: loss, accuracy, rates and epochs", function()
    local rows, s = {"label,a,b,c,d"}, 11
    local function r()
      s = (s * 1103515245 + 12345) % 2147483648
      return s / 2147483648 - 0.5
    end
    for i = 1, 600 do
      local c = i % 2 == 1 and 0.4 or -0.4
      rows[#rows + 1] = string.format("%d,%.4f,%.4f,%.4f,%.4f", i % 2, c + r(), c + r(), r(), r())
    end
    local csv = sh.write(dir .. "/run.csv", table.concat(rows, "\n") .. "\n")
    local cfg = sh.write(dir .. "/run.lua", [[
local S = require("lrengine").schedule
local p = {max_lr = 0.2, total_steps = 120, pct_start = 0.3}
return {data = {source = "csv", train = "]] .. csv .. '", test = "' .. csv .. [[", validation = 100},
  model = {kind = "mlp", hidden = {8}}, optimizer = {"sgd", lr = 0.1, momentum = 0.9}, batch_size = 20,
  epochs = 4, log_every = 2, seed = 1,
  schedule = {lr = S.one_cycle(p), momentum = S.one_cycle_momentum(p)}}]])
    local metrics = dir .. "/run.jsonl"
    local code, _, err = sh.lre("train " .. cfg .. " --quiet --metrics " .. metrics)
    assert.are.equal(0, code, err)
    local svg = dir .. "/run.svg"
    code, _, err = sh.lre("report " .. metrics .. " --output " .. svg)
    assert.are.equal(0, code, err)
    local _, text = render(svg)
    local names = {}
    for name in text:gmatch('<g class="panel" data%-name="([^"]*)"') do names[#names + 1] = name end
    -- the job logs the gradient norm on every step line: a panel of its own, not a rate
    assert.are.same({"loss", "validation accuracy", "gradient norm", "lr", "momentum"}, names)
    for _, panel in ipairs(ticks(text, "ytick")) do assert_round(panel) end
    local epochs = 0
    for _ in text:gmatch('class="marker%-label"[^>]*>epoch %d') do epochs = epochs + 1 end
    assert.are.equal(4, epochs)
    assert.matches('data%-name="val_loss"', text)
    -- plot takes a metrics file too; ascii on request
    local out
    code, out, err = sh.lre("plot " .. metrics .. " --format ascii --logy")
    assert.are.equal(0, code, err)
    assert.matches("validation accuracy", out)
    assert.matches("\n +0%.01 |", out) -- the rate's decades
    -- only the operand makes plot a report: a .jsonl given to an option is that option's
    code, _, err = sh.lre("plot -s 10 -f csv -m " .. metrics .. " examples/schedules/plateau_cooldown.lua")
    assert.are.equal(1, code, err)
    assert.matches("run%.jsonl:1: not a finite number", err)
    code, out, err = sh.run("sh -c 'cat " .. metrics .. " | " .. sh.bin .. " report - --format svg'")
    assert.are.equal(0, code, err)
    assert.matches("^<svg.-stdin: 100 steps", out)
  end)

  it("name the line of a bad metrics file and leave no chart behind", function()
    local bad = sh.write(dir .. "/bad.jsonl", '{"step":1,"epoch":1,"loss":0.5,"lr":0.1}\n{"step":2,"loss":0.4,"lr":}\n')
    local code, _, err = sh.lre("report " .. bad .. " --output " .. dir .. "/bad.svg")
    assert.are.equal(1, code)
    assert.matches("bad%.jsonl:2: \"lr\": expected a value", err)
    assert.is_nil(io.open(dir .. "/bad.svg"))
    code, _, err = sh.lre("report " .. dir .. "/none.jsonl")
    assert.are.equal(1, code)
    assert.matches("none%.jsonl: No such file", err)
    -- a line is read whole into 64 KiB at most: /dev/zero, a NUL byte or a longer line is refused at its line
    local first = '{"step":1,"epoch":1,"loss":0.5,"lr":0.1}\n'
    for _, case in ipairs{
      {"/dev/zero", "/dev/zero:1: a NUL byte"},
      {sh.write(dir .. "/nul.jsonl", first .. '{"step":2,"loss":0.4}\0\n'), "nul.jsonl:2: a NUL byte"},
      {sh.write(dir .. "/long.jsonl", first .. first .. string.rep(" ", 70000) .. "\n"), "long.jsonl:3: a line longer than 65536 bytes"},
      {sh.write(dir .. "/endless.jsonl", first .. string.rep(" ", 200000)), "endless.jsonl:2: a line longer than 65536 bytes"},
    } do
      code, _, err = sh.lre("report " .. case[1] .. " --output " .. dir .. "/bad.svg")
      assert.are.equal(1, code, err)
      assert.is_truthy(err:find(case[2], 1, true), err)
      assert.is_nil(io.open(dir .. "/bad.svg"))
    end
    -- the same lines without their faults draw, a last line without its newline included
    local ok = sh.write(dir .. "/ok.jsonl", first .. '{"step":2,"loss":0.4}\n\n{"step":3,"loss":0.3}')
    code, _, err = sh.lre("report " .. ok .. " --output " .. dir .. "/ok.svg")
    assert.are.equal(0, code, err)
  end)
end)

describe("lrengine.runlog", function()
  local function lines(t)
    local i = 0
    return function()
      i = i + 1
      return t[i]
    end
  end

  it("reads flat JSON objects: strings with escapes, numbers, literals, C's nan", function()
    local o = runlog.decode([[{"a": "x\"\\\u00e9\ud83d\ude00", "b": -1.5e-3, "c": 7, "d": true, "e": null, "f": nan}]])
    assert.are.equal('x"\\é😀', o.a)
    assert.are.equal(-1.5e-3, o.b)
    assert.are.equal(math.tointeger(7), o.c)
    assert.is_true(o.d)
    assert.is_nil(o.e)
    assert.is_true(o.f ~= o.f)
    for _, bad in ipairs{'{"a":1,}', '{"a" 1}', '{"a":[1]}', '{"a":1} x', '{"a":"\\q"}', '{"a":1.}', "[1]", '{"a":01x}'} do
      assert.is_nil((runlog.decode(bad)), bad)
    end
  end)

  it("keeps the later lines of a resumed run and marks where it resumed", function()
    local run = runlog.read_lines(lines{
      '{"step":10,"epoch":1,"loss":0.9,"lr":0.1}', '{"epoch":1,"step":10,"train_loss":0.9,"val_loss":0.8,"val_acc":0.5,"lr":0.1,"seconds":1}',
      '{"step":20,"epoch":2,"loss":0.8,"lr":0.1}', '{"step":30,"epoch":2,"loss":0.7,"lr":0.1}',
      '{"step":20,"epoch":2,"loss":0.75,"lr":0.1}', '{"step":30,"epoch":2,"loss":0.65,"lr":0.1}',
      '{"epoch":2,"step":30,"train_loss":0.7,"val_loss":0.6,"val_acc":0.7,"lr":0.1,"seconds":1}'}, "m.jsonl")
    assert.are.equal(3, #run.steps)
    assert.are.equal(0.75, run.steps[2].loss)
    assert.are.equal(2, #run.epochs)
    assert.are.same({{step = 20, event = "resumed"}}, run.events)
    assert.are.same({"lr"}, run.hps)
    local svg = plot.svg(runlog.chart(run))
    check_xml(svg)
    assert.matches('class="marker%-label"[^>]*>resumed<', svg)
  end)

  it("refuses a line that is neither a step nor an epoch, naming it", function()
    local ok, err = pcall(runlog.read_lines, lines{'{"step":1,"loss":1}', '{"step":2}'}, "m.jsonl")
    assert.is_false(ok)
    assert.are.equal('m.jsonl:2: neither a step line ("loss") nor an epoch line ("train_loss")', err)
    ok, err = pcall(runlog.read_lines, lines{"", '{"loss":1}'}, "m.jsonl")
    assert.are.equal('m.jsonl:2: expected a whole "step" >= 0', err)
    ok, err = pcall(runlog.read_lines, lines{'{"step":1,"loss":1', '{"step":2}'}, "m.jsonl")
    assert.are.equal("m.jsonl:1: expected ',' or '}' at column 19", err)
  end)
end)
