-- lrengine.tune_report: what `lrengine tune` leaves in its run directory
-- when the search is done:
--   results.csv, results.json  every trial: status, epochs, metric, test
--                              figures, parameters (JSON: every epoch's
--                              metric, PBT lineages, the best-so-far curve
--                              against epochs trained)
--   curves.svg                 the metric against epochs, a line per trial
--   best.lua                   the best trial's training config, which
--                              `lrengine train` runs as is
--   pbt_schedule.lua           (PBT) the best trial's hyper-parameter
--                              trajectory, piecewise over steps: a schedule
--                              script that replays it (best.lua uses it)
local space = require "lrengine.tune_space"
local json = require "lrengine.tune_json"
local textfile = require "lrengine.textfile"

local M = {}

local function finite(v) return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge end

local function fmt(v)
  if not finite(v) then return "-" end
  return string.format("%.4f", v)
end

local function params_text(p)
  local parts = {}
  for _, k in ipairs(space.sorted_keys(p)) do parts[#parts + 1] = k .. " = " .. space.show(p[k]) end
  return table.concat(parts, ", ")
end

-- The names of the parameters across trials, sorted.
local function param_names(trials)
  local seen, names = {}, {}
  for _, t in pairs(trials) do
    for k in pairs(t.params) do if not seen[k] then seen[k] = true; names[#names + 1] = k end end
  end
  table.sort(names)
  return names
end

function M.leaderboard(run, n)
  local s = run.sched
  local list = s:leaderboard()
  local out = {string.format("%4s %6s %-9s %6s %9s %9s  %s", "rank", "trial", "status", "epochs", run.spec.metric,
    "test_acc", "parameters")}
  for i, t in ipairs(list) do
    if i > n then break end
    out[#out + 1] = string.format("%4d %6s %-9s %6d %9s %9s  %s", i, "#" .. t.id, t.status, t.epoch,
      fmt(t.results[t.epoch]), fmt(t.info and t.info.test_acc), params_text(t.params))
  end
  return table.concat(out, "\n") .. "\n"
end

local function csv_field(v)
  local s
  if type(v) == "number" then s = finite(v) and space.number(v):gsub("%.0$", "") or "" else s = v == nil and "" or space.show(v) end
  if s:find('[,"\n]') then s = '"' .. s:gsub('"', '""') .. '"' end
  return s
end

local function write_csv(run, path)
  local s = run.sched
  local names = param_names(s.trials)
  local head = {"rank", "trial", "status", "epochs", run.spec.metric, "test_acc", "test_loss"}
  for _, k in ipairs(names) do head[#head + 1] = k end
  local rows = {table.concat(head, ",")}
  for i, t in ipairs(s:leaderboard()) do
    local row = {i, t.id, t.status, t.epoch, t.results[t.epoch], t.info and t.info.test_acc, t.info and t.info.test_loss}
    for j = 1, 7 do row[j] = csv_field(row[j]) end
    for _, k in ipairs(names) do row[#row + 1] = csv_field(t.params[k]) end
    rows[#rows + 1] = table.concat(row, ",")
  end
  run.write_file(path, table.concat(rows, "\n") .. "\n")
end

-- The best metric so far against the epochs trained so far, in the order
-- the reports came (the journal's): how fast the search found what it found.
local function progress(run)
  local out, spent, best = {}, 0, nil
  local f = io.open(run.journal_path, "r")
  if not f then return out end
  local last = {}
  local better = run.sched.better
  for line in textfile.lines(f, run.journal_path, nil, true) do
    local ok, ev = pcall(json.decode, line)
    if ok and type(ev) == "table" then
      if ev.event == "forked" then last[ev.trial] = ev.epoch end
      if ev.event == "reported" then
        local prev = last[ev.trial] or 0
        if ev.epoch > prev then spent = spent + (ev.epoch - prev) end
        last[ev.trial] = ev.epoch
        if finite(ev.value) and (best == nil or better(ev.value, best)) then
          best = ev.value
          out[#out + 1] = {epochs = spent, best = best, trial = ev.trial, epoch = ev.epoch}
        end
      end
    end
  end
  f:close()
  return out
end

local function write_json(run, path, best, extra)
  local s = run.sched
  local trials = {}
  for _, t in ipairs(s:leaderboard()) do
    local results = {}
    for e = 1, s.max do if t.results[e] ~= nil then results[#results + 1] = {epoch = e, value = t.results[e]} end end
    trials[#trials + 1] = {id = t.id, status = t.status, epoch = t.epoch, value = t.results[t.epoch], why = t.why,
      params = t.params, results = results, test_acc = t.info and t.info.test_acc,
      test_loss = t.info and t.info.test_loss, lineage = s.method.kind == "pbt" and t.lineage or nil}
  end
  local doc = {tune = run.spec.tune, method = s.method, metric = run.spec.metric, mode = run.spec.mode,
    seed = run.spec.seed, best = best and best.id or nil, epochs_trained = s.spent, trials = trials,
    progress = progress(run)}
  for k, v in pairs(extra or {}) do doc[k] = v end
  run.write_file(path, json.encode(doc) .. "\n")
end

local function write_svg(run, path, best)
  local s = run.sched
  local x = {}
  for e = 1, s.max do x[e] = e end
  local series = {}
  for _, t in ipairs(s:leaderboard()) do
    local v = {}
    for e = 1, s.max do
      local r = t.results[e]
      v[e] = finite(r) and r or 0 / 0
    end
    series[#series + 1] = {name = "#" .. t.id .. (best and t.id == best.id and " (best)" or ""), values = v}
  end
  if #series == 0 then return false end
  local plot = require "lrengine.plot"
  local chart = {x = x, series = series, xlabel = "epoch", ylabel = run.spec.metric,
    title = string.format("%s by epoch, %d trials (%s, %s)", run.spec.metric, #series, s.method.kind,
      run.spec.tune:match("[^/]*$"))}
  run.write_file(path, plot.render("svg", chart))
  return true
end

-- The optimizer constants a generated config trains with: {name = value}
-- for each hyper-parameter of its optimizer given as a number (betas as
-- "betas[1]", "betas[2]"), and the set of those a schedule drives.
local function optimizer_constants(config_path)
  local ok, cfg = pcall(dofile, config_path)
  if not ok or type(cfg) ~= "table" then return nil, "cannot read " .. config_path .. ": " .. tostring(cfg) end
  local lre = require "lrengine"
  local o = type(cfg.optimizer) == "table" and cfg.optimizer or {}
  local kind = o[1] or o.kind or "sgd"
  local okopt, opt = pcall(function() return lre.optim[kind]{params = lre.tensor(1), grads = lre.tensor(1), lr = 0.1} end)
  if not okopt then return nil, "optimizer " .. tostring(kind) .. ": " .. tostring(opt) end
  local values, scheduled = {}, {}
  for _, h in ipairs(opt:hparams()) do
    local base, i = h:match("^(.-)%[(%d)%]$")
    local v = base and type(o[base]) == "table" and o[base][tonumber(i)] or o[h]
    if type(v) == "number" then values[h] = v end
  end
  opt:close()
  local sch = cfg.schedule
  if sch ~= nil then
    if type(sch) == "table" and sch.at == nil then
      for k in pairs(sch) do scheduled[k] = true end
    else
      scheduled.lr = true
    end
  end
  return values, scheduled
end

-- PBT: the best trial's trajectory, the optimizer constants of each of its
-- lineage's configs, as a table of schedules by hyper-parameter, piecewise
-- over steps. Returns its Lua source, a description and the steps per
-- epoch, or nil and why not.
function M.pbt_trajectory(run, t)
  local s = run.sched
  local spe
  for _, tr in pairs(s.trials) do
    local ex = tr.extra
    if ex and ex.step and tr.epoch > 0 then spe = ex.step // tr.epoch break end
  end
  if not spe then return nil, "no steps per epoch in the metrics" end
  local segs, consts, names = t.lineage, {}, {}
  for i, seg in ipairs(segs) do
    local values, scheduled = optimizer_constants(run:config_path(seg.trial, seg.version or 0))
    if not values then return nil, scheduled end
    for h in pairs(scheduled) do
      if h == "lr" then return nil, "the config's rate is a schedule, not a constant PBT can change" end
    end
    consts[i] = values
    for h in pairs(values) do if not scheduled[h] then names[h] = true end end
  end
  if not names.lr then return nil, "the config's optimizer has no constant rate" end
  local parts, lines = {}, {}
  for _, h in ipairs(space.sorted_keys(names)) do
    local v, b, all_same = {}, {}, true
    for i, seg in ipairs(segs) do
      if consts[i][h] == nil then all_same = nil break end
      v[#v + 1] = consts[i][h]
      if i > 1 then b[#b + 1] = seg.from * spe - 1 end
      if v[#v] ~= v[1] then all_same = false end
    end
    if all_same ~= nil then
      local src = all_same and space.number(v[1]) or
        "S.piecewise{boundaries = " .. space.serialize(b) .. ", values = " .. space.serialize(v) .. "}"
      parts[#parts + 1] = string.format("  [%q] = %s,", h, src)
    end
  end
  for i, seg in ipairs(segs) do
    local to = segs[i + 1] and segs[i + 1].from or s.max
    local hp = {}
    for _, h in ipairs(space.sorted_keys(consts[i])) do hp[#hp + 1] = h .. " = " .. space.show(consts[i][h]) end
    lines[#lines + 1] = string.format("--   epochs %d-%d (steps %d-%d): trial #%d, version %d: %s", seg.from, to,
      seg.from * spe, to * spe - 1, seg.trial, seg.version or 0, table.concat(hp, ", "))
  end
  return "{\n" .. table.concat(parts, "\n") .. "\n}", table.concat(lines, "\n"), spe
end

-- Writes the report files; returns the lines to print about them.
function M.write(run)
  local s = run.sched
  local best = s:best()
  local dir = run.dir
  local said = {}
  local extra = {}
  if best then
    local header = string.format("-- The best trial of lrengine tune %s (%s): #%d, %s = %s at epoch %d.\n-- %s\n",
      run.spec.tune, s.method.kind, best.id, run.spec.metric, space.show(best.results[best.epoch]), best.epoch,
      params_text(best.params))
    local schedule_src
    if s.method.kind == "pbt" then
      local src, desc, spe = M.pbt_trajectory(run, best)
      if src then
        run.write_file(dir .. "/pbt_schedule.lua", string.format(
          "-- The hyper-parameter trajectory PBT gave trial #%d (lrengine tune %s), piecewise\n" ..
          "-- over steps (%d per epoch): a schedule script that replays it from step 0.\n%s\n" ..
          "local S = require(\"lrengine\").schedule\nreturn %s\n", best.id, run.spec.tune, spe, desc, src))
        said[#said + 1] = "PBT trajectory: " .. dir .. "/pbt_schedule.lua"
        schedule_src = "lre_config.schedule = " .. src .. "\n"
        extra.trajectory = {steps_per_epoch = spe, segments = best.lineage}
      else
        said[#said + 1] = "PBT trajectory not exported: " .. desc
      end
    end
    local text = require("lrengine.tune_cli").config_source(run.spec, best.params, s.max, header, schedule_src)
    run.write_file(dir .. "/best.lua", text)
    said[#said + 1] = string.format("best: #%d, %s = %s at epoch %d, test_acc %s: %s/best.lua", best.id,
      run.spec.metric, fmt(best.results[best.epoch]), best.epoch, fmt(best.info and best.info.test_acc), dir)
  else
    said[#said + 1] = "no trial succeeded"
  end
  write_csv(run, dir .. "/results.csv")
  write_json(run, dir .. "/results.json", best, extra)
  local svg = write_svg(run, dir .. "/curves.svg", best)
  said[#said + 1] = "report: " .. dir .. "/results.csv, results.json" .. (svg and ", curves.svg" or "")
  -- checkpoints of trials that cannot go on (the best's stays)
  for id, t in pairs(s.trials) do
    if not best or id ~= best.id then os.remove(string.format("%s/trials/%04d/ckpt", dir, id)) end
    os.remove(string.format("%s/trials/%04d/fork.ckpt", dir, id))
  end
  return said
end

return M
