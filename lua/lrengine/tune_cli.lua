-- lrengine.tune_cli: `lrengine tune TUNE.lua`, the searches of lrengine.tune
-- over the built-in training job. TUNE.lua returns
--
--   {config = "model.lua",          -- a training config, relative to TUNE.lua;
--                                   -- it receives the trial's parameters as `...`
--    space = {...},                 -- lrengine.tune's space; a name with a dot
--                                   -- ("optimizer.lr") also sets that config key
--    method = tune.asha{...},       -- or tune.random, tune.grid, tune.pbt
--    metric = "val_acc",            -- or "val_loss", "train_loss"
--    mode = "max",                  -- the metric's direction (from its name by default)
--    seed = 1,
--    findlr = {steps = 100}}        -- the range test's options, for tune.around_findlr
--
-- Each job of a trial is a child process (`lrengine train CONFIG --until N
-- --checkpoint CK [--resume CK]`), started and waited for by the C side
-- (cmd_tune.c, the `sys` table); everything else happens here. The run
-- directory holds the journal (journal.jsonl: one JSON event per line), the
-- trials' generated configs, checkpoints, metrics and logs, and the report.
-- Running the same command again replays the journal through the scheduler
-- (which is deterministic) and goes on from there: finished jobs are not run
-- again, interrupted ones continue from their checkpoints.
local T = require "lrengine.tune"
local space = require "lrengine.tune_space"
local json = require "lrengine.tune_json"
local report = require "lrengine.tune_report"
local textfile = require "lrengine.textfile"

local M = {}

local function fail(fmt, ...) error({msg = string.format(fmt, ...)}, 0) end

-- The most of a file read whole: a script (the search's, its config), a
-- generated config, find-lr's JSON answer. A script this large could not be
-- loaded within a script's memory limit anyway.
local READ_MAX = 64 * 1024 * 1024
-- The most of a job's output read back (its last lines give the final
-- accuracy and the last error); all of it is copied to the trial's log.
local OUTPUT_TAIL = 65536

-- The file at path whole, or nil when it cannot be read; a file of more
-- than READ_MAX bytes is an error naming it.
local function slurp(path)
  local s, err, large = textfile.read(path, READ_MAX)
  if large then fail("%s", err) end
  return s
end

-- Writes a file whole, through a temporary and a rename.
local function write_file(path, text)
  local tmp = path .. ".tmp"
  local f, err = io.open(tmp, "wb")
  if not f then fail("cannot write %s: %s", tmp, err) end
  local ok, werr = f:write(text)
  local cok, cerr = f:close()
  if not ok or not cok then os.remove(tmp) fail("cannot write %s: %s", tmp, tostring(werr or cerr)) end
  local rok, rerr = os.rename(tmp, path)
  if not rok then os.remove(tmp) fail("cannot rename %s: %s", tmp, rerr) end
end
M.write_file = write_file

-- Copies a file a piece at a time, through a temporary and a rename.
local function copy_file(from, to)
  local tmp = to .. ".tmp"
  local f, err = io.open(tmp, "wb")
  if not f then fail("cannot write %s: %s", tmp, err) end
  local ok, cerr = textfile.copy(from, f)
  local cok, closeerr = f:close()
  if not ok or not cok then os.remove(tmp) fail("cannot copy %s to %s: %s", from, tmp, tostring(cerr or closeerr)) end
  local rok, rerr = os.rename(tmp, to)
  if not rok then os.remove(tmp) fail("cannot rename %s: %s", tmp, rerr) end
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function dirname(path) return path:match("^(.*)/[^/]*$") or "." end
local function basename(path) return path:match("[^/]*$") end

local function absolute(path, cwd)
  if path:sub(1, 1) == "/" then return path end
  return (cwd .. "/" .. path):gsub("/%./", "/")
end

-- ---- the search file ----

local SPEC_KEYS = {config = true, space = true, method = true, metric = true, mode = true, seed = true,
  findlr = true}
