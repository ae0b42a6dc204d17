-- Hostile input: what lrengine promises ("scripts run sandboxed and
-- bounded", "bad input gets a clear error and nothing is lost") must hold
-- against a user who tries hard to break it. Every case runs in a process
-- of its own (the binary, or lua5.4 with the module), in a fresh empty
-- directory, under timeout and /usr/bin/time, and must end with
--   the exit code (1: a failure), a message naming what was refused and
--   where, in under 10 s, under 512 MB, nothing written in its directory
--   (save the files it made itself), and, for in-process cases, the engine
--   still usable in the same process afterwards.
-- The cases run in parallel before the checks (setup), so the whole spec
-- takes about as long as its slowest few cases.
local sh = require "support.sh"

local ROOT = assert(io.popen("pwd")):read("l")
local BUILD = sh.build:sub(1, 1) == "/" and sh.build or ROOT .. "/" .. sh.build
local BIN = BUILD .. "/bin/lrengine"
local FIXTURES = ROOT .. "/spec/fixtures/hostile"
local TIME = io.open("/usr/bin/time") and "/usr/bin/time" or nil
local MAX_KB = 512 * 1024
local MAX_SECONDS = 10

-- What module cases (lua5.4 with the module) and `lrengine run` cases start
-- with: `hostile(f)` runs the attack in a protected call, which must fail,
-- then shows the engine still works in this process, then re-raises the
-- refusal (exit 1 with its message).
local PRELUDE = [[
local lre = require "lrengine"
local S = lre.schedule
local function usable()
  local w, g = lre.tensor({1, 2}), lre.tensor({1, 1})
  local o = lre.optim.sgd{params = w, grads = g, lr = S.warmup{S.cosine{lr = 0.5, t_max = 10}, steps = 1}}
  o:step() o:step()
  assert(w[1] == 0.5 and w[2] == 1.5, "the engine computes wrong results after the attack")
  assert(S.custom(function(t) return t end):at(3) == 3)
  print("usable")
end
local function hostile(f, ...)
  local ok, err = pcall(f, ...)
  if ok then error("the attack was not refused", 0) end
  usable()
  error(err, 0)
end
]]
local MODULE_PATHS = string.format("package.path = %q; package.cpath = %q", ROOT .. "/lua/?.lua;" .. ROOT ..
  "/lua/?/init.lua", BUILD .. "/?.so")

-- A training config on a tiny CSV (d.csv, made by the case) with `extra`
-- fields; train cases ask for a checkpoint and a metrics file, which must
-- not appear.
local function config(extra)
  return [[
local lre = require "lrengine"
local S = lre.schedule
return {
  data = {source = "csv", train = "d.csv", test = "d.csv", validation = 4},
  model = {kind = "softmax"}, optimizer = {"sgd", lr = 0.1}, epochs = 2, batch_size = 4,
]] .. extra .. "\n}\n"
end
local CSV = {"label,a,b"}
for i = 1, 24 do CSV[#CSV + 1] = string.format("%d,%d,%d", i % 2, i, -i) end
CSV = table.concat(CSV, "\n") .. "\n"

local cases = {}
-- case{class, name, kind, script, expect [, code, where, stdout, args, sparse, leaks]}
--   kind: check, plot, train, run (the binary) or lua (lua5.4 and the module)
--   expect: a Lua pattern the message (stderr) must match; the script's file
--   name (hostile.lua) must appear in it too unless where = false
--   code: the exit code (1); stdout: text the output must hold ("usable")
--   args: train's options; sparse: the script is a sparse file of that size
--   leaks: LeakSanitizer on (in the sanitized build); files: more files the case starts with
--   ({name = bytes}), which must stay as they were
local function case(c) cases[#cases + 1] = c end

-------------------------------------------------------------------------------
-- 1. Use after close and re-entrancy: a schedule's callback reaching back
-- into the optimizer running it, closed objects, coroutines.
-------------------------------------------------------------------------------
local function reenter(name, body, expect, kind)
  case{class = 1, kind = kind or "run", name = name, expect = expect or "optimizer is running a step", stdout = "usable",
       script = PRELUDE .. [[
local opt
opt = lre.optim.sgd{params = lre.tensor(2), grads = lre.tensor(2), lr = function(step, ctx) ]] .. body .. [[ return 0.1 end}
hostile(opt.step, opt)
]]}
end
reenter("a callback closes the optimizer running it", "opt:close()")
reenter("a callback steps the optimizer running it", "opt:step()")
reenter("a callback observes a metric on the optimizer running it", "opt:observe(1)")
reenter("a callback saves the optimizer running it", "opt:save()")
reenter("a callback loads the optimizer running it", "opt:load('x')")
reenter("a callback replaces its own schedule", "opt:set('lr', function() return 1 end)")
reenter("a callback sets its hyper-parameter to a number", "opt:set('lr', 0.5)")
reenter("a callback reads the schedule driving it", "opt:schedule('lr'):close()")
reenter("a callback closes the optimizer, in plain Lua with the module", "opt:close()", nil, "lua")
reenter("a callback replaces its own schedule, in plain Lua with the module", "opt:set('lr', 2)", nil, "lua")
reenter("a callback closes the optimizer from a coroutine", "coroutine.wrap(function() opt:close() end)()")
reenter("a callback closes the optimizer inside a sandboxed script", "opt:close()", nil, "check")
case{class = 1, kind = "run", name = "a callback resumes a coroutine that steps the same optimizer", stdout = "usable",
     expect = "optimizer is running a step", script = PRELUDE .. [[
local opt
local co = coroutine.create(function() opt:step() end)
opt = lre.optim.sgd{params = lre.tensor(1), grads = lre.tensor(1), lr = function()
  local ok, err = coroutine.resume(co)
  if not ok then error(err, 0) end
  return 0.1
end}
hostile(opt.step, opt)
]]}
case{class = 1, kind = "run", name = "a schedule yields from a coroutine that then dies", stdout = "usable",
     expect = "attempt to yield across a C%-call boundary", script = PRELUDE .. [[
local opt = lre.optim.adam{params = lre.tensor(3), grads = lre.tensor({1, 2, 3}), lr = function() coroutine.yield() return 0.1 end}
local co = coroutine.create(function() opt:step() end)
local ok, err = coroutine.resume(co)
assert(not ok and coroutine.status(co) == "dead")
collectgarbage() collectgarbage()
hostile(function() local ok2, err2 = coroutine.resume(coroutine.create(function() opt:step() end)) assert(ok2, err2) error(err, 0) end)
]]}
case{class = 1, kind = "run", name = "an optimizer made in a dead coroutine is stepped, then used after close",
     stdout = "usable", expect = "optimizer is closed", script = PRELUDE .. [[
local opt
local co = coroutine.wrap(function()
  opt = lre.optim.adam{params = lre.tensor(3), grads = lre.tensor({1, 2, 3}), lr = S.custom(function(t) return 0.01 end)}
  error("dies")
end)
pcall(co)
collectgarbage() collectgarbage()
assert(opt:step())
opt:close()
hostile(opt.step, opt)
]]}
case{class = 1, kind = "lua", name = "a schedule closed by to-be-closed scope exit is evaluated", stdout = "usable",
     expect = "schedule is closed", script = PRELUDE .. [[
local kept
do
  local s <close> = S.cosine{lr = 1, t_max = 10}
  kept = s
end
hostile(kept.at, kept, 1)
]]}
case{class = 1, kind = "run", name = "a schedule closes itself inside its own evaluation, then is evaluated again",
     stdout = "usable", expect = "schedule is closed", script = PRELUDE .. [[
local s
s = S.custom(function(t) s:close() collectgarbage() return 0.5 end)
assert(s:at(1) == 0.5)
hostile(s.at, s, 2)
]]}
case{class = 1, kind = "run", name = "a schedule evaluates itself recursively", stdout = "usable",
     expect = "schedules called inside one another more than 64 deep", script = PRELUDE .. [[
local s
s = S.custom(function(t) return s:at(t + 1) end)
hostile(s.curve, s, 3)
]]}
case{class = 1, kind = "check", name = "a sandboxed schedule evaluates itself through a warmup", where = true,
     expect = "schedules called inside one another more than 64 deep", script = [[
local S = require("lrengine").schedule
local s
s = S.warmup{S.custom(function(t) return s:at(t) end), steps = 3}
return s
]]}
case{class = 1, kind = "run", name = "a table schedule's observe observes the optimizer running it", stdout = "usable",
     expect = "optimizer is observing a metric", script = PRELUDE .. [[
local opt
opt = lre.optim.sgd{params = lre.tensor(1), grads = lre.tensor(1),
  lr = {at = function() return 0.1 end, observe = function(self, m) opt:observe(m) end}}
hostile(opt.observe, opt, 1.5)
]]}

-------------------------------------------------------------------------------
-- 2. Sizes that overflow, and lengths that lie.
-------------------------------------------------------------------------------
local function size(name, body, expect)
  case{class = 2, kind = "check", name = name, expect = expect, script = "local lre = require 'lrengine'\n" .. body}
end
-- a curve is charged to the instruction budget by its length before its buffer is allocated
size("curve of 1e8 steps", "lre.schedule.cosine{lr = 1, t_max = 9}:curve(1e8) return 0.1",
     "instruction budget of 10000000 per call exceeded")
size("curve of 2^53 steps", "lre.schedule.cosine{lr = 1, t_max = 9}:curve(2^53) return 0.1", "number of steps must be in %[0, 1e8%]")
size("curve of -1 steps", "lre.schedule.cosine{lr = 1, t_max = 9}:curve(-1) return 0.1", "number of steps must be in %[0, 1e8%]")
size("a tensor of 2^40 elements", "return lre.tensor(2^40)", "memory limit of 67108864 bytes exceeded")
size("a tensor of a negative size", "return lre.tensor(-1)", "size must be >= 0")
size("a tensor from a list whose __len says 2^62", "return lre.tensor(setmetatable({}, {__len = function() return 2^62 end}))",
     "tensor of .* elements is too large")
size("a tensor from a list whose __len is negative", "return lre.tensor(setmetatable({}, {__len = function() return -5 end}))",
     "a list with a negative length")
size("milestones whose __len says 2^60",
     "return lre.schedule.multistep{lr = 1, milestones = setmetatable({}, {__len = function() return 2^60 end})}",
     "milestones has a bad length")
size("milestones whose __len says 1e7 and __index answers every index",
     "return lre.schedule.multistep{lr = 1, milestones = setmetatable({}, {__len = function() return 1e7 end, __index = function(_, i) return i end})}",
     "memory limit of 67108864 bytes exceeded")
size("betas whose __len says 2^62",
     "return lre.optim.adam{params = lre.tensor(1), grads = lre.tensor(1), betas = setmetatable({}, {__len = function() return 2^62 end})} and 0.1",
     "betas has a bad length")
size("threads = 1e9", "lre.optim.sgd{params = lre.tensor(1), grads = lre.tensor(1), lr = 0.1, threads = 1e9} return 0.1",
     "threads must be a whole number in %[0, 1024%]")
size("steps_per_epoch = -1", "lre.optim.sgd{params = lre.tensor(1), grads = lre.tensor(1), lr = 0.1, steps_per_epoch = -1} return 0.1",
     "steps_per_epoch must be a whole number")
size("total_steps = 2^64", "lre.optim.sgd{params = lre.tensor(1), grads = lre.tensor(1), lr = 0.1, total_steps = 2^64} return 0.1",
     "total_steps must be a whole number")
size("200 000 parameter groups", [[
local g = {}
for i = 1, 2e5 do g[i] = {params = lre.tensor(1), grads = lre.tensor(1)} end
lre.optim.sgd{lr = 0.1, table.unpack(g)}
return 0.1]], "memory limit of 67108864 bytes exceeded")
size("one 1M-element tensor as the params of 1000 groups", [[
local grp = {params = lre.tensor(1e6, "f32"), grads = lre.tensor(1e6, "f32")}
local g = {} for i = 1, 1000 do g[i] = grp end
lre.optim.sgd{lr = 0.1, table.unpack(g)}
return 0.1]], "group 2: its params are in another group too")
size("a list of groups whose __len says 2^62",
     "lre.optim.sgd(setmetatable({lr = 0.1}, {__len = function() return 2^62 end})) return 0.1", "group 1 is not a table")
size("64 inner schedules, then a 65th",
     "local k = {} for i = 1, 65 do k[i] = 0.1 end return lre.schedule.max(k)", "too many inner schedules")
size("string.rep of 2^40 bytes", "return #string.rep('x', 2^40)", "resulting string too large")
size("string.rep of 2^30 bytes", "return #string.rep('x', 2^30)", "memory limit of 67108864 bytes exceeded")

-------------------------------------------------------------------------------
-- 3. Script state that is not a tree, or too deep; damaged saved state.
-------------------------------------------------------------------------------
local function state(name, setup, expect, kind)
  case{class = 3, kind = kind or "check", name = name, expect = expect, script = [[
local lre = require "lrengine"
local s = lre.schedule.custom({state = {}, at = function(self, step, ctx)
  local st = ctx.state
  ]] .. setup .. [[
  return 0.1
end})
s:at(0)
s:save()
return s
]]}
end
state("ctx.state with a cycle", "st.me = st", "state%.me: this table appears twice in the state")
state("a table reachable twice from ctx.state", "local t = {} st.a, st.b = t, t", "state%.b: this table appears twice in the state")
state("a cycle two levels down", "st.a = {b = {}} st.a.b.c = st.a", "state%.a%.b%.c: this table appears twice")
state("ctx.state nested 70 deep", "local t = st for i = 1, 70 do t.x = {} t = t.x end",
      "state%.x%.x.-: tables nested more than 64 deep")
state("a function in ctx.state", "st.f = print", "state%.f: can not save a function")
state("a tensor in ctx.state", "st.t = lre.tensor(1)", "state%.t: can not save a userdata")
state("a table as a key of ctx.state", "st[{}] = 1", "state: can not save a table with a table key")
case{class = 3, kind = "run", name = "a damaged saved state (every byte changed in turn, and cut short) is refused",
     stdout = "usable", expect = "state", script = PRELUDE .. [[
local function mk() return S.custom({state = {}, at = function(self, step, ctx)
  local t = ctx.state for i = 1, 10 do t.x = t.x or {n = i, s = "abc"} t = t.x end
  return 0.1 end}) end
local a, b = mk(), mk()
a:at(0)
local bytes = a:save()
local before = b:save()
for i = 1, #bytes do
  local c = bytes:sub(1, i - 1) .. string.char((bytes:byte(i) + 1) % 256) .. bytes:sub(i + 1)
  assert(not pcall(b.load, b, c), "a damaged state loaded: byte " .. i)
  assert(not pcall(b.load, b, bytes:sub(1, i - 1)), "a truncated state loaded: " .. i .. " bytes")
end
assert(b:save() == before, "a refused load changed the schedule")
hostile(b.load, b, bytes:sub(1, 20))
]]}
case{class = 3, kind = "run", name = "a damaged optimizer state with averaged weights and eval mode (every byte changed, cut short) is refused",
     stdout = "usable", expect = "state is truncated", script = PRELUDE .. [[
local function mk()
  local w, g = lre.tensor({1, 2, 3}), lre.tensor({0.5, -1, 2})
  return lre.optim.sgd_schedulefree{params = w, grads = g, lr = 0.1, warmup_steps = 2,
    average = {kind = "ema", decay = 0.9, warmup = true}}
end
local a, b = mk(), mk()
for _ = 1, 3 do a:step() end
a:eval()
local bytes = a:save()
local before = b:save()
for i = 1, #bytes do
  local c = bytes:sub(1, i - 1) .. string.char((bytes:byte(i) + 1) % 256) .. bytes:sub(i + 1)
  assert(not pcall(b.load, b, c), "a damaged state loaded: byte " .. i)
  assert(not pcall(b.load, b, bytes:sub(1, i - 1)), "a truncated state loaded: " .. i .. " bytes")
end
assert(b:save() == before, "a refused load changed the optimizer")
assert(b:load(bytes) and b:mode() == "eval", "the eval mode was not restored")
hostile(b.load, b, bytes:sub(1, 60))
]]}
case{class = 3, kind = "lua", name = "every damaged byte of a Muon and a Prodigy state is refused, under either hparams side",
     stdout = "usable", expect = "another shape", script = PRELUDE .. [[
-- shapes (a matrix group's rows and cols), Prodigy's optimizer-wide d, d_max, N, dlr, k
local function mk(kind, rows)
  return lre.optim[kind]{{params = lre.tensor(rows, 6 // rows), grads = lre.tensor({1, -2, 0.5, 3, -1, 2})},
                         {params = lre.tensor({1, 2}), grads = lre.tensor({0.5, 1})}, nonfinite = "skip"}
end
for _, kind in ipairs{"muon", "prodigy"} do
  local a, b = mk(kind, 2), mk(kind, 2)
  for _ = 1, 3 do a:step() end
  local bytes, before = a:save(), b:save()
  for i = 1, #bytes do
    local c = bytes:sub(1, i - 1) .. string.char((bytes:byte(i) + 1) % 256) .. bytes:sub(i + 1)
    assert(not pcall(b.load, b, c), kind .. ": a damaged state loaded: byte " .. i)
    assert(not pcall(b.load, b, c, {hparams = "current"}), kind .. ": a damaged state loaded (current): byte " .. i)
    assert(not pcall(b.load, b, bytes:sub(1, i - 1)), kind .. ": a truncated state loaded: " .. i .. " bytes")
  end
  assert(b:save() == before, kind .. ": a refused load changed the optimizer")
  assert(b:load(bytes) and b:save() == bytes, kind .. ": the state does not round-trip")
end
local a, tall = mk("muon", 2), mk("muon", 3) -- 2 x 3 against 3 x 2: the same size
a:step()
hostile(tall.load, tall, a:save())
]]}
case{class = 3, kind = "lua", name = "an optimizer state saved under another averaging rule is refused", stdout = "usable",
     expect = "another averaging rule", script = PRELUDE .. [[
local function mk(average)
  return lre.optim.adamw{params = lre.tensor({1, 2}), grads = lre.tensor({1, 1}), average = average}
end
local a, b = mk({kind = "ema", decay = 0.99}), mk({kind = "swa", start = 1})
a:step()
hostile(b.load, b, a:save())
]]}
-- An optimizer's spike-guard section (optim_clip.c: the tag "CLIP", then
-- u32 kind, f64 norm_type, bound, eps, coef, u64 schedule fingerprint, u32
-- rule, on_loss, f64 z, max, u64 window, warmup, max_skips, count, pos,
-- skips, run, then count f64 values) altered behind a recomputed CRC-32
-- (zlib's, computed here), so that the checks behind the checksum answer.
local function guard_state(name, patch, expect)
  case{class = 3, kind = "lua", name = name, stdout = "usable", expect = expect, script = PRELUDE .. [[
local function crc32(s)
  local c = 0xffffffff
  for i = 1, #s do
    c = c ~ s:byte(i)
    for _ = 1, 8 do c = (c >> 1) ~ (0xedb88320 & -(c & 1)) end
  end
  return c ~ 0xffffffff
end
local function mk()
  return lre.optim.sgd{params = lre.tensor(2), grads = lre.tensor({1, 1}), lr = 0.1,
    guard = {"zscore", window = 4, warmup = 2}}
end
local a, b = mk(), mk()
for _ = 1, 3 do a:step() end
local bytes = a:save()
local at = assert(bytes:find("CLIP", 1, true), "no guard section") + 4
local function put(s, off, fmt, v) local x = string.pack(fmt, v) return s:sub(1, off - 1) .. x .. s:sub(off + #x) end
local body = bytes:sub(1, -5)
assert(string.unpack("<I4", bytes, #bytes - 3) == crc32(body), "the CRC computed here is not the stream's")
]] .. patch .. [[
local before = b:save()
local ok = pcall(b.load, b, body .. string.pack("<I4", crc32(body)))
assert(b:save() == before, "a refused load changed the optimizer")
hostile(b.load, b, body .. string.pack("<I4", crc32(body)))
]]}
end
guard_state("a spike guard's saved skips beyond the skipped steps", "body = put(body, at + 108, '<I8', 1000)",
            "guard counts: 1000 skipped")
guard_state("a spike guard's saved window holding a NaN", "body = put(body, at + 124, '<d', 0/0)",
            "guard window value 0 is")
guard_state("a spike guard's saved window fuller than its size", "body = put(body, at + 92, '<I8', 5)",
            "guard window: 5 values")
guard_state("a spike guard's saved settings changed (z)", "body = put(body, at + 52, '<d', 1)",
            "a guard with other settings")
guard_state("a spike guard's saved run of skips beyond max_skips", "body = put(body, at + 116, '<I8', 11)",
            "guard counts")
case{class = 3, kind = "lua", name = "the state of another schedule is refused", stdout = "usable",
     expect = "bad argument #2 to 'load'", script = PRELUDE .. [[
local a = S.custom({state = {x = 1}, at = function() return 1 end}, "a")
local b = S.plateau{S.cosine{lr = 1, t_max = 5}}
hostile(b.load, b, a:save())
]]}
case{class = 3, kind = "check", name = "the deepest accepted state round-trips; one level more is refused",
     expect = "tables nested more than 64 deep", script = [[
local lre = require "lrengine"
local function mk(depth)
  return lre.schedule.custom({state = {}, at = function(self, step, ctx)
    local t = ctx.state
    for i = 1, depth do t.x = t.x or {} t = t.x end
    t.leaf = step
    return 0.1
  end})
end
local a, b = mk(63), mk(0)
a:at(7)
b:load(a:save())
assert(b:save() == a:save(), "the round trip changed the state")
local c = mk(64)
c:at(1)
c:save()
return 0.1
]]}

-------------------------------------------------------------------------------
-- 4. Limits a script can catch: pcall and xpcall must not swallow them, and
-- error values must not run user code while the host reports them.
-------------------------------------------------------------------------------
local BUDGET = "instruction budget of 10000000 per call exceeded"
local MEMORY = "memory limit of 67108864 bytes exceeded"
local function caught(name, script, expect)
  case{class = 4, kind = "check", name = name, expect = expect, script = script}
end
caught("pcall around an endless loop, retried forever",
       "while true do pcall(function() while true do end end) end", BUDGET)
caught("while true do pcall(f) end with an f that errors", "local function f() error('x') end while true do pcall(f) end",
       BUDGET)
caught("pcall nested 150 deep around an endless loop", [[
local function nest(n) if n == 0 then while true do end end return pcall(nest, n - 1) end
while true do nest(150) end]], BUDGET)
caught("xpcall whose handler loops forever", "while true do xpcall(function() while true do end end, function() while true do end end) end", BUDGET)
caught("xpcall whose handler calls xpcall again", [[
local function h() return select(2, xpcall(error, h)) end
while true do xpcall(function() while true do end end, h) end]], BUDGET)
caught("pcall around the memory cap, then allocating again", [[
local t = {}
while true do pcall(function() t[#t + 1] = string.rep("x", 2^20) end) end]], MEMORY)
caught("pcall(string.rep, 'x', 2^30) in a loop", "while true do pcall(string.rep, 'x', 2^30) end", MEMORY)
caught("an error value whose __tostring loops", [[
return function() error(setmetatable({}, {__tostring = function() while true do end end})) end]],
       "error object is a table value")
caught("an error value whose __index and __concat loop", [[
local loop = function() while true do end end
error(setmetatable({}, {__index = loop, __concat = loop, __name = "x", __len = loop}))]], "error object is a table value")
caught("a to-be-closed variable whose __close loops after the budget runs out", [[
local t <close> = setmetatable({}, {__close = function() while true do end end})
while true do end]], BUDGET)
caught("an error message of 20 MB", "error(string.rep('x', 2e7))", "hostile.lua:1: xxxxxxxx")
caught("error(nil) from a schedule", "return function(step) if step == 2 then error() end return 0.1 end",
       "error object is a nil value")
case{class = 4, kind = "plot", name = "a schedule's pcall swallowing the budget at step 3, with --output", expect = BUDGET,
     script = "return function(step) if step == 3 then while true do pcall(function() while true do end end) end end return 0.1 end"}

-------------------------------------------------------------------------------
-- 5. Time inside C functions: one call doing unbounded work.
-------------------------------------------------------------------------------
local function slow(name, script, expect)
  case{class = 5, kind = "check", name = name, expect = expect or BUDGET, script = script}
end
slow("string.find with a backtracking pattern on a long subject",
     "string.find(string.rep('a', 1e5), '(.-)(.-)(.-)b') return 0.1")
slow("string.find, retried under pcall", "while true do pcall(string.find, string.rep('a', 1e5), '(.-)(.-)(.-)b') end")
slow("string.match with nested greedy classes", "string.match(string.rep('a', 5e4), '^a*a*a*a*a*b') return 0.1")
slow("string.gmatch backtracking at every position",
     "for x in string.gmatch(string.rep('a', 2e4), '.-.-.-b') do end return 0.1")
slow("string.gsub backtracking", "string.gsub(string.rep('ab', 3e4), '(.-)%1%1x', '') return 0.1")
slow("string.match with %b over an unbalanced subject", "string.match(string.rep('(', 1e5), '%b()') return 0.1")
slow("a plain string.find that is quadratic",
     "string.find(string.rep('a', 2^24), string.rep('a', 2^22) .. 'b', 1, true) return 0.1")
slow("string.gsub whose table returns false for every character",
     "string.gsub(string.rep('x', 2^25), '.', setmetatable({}, {__index = rawequal})) return 0.1", MEMORY)
slow("string.rep of nothing 2^60 times, then a loop", "assert(string.rep('', 2^60) == '') while true do end")
slow("table.concat over a proxy whose __index is a C function",
     "table.concat(setmetatable({}, {__index = rawlen}), '', 1, 1e15) return 0.1")
slow("table.move between proxies whose metamethods are C functions",
     "table.move(setmetatable({}, {__index = rawlen}), 1, 1e15, 1, setmetatable({}, {__newindex = rawequal})) return 0.1")
slow("table.insert into a proxy whose __len lies",
     "table.insert(setmetatable({}, {__len = function() return 2^60 end, __index = rawlen, __newindex = rawequal}), 1, 0) return 0.1")
slow("table.sort of 100 000 references to one 8 MB string",
     "local s, t = string.rep('x', 2^23), {} for i = 1, 1e5 do t[i] = s end table.sort(t) return 0.1")
slow("table.sort with a comparator that lies",
     "local t = {} for i = 1, 1e4 do t[i] = i end table.sort(t, function() return true end) return 0.1",
     "invalid order function for sorting")
slow("table.sort with a C comparator over a proxy of 2^31-2 elements",
     "table.sort(setmetatable({}, {__len = function() return 2^31 - 2 end, __index = rawlen, __newindex = rawequal}), rawequal) return 0.1")
slow("utf8.len of a 30 MB string in a loop", "local s = string.rep('a', 3e7) while true do utf8.len(s) end")
slow("tonumber of a 30 MB string in a loop", "local s = string.rep(' ', 3e7) while true do tonumber(s) end")
slow("string.format with a huge width", "return string.format('%99999d', 1)", "invalid conversion")
slow("concatenating a 16 MB string in a loop", "local s = string.rep('x', 2^24) while true do local x = s .. 'y' end", MEMORY)
slow("a max of 64 copies of a max of 64 copies ... 8 deep", [[
local S = require("lrengine").schedule
local s = S.cosine{lr = 0.1, t_max = 100}
for d = 1, 8 do local k = {} for i = 1, 64 do k[i] = s end s = S.max(k) end
return s]], "a schedule of %d+ nodes, more than 10000")
slow("the curve of a 4097-node schedule over 1e6 steps", [[
local S = require("lrengine").schedule
local s = S.cosine{lr = 0.1, t_max = 100}
for d = 1, 2 do local k = {} for i = 1, 64 do k[i] = s end s = S.product(k) end
s:curve(1e6)
return s]])
slow("an optimizer over 2M elements stepped in a loop", [[
local lre = require "lrengine"
local o = lre.optim.sgd{params = lre.tensor(2e6, "f32"), grads = lre.tensor(2e6, "f32"), lr = 0.1}
while true do o:step() end]])
slow("string comparisons of two 16 MB strings in a loop (one instruction each)",
     "local s, u = string.rep('x', 2^24), string.rep('x', 2^24) while true do local x = s < u end",
     "time limit of 5 s per call exceeded")

-------------------------------------------------------------------------------
-- 6. Finalizers: no user code at collection or at close.
-------------------------------------------------------------------------------
local function final(name, script, expect, code)
  case{class = 6, kind = "check", name = name, expect = expect, script = script, code = code}
end
final("setmetatable with __gc", "setmetatable({}, {__gc = function() while true do end end}) return 0.1",
      "__gc metamethods are not allowed")
final("__gc added to a metatable after setmetatable: never run, and refused next time", [[
local mt, keep = {}, {}
for i = 1, 1000 do keep[i] = setmetatable({}, mt) end
mt.__gc = function() while true do end end
keep = nil
setmetatable({}, mt)]], "__gc metamethods are not allowed")
final("a __gc put on the tensors' metatable",
      "getmetatable(require('lrengine').tensor(1)).__gc = function() while true do end end return 0.1",
      "attempt to index a string value")
final("a __gc put on the schedules' metatable",
      "getmetatable(require('lrengine').schedule.constant{lr = 1}).__gc = function() while true do end end return 0.1",
      "attempt to index a string value")
final("the __gc of the optimizers' metatable removed",
      "local l = require 'lrengine' getmetatable(l.optim.sgd{params = l.tensor(1), grads = l.tensor(1), lr = 1}).__gc = nil return 0.1",
      "attempt to index a string value")
final("closing a state holding 50 000 engine objects finishes", [[
local lre = require "lrengine"
local keep = {}
for i = 1, 3000 do
  keep[#keep + 1] = lre.schedule.warmup{lre.schedule.cosine{lr = 1, t_max = 10}, steps = 2}
  keep[#keep + 1] = lre.schedule.custom(function() return 1 end)
  keep[#keep + 1] = lre.optim.sgd{params = lre.tensor(1), grads = lre.tensor(1), lr = keep[#keep]}
end
error("holding " .. #keep)]], "holding 9000")

-- (in the sanitized build, with LeakSanitizer on: the state must be closed)
case{class = 6, kind = "train", name = "a config whose table holds a schedule object over a custom schedule is closed",
     code = 0, expect = "^$", where = false, leaks = true, stdout = "final test_acc", args = "--quiet",
     script = config("schedule = S.plateau{S.custom(function(step) return 0.1 end, 'decay')},")}
case{class = 6, kind = "run", name = "a finished program's custom schedules are collected and its state closed",
     code = 0, expect = "^$", where = false, leaks = true, stdout = "1.0", script = [[
local S = require("lrengine").schedule
local s = S.warmup{S.custom(function(t) return 1 end), steps = 0}
local o = require("lrengine").optim.sgd{params = require("lrengine").tensor(1), grads = require("lrengine").tensor(1), lr = s}
print(s:at(3))]]}

-------------------------------------------------------------------------------
-- 7. What the engine allocates for a script counts against its memory cap.
-------------------------------------------------------------------------------
local function engine_mem(name, script)
  case{class = 7, kind = "check", name = name, expect = MEMORY, script = "local lre = require 'lrengine'\n" .. script}
end
engine_mem("Adam's state for 7M float32 parameters (the tensors fit the cap)", [[
local o = lre.optim.adam{params = lre.tensor(7e6, "f32"), grads = lre.tensor(7e6, "f32"), lr = 1e-3, amsgrad = true}
return 0.1]])
engine_mem("a thousand Adams sharing one 1M-element tensor", [[
local w, g = lre.tensor(1e6, "f32"), lre.tensor(1e6, "f32")
local o = {} for i = 1, 1000 do o[i] = lre.optim.adam{params = w, grads = g, lr = 1e-3} end
return 0.1]])
engine_mem("schedules with 1M milestones each", [[
local l = {} for i = 1, 1e6 do l[i] = i end
local t = {} for i = 1, 100 do t[i] = lre.schedule.multistep{lr = 1, milestones = l} end
return 0.1]])
engine_mem("200 000 built-in schedules", [[
local t = {} for i = 1, 2e5 do t[i] = lre.schedule.warmup{0.1, steps = 2} end
return 0.1]])
engine_mem("many groups, each with its own momentum buffers", [[
local g = {} for i = 1, 100 do g[i] = {params = lre.tensor(1e4), grads = lre.tensor(1e4)} end
local o = {} for i = 1, 50 do o[i] = lre.optim.sgd{lr = 0.1, momentum = 0.9, table.unpack(g)} o[i]:step() end
return 0.1]])
engine_mem("saving an optimizer with a large state, again and again", [[
local o = lre.optim.adam{params = lre.tensor(2e6, "f32"), grads = lre.tensor(2e6, "f32"), lr = 1e-3}
o:step()
local saves = {} while true do saves[#saves + 1] = o:save() end]])

-------------------------------------------------------------------------------
-- 8. Odd files, odd results, odd configs: clear errors, never an abort.
-------------------------------------------------------------------------------
local function odd(name, script, expect, kind, extra)
  local c = {class = 8, kind = kind or "check", name = name, expect = expect, script = script}
  for k, v in pairs(extra or {}) do c[k] = v end
  case(c)
end
odd("a script file larger than the memory cap (a sparse 100 MB file)", nil,
    "a script of 104857600 bytes is larger than the memory limit", "check", {sparse = 100 * 2 ^ 20})
odd("a config file larger than the memory cap", nil, "a script of 104857600 bytes is larger than the memory limit",
    "train", {sparse = 100 * 2 ^ 20})
odd("a result whose __index points back at itself", "local t = {} t.__index = t return setmetatable(t, t)",
    "'__index' chain too long")
odd("a result whose __index function indexes itself",
    "return setmetatable({}, {__index = function(t, k) return t[k] end})", "stack overflow")
odd("a table of 100 000 schedules", "local t = {lr = 0.1} for i = 1, 1e5 do t['k' .. i] = 0.1 end return t",
    "a table of schedules may drive at most 8 hyper%-parameters")
odd("a table of schedules with number keys", "local t = {lr = 0.1} for i = 1, 1e5 do t[i] = 0.1 end return t",
    "a table of schedules has a number key")
odd("a binary chunk", string.dump(function() return 0.1 end), "hostile.lua: attempt to load a binary chunk")
odd("an expression nested 100 000 deep", "return " .. string.rep("(", 1e5) .. "1" .. string.rep(")", 1e5),
    "hostile.lua: C stack overflow")
odd("a script that is not UTF-8 nor Lua", "\0\255\254 garbage \0", "unexpected symbol")
odd("an empty script", "", "expected, got nil")
odd("a schedule returning a string", "return function() return '0.1' end", "returned the string '0%.1', expected a number")
odd("a schedule returning NaN at step 5", "return function(t) return t == 5 and 0/0 or 0.1 end",
    "step 5: returned %-?nan")
odd("plot --output of a failing script writes no file", "return function(t) if t == 5 then error('boom') end return 1 end",
    "boom", "plot")
local function bad_config(name, extra, expect, more)
  local c = {where = false} -- "config: epochs must be ...": the key is the place
  for k, v in pairs(more or {}) do c[k] = v end
  odd(name, config(extra), expect, "train", c)
end
odd("a config returning a function", "return function() return {} end", "config", "train")
odd("a config returning nil", "return nil", "config", "train")
odd("a config returning a tensor", "return require('lrengine').tensor(3)", "config", "train")
odd("a config with a cycle through data", config(""):gsub("return {", "local c = {") .. "c.data = c return c",
    "unknown key 'data%.", "train", {where = false})
bad_config("epochs = 1e300", "epochs = 1e300", "epochs must be a whole number")
bad_config("epochs = 0/0", "epochs = 0/0", "epochs must be a whole number")
bad_config("a hidden layer of 2^40 units", "model = {kind = 'mlp', hidden = {2^40}}", "model%.hidden%[1%] must be a whole number")
bad_config("a data path of 100 000 bytes", "data = {source = 'csv', train = string.rep('x', 1e5), test = 'd.csv'}",
           "data%.train must be a string of at most")
bad_config("an unknown optimizer", "optimizer = {'adamm', lr = 1}", "adamm")
bad_config("a schedule of 100 000 hyper-parameters",
           "schedule = (function() local t = {lr = 0.1} for i = 1, 1e5 do t['h' .. i] = 0.1 end return t end)()",
           "at most 8 hyper%-parameters")
bad_config("a config allocating past the cap", "x = (function() local t = {} while true do t[#t + 1] = {} end end)()", MEMORY)
-- (no --metrics: the job creates its metrics file before the first step, and leaves it empty on failure)
bad_config("a schedule looping at step 3", "schedule = function(step) if step == 3 then while true do end end return 0.1 end",
           BUDGET .. ".*%(step 3%)", {where = true, args = "--quiet --checkpoint run.ckpt"})
-- A checkpoint's plan (format 4) records the config's text, which a resume runs again, in the
-- sandbox: a recorded text allocating past the cap or looping (its hash and the file's CRC made
-- right, spec/support/ckpt.lua) is refused within the limits; the checkpoint stays as it was
-- and nothing is written.
do
  local ckpt = require "support.ckpt"
  local made, cfg = sh.tmpdir(), config("")
  sh.write(made .. "/hostile.lua", cfg)
  sh.write(made .. "/d.csv", CSV)
  assert(sh.run("cd " .. made .. " && " .. BIN .. " train hostile.lua --quiet --until 1 --checkpoint ck.ckpt") == 0)
  local good = sh.slurp(made .. "/ck.ckpt")
  sh.run("rm -rf " .. made)
  for _, bad in ipairs{{"allocating past the cap", "local t = {} while true do t[#t + 1] = {} end", MEMORY},
                       {"looping", "while true do end", BUDGET}} do
    case{class = 3, kind = "train", name = "a checkpoint whose recorded config is " .. bad[1], script = cfg,
         files = {["ck.ckpt"] = assert(ckpt.replace_source(good, "hostile.lua", cfg, bad[2]))},
         args = "--quiet --resume ck.ckpt --checkpoint run.ckpt --metrics run.jsonl",
         expect = "ck%.ckpt: rebuilding its recorded plan: hostile%.lua.-" .. bad[3]}
  end
end
bad_config("a schedule whose state becomes a cycle before the checkpoint",
           "schedule = {state = {}, at = function(self, step) self.state.me = self.state return 0.1 end}",
           "checkpoint run%.ckpt: state%.me: this table appears twice", {args = "--quiet --checkpoint run.ckpt"})

-- Every case gets a directory of its own (work: its cwd and files; meta:
-- the command, its output and measures), and they all run, a few at a time.
local base = sh.tmpdir()

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function command(c)
  if c.kind == "lua" then return "lua5.4 -e " .. quote(MODULE_PATHS) .. " hostile.lua" end
  if c.kind == "run" then return BIN .. " run hostile.lua" end
  if c.kind == "check" then return BIN .. " check hostile.lua --steps 10" end
  if c.kind == "plot" then return BIN .. " plot hostile.lua --steps 10 --output out.svg" end
  if c.kind == "train" then return BIN .. " train hostile.lua " .. (c.args or "--quiet --checkpoint run.ckpt --metrics run.jsonl") end
  error("unknown kind " .. c.kind)
end

local function prepare(i, c)
  c.dir = string.format("%s/%03d", base, i)
  c.work, c.meta = c.dir .. "/work", c.dir .. "/meta"
  assert(os.execute("mkdir -p " .. c.work .. " " .. c.meta))
  c.made = {}
  local function make(name, text)
    write(c.work .. "/" .. name, text)
    c.made[name] = #text
  end
  if c.sparse then
    assert(os.execute(string.format("truncate -s %d %s/hostile.lua", c.sparse, c.work)))
    c.made["hostile.lua"] = c.sparse
  else
    make("hostile.lua", c.script)
  end
  if c.kind == "train" then make("d.csv", CSV) end
  for name, bytes in pairs(c.files or {}) do make(name, bytes) end
  local measure = TIME and string.format("%s -f '%%M %%e' -o %s/time ", TIME, c.meta)
    or (sh.build:match("san") and "" or "ulimit -v " .. MAX_KB * 2 .. "; ")
  local env = c.leaks and 'ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=1" ' or ""
  write(c.meta .. "/cmd.sh", string.format("cd %s || exit 99\n%s%stimeout -k 2 %d %s >%s/out 2>%s/err </dev/null\necho $? >%s/rc\n",
    c.work, env, measure, MAX_SECONDS + 5, command(c), c.meta, c.meta, c.meta))
end

local function run_all()
  for i, c in ipairs(cases) do prepare(i, c) end
  assert(os.execute("ls " .. base .. "/*/meta/cmd.sh | xargs -P 3 -n 1 sh"))
  for _, c in ipairs(cases) do
    c.rc = tonumber(sh.slurp(c.meta .. "/rc"))
    c.out, c.err = sh.slurp(c.meta .. "/out"), sh.slurp(c.meta .. "/err")
    local kb, secs = sh.slurp(c.meta .. "/time"):match("(%d+) ([%d.]+)%s*$")
    c.kb, c.secs = tonumber(kb), tonumber(secs)
    c.left = {}
    local ls = assert(io.popen("cd " .. c.work .. " && ls -A && stat -c '%n %s' * .[!.]* 2>/dev/null"))
    for line in ls:lines() do
      local name, bytes = line:match("^(.-) (%d+)$")
      if name then c.left[name] = tonumber(bytes) end
    end
    ls:close()
  end
  if os.getenv("HOSTILE_VERBOSE") then -- each case's figures, slowest last
    local sorted = {table.unpack(cases)}
    table.sort(sorted, function(a, b) return (a.secs or 0) < (b.secs or 0) end)
    for _, c in ipairs(sorted) do
      io.stderr:write(string.format("%5.2f s %7d KB [%d] %s\n", c.secs or -1, c.kb or -1, c.class, c.name))
    end
  end
end

local count = {}
for _, c in ipairs(cases) do count[c.class] = (count[c.class] or 0) + 1 end

describe("hostile input", function()
  setup(run_all)
  teardown(function() os.execute("rm -rf " .. base) end)

  for _, c in ipairs(cases) do
    it(string.format("[%d] %s (%s): %s", c.class, c.kind, c.name, c.expect == "" and "refused" or c.expect), function()
      local report = string.format("exit %s\nstderr: %s\nstdout: %s", tostring(c.rc), c.err:sub(1, 2000), c.out:sub(1, 500))
      assert.are_not.equal(124, c.rc, "timed out\n" .. report)
      assert.are.equal(c.code or 1, c.rc, report)
      assert.is_truthy(c.err:find(c.expect), "message does not match '" .. c.expect .. "'\n" .. report)
      if c.where ~= false and c.kind ~= "lua" then
        assert.is_truthy(c.err:find("hostile.lua", 1, true), "the message does not name the script\n" .. report)
      end
      if c.stdout then assert.is_truthy(c.out:find(c.stdout, 1, true), "not usable afterwards\n" .. report) end
      assert.is_falsy(c.err:find("AddressSanitizer", 1, true), report)
      assert.is_falsy(c.err:find("LeakSanitizer", 1, true), report)
      assert.is_falsy(c.err:find("runtime error:", 1, true), report)
      if TIME then
        assert.is_truthy(c.secs and c.secs < MAX_SECONDS, "took " .. tostring(c.secs) .. " s\n" .. report)
        assert.is_truthy(c.kb and c.kb < MAX_KB, "peak " .. tostring(c.kb) .. " KB\n" .. report)
      end
      assert.are.same(c.made, c.left, "files written or changed in its directory")
    end)
  end

  it("covers every class with enough cases", function()
    local total = 0
    for class = 1, 8 do
      assert.is_truthy((count[class] or 0) >= 5, "class " .. class .. " has " .. tostring(count[class]) .. " cases")
      total = total + count[class]
    end
    assert.is_truthy(total >= 80, total .. " cases")
  end)
end)

describe("the sandbox's replacements of standard functions", function()
  -- the same random cases through lua5.4's own functions and the sandbox's
  -- (lrengine check runs the script in the sandbox), every result and error
  -- message printed and compared
  local function differential(fixture, count)
    local dir = sh.tmpdir()
    for seed = 1, 5 do
      local name = fixture:gsub("%.lua$", "") .. seed .. ".lua"
      sh.write(dir .. "/" .. name, "SEED, COUNT = " .. seed .. ", " .. count .. "\n" .. sh.slurp(FIXTURES .. "/" .. fixture))
      local code, real = sh.run("cd " .. dir .. " && timeout 60 lua5.4 " .. name)
      assert.are.equal(0, code)
      local code2, mine, err = sh.run("cd " .. dir .. " && " .. BIN .. " check " .. name .. " --steps 1 --quiet")
      assert.are.equal(0, code2, err)
      assert.is_truthy(#real > 10000)
      if real ~= mine then
        local a, b = {}, {}
        for l in real:gmatch("[^\n]*") do a[#a + 1] = l end
        for l in mine:gmatch("[^\n]*") do b[#b + 1] = l end
        for i = 1, math.max(#a, #b) do
          if a[i] ~= b[i] then
            local case_line = i
            while case_line > 1 and not (a[case_line] or ""):match("^case") do case_line = case_line - 1 end
            error(string.format("%s, seed %d, line %d: %s\nstandard: %s\nsandbox:  %s", fixture, seed, i,
              a[case_line] or "", a[i] or "(nothing)", b[i] or "(nothing)"))
          end
        end
      end
    end
    os.execute("rm -rf " .. dir)
  end
  it("find, match, gmatch and gsub give the standard results and messages on 2500 random patterns", function()
    differential("patterns.lua", 500)
  end)
  it("table.insert/remove/move/concat/sort, string.rep, utf8, tonumber, pack and getmetatable do too", function()
    differential("tables.lua", 300)
  end)
end)
