-- lrengine.tune: spaces, ASHA's promotion rule and PBT's exploit/explore on
-- synthetic objectives through the library; `lrengine tune` end to end on a
-- tiny CSV (resume after SIGKILL, a failing trial, determinism, PBT's
-- exported trajectory, find-lr seeding); exact forks in `lrengine train`.
local T = require "lrengine.tune"
local space = require "lrengine.tune_space"
local sh = require "support.sh"
local json = require "dkjson"

local log10 = function(x) return math.log(x, 10) end

describe("tune spaces", function()
  local sp = T.space{lr = T.loguniform(1e-4, 1e-1), momentum = T.uniform(0.8, 0.99), layers = T.integer(1, 3),
    schedule = T.choice{"cosine", "constant", "one_cycle"}, batch_size = 128,
    warmup = T.when({schedule = "cosine"}, T.integer(0, 5)),
    floor = T.when(function(p) return p.schedule ~= "constant" and p.layers > 1 end, T.uniform(0, 0.1))}

  it("draws every distribution within its bounds, log-uniform uniform in log space", function()
    local below, counts, seen = 0, {}, {}
    for i = 1, 2000 do
      local p = sp:sample(7, i)
      assert.is_true(p.lr >= 1e-4 and p.lr <= 1e-1)
      assert.is_true(p.momentum >= 0.8 and p.momentum <= 0.99)
      assert.are.equal("integer", math.type(p.layers))
      counts[p.layers] = (counts[p.layers] or 0) + 1
      seen[p.schedule] = true
      assert.are.equal(128, p.batch_size)
      if log10(p.lr) < -2.5 then below = below + 1 end
    end
    assert.is_true(below > 900 and below < 1100, below)
    assert.is_true(counts[1] > 550 and counts[2] > 550 and counts[3] > 550)
    assert.is_true(seen.cosine and seen.constant and seen.one_cycle)
  end)

  it("draws whole numbers over the widest range it takes, and refuses a wider one", function()
    local sp = T.space{k = T.integer(0, 2 ^ 52 - 1), m = T.integer(-2 ^ 51, 2 ^ 51 - 1)}
    for seed = 1, 20 do
      local p = sp:sample(seed, 1)
      assert.are.equal("integer", math.type(p.k))
      assert.is_true(p.k >= 0 and p.k <= 2 ^ 52 - 1 and p.m >= -2 ^ 51 and p.m < 2 ^ 51)
    end
    -- past 2^52 numbers its draw would never end (Rng:int draws below a multiple of the count in 53 bits)
    for _, b in ipairs{{0, 2 ^ 52}, {0, 2 ^ 60}, {-2 ^ 62, 2 ^ 62}, {0, 1e300}} do
      local ok, err = pcall(T.integer, b[1], b[2])
      assert.is_false(ok)
      assert.matches("tune.integer: a range of at most 2%^52 numbers", err)
    end
  end)

  it("refuses a grid or ASHA's rungs too large to hold, naming them", function()
    local ok, err = pcall(T.grid, {points = 1e9, max_epochs = 1})
    assert.is_false(ok)
    assert.matches("tune.grid: points must be at most 100000, got 1000000000", err)
    local sp = T.space{a = T.uniform(0, 1), b = T.uniform(0, 1), c = T.uniform(0, 1), d = T.uniform(0, 1)}
    ok, err = pcall(sp.grid, sp, 1000)
    assert.is_false(ok)
    assert.matches("tune.grid: more than 100000 combinations %(with [bcd]%): fewer points or parameters", err)
    assert.are.equal(10000, #sp:grid(10))
    ok, err = pcall(T.asha, {min_epochs = 1, max_epochs = 1e12, reduction = 1.0000001})
    assert.is_false(ok)
    assert.matches("tune.asha: 2.76e%+08 rungs from min_epochs 1 to max_epochs 1000000000000 at reduction 1.0000001 %(at most 100%)", err)
    assert.is_table(T.asha{min_epochs = 1, max_epochs = 81, reduction = 3})
  end)

  it("gives a parameter only where its condition holds", function()
    for i = 1, 300 do
      local p = sp:sample(1, i)
      assert.are.equal(p.schedule == "cosine", p.warmup ~= nil)
      assert.are.equal(p.schedule ~= "constant" and p.layers > 1, p.floor ~= nil)
    end
    assert.has_error(function() T.space{a = T.when({b = 1}, 2)} end, "tune: parameter 'a' depends on 'b', which is not in the space")
  end)

  it("is reproducible: the same seed the same values, another seed others, a new parameter changes no other", function()
    assert.are.same(sp:sample(3, 5), sp:sample(3, 5))
    assert.are_not.same(sp:sample(3, 5), sp:sample(4, 5))
    local more = T.space{lr = T.loguniform(1e-4, 1e-1), extra = T.uniform(0, 1)}
    local less = T.space{lr = T.loguniform(1e-4, 1e-1)}
    for i = 1, 20 do assert.are.equal(less:sample(9, i).lr, more:sample(9, i).lr) end
  end)

  it("enumerates a grid, conditional parameters only where active", function()
    local g = T.space{lr = T.loguniform(1e-3, 1e-1), s = T.choice{"a", "b"}, w = T.when({s = "a"}, T.integer(0, 2))}:grid(3)
    assert.are.equal(3 * (3 + 1), #g)
    assert.are.same({lr = 1e-3, s = "a", w = 0}, g[1])
    assert.are.same({lr = 1e-3, s = "b"}, g[4])
    assert.are.near(1e-2, g[5].lr, 1e-15)
    assert.are.equal(1e-1, g[12].lr)
  end)

  it("explores: a number times 0.8 or 1.2 within its bounds, a choice to a neighbour", function()
    local rng = T.rng(1)
    local s2 = T.space{lr = T.loguniform(1e-4, 1e-1), c = T.choice{1, 2, 3, 4}}
    for _ = 1, 200 do
      local q = s2:explore({lr = 0.01, c = 2}, rng, {resample = 0, factors = {0.8, 1.2}})
      assert.is_true(math.abs(q.lr - 0.008) < 1e-15 or math.abs(q.lr - 0.012) < 1e-15)
      assert.is_true(q.c == 1 or q.c == 3)
      assert.are.equal(0.1, s2:explore({lr = 0.1, c = 4}, T.rng(3), {resample = 0, factors = {1.2}}).lr)
    end
  end)

  it("writes values as Lua source that reads back exactly", function()
    local v = {0.1, 1 / 3, 1e-300, 7, "a\"b", true, {x = 2.5, [1] = 1}}
    local back = load("return " .. space.serialize(v))()
    assert.are.same(v, back)
    assert.are.equal("float", math.type(load("return " .. space.serialize(2.0))()))
  end)
end)

-- A fake trial reporting a fixed metric per trial: ASHA's decisions alone.
local function run_fixed(values, method)
  local promoted = {}
  local r = T.run{space = {x = T.uniform(0, 1)}, method = method, mode = "min", seed = 1,
    on_event = function(e) if e.event == "promoted" then promoted[#promoted + 1] = {e.trial, e.epoch} end end,
    trial = function(_, report, trial)
      for epoch = 1, method.max_epochs do
        if not report(epoch, values[trial.id]) then break end
      end
    end}
  return r, promoted
end

describe("ASHA", function()
  it("promotes a trial when it is among the best 1/reduction of its rung, rungs at 1 and 3 of 9", function()
    local r, promoted = run_fixed({0.5, 0.3, 0.4, 0.1, 0.2, 0.6, 0.35, 0.05, 0.7},
      T.asha{min_epochs = 1, max_epochs = 9, reduction = 3, trials = 9})
    -- 2 after three results at rung 1; 4 the best of four; 5 with the top two of six; 4 the best of three
    -- at rung 3; 8 the best of eight, then of four at rung 3; 9 is not in the top three of nine
    assert.are.same({{2, 1}, {4, 1}, {5, 1}, {4, 3}, {8, 1}, {8, 3}}, promoted)
    assert.are.equal(8, r.best.id)
    assert.are.equal(9, r.best.epoch)
    assert.are.equal("stopped", r.trials[9].status)
    assert.are.equal(3, r.trials[5].epoch)
  end)

  it("finds the optimum of a synthetic objective with far fewer epochs than random search", function()
    local function objective(p, report)
      for epoch = 1, 27 do
        if not report(epoch, (log10(p.lr) + 2.5) ^ 2 + 1 / epoch) then break end
      end
    end
    local asha = T.run{space = {lr = T.loguniform(1e-6, 1)}, method = T.asha{max_epochs = 27, trials = 40},
      seed = 2, trial = objective}
    local rand = T.run{space = {lr = T.loguniform(1e-6, 1)}, method = T.random{max_epochs = 27, trials = 40},
      seed = 2, trial = objective}
    local function epochs(r) local n = 0 for _, t in pairs(r.trials) do n = n + t.epoch end return n end
    assert.is_true(math.abs(log10(asha.best.params.lr) + 2.5) < 0.3, asha.best.params.lr)
    assert.are.equal(40 * 27, epochs(rand))
    assert.is_true(epochs(asha) < epochs(rand) / 4, epochs(asha))
    -- the same configurations: the best of ASHA is the best random search saw
    assert.are.equal(rand.best.params.lr, asha.best.params.lr)
  end)

  it("records a trial that raises an error or reports NaN as failed, and goes on", function()
    local r = T.run{space = {x = T.uniform(0, 1)}, method = T.asha{max_epochs = 3, trials = 6}, seed = 1,
      trial = function(p, report, t)
        for epoch = 1, 3 do
          if t.id == 2 then error("boom") end
          if not report(epoch, t.id == 4 and 0 / 0 or p.x) then break end
        end
      end}
    assert.are.equal("failed", r.trials[2].status)
    assert.matches("boom", r.trials[2].why)
    assert.are.equal("failed", r.trials[4].status)
    assert.are.equal(6, #r.leaderboard)
    assert.are.equal("failed", r.leaderboard[6].status)
    assert.is_table(r.best)
  end)

  it("samples with TPE when asked, reproducibly", function()
    local function objective(p, report)
      for epoch = 1, 9 do if not report(epoch, (log10(p.lr) + 2.5) ^ 2) then break end end
    end
    local a = T.run{space = {lr = T.loguniform(1e-6, 1)}, method = T.asha{max_epochs = 9, trials = 30, sampler = "tpe"},
      seed = 4, trial = objective}
    local b = T.run{space = {lr = T.loguniform(1e-6, 1)}, method = T.asha{max_epochs = 9, trials = 30, sampler = "tpe"},
      seed = 4, trial = objective}
    assert.are.equal(a.best.params.lr, b.best.params.lr)
    assert.is_true(math.abs(log10(a.best.params.lr) + 2.5) < 0.5)
  end)
end)

describe("PBT", function()
  -- the state is a number each epoch moves toward the optimum at a speed set by lr
  local function pbt_trial(p, report, trial)
    local state = {w = 0}
    trial.save = function() return {w = state.w} end
    trial.load = function(s) state = {w = s.w} end
    for epoch = 1, 8 do
      state.w = state.w + 1 / (1 + (log10(p.lr) + 2.5) ^ 2)
      local go
      go, p = report(epoch, -state.w)
      if not go then break end
    end
  end

  it("copies a top trial's state into the bottom quantile and explores from its parameters", function()
    local events = {}
    local r = T.run{space = {lr = T.loguniform(1e-6, 1)}, method = T.pbt{population = 8, interval = 2, max_epochs = 8},
      seed = 5, trial = pbt_trial, on_event = function(e) events[#events + 1] = e end}
    local forks = 0
    local params_at = {}
    for id = 1, 8 do params_at[id] = r.trials[id].lineage[1].params end
    local results, rankings = {}, {}
    for _, e in ipairs(events) do
      if e.event == "reported" then
        results[e.epoch] = results[e.epoch] or {}
        results[e.epoch][e.trial] = e.value
      elseif e.event == "forked" then
        forks = forks + 1
        -- the ranking at the barrier, before its forks
        rankings[e.epoch] = rankings[e.epoch] or (function()
          local ranked = {}
          for id, v in pairs(results[e.epoch]) do ranked[#ranked + 1] = {id, v} end
          table.sort(ranked, function(a, b) return a[2] < b[2] or a[2] == b[2] and a[1] < b[1] end)
          return ranked
        end)()
        local ranked = rankings[e.epoch]
        assert.are.equal(e.parent, ranked[1][1] == e.parent and e.parent or ranked[2][1]) -- top quantile: 2 of 8
        assert.is_true(ranked[7][1] == e.trial or ranked[8][1] == e.trial) -- bottom quantile
        local from, to = params_at[e.parent].lr, e.params.lr
        local ratio = to / from
        assert.is_true(math.abs(ratio - 0.8) < 1e-12 or math.abs(ratio - 1.2) < 1e-12 or (to >= 1e-6 and to <= 1), ratio)
        params_at[e.trial] = e.params
        -- the state moved: the trial's metric is its parent's from then on
        results[e.epoch][e.trial] = results[e.epoch][e.parent]
      elseif e.event == "started" then
        params_at[e.trial] = e.params
      end
    end
    assert.are.equal(3 * 2, forks) -- three barriers, the worst two each
    assert.is_true(math.abs(log10(r.best.params.lr) + 2.5) < 0.6, r.best.params.lr)
    -- a forked trial's lineage starts with its parent's
    for _, t in pairs(r.trials) do
      assert.are.equal(t.id, t.lineage[#t.lineage].trial)
      for i = 2, #t.lineage do assert.is_true(t.lineage[i].from > t.lineage[i - 1].from) end
    end
  end)

  it("is deterministic for a seed", function()
    local a = T.run{space = {lr = T.loguniform(1e-6, 1)}, method = T.pbt{population = 4, interval = 1, max_epochs = 8},
      seed = 6, trial = pbt_trial}
    local b = T.run{space = {lr = T.loguniform(1e-6, 1)}, method = T.pbt{population = 4, interval = 1, max_epochs = 8},
      seed = 6, trial = pbt_trial}
    assert.are.same(a.best.lineage, b.best.lineage)
  end)
end)

-- ---- the binary ----

local dir = sh.tmpdir()

local synthetic = require "support.synthetic"
local function synthetic_csv(path, n, seed) return synthetic(path, n, seed, 0.4) end

synthetic_csv(dir .. "/syn.csv", 3000, 11)
local base = sh.write(dir .. "/model.lua", [[
local P = ... or {}
return {data = {source = "csv", train = "syn.csv", test = "syn.csv", validation = 300},
  model = {kind = "mlp", hidden = {16}},
  optimizer = {"adamw", lr = P.lr or 0.01, weight_decay = P.wd or 0.01},
  epochs = P.epochs or 4, batch_size = 32, seed = 3}
]])

local function tune_file(name, body)
  return sh.write(dir .. "/" .. name, 'local T = require "lrengine.tune"\nreturn {config = "model.lua", ' .. body .. "}\n")
end

local asha = tune_file("asha.lua", [[space = {lr = T.loguniform(1e-4, 3e-1), wd = T.loguniform(1e-4, 1e-1)},
  method = T.asha{min_epochs = 1, max_epochs = 4, reduction = 2, trials = 8}, metric = "val_loss", seed = 2]])

local function journal(run)
  local out = {}
  for line in sh.slurp(run .. "/journal.jsonl"):gmatch("[^\n]+") do out[#out + 1] = json.decode(line) end
  return out
end
local function count(events, kind)
  local n = 0
  for _, e in ipairs(events) do if e.event == kind then n = n + 1 end end
  return n
end

describe("lrengine tune", function()
  local run1 = dir .. "/asha1.run"

  it("runs an ASHA search and leaves a leaderboard, a report and a best config that trains as is", function()
    local code, out, err = sh.lre("tune " .. asha .. " --jobs 2 --dir " .. run1)
    assert.are.equal(0, code, err)
    assert.matches("rank%s+trial%s+status", out)
    assert.matches("best: #%d+", out)
    local res = json.decode(sh.slurp(run1 .. "/results.json"))
    assert.are.equal(8, #res.trials)
    assert.matches("^rank,trial,status,epochs,val_loss,test_acc,test_loss,lr,wd\n", sh.slurp(run1 .. "/results.csv"))
    assert.matches("<svg", sh.slurp(run1 .. "/curves.svg"))
    local c2, o2 = sh.lre("train " .. run1 .. "/best.lua --quiet")
    assert.are.equal(0, c2)
    local best = res.trials[1]
    assert.are.equal(res.best, best.id)
    assert.are.equal(string.format("%.4f", best.test_acc), o2:match("final test_acc=([%d.]+)"))
    local ev = journal(run1)
    assert.are.equal("begin", ev[1].event)
    assert.are.equal("done", ev[#ev].event)
    assert.is_true(count(ev, "promoted") > 0)
  end)

  it("is deterministic with --jobs 1", function()
    assert.are.equal(0, (sh.lre("tune " .. asha .. " --jobs 1 -q --dir " .. dir .. "/d1.run")))
    assert.are.equal(0, (sh.lre("tune " .. asha .. " --jobs 1 -q --dir " .. dir .. "/d2.run")))
    assert.are.equal(sh.slurp(dir .. "/d1.run/results.csv"), sh.slurp(dir .. "/d2.run/results.csv"))
    -- the same trials as the parallel run
    local a, b = json.decode(sh.slurp(dir .. "/d1.run/results.json")), json.decode(sh.slurp(run1 .. "/results.json"))
    assert.are.equal(#a.trials, #b.trials)
  end)

  it("resumes after SIGKILL without repeating finished work, to the same result", function()
    local run = dir .. "/killed.run"
    local slow = sh.write(dir .. "/slow.lua", sh.slurp(base):gsub("hidden = {16}", "hidden = {64, 64}"))
    local t = tune_file("asha_slow.lua", ([[space = {lr = T.loguniform(1e-4, 3e-1), wd = T.loguniform(1e-4, 1e-1)},
      method = T.asha{min_epochs = 1, max_epochs = 4, reduction = 2, trials = 8}, metric = "val_loss", seed = 2]]):gsub("", ""))
    sh.write(t, sh.slurp(t):gsub('config = "model.lua"', 'config = "slow.lua"'))
    assert.are.equal(0, (sh.lre("tune " .. t .. " --jobs 1 -q --dir " .. dir .. "/whole.run")))
    -- killed once a few jobs have ended
    sh.run("sh -c '" .. sh.bin .. " tune " .. t .. " --jobs 1 -q --dir " .. run .. " & pid=$!; "
      .. "while [ \"$(cat " .. run .. "/journal.jsonl 2>/dev/null | grep -c paused)\" -lt 4 ]; do sleep 0.01; done; "
      .. "kill -9 $pid; wait $pid'")
    local before = journal(run)
    assert.are_not.equal("done", before[#before].event)
    -- and the zeros a crash can leave at a file's end, a last line without its newline: dropped
    local jf = assert(io.open(run .. "/journal.jsonl", "ab"))
    jf:write(string.rep("\0", 4096))
    jf:close()
    local code, _, err = sh.lre("tune " .. t .. " --jobs 1 -q --dir " .. run)
    assert.are.equal(0, code, err)
    assert.are.equal(sh.slurp(dir .. "/whole.run/results.csv"), sh.slurp(run .. "/results.csv"))
    local after = journal(run)
    assert.are.equal(count(journal(dir .. "/whole.run"), "started"), count(after, "started"))
    assert.is_true(count(after, "restarted") <= 1)
  end)

  it("records a diverging trial as failed and goes on", function()
    local t = tune_file("fail.lua", [[space = {lr = T.choice{0.01, 1e6, 0.02}},
      method = T.grid{max_epochs = 2}, metric = "val_loss"]])
    local code, out, err = sh.lre("tune " .. t .. " --jobs 1 --dir " .. dir .. "/fail.run")
    assert.are.equal(0, code, err)
    assert.matches("failed%s+#2%s+at epoch %d+: loss", out)
    local res = json.decode(sh.slurp(dir .. "/fail.run/results.json"))
    assert.are.equal("failed", res.trials[3].status)
    assert.are.equal(2, res.trials[3].id)
    assert.are.equal("done", res.trials[1].status)
  end)

  it("refuses to resume a run directory of another search", function()
    local t = tune_file("other.lua", [[space = {lr = T.loguniform(1e-4, 1e-1)}, method = T.random{max_epochs = 1, trials = 1}]])
    local code, _, err = sh.lre("tune " .. t .. " -q --dir " .. run1)
    assert.are.equal(1, code)
    assert.matches("holds another search", err)
  end)

  it("runs PBT with exact forks and exports the winner's trajectory as a schedule that replays it", function()
    local t = tune_file("pbt.lua", [[space = {lr = T.loguniform(1e-3, 3e-1), wd = T.loguniform(1e-4, 1e-1)},
      method = T.pbt{population = 4, interval = 1, max_epochs = 4}, metric = "val_loss", seed = 3]])
    local run = dir .. "/pbt.run"
    local code, out, err = sh.lre("tune " .. t .. " --jobs 2 --dir " .. run)
    assert.are.equal(0, code, err)
    assert.matches("forked", out)
    local res = json.decode(sh.slurp(run .. "/results.json"))
    local traj = res.trajectory
    assert.is_table(traj)
    -- the rates the lineage's trials really used, from their metrics
    local used = {}
    for i, seg in ipairs(traj.segments) do
      local to = traj.segments[i + 1] and traj.segments[i + 1].from or 4
      local m = sh.slurp(string.format("%s/trials/%04d/metrics.jsonl", run, seg.trial))
      for line in m:gmatch("[^\n]+") do
        local d = json.decode(line)
        if d.epoch and d.step and not d.loss and d.epoch > seg.from and d.epoch <= to then used[d.epoch] = d.lr end
      end
    end
    local spe = traj.steps_per_epoch
    local c2, curve = sh.lre("plot " .. run .. "/pbt_schedule.lua --steps " .. 4 * spe .. " --format csv")
    assert.are.equal(0, c2)
    local lr = {}
    for step, v in curve:gmatch("\n(%d+),([^,\n]+)") do lr[tonumber(step)] = tonumber(v) end
    for epoch = 1, 4 do
      assert.are.equal(used[epoch], lr[epoch * spe - 1], "epoch " .. epoch)
    end
    assert.are.equal(0, (sh.lre("train " .. run .. "/best.lua --quiet")))
  end)

  it("seeds the rate's range with the range test's suggestion", function()
    local t = tune_file("findlr.lua", [[space = {lr = T.around_findlr{below = 4, above = 2, rule = "valley"}},
      method = T.random{max_epochs = 1, trials = 3}, findlr = {steps = 60}]])
    local run = dir .. "/findlr.run"
    local code, _, err = sh.lre("tune " .. t .. " -q --dir " .. run)
    assert.are.equal(0, code, err)
    local ev = journal(run)
    assert.are.equal("findlr", ev[2].event)
    local s = ev[2].suggestions.valley
    for _, e in ipairs(ev) do
      if e.event == "started" then assert.is_true(e.params.lr >= s / 4 and e.params.lr <= s * 2) end
    end
  end)
end)

describe("lrengine train --resume-hparams config", function()
  local full, part = dir .. "/f.ckpt", dir .. "/p.ckpt"
  local sched = sh.write(dir .. "/sched.lua", 'local P = ... or {}\nlocal S = require("lrengine").schedule\n'
    .. 'return {data = {source = "csv", train = "syn.csv", test = "syn.csv", validation = 300},'
    .. ' model = {kind = "mlp", hidden = {16}}, optimizer = {"adamw", lr = 0.01},'
    .. ' schedule = S.cosine{lr = P.lr or 0.01, t_max = 400}, epochs = 4, batch_size = 32, seed = 3}\n')

  it("continues a copied checkpoint bit for bit when the hyper-parameters are unchanged", function()
    assert.are.equal(0, (sh.lre("train " .. base .. " -q --checkpoint " .. full)))
    assert.are.equal(0, (sh.lre("train " .. base .. " -q --until 2 --checkpoint " .. part)))
    for _, how in ipairs{"--resume-hparams config", "--resume-hparams config --resume-config " .. base} do
      local fork = dir .. "/fork.ckpt"
      sh.write(fork, sh.slurp(part))
      local code, _, err = sh.lre("train " .. base .. " -q --resume " .. fork .. " --checkpoint " .. fork .. " " .. how)
      assert.are.equal(0, code, err)
      assert.are.equal(sh.slurp(full), sh.slurp(fork), how)
    end
  end)

  it("continues under another schedule given the config that wrote the checkpoint", function()
    local ck = dir .. "/s.ckpt"
    assert.are.equal(0, (sh.lre("train " .. sched .. " -q --until 2 --checkpoint " .. ck)))
    local other = sh.write(dir .. "/sched2.lua", sh.slurp(sched):gsub("P.lr or 0.01", "0.02"))
    local code, _, err = sh.lre("train " .. other .. " -q --resume " .. ck .. " --resume-hparams config")
    assert.are.equal(1, code)
    assert.matches("another schedule .*%-%-resume%-config", err)
    code, _, err = sh.lre("train " .. other .. " -q --resume " .. ck .. " --resume-hparams config --resume-config "
      .. sched .. " --metrics " .. dir .. "/s.jsonl")
    assert.are.equal(0, code, err)
    local first = json.decode(sh.slurp(dir .. "/s.jsonl"):match("[^\n]+"))
    -- the new cosine's rate at the step the run resumed from
    assert.are.near(0.02 * (1 + math.cos(math.pi * (first.step - 1) / 400)) / 2, first.lr, 1e-12)
    -- without the option the schedule is refused as before
    code, _, err = sh.lre("train " .. other .. " -q --resume " .. ck)
    assert.are.equal(1, code)
  end)

  it("stops after --until's epoch, checkpointed, the plan unchanged", function()
    local ck = dir .. "/u.ckpt"
    local code, out = sh.lre("train " .. sched .. " --until 1 --checkpoint " .. ck)
    assert.are.equal(0, code)
    assert.matches("epoch 1/4", out)
    assert.is_nil(out:match("epoch 2/4"))
    assert.is_nil(out:match("warning"))
  end)
end)

describe("examples/tune_own_loop.lua", function()
  it("searches a training loop of its own with ASHA and PBT", function()
    local code, out, err = sh.lre("run examples/tune_own_loop.lua")
    assert.are.equal(0, code, err)
    assert.matches("ASHA: best loss 0%.000%d+", out)
    assert.matches("PBT: best loss 0%.000%d+", out)
  end)
end)