local METRICS = {val_acc = "max", val_loss = "min", train_loss = "min"}

local function load_spec(path, seed)
  local chunk, err = loadfile(path, "t")
  if not chunk then fail("%s", err) end
  local ok, spec = pcall(chunk)
  if not ok then fail("%s", tostring(spec)) end
  if type(spec) ~= "table" then fail("%s must return a table (config, space, method, metric)", path) end
  for k in pairs(spec) do
    if not SPEC_KEYS[k] then fail("%s: unknown key '%s' (config, space, method, metric, mode, seed, findlr)", path, tostring(k)) end
  end
  if type(spec.config) ~= "string" then fail("%s: config must name a training config file", path) end
  spec.metric = spec.metric or "val_acc"
  if not METRICS[spec.metric] then fail("%s: metric must be val_acc, val_loss or train_loss", path) end
  spec.mode = spec.mode or METRICS[spec.metric]
  if seed then spec.seed = seed end
  spec.seed = spec.seed or 1
  spec.method = spec.method or T.random{}
  if type(spec.method) ~= "table" or not spec.method.kind then
    fail("%s: method must be tune.random{}, tune.grid{}, tune.asha{} or tune.pbt{}", path)
  end
  if not spec.method.max_epochs then fail("%s: the method needs max_epochs", path) end
  local okspace, sp = pcall(space.space, spec.space or {})
  if not okspace then fail("%s: %s", path, tostring(sp)) end
  spec.space = sp
  for name in pairs(sp.params) do
    if name == "epochs" then fail("%s: 'epochs' is the method's (max_epochs), not a parameter", path) end
  end
  local cfg = spec.config
  if cfg:sub(1, 1) ~= "/" then cfg = dirname(path) .. "/" .. cfg end
  spec.config_path = cfg
  spec.config_source = slurp(cfg)
  if not spec.config_source then fail("%s: cannot read the config %s", path, cfg) end
  if spec.config_source:find("\0", 1, true) then fail("%s holds a NUL byte", cfg) end
  spec.text = slurp(path)
  return spec
end

-- ---- generated training configs ----

