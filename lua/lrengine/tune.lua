-- lrengine.tune: hyper-parameter search for learning rates and the rest of a
-- training config, in pure Lua. Random and grid search, ASHA (asynchronous
-- successive halving, Li et al. 2020, "A System for Massively Parallel
-- Hyperparameter Tuning", Algorithm 2) with brackets, and PBT (population
-- based training, Jaderberg et al. 2017) with exact forks.
--
-- From a Lua program, with your own training loop:
--
--   local T = require "lrengine.tune"
--   local result = T.run{
--     space = {lr = T.loguniform(1e-4, 1e-1), momentum = T.uniform(0.8, 0.99)},
--     method = T.asha{min_epochs = 1, max_epochs = 27, reduction = 3, trials = 40},
--     mode = "min", seed = 1,
--     trial = function(params, report, trial)
--       local model = build(params)
--       for epoch = 1, 27 do
--         train_one_epoch(model, params)
--         if not report(epoch, validation_loss(model)) then break end
--       end
--     end,
--   }
--   print(result.best.params.lr, result.best.value)
--
-- report(t, metric) returns true to go on and false to stop; t counts
-- epochs or steps (the methods' resources are in its unit). Under ASHA a
-- trial that reaches a rung waits there (its coroutine is suspended) until
-- it is promoted or the search ends. Under PBT, report also returns the
-- trial's current parameters, which change after an exploit, and the trial
-- provides trial.save() -> snapshot and trial.load(snapshot) so that a
-- trial can continue from another's state.
--
-- `lrengine tune TUNE.lua` runs the same searches over the built-in training
-- job, a process per trial (lrengine.tune_cli).
local space = require "lrengine.tune_space"

local M = {_VERSION = "lrengine.tune 1"}

local MAX_RUNGS = 100 -- ASHA's rungs in a bracket: min_epochs * reduction^k up to max_epochs

M.loguniform, M.uniform, M.integer, M.choice = space.loguniform, space.uniform, space.integer, space.choice
M.when, M.code, M.around_findlr, M.space, M.rng, M.stream = space.when, space.code, space.around_findlr,
  space.space, space.rng, space.stream

-- ---- methods ----

local function positive_int(opts, key, default, who)
  local v = opts[key]
  if v == nil then v = default end
  if v ~= nil and (math.type(v) ~= "integer" and not (type(v) == "number" and v == math.floor(v)) or v < 1) then
    error(string.format("tune.%s: %s must be a whole number >= 1, got %s", who, key, tostring(v)), 3)
  end
  return v and math.floor(v)
end

local function budget(opts, who)
  local b = {trials = positive_int(opts, "trials", nil, who), epochs = positive_int(opts, "budget_epochs", nil, who)}
  return b
end

-- Random search: `trials` configurations (or as many as budget_epochs
-- allows), each trained to max_epochs. sampler = "tpe" samples from a
-- Parzen-estimator model of the results so far (lrengine.tune_tpe).
function M.random(opts)
  opts = opts or {}
  local m = {kind = "random", max_epochs = positive_int(opts, "max_epochs", nil, "random"),
    sampler = opts.sampler or "random", budget = budget(opts, "random")}
  if not m.budget.trials and not m.budget.epochs then m.budget.trials = 10 end
  return m
end

-- Grid search: every combination (ranges at `points` values each), each
-- trained to max_epochs; at most space.MAX_GRID combinations.
function M.grid(opts)
  opts = opts or {}
  local m = {kind = "grid", max_epochs = positive_int(opts, "max_epochs", nil, "grid"),
    points = positive_int(opts, "points", 3, "grid"), sampler = "grid", budget = budget(opts, "grid")}
  if m.points > space.MAX_GRID then
    error(string.format("tune.grid: points must be at most %d, got %s", space.MAX_GRID, tostring(m.points)), 2)
  end
  return m
end

-- ASHA: rungs at min_epochs * reduction^k below max_epochs; a trial at rung
-- k is promoted when it is among the best 1/reduction of the results
-- recorded at rung k. brackets > 1 is asynchronous Hyperband: bracket s
-- (0-based) starts its rungs at min_epochs * reduction^s, trials are dealt
-- round-robin.
function M.asha(opts)
  opts = opts or {}
  local m = {kind = "asha", min_epochs = positive_int(opts, "min_epochs", 1, "asha"),
    max_epochs = positive_int(opts, "max_epochs", nil, "asha"),
    reduction = opts.reduction or 3, brackets = positive_int(opts, "brackets", 1, "asha"),
    sampler = opts.sampler or "random", budget = budget(opts, "asha")}
  if not (type(m.reduction) == "number" and m.reduction > 1) then error("tune.asha: reduction must be > 1", 2) end
  if not m.max_epochs then error("tune.asha: max_epochs is required", 2) end
  if m.min_epochs > m.max_epochs then error("tune.asha: min_epochs must be <= max_epochs", 2) end
  local rungs = math.log(m.max_epochs / m.min_epochs) / math.log(m.reduction) + 1
  if rungs > MAX_RUNGS then
    error(string.format("tune.asha: %.3g rungs from min_epochs %d to max_epochs %d at reduction %s (at most %d): "
      .. "a larger reduction", rungs, m.min_epochs, m.max_epochs, tostring(m.reduction), MAX_RUNGS), 2)
  end
  if not m.budget.trials and not m.budget.epochs then m.budget.trials = 20 end
  return m
end

-- PBT: `population` trials trained together, `interval` epochs at a time;
-- at each interval's end the bottom `quantile` of the population copies the
-- state and parameters of a trial of the top quantile (exploit) and changes
-- them (explore): each searchable parameter is resampled with probability
-- `resample`, else multiplied by one of `factors` (a choice moves to a
-- neighbour). Generations are synchronous: every trial finishes the interval
-- before any exploits, so the search is the same whatever runs in parallel.
function M.pbt(opts)
  opts = opts or {}
  local m = {kind = "pbt", population = positive_int(opts, "population", 8, "pbt"),
    interval = positive_int(opts, "interval", 1, "pbt"), max_epochs = positive_int(opts, "max_epochs", nil, "pbt"),
    quantile = opts.quantile or 0.25, resample = opts.resample or 0.25, factors = opts.factors or {0.8, 1.2},
    budget = {}}
  if not m.max_epochs then error("tune.pbt: max_epochs is required", 2) end
  if not (m.quantile > 0 and m.quantile <= 0.5) then error("tune.pbt: quantile must be in (0, 0.5]", 2) end
  if not (m.resample >= 0 and m.resample <= 1) then error("tune.pbt: resample must be in [0, 1]", 2) end
  return m
end

-- ---- the scheduler: which trial trains next, for how long, from what ----
--
-- Driven by whoever trains (tune.run below, or lrengine.tune_cli):
--   job = s:next()       a job {trial, from, to, params, ...}, or nil and
--                        "wait" (jobs in flight must end first) or "done";
--                        a job with fork = {...} and no training is an
--                        exploit to carry out at once (copy the parent's
--                        state), then s:forked(job)
--   s:report(id, t, v)   the metric at t (epochs or steps) of a trial
--   s:finish(id, ok, why) its job ended: reached job.to (ok), or failed
-- The scheduler holds no clock and no randomness but its seeded streams: the
-- same calls give the same jobs.

local Sched = {}
Sched.__index = Sched

local function better_fn(mode)
  if mode == "max" then return function(a, b) return a > b end end
  return function(a, b) return a < b end
end

local function finite(v) return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge end

function M.scheduler(spec)
  local method = spec.method or M.random{}
  if type(method) ~= "table" or not method.kind then error("tune: method must be tune.random{}, tune.grid{}, tune.asha{} or tune.pbt{}", 2) end
  local sp = space.is_space(spec.space) and spec.space or space.space(spec.space or {})
  if spec.findlr then sp = sp:resolve(spec.findlr) end
  local mode = spec.mode or "min"
  if mode ~= "min" and mode ~= "max" then error("tune: mode must be 'min' or 'max'", 2) end
  local max_epochs = method.max_epochs or spec.max_epochs
  if not max_epochs then error("tune: the method needs max_epochs", 2) end
  local s = setmetatable({
    space = sp, method = method, mode = mode, better = better_fn(mode), seed = spec.seed or 1,
    max = max_epochs, trials = {}, ntrials = 0, running = {}, queue = {}, spent = 0, committed = 0,
    on_event = spec.on_event, revive = spec.revive,
  }, Sched)
  if method.kind == "grid" then
    s.grid = sp:grid(method.points)
    if method.budget.trials and method.budget.trials < #s.grid then
      for i = #s.grid, method.budget.trials + 1, -1 do s.grid[i] = nil end
    end
  end
  if method.kind == "asha" then
    s.brackets = {}
    for b = 0, method.brackets - 1 do
      local rungs, r = {}, method.min_epochs * method.reduction ^ b
      while r < max_epochs - 1e-9 do
        rungs[#rungs + 1] = {at = math.floor(r + 0.5), results = {}, promoted = {}, recorded = {}}
        r = r * method.reduction
      end
      -- rounding can repeat an epoch: keep each once
      local uniq = {}
      for _, g in ipairs(rungs) do if #uniq == 0 or uniq[#uniq].at < g.at then uniq[#uniq + 1] = g end end
      s.brackets[b + 1] = uniq
    end
  end
  if method.sampler == "tpe" then s.tpe = require("lrengine.tune_tpe").new(sp, s.seed, mode) end
  if method.kind == "pbt" then
    s.generation = 0
    for _ = 1, method.population do s:new_trial() end
    s:queue_generation()
  end
  return s
end

function Sched:emit(ev)
  if self.on_event then self.on_event(ev) end
end

function Sched:new_trial(params)
  self.ntrials = self.ntrials + 1
  local id = self.ntrials
  if not params then
    if self.grid then params = self.grid[id]
    elseif self.tpe then params = self.tpe:sample(id, self)
    else params = self.space:sample(self.seed, id) end
  end
  local t = {id = id, params = params, status = "paused", epoch = 0, results = {}, version = 0,
    bracket = self.brackets and (id - 1) % #self.brackets + 1 or nil,
    lineage = {{from = 0, params = params, trial = id, version = 0}}}
  self.trials[id] = t
  return t
end

-- The epochs a job of a trial would train next under ASHA: to its next rung.
function Sched:next_stop(t)
  if self.brackets then
    for _, g in ipairs(self.brackets[t.bracket]) do
      if g.at > t.epoch then return g.at end
    end
  end
  return self.max
end

function Sched:affordable(cost)
  local b = self.method.budget
  return not (b.epochs and self.spent + self.committed + cost > b.epochs)
end

local function job_of(self, t, to)
  local job = {trial = t.id, from = t.epoch, to = to, params = t.params, version = t.version, fork = t.pending_fork}
  t.pending_fork = nil
  t.status = "running"
  self.running[t.id] = job
  self.committed = self.committed + (to - t.epoch)
  return job
end

-- ASHA's get_job: a promotion, top rung first, else a new trial.
function Sched:asha_next()
  for _, rungs in ipairs(self.brackets) do
    for k = #rungs, 1, -1 do
      local g = rungs[k]
      local n = #g.results
      local top = math.floor(n / self.method.reduction)
      if top > 0 then
        local ranked = {}
        for i, r in ipairs(g.results) do ranked[i] = r end
        local better = self.better
        table.sort(ranked, function(a, b)
          if a.value ~= b.value then return better(a.value, b.value) end
          return a.trial < b.trial
        end)
        for i = 1, top do
          local t = self.trials[ranked[i].trial]
          if not g.promoted[t.id] and t.status == "paused" and t.rung == k then
            local to = self:next_stop(t)
            if self:affordable(to - t.epoch) then
              g.promoted[t.id] = true
              self:emit{event = "promoted", trial = t.id, rung = k, epoch = g.at, to = to}
              return job_of(self, t, to)
            end
          end
        end
      end
    end
  end
  return self:start_new()
end

function Sched:start_new()
  local b = self.method.budget
  local can = true
  if self.grid then can = self.ntrials < #self.grid
  elseif b.trials then can = self.ntrials < b.trials end
  if can then
    local t_epoch_cost
    if self.brackets then
      local bracket = self.ntrials % #self.brackets + 1
      local first = self.brackets[bracket][1]
      t_epoch_cost = first and first.at or self.max
    else
      t_epoch_cost = self.max
    end
    if self:affordable(t_epoch_cost) then
      local t = self:new_trial()
      return job_of(self, t, self:next_stop(t))
    end
  end
  return nil
end

function Sched:queue_generation(revived)
  local g = self.generation
  local to = math.min((g + 1) * self.method.interval, self.max)
  for id = 1, self.ntrials do
    local t = self.trials[id]
    local alive = t.status ~= "failed" and t.status ~= "done" or revived and revived[id]
    if alive and (t.epoch < to or revived and revived[id]) then self.queue[#self.queue + 1] = {trial = id, to = to} end
  end
end

-- PBT's barrier: every trial has finished the generation. Ranks them by the
-- metric at its end; the bottom quantile exploits the top one.
function Sched:pbt_barrier()
  local m = self.method
  local at = math.min((self.generation + 1) * m.interval, self.max)
  local ranked = {}
  for id = 1, self.ntrials do
    local t = self.trials[id]
    local v = t.results[at]
    if t.status == "paused" and finite(v) then ranked[#ranked + 1] = {t = t, v = v}
    elseif t.status == "failed" and self.revive then ranked[#ranked + 1] = {t = t, v = nil} end
  end
  local better = self.better
  table.sort(ranked, function(a, b)
    if a.v == nil or b.v == nil then
      if (a.v == nil) ~= (b.v == nil) then return b.v == nil end
      return a.t.id < b.t.id
    end
    if a.v ~= b.v then return better(a.v, b.v) end
    return a.t.id < b.t.id
  end)
  self.generation = self.generation + 1
  if at >= self.max then return end
  local n = #ranked
  local q = math.max(1, math.floor(n * m.quantile))
  if n < 2 then q = 0 end
  local top, revived = {}, {}
  for i = 1, q do if ranked[i].v ~= nil then top[#top + 1] = ranked[i].t end end
  for i = n - q + 1, n do
    if i > q and #top > 0 then
      local loser = ranked[i].t
      local rng = space.stream(self.seed, "pbt", self.generation, loser.id)
      local winner = top[rng:int(1, #top)]
      local params = self.space:explore(winner.params, rng, {resample = m.resample, factors = m.factors})
      if loser.status == "failed" then revived[loser.id] = true end
      self.queue[#self.queue + 1] = {trial = loser.id, fork = {parent = winner.id, epoch = at,
        parent_version = winner.version, params = params, revived = revived[loser.id]}}
    end
  end
  table.sort(self.queue, function(a, b) return a.trial < b.trial end)
  -- after the forks, the generation's training jobs
  self:queue_generation(revived)
end

function Sched:pbt_next()
  while true do
    local q = table.remove(self.queue, 1)
    if q then
      local t = self.trials[q.trial]
      if q.fork then
        -- a fork to carry out now; training jobs follow
        q.fork.trial = q.trial
        self.running[q.trial] = {trial = q.trial, fork = q.fork, action = "fork"}
        return {trial = q.trial, fork = q.fork, action = "fork", params = q.fork.params}
      end
      if t.status ~= "failed" then return job_of(self, t, q.to) end
    else
      if next(self.running) then return nil end
      self:pbt_barrier()
      if #self.queue == 0 then return nil end
    end
  end
end

-- The next job, or nil and "wait" or "done".
function Sched:next()
  if self.finished then return nil, "done" end
  local job
  if self.method.kind == "pbt" then job = self:pbt_next()
  elseif self.brackets then job = self:asha_next()
  else job = self:start_new() end
  if job then
    if not job.action then
      self:emit{event = "started", trial = job.trial, from = job.from, to = job.to, params = job.params,
        version = job.version, fork = job.fork}
    end
    return job
  end
  if next(self.running) then return nil, "wait" end
  self.finished = true
  for id = 1, self.ntrials do
    local t = self.trials[id]
    if t.status == "paused" then
      t.status = "stopped"
      self:emit{event = "stopped", trial = id, epoch = t.epoch}
    end
  end
  self:emit{event = "done"}
  return nil, "done"
end

-- A fork carried out: the trial now holds the parent's state at fork.epoch
-- and the explored parameters.
function Sched:forked(job)
  local f = job.fork
  local t, parent = self.trials[job.trial], self.trials[f.parent]
  self.running[job.trial] = nil
  t.params = f.params
  t.version = t.version + 1
  t.epoch = f.epoch
  if t.status == "failed" then t.status = "paused" end
  -- its history is the parent's up to the fork, then its own
  local lineage = {}
  for _, seg in ipairs(parent.lineage) do
    if seg.from < f.epoch then lineage[#lineage + 1] = seg end
  end
  lineage[#lineage + 1] = {from = f.epoch, params = f.params, trial = t.id, version = t.version}
  t.lineage = lineage
  for e = f.epoch + 1, self.max do t.results[e] = nil end
  for e = 1, f.epoch do t.results[e] = parent.results[e] end
  t.pending_fork = {parent = f.parent, epoch = f.epoch, parent_version = f.parent_version}
  self:emit{event = "forked", trial = t.id, parent = f.parent, epoch = f.epoch, params = f.params,
    version = t.version, parent_version = f.parent_version}
end

-- The metric of trial id at t; a metric that is not a finite number fails
-- the trial (a diverged run).
function Sched:report(id, t, value, extra)
  local tr = self.trials[id]
  local job = self.running[id]
  if not tr or not job then error("tune: report for trial " .. tostring(id) .. ", which is not running", 2) end
  if t <= tr.epoch then return true end -- seen already (a restarted job)
  self.spent = self.spent + (t - tr.epoch)
  self.committed = math.max(0, self.committed - (t - tr.epoch))
  tr.epoch = t
  tr.results[t] = value
  tr.extra = extra or tr.extra
  self:emit{event = "reported", trial = id, epoch = t, value = value, extra = extra}
  if not finite(value) then return false end
  if self.brackets then
    -- the first report at or past a rung counts there
    for k, g in ipairs(self.brackets[tr.bracket]) do
      if t >= g.at and not g.recorded[id] then
        g.recorded[id] = true
        g.results[#g.results + 1] = {trial = id, value = value}
        tr.rung = k
      end
    end
  end
  if self.tpe then self.tpe:observe(tr, t, value) end
  return t < job.to
end

-- The job of trial id ended: ok (it reached job.to, or its trial function
-- returned) or failed (why).
function Sched:finish(id, ok, why)
  local tr = self.trials[id]
  local job = self.running[id]
  if not job then error("tune: trial " .. tostring(id) .. " has no job", 2) end
  self.running[id] = nil
  self.committed = math.max(0, self.committed - math.max(0, job.to - tr.epoch))
  if not ok or not finite(tr.results[tr.epoch]) and tr.epoch > job.from then
    tr.status = "failed"
    tr.why = why or "the metric is not a finite number"
    self:emit{event = "failed", trial = id, epoch = tr.epoch, why = tr.why}
  elseif tr.epoch >= self.max or ok == "ended" then
    tr.status = "done"
    self:emit{event = "finished", trial = id, epoch = tr.epoch, value = tr.results[tr.epoch], info = tr.info}
  else
    tr.status = "paused"
    self:emit{event = "paused", trial = id, epoch = tr.epoch, value = tr.results[tr.epoch], info = tr.info}
  end
end

-- The trials ranked: furthest trained first, then by the metric there;
-- failed ones last.
function Sched:leaderboard()
  local list = {}
  for id = 1, self.ntrials do list[#list + 1] = self.trials[id] end
  local better = self.better
  table.sort(list, function(a, b)
    local fa, fb = a.status == "failed", b.status == "failed"
    if fa ~= fb then return fb end
    local va, vb = a.results[a.epoch], b.results[b.epoch]
    if a.epoch ~= b.epoch then return a.epoch > b.epoch end
    if finite(va) ~= finite(vb) then return finite(va) end
    if finite(va) and va ~= vb then return better(va, vb) end
    return a.id < b.id
  end)
  return list
end

function Sched:best()
  local t = self:leaderboard()[1]
  if t and t.status ~= "failed" and finite(t.results[t.epoch]) then return t end
end

-- ---- a search with the caller's training loop ----

-- Runs a search: spec = {space, method, mode ("min"), seed (1), trial =
-- function(params, report, trial), findlr (a rate, or rule -> rate, for
-- around_findlr), on_event = function(event)}. Trials run one at a time, as
-- coroutines: report() suspends a trial that must wait (at an ASHA rung, at
-- a PBT interval). A trial that raises an error or reports a metric that
-- is not a finite number is recorded as failed and the search goes on.
-- Returns {best = trial, trials = {...}, leaderboard = {...}, events = {...}}
-- where a trial is {id, params, status, epoch, results = {[t] = metric},
-- lineage (PBT: {{from, params, trial}, ...})}.
function M.run(spec)
  if type(spec) ~= "table" or type(spec.trial) ~= "function" then
    error("tune.run takes {space = ..., method = ..., trial = function(params, report, trial) ... end}", 2)
  end
  local events = {}
  local user_event = spec.on_event
  local sspec = {}
  for k, v in pairs(spec) do sspec[k] = v end
  if type(spec.findlr) == "number" then
    local rate = spec.findlr
    sspec.findlr = function() return rate end
  end
  sspec.on_event = function(ev)
    events[#events + 1] = ev
    if user_event then user_event(ev) end
  end
  local s = M.scheduler(sspec)
  local co, handles = {}, {}

  -- resumes trial id's coroutine with a value; ends its job when it yields
  -- or returns
  local function step(id, ...)
    local ok, what = coroutine.resume(co[id], ...)
    local t = s.trials[id]
    if not ok then
      s:finish(id, false, tostring(what))
      co[id] = nil
    elseif coroutine.status(co[id]) == "dead" then
      if s.running[id] then s:finish(id, t.status ~= "failed" and "ended" or false) end
      co[id] = nil
    elseif what == "pause" then
      s:finish(id, true)
    end
  end

  while true do
    local job, why = s:next()
    if not job then
      if why == "done" then break end
      error("tune.run: no job and nothing running (internal)", 0)
    end
    local id = job.trial
    if job.action == "fork" then
      local loser, winner = handles[id], handles[job.fork.parent]
      if not (winner and winner.save) or not (loser and loser.load) then
        error("tune.run: PBT needs trial.save and trial.load (set them in the trial function)", 0)
      end
      loser.load(winner.save())
      s:forked(job)
      loser.params = s.trials[id].params
    elseif co[id] then
      handles[id].params = job.params
      step(id, true, job.params)
    else
      local h = {id = id, params = job.params}
      handles[id] = h
      local function report(t, metric)
        if h.failed then return false, h.params end
        if not s.running[id] then error("tune: report after the trial's job ended", 2) end
        local go = s:report(id, t, metric)
        if not finite(metric) then
          h.failed = true
          return false, h.params
        end
        if go then return true, h.params end
        if t >= s.max then return false, h.params end
        local cont = coroutine.yield("pause")
        return cont, h.params
      end
      co[id] = coroutine.create(function() return spec.trial(job.params, report, h) end)
      step(id)
    end
  end
  -- trials left waiting at a rung: their loops end (report returns false)
  for id, c in pairs(co) do
    if coroutine.status(c) == "suspended" then
      s.running[id] = {trial = id, from = s.trials[id].epoch, to = s.trials[id].epoch}
      coroutine.resume(c, false)
      s.running[id] = nil
    end
  end
  return {best = s:best(), trials = s.trials, leaderboard = s:leaderboard(), events = events, scheduler = s}
end

return M
