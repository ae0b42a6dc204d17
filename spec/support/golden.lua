-- Builds lrengine schedules and optimizers from the reference cases of
-- spec/fixtures/golden (format: spec/fixtures/golden/README.md), mapping
-- PyTorch's and Keras' class names and parameters onto lrengine's.
local lre = require "lrengine"

local M = {}

local S = lre.schedule

-- PyTorch's schedulers and Keras' schedules by name, through the module's
-- own mappings (lrengine.import_pytorch, lrengine.import_keras); the rate is
-- base_lr times PyTorch's factor, Keras' rates are absolute.
function M.pytorch_schedule(kind, params, base)
  local args = {lr = base}
  for k, v in pairs(params) do args[k] = v end
  return (S.from_pytorch(kind, args))
end

-- The schedule of a schedules.json case.
function M.schedule(case)
  if case.family == "pytorch" then return M.pytorch_schedule(case.kind, case.params, case.base_lr) end
  if case.family == "keras" then return S.from_keras(case.kind, case.params) end
  error("unknown family " .. tostring(case.family))
end

-- The curve the case describes: lr[t] for every t; plateau cases observe
-- metrics[i] between steps i and i+1.
function M.curve(case)
  local s = M.schedule(case)
  local got = {}
  if case.metrics then
    got[1] = s:at(0)
    for i, m in ipairs(case.metrics) do
      s:observe(m, i)
      got[i + 1] = s:at(i)
    end
  else
    got = s:curve(#case.lr)
  end
  return got
end

function M.momentum_curve(case)
  assert(case.kind == "OneCycleLR", "momentum traces are for OneCycleLR")
  local args = {}
  for k, v in pairs(case.params) do args[k] = v end
  args.cycle_momentum = true
  local _, momentum = S.from_pytorch(case.kind, args)
  return momentum:curve(#case.momentum)
end

-- An optimizer for an optimizers.json case over fresh tensors of dtype.
function M.optimizer(case, dtype)
  local make = lre.optim[string.lower(case.optimizer)]
  if not make then error("no lrengine optimizer for " .. tostring(case.optimizer)) end
  local params, grads = lre.tensor(case.x0, dtype), lre.tensor(#case.x0, dtype)
  local args = {params = params, grads = grads}
  for k, v in pairs(case.params) do args[k] = v end
  if case.schedule then
    args.lr = M.pytorch_schedule(case.schedule.kind, case.schedule.params, case.params.lr)
  end
  return make(args), params, grads
end

function M.load(dir, file)
  local json = require "dkjson"
  local f = assert(io.open(dir .. "/" .. file, "rb"))
  local text = f:read("a")
  f:close()
  local doc, _, err = json.decode(text)
  assert(doc, err)
  return doc
end

-- |got - want| <= atol + rtol * |want|, or a message naming the first miss.
function M.close(got, want, atol, rtol, what)
  for i = 1, #want do
    local g, w = got[i], want[i]
    if type(g) ~= "number" or not (math.abs(g - w) <= atol + rtol * math.abs(w)) then
      return false, string.format("%s[%d]: got %s, want %.17g", what, i - 1, tostring(g), w)
    end
  end
  if #got ~= #want then return false, string.format("%s: %d values, want %d", what, #got, #want) end
  return true
end

return M
