-- lrengine diff on runs: two metrics files (RUN.jsonl of train --metrics) or checkpoints with
-- theirs beside them, a schedule against a run, and the first event where two event logs differ;
-- lrengine explain on a checkpoint finding its run's metrics and event log beside it.
--
-- A metrics line of step s is written after the s-th update, which used the schedules' values
-- at step s - 1: diff keeps it at step s - 1 (the steps schedules and explain count from 0).
local sh = require "support.sh"
local synthetic_csv = require "support.synthetic"
local json = require "dkjson"

local dir = sh.tmpdir()
local function file(name, text) return sh.write(dir .. "/" .. name, text) end
local function diff(args)
  local code, out, err = sh.lre("diff " .. args)
  assert.are.equal(0, code, err)
  return out
end
local function diff_json(args) return json.decode(diff(args .. " --format json")) end
local function by_name(doc)
  local t = {}
  for _, s in ipairs(doc.schedules) do t[s.name] = s end
  return t
end

-- Two hand-made runs of 5 logged steps (metrics lines 1..5: steps 0..4), an epoch line between:
--   lr   A: .1 .1 .1 .05 .05     B: .1 .1 .1 .1 .0125
--   loss A: 2 1.5 1.2 1.0 0.9   B: 2 1.5 1.2 1.0 0.6
--   momentum 0.9 in both
-- lr: first differs at step 3 (A .05, B .1: ratio 2); at step 4 the ratio is .05/.0125 = 4, the largest.
-- loss: first differs at step 4 (0.9 against 0.6), ratio 1.5.
local function step_line(s, loss, lr)
  return ('{"step":%d,"epoch":%d,"loss":%.17g,"lr":%.17g,"momentum":0.9}\n'):format(s, s <= 3 and 1 or 2, loss, lr)
end
local A = file("A.jsonl", step_line(1, 2, .1) .. step_line(2, 1.5, .1) .. step_line(3, 1.2, .1) ..
  '{"epoch":1,"step":3,"train_loss":1.5,"val_loss":1,"val_acc":0.5,"lr":0.1,"seconds":0.1}\n' ..
  step_line(4, 1.0, .05) .. step_line(5, 0.9, .05))
local B = file("B.jsonl", step_line(1, 2, .1) .. step_line(2, 1.5, .1) .. step_line(3, 1.2, .1) ..
  step_line(4, 1.0, .1) .. step_line(5, 0.6, .0125))
-- their event logs: the same end of warm-up, then a plateau's cut at step 3 in A and 4 in B
local warm = '{"step":1,"event":"warmup_end","node":"lr/warmup","steps":1}\n'
local function cut(step) return ('{"step":%d,"epoch":2,"event":"plateau_reduce","node":"lr/plateau","metric":1,"scale":0.5}\n'):format(step) end
file("A.events.jsonl", warm .. cut(3))
file("B.events.jsonl", warm .. cut(4))

