-- lre.schedule.from_llmc(type, args): llm.c's schedulers (llmc/schedulers.h)
-- by their type names ("cosine", "linear", "constant", "wsd") and the
-- fields of its LearningRateScheduler (learning_rate, warmup_iterations,
-- train_num_batches, final_learning_rate_frac). llm.c's warm-up is
-- lr * (t + 1) / W, reaching the peak at step W - 1: a warm-up shifted one
-- step. llm.c computes in float: values agree to float precision.
local core = require "lrengine.core"
local A = require "lrengine.import_args"

local S = core.schedule
local F = "from_llmc"

local ARGS = {"learning_rate", "warmup_iterations", "train_num_batches", "final_learning_rate_frac"}

-- The float32 rounding of x (llm.c's (int)(0.8f * N) rounds in float).
local function f32(x) return (string.unpack("f", string.pack("f", x))) end

-- The warm-up (t + 1) / W, then `after` from its own step 0.
local function warm(lr, W, after)
  if W <= 0 then return after end
  return S.sequence{S.shift{S.warmup{S.constant{lr = lr}, steps = W}, offset = 1}, after, milestones = {W}}
end

local B = {}
B.constant = function(lr) return S.constant{lr = lr} end
-- min_lr + (1 + cos(pi (t - W) / (N - W))) / 2 (lr - min_lr)
B.cosine = function(lr, W, N, frac)
  return warm(lr, W, S.cosine{lr = lr, t_max = N - W, eta_min = lr * frac, hold = true})
end
-- lr - (t - W) / (N - W) (lr - min_lr)
B.linear = function(lr, W, N, frac)
  return warm(lr, W, S.polynomial{lr = lr, total_iters = N - W, power = 1, end_lr = lr * frac})
end
-- constant to decay_point = (int)(0.8f * N), then 1 - sqrt over N - decay_point;
-- the wsd node at the absolute step (shift by W inside the sequence).
B.wsd = function(lr, W, N, frac)
  local dp = math.floor(f32(f32(0.8) * N))
  local after = S.wsd{lr = lr, stable_steps = dp, decay_steps = N - dp, decay = "sqrt", min_lr = lr * frac}
  if W > 0 then after = S.shift{after, offset = W} end
  return warm(lr, W, after)
end

local M = {builders = B}

function M.from_llmc(kind, args)
  local build = A.builder(F, "scheduler type", B, kind)
  local a = A.check(F, kind, args, ARGS)
  local function num(key, default) return A.number(F, kind, a, key, default) end
  local lr = num("learning_rate")
  if lr == nil then error(string.format("%s: '%s' needs learning_rate", F, kind), 0) end
  if kind == "constant" then return build(lr) end
  local W, N = num("warmup_iterations", 0), num("train_num_batches")
  if N == nil then error(string.format("%s: '%s' needs train_num_batches", F, kind), 0) end
  if N <= W and kind ~= "wsd" then
    error(string.format("%s: '%s': train_num_batches (%s) must exceed warmup_iterations (%s)", F, kind, N, W), 0)
  end
  return A.run(F, kind, build, lr, W, N, num("final_learning_rate_frac", 0))
end

return M