-- The base config's source as the body of a function called with the
-- trial's parameters, all on its original lines (so messages name the
-- base's line numbers), then the dotted overrides, the run's length, and
-- data paths made absolute (they were relative to the base's directory).
local function config_source(spec, params, epochs, header, extra)
  local plain, code = {}, {}
  for k, v in pairs(params) do
    if space.is_code(v) then code[#code + 1] = k else plain[k] = v end
  end
  if plain.epochs == nil then plain.epochs = epochs end
  table.sort(code)
  local first = {"local lre = require(\"lrengine\"); local S = lre.schedule; local P = ", space.serialize(plain), "; "}
  for _, k in ipairs(code) do
    first[#first + 1] = "P[" .. string.format("%q", k) .. "] = " .. space.serialize(params[k]) .. "; "
  end
  local src = spec.config_source
  if src:sub(1, 1) == "#" then src = "-- " .. src end
  first[#first + 1] = "local lre_config = (function(...) "
  local out = {table.concat(first), src, src:sub(-1) == "\n" and "" or "\n", "end)(P)\n"}
  out[#out + 1] = header
  out[#out + 1] = "if type(lre_config) ~= \"table\" then error(\"the base config must return a table\") end\n"
  local dotted = {}
  for k in pairs(params) do if k:find(".", 1, true) then dotted[#dotted + 1] = k end end
  table.sort(dotted, function(a, b)
    local na, nb = select(2, a:gsub("%.", "")), select(2, b:gsub("%.", ""))
    if na ~= nb then return na < nb end
    return a < b
  end)
  for _, k in ipairs(dotted) do
    local parts = {}
    for part in k:gmatch("[^.]+") do parts[#parts + 1] = part end
    local path = "lre_config"
    for i = 1, #parts - 1 do
      local key = string.format("[%q]", parts[i])
      out[#out + 1] = string.format("%s%s = %s%s or {}\n", path, key, path, key)
      path = path .. key
    end
    out[#out + 1] = string.format("%s[%q] = P[%q]\n", path, parts[#parts], k)
  end
  out[#out + 1] = "lre_config.epochs = " .. math.floor(epochs) .. "\n"
  if extra then out[#out + 1] = extra end
  out[#out + 1] = string.format("local base_dir = %q\n", spec.config_dir)
  out[#out + 1] = [[
local data = lre_config.data
if type(data) == "table" then
  for _, k in ipairs{"dir", "train", "test"} do
    if type(data[k]) == "string" and data[k]:sub(1, 1) ~= "/" then data[k] = base_dir .. "/" .. data[k] end
  end
end
return lre_config
]]
  return table.concat(out)
end
M.config_source = config_source

local function params_comment(params)
  local parts = {}
  for _, k in ipairs(space.sorted_keys(params)) do parts[#parts + 1] = k .. " = " .. space.show(params[k]) end
  return table.concat(parts, ", ")
end

-- ---- the run ----

local Run = {}
Run.__index = Run
Run.write_file = write_file

local function trial_dir(run, id) return string.format("%s/trials/%04d", run.dir, id) end

function Run:config_path(id, version) return string.format("%s/v%d.lua", trial_dir(self, id), version) end

function Run:write_config(id, version, params)
  local path = self:config_path(id, version)
  local header = string.format("-- Generated by lrengine tune: trial %d, version %d, of %s (%s). Parameters:\n-- %s\n",
    id, version, self.spec.tune, self.spec.method.kind, params_comment(params))
  local text = config_source(self.spec, params, self.spec.method.max_epochs, header)
  if slurp(path) ~= text then
    self.sys.mkdir(trial_dir(self, id))
    write_file(path, text)
  end
  return path
end

function Run:journal(ev)
  if self.replaying then return end
  local line = json.encode(ev) .. "\n"
  local ok, err = self.jfile:write(line)
  if ok then ok, err = self.jfile:flush() end
  if not ok then fail("writing the journal %s: %s", self.journal_path, tostring(err)) end
end

-- ---- what the user sees ----

local function show_value(v)
  if type(v) ~= "number" or v ~= v then return "-" end
  return string.format("%.4f", v)
end

function Run:say(line)
  if self.quiet then return end
  self:clear_live()
  io.stdout:write(line, "\n")
  io.stdout:flush()
  self:draw_live()
end

function Run:clear_live()
  if self.live_lines and self.live_lines > 0 then
    io.stderr:write(string.format("\27[%dA\27[J", self.live_lines))
    self.live_lines = 0
  end
end

function Run:draw_live()
  if not self.tty or self.quiet then return end
  local s = self.sched
  local lines = {}
  local elapsed = self.sys.now() - self.started
  local nrun = 0
  for _ in pairs(self.procs) do nrun = nrun + 1 end
  lines[#lines + 1] = string.format("tune %s: %s, %d trials, %d epochs trained, %d running, %d:%02d",
    basename(self.spec.tune), s.method.kind, s.ntrials, s.spent, nrun, math.floor(elapsed / 60), math.floor(elapsed % 60))
  local best = s:best()
  if best then
    lines[#lines + 1] = string.format("  best #%d: %s %s at epoch %d  %s", best.id, self.spec.metric,
      show_value(best.results[best.epoch]), best.epoch, params_comment(best.params))
  end
  local ids = {}
  for _, p in pairs(self.procs) do ids[#ids + 1] = p end
  table.sort(ids, function(a, b) return a.job.trial < b.job.trial end)
  for _, p in ipairs(ids) do
    local j = p.job
    local t = s.trials[j.trial]
    lines[#lines + 1] = string.format("  #%-4d epochs %d-%d  %4.0fs  last %s %s", j.trial, j.from, j.to,
      self.sys.now() - p.start, self.spec.metric, show_value(t.results[t.epoch]))
  end
  local width = self.sys.columns()
  for i, l in ipairs(lines) do
    if #l > width - 1 then lines[i] = l:sub(1, width - 1) end
  end
  io.stderr:write(table.concat(lines, "\n"), "\n")
  io.stderr:flush()
  self.live_lines = #lines
end

function Run:on_event(ev)
  self:journal(ev)
  if self.replaying then return end
  local e, id = ev.event, ev.trial
  if e == "started" then
    self:say(string.format("started  #%d  epochs %d-%d  %s", id, ev.from, ev.to, params_comment(ev.params)))
  elseif e == "reported" then
    if not self.tty then self:say(string.format("reported #%d  epoch %d  %s=%s", id, ev.epoch, self.spec.metric, show_value(ev.value))) end
  elseif e == "promoted" then
    self:say(string.format("promoted #%d  from epoch %d to %d", id, ev.epoch, ev.to))
  elseif e == "paused" then
    self:say(string.format("paused   #%d  at epoch %d  %s=%s", id, ev.epoch, self.spec.metric, show_value(ev.value)))
  elseif e == "finished" then
    self:say(string.format("finished #%d  at epoch %d  %s=%s", id, ev.epoch, self.spec.metric, show_value(ev.value)))
  elseif e == "forked" then
    self:say(string.format("forked   #%d  from #%d at epoch %d  %s", id, ev.parent, ev.epoch, params_comment(ev.params)))
  elseif e == "failed" then
    self:say(string.format("failed   #%d  at epoch %d: %s", id, ev.epoch, ev.why or "?"))
  elseif e == "stopped" then
    if not self.tty then self:say(string.format("stopped  #%d  at epoch %d", id, ev.epoch)) end
  end
end

-- ---- jobs ----

-- The epoch lines of a trial's metrics file, last one per epoch.
local function read_metrics(path)
  local byepoch = {}
  local f = io.open(path, "r")
  if not f then return byepoch end
  for line in textfile.lines(f, path, nil, true) do
    if line:sub(1, 9) == '{"epoch":' then
      local ok, v = pcall(json.decode, line)
      if ok and type(v) == "table" and math.type(v.epoch) == "integer" then byepoch[v.epoch] = v end
    end
  end
  f:close()
  return byepoch
end
M.read_metrics = read_metrics

function Run:launch(job, restarted)
  local id = job.trial
  local dir = trial_dir(self, id)
  self.sys.mkdir(dir)
  local cfg = self:write_config(id, job.version, job.params)
  local ck = dir .. "/ckpt"
  local args = {self.exe, "train", cfg, "--checkpoint", ck, "--metrics", dir .. "/metrics.jsonl",
    "--until", tostring(job.to), "--threads", tostring(self.threads), "--quiet"}
  if job.fork then
    local fk = dir .. "/fork.ckpt"
    for _, a in ipairs{"--resume", fk, "--resume-hparams", "config", "--resume-config",
      self:config_path(job.fork.parent, job.fork.parent_version)} do args[#args + 1] = a end
  elseif job.from > 0 or (restarted and exists(ck)) then
    args[#args + 1] = "--resume"
    args[#args + 1] = ck
  end
  if restarted then self:journal{event = "restarted", trial = id, from = job.from, to = job.to} end
  local pid, err = self.sys.spawn(args, dir .. "/job.out", dir .. "/job.err")
  if not pid then fail("cannot start %s: %s", self.exe, tostring(err)) end
  self.procs[pid] = {job = job, start = self.sys.now(), dir = dir}
end

local function last_error_line(text)
  local last
  for line in (text or ""):gmatch("[^\n]+") do
    if line:find("^lrengine: ") and not line:find("^lrengine: warning") then last = line:sub(11) end
  end
  return last
end

-- A child ended with code: its epochs are reported, its job finished.
function Run:collect(pid, code)
  local p = self.procs[pid]
  self.procs[pid] = nil
  local job, id = p.job, p.job.trial
  -- what the job printed goes to the log a piece at a time; its last lines
  -- (the final accuracy, the last error) are all that is read
  local log = io.open(p.dir .. "/log.txt", "a")
  if log then
    log:write(string.format("== epochs %d-%d: exit %d\n", job.from, job.to, code))
    textfile.copy(p.dir .. "/job.out", log)
    textfile.copy(p.dir .. "/job.err", log)
    log:close()
  end
  local out = textfile.tail(p.dir .. "/job.out", OUTPUT_TAIL) or ""
  local err = textfile.tail(p.dir .. "/job.err", OUTPUT_TAIL) or ""
  if code == 130 and self.sys.interrupted() then
    self:journal{event = "interrupted", trial = id}
    return
  end
  local metrics = read_metrics(p.dir .. "/metrics.jsonl")
  local reached = job.from
  for e = job.from + 1, job.to do
    local m = metrics[e]
    if not m then break end
    local value = m[self.spec.metric]
    if value == nil then value = 0 / 0 end
    self.sched:report(id, e, value, {train_loss = m.train_loss, val_loss = m.val_loss, val_acc = m.val_acc,
      step = m.step, seconds = m.seconds, lr = m.lr})
    reached = e
  end
  local info = {seconds = self.sys.now() - p.start}
  info.test_acc, info.test_loss = out:match("final test_acc=([%d.]+) test_loss=([%d.naif]+)")
  info.test_acc, info.test_loss = tonumber(info.test_acc), tonumber(info.test_loss)
  if code == 0 and reached == job.to then
    self.sched.trials[id].info = info
    self.sched:finish(id, true, nil)
    if job.fork then os.remove(p.dir .. "/fork.ckpt") end
  else
    local why = last_error_line(err) or (code == 0 and "the run ended early" or "exit " .. code)
    self.sched:finish(id, false, why)
  end
end

-- PBT's exploit: the parent's checkpoint becomes the trial's fork.ckpt.
function Run:fork(job)
  local parent = trial_dir(self, job.fork.parent) .. "/ckpt"
  local probe = io.open(parent, "rb")
  if not probe then fail("PBT: the checkpoint %s of trial %d is missing", parent, job.fork.parent) end
  probe:close()
  self.sys.mkdir(trial_dir(self, job.trial))
  copy_file(parent, trial_dir(self, job.trial) .. "/fork.ckpt")
  self.sched:forked(job)
end

-- ---- resuming: the journal replayed through the scheduler ----

function Run:replay(events)
  self.replaying = true
  local s = self.sched
  for n, ev in ipairs(events) do
    local e = ev.event
    local function mismatch(what)
      fail("%s line %d: %s; the search changed since (TUNE.lua, its config or the binary): use another --dir",
        self.journal_path, n, what)
    end
    if e == "started" then
      local job = s:next()
      if not job or job.action or job.trial ~= ev.trial or job.to ~= ev.to then
        mismatch(string.format("trial %d to epoch %d was started, the search now starts %s", ev.trial, ev.to,
          job and (job.action and "a fork of trial " .. job.trial or "trial " .. job.trial .. " to epoch " .. tostring(job.to)) or "nothing"))
      end
    elseif e == "forked" then
      local job = s:next()
      if not job or job.action ~= "fork" or job.trial ~= ev.trial then mismatch("a fork differs") end
      s:forked(job)
    elseif e == "reported" then
      if not s.running[ev.trial] then mismatch("a report for a trial that is not running") end
      s:report(ev.trial, ev.epoch, ev.value == nil and 0 / 0 or ev.value, ev.extra)
    elseif e == "paused" or e == "finished" then
      s.trials[ev.trial].info = ev.info
      s:finish(ev.trial, true)
    elseif e == "failed" then
      s:finish(ev.trial, false, ev.why)
    elseif e == "stopped" then
      s.trials[ev.trial].status = "stopped"
    elseif e == "done" then
      s.finished = true
    end
  end
  self.replaying = false
end

-- ---- find-lr ----

function Run:findlr(events)
  local d = self.spec.space:needs_findlr()
  if not d then return nil end
  for _, ev in ipairs(events) do
    if ev.event == "findlr" then return ev.suggestions end
  end
  local opts = self.spec.findlr or {}
  local cfg = self.dir .. "/findlr_config.lua"
  write_file(cfg, config_source(self.spec, {}, self.spec.method.max_epochs,
    "-- Generated by lrengine tune: the base config, for the range test\n"))
  local out = self.dir .. "/findlr.json"
  local args = {self.exe, "find-lr", cfg, "--format", "json", "--output", out, "--steps", tostring(d.steps or opts.steps or 100)}
  local lo, hi = d.min or opts.min, d.max or opts.max
  if lo then args[#args + 1] = "--min"; args[#args + 1] = tostring(lo) end
  if hi then args[#args + 1] = "--max"; args[#args + 1] = tostring(hi) end
  self:say("find-lr: the range test on " .. basename(self.spec.config_path))
  local pid, err = self.sys.spawn(args, self.dir .. "/findlr.out", self.dir .. "/findlr.err")
  if not pid then fail("cannot start %s: %s", self.exe, tostring(err)) end
  local code
  repeat
    local wp, c = self.sys.wait(0.2)
    if wp == pid then code = c end
    if self.sys.interrupted() then self.sys.kill(pid, "INT") end
  until code
  if code ~= 0 then
    if self.sys.interrupted() then error({msg = "interrupted", code = 130}, 0) end
    fail("find-lr failed: %s", last_error_line(textfile.tail(self.dir .. "/findlr.err", OUTPUT_TAIL)) or "exit " .. code)
  end
  local doc = json.decode(slurp(out) or "")
  local sug = {}
  for rule, s in pairs(doc.suggestions or {}) do
    if type(s) == "table" and s.lr then sug[rule] = s.lr end
  end
  self:journal{event = "findlr", suggestions = sug}
  self:say(string.format("find-lr: %s suggests lr %s", d.rule, space.show(sug[d.rule])))
  return sug
end

-- ---- the main loop ----

local function open_run(opts, sys)
  local spec = load_spec(opts.tune, opts.seed)
  spec.tune = opts.tune
  local cwd = sys.cwd()
  spec.config_dir = dirname(absolute(spec.config_path, cwd))
  local dir = opts.dir or (basename(opts.tune):gsub("%.lua$", "") .. ".run")
  sys.mkdir(dir)
  sys.mkdir(dir .. "/trials")
  local lock_ok, lock_err = sys.lock(dir .. "/lock")
  if not lock_ok then fail("%s is in use by another lrengine tune (%s)", dir, tostring(lock_err)) end
  local run = setmetatable({spec = spec, dir = dir, sys = sys, exe = sys.exe, procs = {}, quiet = opts.quiet,
    tty = sys.isatty(2) and not opts.quiet, jobs = opts.jobs, threads = opts.threads, started = sys.now(),
    live_lines = 0}, Run)
  run.journal_path = dir .. "/journal.jsonl"
  local events = {}
  local fingerprint = string.format("%016x", space.fnv(spec.text .. "\0" .. spec.config_source .. "\0" .. tostring(spec.seed)))
  -- its lines, each within textfile's bound; one that is not (too long, a
  -- NUL byte: the zeros a crash can leave at a file's end) is kept as false,
  -- to be dropped as a torn last line or refused with its number
  local jf = io.open(run.journal_path, "rb")
  local lines, why = {}, {}
  if jf then
    local ok, err = pcall(function()
      for line in textfile.lines(jf, run.journal_path, nil, function(_, bad)
        local k = #lines + 1
        lines[k], why[k] = false, bad
      end) do
        if line ~= "" then lines[#lines + 1] = line end
      end
    end)
    jf:close()
    if not ok then fail("%s", err) end
  end
  if #lines > 0 then
    local torn = textfile.tail(run.journal_path, 1) ~= "\n"
    for n, line in ipairs(lines) do
      if not line then
        if n == #lines and torn then break end
        fail("%s line %d: %s", run.journal_path, n, why[n])
      end
      local ok, ev = pcall(json.decode, line)
      if not ok then
        -- a line a kill cut short can only be the last, unterminated one: dropped
        if n == #lines and torn then break end
        fail("%s line %d: %s", run.journal_path, n, tostring(ev))
      end
      events[#events + 1] = ev
    end
    local begin = events[1]
    if not begin or begin.event ~= "begin" then fail("%s does not start with a begin event", run.journal_path) end
    if begin.fingerprint ~= fingerprint then
      fail("%s holds another search (%s, or its config, or the seed changed): use another --dir or remove it",
        dir, basename(opts.tune))
    end
    -- rewrite the journal without a torn last line
    local text = {}
    for _, ev in ipairs(events) do text[#text + 1] = json.encode(ev) end
    write_file(run.journal_path, table.concat(text, "\n") .. "\n")
  end
  run.jfile = io.open(run.journal_path, "a")
  if not run.jfile then fail("cannot write %s", run.journal_path) end
  if #events == 0 then
    run:journal{event = "begin", tune = opts.tune, method = spec.method.kind, seed = spec.seed, metric = spec.metric,
      mode = spec.mode, fingerprint = fingerprint}
  end
  return run, events
end

function M.main(opts, sys)
  local ok, res = pcall(function()
    local run, events = open_run(opts, sys)
    local spec = run.spec
    local suggestions = run:findlr(events)
    run.sched = T.scheduler{space = spec.space, method = spec.method, mode = spec.mode, seed = spec.seed,
      findlr = suggestions, revive = true, on_event = function(ev) run:on_event(ev) end}
    local resumed = #events > 1
    run:replay(events)
    local done = events[#events] and events[#events].event == "done"
    run:say(string.format("tune %s: %s%s, %d jobs at a time, %d BLAS threads each, in %s", spec.tune,
      spec.method.kind, resumed and " (resumed)" or "", run.jobs, run.threads, run.dir))
    -- jobs in flight when the last run ended start again from their checkpoints
    local again = {}
    for _, job in pairs(run.sched.running) do again[#again + 1] = job end
    table.sort(again, function(a, b) return a.trial < b.trial end)
    local interrupted, why, last_draw = false, nil, 0
    while not done do
      if sys.interrupted() and not interrupted then
        interrupted = true
        for pid in pairs(run.procs) do sys.kill(pid, "INT") end
      end
      if not interrupted then
        local nrun = 0
        for _ in pairs(run.procs) do nrun = nrun + 1 end
        while nrun < run.jobs do
          local job = table.remove(again, 1)
          if job then
            run:launch(job, true)
            nrun = nrun + 1
          else
            job, why = run.sched:next()
            if not job then break end
            if job.action == "fork" then run:fork(job)
            else run:launch(job); nrun = nrun + 1 end
          end
        end
      end
      if not next(run.procs) then
        if interrupted or why == "done" then break end
        fail("internal: nothing runs and nothing can start (%s)", tostring(why))
      end
      local pid, code = sys.wait(0.25)
      if pid and run.procs[pid] then run:collect(pid, code) end
      if run.tty and sys.now() - last_draw > 0.5 then
        run:clear_live()
        run:draw_live()
        last_draw = sys.now()
      end
    end
    run:clear_live()
    if interrupted then
      io.stderr:write("lrengine: interrupted; run the same command to resume\n")
      return 130
    end
    local files = report.write(run)
    io.stdout:write(report.leaderboard(run, 10))
    for _, f in ipairs(files) do io.stdout:write(f, "\n") end
    io.stdout:flush()
    return 0
  end)
  if ok then return res end
  if type(res) == "table" and res.msg then
    io.stderr:write("lrengine: ", res.msg, "\n")
    return res.code or 1
  end
  io.stderr:write("lrengine: ", tostring(res), "\n")
  return 1
end

return M
