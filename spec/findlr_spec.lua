-- lrengine find-lr's suggestion rules: each one on a fixed curve against a
-- line-by-line transcription of the library that defines it (fastai 2.7's
-- valley, slide and minimum on recorder[num_it//10:-5]; Lightning 2's
-- steepest descent on results[10:-1] with torch.gradient against
-- log10(lr)), --suggest and --write-config, determinism.
local sh = require "support.sh"

local dir = sh.tmpdir()

-- ---- the references, 0-based indices as in Python ----

local function fastai_window(n, planned) return planned // 10, n - 5 end -- [lo, hi)

local function valley(loss) -- fastai: longest valley, O(n^2) as written there
  local n = #loss
  local max_start, max_end = 0, 0
  local lds = {}
  for i = 0, n - 1 do lds[i] = 1 end
  for i = 1, n - 1 do
    for j = 0, i - 1 do
      if loss[i + 1] < loss[j + 1] and lds[i] < lds[j] + 1 then lds[i] = lds[j] + 1 end
      if lds[max_end] < lds[i] then
        max_end = i
        max_start = max_end - lds[max_end]
      end
    end
  end
  local sections = (max_end - max_start) / 3
  local idx = max_start + math.floor(sections) + math.floor(sections / 2)
  if idx < 0 then idx = idx + n end
  return idx
end

local function np_gradient(f) -- numpy.gradient, unit spacing, edge_order 1
  local n, g = #f, {}
  for i = 1, n do
    if i == 1 then g[i] = f[2] - f[1]
    elseif i == n then g[i] = f[n] - f[n - 1]
    else g[i] = (f[i + 1] - f[i - 1]) / 2 end
  end
  return g
end

local function slide(loss) -- fastai: lr_diff 15, thresh .005, with Python's negative indices
  local n = #loss
  local g = np_gradient(loss)
  local function at(t, i) return t[i < 0 and n + i + 1 or i + 1] end
  local r, l = -1, -16
  local pick = n + l
  while l >= -n and math.abs(at(g, r) - at(g, l)) > 0.005 do
    pick = n + l
    r, l = r - 1, l - 1
  end
  return pick
end

local function argmin(t)
  local k = 1
  for i = 2, #t do if t[i] < t[k] then k = i end end
  return k - 1
end

local function steepest(lrs, loss) -- Lightning: [10:-1], torch.gradient(spacing = log10(lr))
  local x, f = {}, {}
  for i = 11, #loss - 1 do x[#x + 1] = math.log(lrs[i], 10); f[#f + 1] = loss[i] end
  local m, g = #f, {}
  for i = 1, m do
    if i == 1 then g[i] = (f[2] - f[1]) / (x[2] - x[1])
    elseif i == m then g[i] = (f[m] - f[m - 1]) / (x[m] - x[m - 1])
    else
      local hl, hr = x[i] - x[i - 1], x[i + 1] - x[i]
      g[i] = (hl ^ 2 * f[i + 1] - hr ^ 2 * f[i - 1] + (hr ^ 2 - hl ^ 2) * f[i]) / (hl * hr * (hl + hr))
    end
  end
  return argmin(g) + 10
end

local function slice(t, lo, hi) -- 0-based [lo, hi)
  local out = {}
  for i = lo + 1, hi do out[#out + 1] = t[i] end
  return out
end

-- a fixed curve: flat, a fall with bumps, a valley, a rise
local lrs, loss = {}, {}
for i = 0, 59 do
  lrs[i + 1] = 10 ^ (-6 + i * 0.1)
  loss[i + 1] = 2.3 - 1.6 / (1 + math.exp(-(i - 30) / 4)) + 0.03 * math.sin(i * 1.7) + (i > 48 and 0.04 * (i - 48) ^ 2 or 0)
end
local function write_curve(path, a, b)
  local rows = {"lr,loss"}
  for i = 1, #a do rows[#rows + 1] = string.format("%.17g,%.17g", a[i], b[i]) end
  return sh.write(path, table.concat(rows, "\n") .. "\n")
end
local curve = write_curve(dir .. "/curve.csv", lrs, loss)

local json = require "dkjson"

describe("lrengine find-lr's suggestion rules", function()
  local planned = 60
  local code, out, err = sh.lre("find-lr --curve " .. curve .. " --steps " .. planned .. " --format json")
  local doc = json.decode(out)

  it("reports every rule in the JSON, with the point each picks", function()
    assert.are.equal(0, code, err)
    for _, rule in ipairs{"valley", "steepest", "minimum", "slide"} do
      assert.is_table(doc.suggestions[rule], rule)
    end
    assert.are.equal("valley", doc.suggest)
    assert.are.equal(doc.suggestions.valley.lr, doc.suggested_lr)
  end)

  it("picks fastai's points for valley, minimum and slide", function()
    local lo, hi = fastai_window(#loss, planned)
    local win = slice(loss, lo, hi)
    assert.are.equal(lo + valley(win), doc.suggestions.valley.index)
    assert.are.equal(lo + argmin(win), doc.suggestions.minimum.index)
    assert.are.equal(lo + slide(win), doc.suggestions.slide.index)
    -- the indices as computed once by hand from the same formulas
    assert.are.same({30, 47, 24}, {doc.suggestions.valley.index, doc.suggestions.minimum.index,
      doc.suggestions.slide.index})
    assert.are.near(lrs[doc.suggestions.minimum.index + 1] / 10, doc.suggestions.minimum.lr, 1e-18)
    assert.are.equal(lrs[doc.suggestions.valley.index + 1], doc.suggestions.valley.lr)
  end)

  it("picks Lightning's steepest descent, skipping the first 10 points and the last", function()
    assert.are.equal(steepest(lrs, loss), doc.suggestions.steepest.index)
    assert.are.equal(31, doc.suggestions.steepest.index)
    assert.are.equal(lrs[32], doc.suggestions.steepest.lr)
  end)

  it("names the line of a saved curve it can not read, a long line or a NUL byte included", function()
    local head = "lr,loss\n1e-3,2.5\n"
    for _, case in ipairs{
      {head .. "1e-2,2.4" .. string.rep(" ", 300) .. "\n1e-1,2.6\n", ":3: a line longer than 255 bytes"},
      {head .. "1e-2,2.4\0junk\n1e-1,2.6\n", ":3: a NUL byte"},
      {head .. "1e-2,nan\n", ":3: expected 'lr,loss' with a positive rate and a finite loss"},
      {head .. "1e-2,2.4\n1e-2,2.3\n", ":4: the rate 0.01 does not rise (the line before: 0.01)"},
      {head .. "1e-4,2.4\n", ":3: the rate 0.0001 does not rise (the line before: 0.001)"},
    } do
      local path = sh.write(dir .. "/bad.csv", case[1])
      local c, _, e = sh.lre("find-lr --curve " .. path)
      assert.are.equal(1, c, e)
      assert.is_truthy(e:find("bad.csv" .. case[2], 1, true), e)
    end
    local c, _, e = sh.lre("find-lr --curve " .. dir)
    assert.are.equal(1, c, e)
    assert.matches("reading .*: Is a directory", e)
    -- a line of exactly 255 bytes is whole: the fixed curve with its second point padded
    local text = io.open(curve):read("a")
    local padded = text:gsub("\n([^\n]+)\n", function(row) return "\n" .. row .. string.rep(" ", 255 - #row) .. "\n" end, 1)
    local c, o, e = sh.lre("find-lr --curve " .. sh.write(dir .. "/long.csv", padded) .. " --steps 60 --format json")
    assert.are.equal(0, c, e)
    assert.are.equal(doc.suggested_lr, json.decode(o).suggested_lr)
  end)

  it("leaves out a rule the curve is too short for, and says so", function()
    local short = write_curve(dir .. "/short.csv", slice(lrs, 20, 34), slice(loss, 20, 34))
    local c, o = sh.lre("find-lr --curve " .. short .. " --format json")
    assert.are.equal(0, c)
    local d = json.decode(o)
    assert.is_nil(d.suggestions.slide) -- fastai needs 16 points in its window (lrs[-16])
    assert.is_table(d.suggestions.valley)
    local c2, _, e2 = sh.lre("find-lr --curve " .. short .. " --suggest slide")
    assert.are.equal(1, c2)
    assert.matches("the slide rule has no suggestion on a curve of 14 points", e2)
  end)

  it("prints every rule and the chosen one in the summary", function()
    local c, o = sh.lre("find-lr --curve " .. curve .. " --steps 60 --suggest steepest")
    assert.are.equal(0, c)
    for _, rule in ipairs{"valley", "steepest", "minimum", "slide"} do assert.matches("\n  " .. rule, o) end
    assert.matches("suggested lr=0.00126 %(steepest%)", o)
  end)
end)

local synthetic_csv = require "support.synthetic"

describe("lrengine find-lr --write-config", function()
  local train = synthetic_csv(dir .. "/syn.csv", 1500, 3)
  local base = 'data = {source = "csv", train = "syn.csv", test = "syn.csv", validation = 100}, '
    .. 'model = {kind = "softmax"}, batch_size = 32, epochs = 2'
  local plain = sh.write(dir .. "/plain.lua", "return {" .. base .. ', optimizer = {"sgd", lr = 0.1}}\n')
  local sched = sh.write(dir .. "/sched.lua", 'local S = require("lrengine").schedule\nreturn {' .. base
    .. ', log_every = 1, optimizer = {"sgd", lr = 0.1}, schedule = S.warmup{S.cosine{lr = 0.1, t_max = 80}, steps = 10}}\n')
  local function epoch_lrs(metrics)
    local out = {}
    for l in sh.slurp(metrics):gmatch("[^\n]+") do
      local d = json.decode(l)
      if d.step then out[#out + 1] = d.lr end
    end
    return out
  end

  it("writes the config at the chosen rule's rate, which lrengine train runs as is", function()
    local cfg = dir .. "/found.lua"
    local code, out, err = sh.lre("find-lr " .. plain .. " --steps 100 --suggest minimum --format json --write-config " .. cfg)
    assert.are.equal(0, code, err)
    local d = json.decode(out)
    assert.matches("wrote .*found.lua", err)
    local c2, o2, e2 = sh.lre("train " .. cfg .. " --metrics " .. dir .. "/found.jsonl")
    assert.are.equal(0, c2, e2)
    assert.matches("final test_acc", o2)
    for _, lr in ipairs(epoch_lrs(dir .. "/found.jsonl")) do assert.are.equal(d.suggestions.minimum.lr, lr) end
    -- a path whose temporary name ("PATH.tmp") would not fit is refused, not cut to another file's name
    local long = dir .. "/" .. string.rep("d", 4300) .. ".lua"
    local c3, _, e3 = sh.lre("find-lr " .. plain .. " --steps 10 --quiet --write-config " .. long)
    assert.are.equal(1, c3, e3)
    assert.matches("a path of more than 4195 bytes", e3)
  end)

  it("scales a scheduled rate so that its peak is the suggestion", function()
    local cfg = dir .. "/found_sched.lua"
    local code, out, err = sh.lre("find-lr " .. sched .. " --steps 100 --format json --write-config " .. cfg)
    assert.are.equal(0, code, err)
    local d = json.decode(out)
    assert.are.equal(0, (sh.lre("train " .. cfg .. " --quiet --metrics " .. dir .. "/fs.jsonl")))
    local peak = 0
    for _, lr in ipairs(epoch_lrs(dir .. "/fs.jsonl")) do peak = math.max(peak, lr) end
    assert.are.near(d.suggested_lr, peak, d.suggested_lr * 1e-12)
  end)

  it("runs with the config's clipping, and without its guard", function()
    local function test(extra)
      local cfg = sh.write(dir .. "/extra.lua", "return {" .. base .. ', optimizer = {"sgd", lr = 0.1}, ' .. extra .. "}\n")
      local code, out, err = sh.lre("find-lr " .. cfg .. " --steps 60 --format json")
      assert.are.equal(0, code, err)
      return json.decode(out)
    end
    local plain_run, clipped, guarded = test("epochs = 2"), test("clip = 0.001"), test('guard = "zscore"')
    -- clipped to a norm of 0.001 a step moves the weights by at most 0.001 lr: the loss hardly falls
    assert.are.equal("norm", clipped.clip)
    assert.is_true(clipped.lowest_loss > plain_run.lowest_loss + 0.2, clipped.lowest_loss .. " vs " .. plain_run.lowest_loss)
    -- the guard would skip the steps that blow up, which the test looks for: the curve is the plain one
    assert.are.equal("zscore", guarded.guard_left_out)
    assert.are.same(plain_run.loss, guarded.loss)
    local code, out, err = sh.lre("find-lr " .. dir .. "/extra.lua --steps 60 --output " .. dir .. "/g.csv")
    assert.are.equal(0, code, err)
    assert.matches("without the config's guard %(zscore%): it would skip the steps whose loss blows up", out)
    test("clip = 0.001")
    code, out, err = sh.lre("find-lr " .. dir .. "/extra.lua --steps 60 --output " .. dir .. "/c.csv")
    assert.are.equal(0, code, err)
    assert.matches("^lr range test: 60 steps from 1e%-07 to 10\n  with the config's clipping %(norm%)\n  lowest", out)
    -- a csv on stdout is the curve alone (the reasoning on stderr), and reads back with --curve
    code, out, err = sh.lre("find-lr " .. dir .. "/extra.lua --steps 60 --format csv")
    assert.are.equal(0, code, err)
    assert.matches("^lr,loss\n", out)
    assert.matches("^lr range test: 60 steps", err)
    local back = sh.write(dir .. "/back.csv", out)
    code, _, err = sh.lre("find-lr --curve " .. back .. " --quiet")
    assert.are.equal(0, code, err)
  end)

  it("is deterministic for a seed", function()
    local _, a = sh.lre("find-lr " .. plain .. " --steps 60 --format json")
    local _, b = sh.lre("find-lr " .. plain .. " --steps 60 --format json")
    assert.are.equal(a, b)
  end)
end)