describe("lrengine diff of two runs", function()
  it("finds each hyper-parameter's and the loss's first differing step and largest ratio", function()
    local doc = diff_json(A .. " " .. B)
    assert.are.same({"run", "run", 5, 0, 4}, {doc.a_kind, doc.b_kind, doc.steps, doc.first_step, doc.last_step})
    local s = by_name(doc)
    assert.are.same({3, 0.05, 0.1, 4, 4, 0.05, 0.0125},
      {s.lr.first_difference, s.lr.a, s.lr.b, s.lr.largest_ratio, s.lr.largest_ratio_step, s.lr.a_there, s.lr.b_there})
    assert.is_nil(s.momentum.first_difference)
    assert.are.equal(1, s.momentum.largest_ratio)
    assert.are.same({4, 0.9, 0.6, 4}, {s.loss.first_difference, s.loss.a, s.loss.b, s.loss.largest_ratio_step})
    assert.are.near(1.5, s.loss.largest_ratio, 1e-15)
    local out = diff(A .. " " .. B)
    assert.matches("lr: first differs at step 3 %(A 0.05, B 0.1%); largest ratio 4 at step 4 %(A 0.05, B 0.0125%)", out)
    assert.matches("momentum: the same at every step", out)
    assert.matches("loss: first differs at step 4 %(A 0.9, B 0.6%); largest ratio 1.5 at step 4", out)
  end)

  it("names the first event where their logs differ, the reason they part", function()
    local doc = diff_json(A .. " " .. B)
    assert.are.same({2, 2, 1}, {doc.events.a_count, doc.events.b_count, doc.events.first_difference.index})
    assert.are.same({3, 4}, {doc.events.first_difference.a.step, doc.events.first_difference.b.step})
    assert.are.equal("plateau_reduce", doc.events.first_difference.b.event)
    local out = diff(A .. " " .. B)
    assert.matches("events: first differ at event #2 %(A: 2 events, .-A%.events%.jsonl; B: 2, .-B%.events%.jsonl%)", out)
    assert.matches("A +step 3 +epoch 2 +plateau_reduce +lr/plateau +metric=1 scale=0.5", out)
    assert.matches("B +step 4 +epoch 2 +plateau_reduce", out)
    -- the same logs, and one that ends early
    assert.is_nil(diff_json(A .. " " .. A).events.first_difference)
    assert.matches("events: the same 2 in both %(", diff(A .. " " .. A))
    file("C.jsonl", sh.slurp(A))
    file("C.events.jsonl", warm)
    doc = diff_json(A .. " " .. dir .. "/C.jsonl")
    assert.are.same({2, 1, 1}, {doc.events.a_count, doc.events.b_count, doc.events.first_difference.index})
    assert.is_nil(doc.events.first_difference.b)
    assert.matches("B none %(its events end after 1%)", diff(A .. " " .. dir .. "/C.jsonl"))
    -- a run without a log beside it: said, not guessed
    file("D.jsonl", sh.slurp(A))
    assert.matches("events: not compared: no event log beside .-D%.jsonl %(no .-D%.events%.jsonl%)",
      diff(A .. " " .. dir .. "/D.jsonl"))
  end)

  it("takes values within --tolerance as equal", function()
    -- E is A with step 1's rate (line 2) off by 1e-10 relatively
    local E = file("E.jsonl", (sh.slurp(A):gsub('"step":2,"epoch":1,"loss":1.5,"lr":0.10000000000000001',
      '"step":2,"epoch":1,"loss":1.5,"lr":0.10000000001')))
    assert.are.equal(1, by_name(diff_json(A .. " " .. E)).lr.first_difference)
    assert.is_nil(by_name(diff_json(A .. " " .. E .. " --tolerance 1e-9")).lr.first_difference)
    assert.are.equal(3, by_name(diff_json(E .. " " .. B .. " --tolerance 1e-9")).lr.first_difference)
  end)

  it("takes a diverged loss (nan, null) or an infinite value as a difference", function()
    local K = file("K.jsonl", (sh.slurp(A):gsub('"step":5,"epoch":2,"loss":0.90000000000000002', '"step":5,"epoch":2,"loss":nan')
      :gsub('"step":2,"epoch":1,"loss":1.5,"lr":0.10000000000000001', '"step":2,"epoch":1,"loss":1.5,"lr":1e999')))
    local s = by_name(diff_json(A .. " " .. K))
    assert.are.same({4, 0.9}, {s.loss.first_difference, s.loss.a})
    assert.is_nil(s.loss.b) -- JSON has no NaN: null
    assert.are.same({1, 1}, {s.lr.first_difference, s.lr.largest_ratio_step})
    assert.matches("lr: first differs at step 1 %(A 0.1, B inf%); largest ratio inf at step 1", diff(A .. " " .. K))
    local N = file("N.jsonl", (sh.slurp(A):gsub('"step":5,"epoch":2,"loss":0.90000000000000002', '"step":5,"epoch":2,"loss":null')))
    assert.are.equal(4, by_name(diff_json(A .. " " .. N)).loss.first_difference)
    assert.is_nil(by_name(diff_json(K .. " " .. K)).loss.first_difference)
  end)

  it("compares at the steps both log, a resumed run's later lines replacing the earlier ones", function()
    -- F logs every other step (lines 2 and 4: steps 1 and 3), where A has .1 and .05
    local F = file("F.jsonl", step_line(2, 1.5, .1) .. step_line(4, 1.0, .2))
    local doc = diff_json(A .. " " .. F)
    assert.are.same({2, 1, 3}, {doc.steps, doc.first_step, doc.last_step})
    assert.are.same({3, 4, 3}, {by_name(doc).lr.first_difference, by_name(doc).lr.largest_ratio, by_name(doc).lr.largest_ratio_step})
    -- G wrote B's lines, then was resumed from step 3 and wrote lines 4 and 5 again as A did:
    -- it now equals A at every step
    local G = file("G.jsonl", sh.slurp(B) .. step_line(4, 1.0, .05) .. step_line(5, 0.9, .05))
    doc = diff_json(A .. " " .. G)
    assert.are.equal(5, doc.steps)
    for _, s in ipairs(doc.schedules) do assert.is_nil(s.first_difference, s.name) end
    -- --steps N compares steps 0..N-1 only
    doc = diff_json(A .. " " .. B .. " --steps 4")
    assert.are.same({4, 3}, {doc.steps, by_name(doc).lr.largest_ratio_step})
  end)

  it("draws both curves on one chart at the steps compared", function()
    diff(A .. " " .. B .. " --output " .. dir .. "/ab.csv")
    local lines = {}
    for l in sh.slurp(dir .. "/ab.csv"):gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.are.equal(6, #lines)
    assert.matches("^step,lr %(A%),lr %(B%),momentum %(A%),momentum %(B%),loss %(A%),loss %(B%)$", lines[1])
    assert.matches("^4,0.05,0.0125,0.9,0.9,0.9,0.6$", lines[6])
    diff(A .. " " .. B .. " --output " .. dir .. "/ab.svg")
    assert.matches("<svg", sh.slurp(dir .. "/ab.svg"))
  end)
end)

describe("lrengine diff of a schedule and a run", function()
  it("replays the script over the run's steps", function()
    -- 0.1 up to step 3 included: A has .05 from step 3
    local s = file("s.lua", "return function(step) return step <= 3 and 0.1 or 0.05 end")
    local doc = diff_json(A .. " " .. s)
    assert.are.same({"run", "script", 5}, {doc.a_kind, doc.b_kind, doc.steps})
    assert.are.same({3, 0.05, 0.1, 2}, {doc.schedules[1].first_difference, doc.schedules[1].a, doc.schedules[1].b,
                                        doc.schedules[1].largest_ratio})
    assert.are.equal(1, #doc.schedules)
    -- its replay has no event; A's log has two
    assert.are.same({2, 0}, {doc.events.a_count, doc.events.b_count})
    assert.are.same({0, "warmup_end"}, {doc.events.first_difference.index, doc.events.first_difference.a.event})
    local out = diff(s .. " " .. A)
    assert.matches("A: .-s%.lua %(a schedule script, replayed over B's logged steps with 1 metric observed from", out)
    assert.matches("events: first differ at event #1 %(A: 0 events, replayed; B: 2, .-A%.events%.jsonl; the run's own events", out)
    assert.matches("momentum: only in B", out)
    assert.matches("loss: only in B", out)
  end)

  it("leaves the run's own events (a resume) out of the comparison with a replay", function()
    local J = file("J.jsonl", sh.slurp(A))
    file("J.events.jsonl", '{"step":2,"epoch":1,"event":"resume","node":"run","op":"exact","checkpoint":"j.ckpt"}\n' .. warm)
    local s = file("w.lua", "return require 'lrengine'.schedule.warmup{require 'lrengine'.schedule.constant{lr = 0.1}, steps = 1}")
    local doc = diff_json(s .. " " .. J)
    assert.are.same({1, 1}, {doc.events.a_count, doc.events.b_count})
    assert.is_nil(doc.events.first_difference)
    -- between two runs it is an event like any other
    assert.are.equal("resume", diff_json(A .. " " .. J).events.first_difference.b.event)
  end)

  it("leaves out a log's events that a resume to an earlier step abandoned", function()
    -- H ran on to B's cut at step 4, then went back to its checkpoint at step 2 and cut at 3 as A;
    -- I was resumed at step 2 with nothing abandoned: both logs tell the same run
    local resume = '{"step":2,"epoch":1,"event":"resume","node":"run","op":"exact","checkpoint":"h.ckpt"}\n'
    local H, I = file("H.jsonl", sh.slurp(A)), file("I.jsonl", sh.slurp(A))
    file("H.events.jsonl", warm .. cut(4) .. resume .. cut(3))
    file("I.events.jsonl", warm .. resume .. cut(3))
    local doc = diff_json(H .. " " .. I)
    assert.are.same({3, 3}, {doc.events.a_count, doc.events.b_count})
    assert.is_nil(doc.events.first_difference)
    -- the abandoned cut at 4 is what differs from a log that kept it after the resume
    file("I.events.jsonl", warm .. resume .. cut(3) .. cut(4))
    doc = diff_json(H .. " " .. I)
    assert.are.same({3, 4}, {doc.events.a_count, doc.events.b_count})
    assert.are.equal(4, doc.events.first_difference.b.step)
  end)

  it("feeds a plateau the run's epoch metrics: val_loss observed at its step", function()
    -- A's epoch line at step 3 has val_loss 1; a plateau with patience 0 cuts only after a second,
    -- worse observation, so the replay stays at 0.1 over the 5 steps: first differs at 3
    local s = file("p.lua", "return require 'lrengine'.schedule.plateau{lr = 0.1, patience = 0}")
    local doc = diff_json(A .. " " .. s)
    assert.are.equal(3, doc.schedules[1].first_difference)
    assert.are.equal(0.1, doc.schedules[1].b)
  end)
end)

describe("lrengine diff on two trainings differing in a plateau's patience", function()
  synthetic_csv(dir .. "/syn.csv", 400, 1)
  -- 360 training rows of 20: 18 steps an epoch, 5 epochs; threshold 0.9 makes every epoch
  -- after the first a bad one, so patience 0 cuts after epoch 2 (step 36) and patience 1 after
  -- epoch 3 (step 54)
  local function cfg(p)
    return file("p" .. p .. ".lua", ([[
local S = require "lrengine".schedule
return {
  data = {source = "csv", train = "syn.csv", test = "syn.csv", validation = 40},
  model = {kind = "softmax"},
  optimizer = {"sgd", lr = 0.1, momentum = 0.9},
  schedule = S.plateau{lr = 0.1, factor = 0.5, patience = %d, threshold = 0.9},
  observe = "val_loss",
  epochs = 5, batch_size = 20, log_every = 1, seed = 3,
}]]):format(p))
  end
  local c0, c1 = cfg(0), cfg(1)
  setup(function()
    for p, c in pairs{[0] = c0, [1] = c1} do
      local code, _, err = sh.lre(("train %s --quiet --metrics %s/p%d.jsonl --checkpoint %s/p%d.ckpt"):format(c, dir, p, dir, p))
      assert.are.equal(0, code, err)
    end
  end)

  it("parts at patience 0's first cut, the loss one step later, and names that cut", function()
    local doc = diff_json(dir .. "/p0.jsonl " .. dir .. "/p1.jsonl")
    local s = by_name(doc)
    assert.are.same({90, 36, 0.05, 0.1}, {doc.steps, s.lr.first_difference, s.lr.a, s.lr.b})
    -- the cuts: A at 36, 54, 72 (x 1/8 at 72), B at 54 (x 1/2 to 89): the largest ratio 4 from 72
    assert.are.same({4, 72}, {s.lr.largest_ratio, s.lr.largest_ratio_step})
    -- the update of step 36 is the first with another rate; its effect is the next step's loss
    assert.are.equal(37, s.loss.first_difference)
    local ev = doc.events.first_difference
    assert.are.same({0, "plateau_reduce", 36, 54}, {ev.index, ev.a.event, ev.a.step, ev.b.step})
  end)

  it("takes a checkpoint for its run's metrics beside it, and says what is missing", function()
    local doc = diff_json(dir .. "/p0.ckpt " .. dir .. "/p1.jsonl")
    assert.are.same({"checkpoint", dir .. "/p0.jsonl"}, {doc.a_kind, doc.a_metrics})
    assert.are.equal(36, by_name(doc).lr.first_difference)
    os.execute("mkdir -p " .. dir .. "/lone && cp " .. dir .. "/p0.ckpt " .. dir .. "/lone/x.ckpt")
    local code, _, err = sh.lre("diff " .. dir .. "/lone/x.ckpt " .. dir .. "/p1.jsonl")
    assert.are.equal(1, code)
    assert.matches("x%.ckpt is a checkpoint: diff compares its run's metrics, and there is none beside it %(no .-lone/x%.jsonl%)", err)
  end)

  it("replays a config with the run's metrics to the run's own rates", function()
    local doc = diff_json(c0 .. " " .. dir .. "/p0.jsonl")
    assert.are.same({"config", 90}, {doc.a_kind, doc.steps})
    assert.is_nil(doc.schedules[1].first_difference)
    -- its events too, up to the last step compared (89: the log's cut at 90 is after it)
    assert.are.same({3, 3}, {doc.events.a_count, doc.events.b_count})
    assert.is_nil(doc.events.a_log)
    assert.is_nil(doc.events.first_difference)
    -- patience 1's plan replayed on patience 0's metrics: it parts where the run cut, and says why
    doc = diff_json(c1 .. " " .. dir .. "/p0.jsonl")
    assert.are.equal(36, doc.schedules[1].first_difference)
    assert.are.same({0, 54, 36}, {doc.events.first_difference.index, doc.events.first_difference.a.step,
                                  doc.events.first_difference.b.step})
  end)

  it("explain finds the checkpoint's metrics and event log beside it for an earlier step, and says so", function()
    local code, out, err = sh.lre("explain " .. dir .. "/p0.ckpt --config " .. c0 .. " --step 40")
    assert.are.equal(0, code, err)
    assert.matches("found beside .-p0%.ckpt, and used: .-p0%.jsonl %(its run's metrics%), .-p0%.events%.jsonl %(its event log%)", out)
    local doc = json.decode((select(2, sh.lre("explain " .. dir .. "/p0.ckpt --config " .. c0 .. " --step 40 --format json"))))
    assert.are.same({dir .. "/p0.jsonl", dir .. "/p0.events.jsonl"}, {doc.found_beside.metrics, doc.found_beside.events})
    local given = json.decode((select(2, sh.lre("explain " .. c0 .. " --metrics " .. dir .. "/p0.jsonl --step 40 --format json"))))
    assert.are.equal(0.05, doc.schedules[1].value)
    assert.are.same(given.schedules, doc.schedules)
    assert.are.same(given.events, doc.events)
    -- nothing beside it: what is missing, exactly
    code, _, err = sh.lre("explain " .. dir .. "/lone/x.ckpt --config " .. c0 .. " --step 40")
    assert.are.equal(1, code)
    assert.matches("x%.ckpt holds the state at step 90, after step 40, and its run's metrics are not beside it " ..
                   "%(no .-lone/x%.jsonl; a checkpoint does not record where its run wrote them%): give them with " ..
                   "%-%-metrics RUN%.jsonl", err)
  end)
end)

describe("lrengine diff reads hostile metrics files", function()
  it("names the file and line of what it cannot read, and never crashes", function()
    local long = '{"step":1,"loss":1,"lr":0.1,"x":"' .. ("a"):rep(70000) .. '"}\n'
    local many = {}
    for i = 1, 11 do many[#many + 1] = ('"h%d":1'):format(i) end
    local cases = {
      {'{"step":1,"loss":1,"lr":0.1}\nnot json\n', "H.jsonl:2: not a flat JSON object"},
      {'{"step":1.5,"loss":1,"lr":0.1}\n', 'H.jsonl:1: expected a whole "step" >= 0'},
      {'{"loss":1,"lr":0.1}\n', 'H.jsonl:1: expected a whole "step" >= 0'},
      {'{"step":0,"loss":1,"lr":0.1}\n', 'H.jsonl:1: a step line needs a number "loss" and a "step" >= 1'},
      {'{"step":1,"loss":"x","lr":0.1}\n', 'H.jsonl:1: a step line needs a number "loss"'},
      {'{"step":1,"loss":1,"lr":{"a":1}}\n', "H.jsonl:1: not a flat JSON object"},
      {'\n' .. long, "H.jsonl:2: a line longer than 65536 bytes"},
      {'{"epoch":1,"step":3,"val_loss":1}\n', "H.jsonl: no step line"},
      {'{"step":1,"loss":1,' .. table.concat(many, ",") .. '}\n', "H.jsonl:1: more than 9 hyper-parameters ('h10')"},
      {"\1\2\255\254{{{\n", "H.jsonl:1: not a flat JSON object"},
      {'{"step":1,"loss":1,"lr":0.1}\n{"step":2,"loss":1,\0"lr":0.1}\n', "H.jsonl:2: a NUL byte"},
    }
    for _, case in ipairs(cases) do
      local h = file("H.jsonl", case[1])
      local code, _, err = sh.lre("diff " .. A .. " " .. h)
      assert.are.equal(1, code, case[2])
      assert.is_truthy(err:find(case[2], 1, true), err)
      assert.is_falsy(err:find("Sanitizer", 1, true), err)
    end
  end)

  it("bounds what it reads and replays", function()
    -- a step far away: a schedule is not replayed to it, and no step is in common with A
    local h = file("H.jsonl", '{"step":900000000000,"loss":1,"lr":0.1}\n')
    local code, _, err = sh.lre("diff " .. dir .. "/s.lua " .. h)
    assert.are.equal(1, code)
    assert.matches("H%.jsonl logs step 900000000000: a schedule is replayed over at most 1e8 steps; give %-%-steps N", err)
    code, _, err = sh.lre("diff " .. A .. " " .. h)
    assert.are.equal(1, code)
    assert.matches("have no logged step in common %(A: steps 0 to 4, B: 899999999999 to 899999999999%)", err)
    -- a hostile event log: its line named
    file("I.jsonl", sh.slurp(A))
    file("I.events.jsonl", warm .. '{"step":2}\n')
    code, _, err = sh.lre("diff " .. A .. " " .. dir .. "/I.jsonl")
    assert.are.equal(1, code)
    assert.matches("I%.events%.jsonl:2: not an event", err)
    code, _, err = sh.lre("diff " .. A .. " " .. B .. " --metrics " .. A)
    assert.are.equal(2, code)
    assert.matches("%-%-metrics is for a schedule compared with a run", err)
  end)
end)
