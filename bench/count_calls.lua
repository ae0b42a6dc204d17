-- count_calls.lua -- the calls from Lua that bench_script times, as a Lua
-- program for callgrind to count: bench/count_calls.sh runs it with N calls
-- and with none; the difference over N is one call, exact under load.
-- Usage (from the repository's root, module in B/lrengine/core.so):
--   lua5.4 bench/count_calls.lua step|at|bare N [B]
local what, n, build = arg[1], tonumber(arg[2]), arg[3] or "build"
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = build .. "/?.so;" .. package.cpath
local lre = require "lrengine"
local fn = dofile("examples/schedules/warmup_cosine_function.lua")
local p, g = lre.tensor(1, "f32"), lre.tensor(1, "f32")
local opt = lre.optim.sgd{params = p, grads = g, lr = 0.01}
local sched = lre.schedule.custom(fn)
local ctx = {}
local s = 0
if what == "step" then
  for _ = 1, n do opt:step() end
elseif what == "at" then
  for i = 1, n do s = s + sched:at(i % 100000) end
elseif what == "bare" then
  for i = 1, n do s = s + fn(i % 100000, ctx) end
else
  error("usage: count_calls.lua step|at|bare N [BUILD]")
end
print(s)
