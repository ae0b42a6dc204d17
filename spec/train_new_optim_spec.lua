-- The training job with the optimizers of issue 13: Prodigy reports its d
-- with the rate in the metrics (the d the optimizer reads back, growing from
-- d0 as it learns the scale), Muon trains the MLP with each layer's weights
-- as a matrix (Muon's rule) and biases as vectors (its AdamW rule); both
-- learn (the loss falls).
local sh = require "support.sh"

local dir = sh.tmpdir()
local FASHION = "/usr/share/datasets/fashion-mnist"

local template = [[
return {
  data = {source = "fashion-mnist", dir = "%s", validation = 500, limit = 2000, test_limit = 500},
  model = {kind = "mlp", hidden = {32}},
  optimizer = %s,
  epochs = 2, batch_size = 64, seed = 5,
}]]

local function run(name, optimizer, extra)
  local cfg = sh.write(dir .. "/" .. name .. ".lua", template:format(FASHION, optimizer))
  return sh.lre("train " .. cfg .. " --metrics " .. dir .. "/" .. name .. ".jsonl " .. (extra or ""))
end

describe("lrengine train with the new optimizers", function()
  it("reports Prodigy's d beside the rate, growing from d0", function()
    local code, out, err = run("prodigy", '{"prodigy", d0 = 1e-4}')
    assert.are.equal(0, code, err)
    local ds = {}
    for d in sh.slurp(dir .. "/prodigy.jsonl"):gmatch('"d":([%d.e+-]+)') do ds[#ds + 1] = tonumber(d) end
    assert.is_true(#ds >= 2)
    assert.is_true(ds[#ds] > 1e-4, "d did not grow: " .. ds[#ds])
    local losses = {}
    for l in out:gmatch("train_loss=([%d.]+)") do losses[#losses + 1] = tonumber(l) end
    assert.is_true(losses[2] < losses[1])
  end)

  it("trains with Muon (matrix groups for the weights) and learns", function()
    local code, out, err = run("muon", '{"muon", lr = 0.02}')
    assert.are.equal(0, code, err)
    local losses = {}
    for l in out:gmatch("train_loss=([%d.]+)") do losses[#losses + 1] = tonumber(l) end
    assert.is_true(losses[2] < losses[1], out)
    assert.is_true(tonumber(out:match("final test_acc=([%d.]+)")) > 0.5, out)
    assert.is_nil(sh.slurp(dir .. "/muon.jsonl"):match('"d":'))
  end)
end)
