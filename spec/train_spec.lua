-- The training job end to end on small slices (fast enough for CI): it
-- learns, it is deterministic, it resumes exactly, and it refuses bad input.
local sh = require "support.sh"

local dir = sh.tmpdir()
local FASHION = "/usr/share/datasets/fashion-mnist"

local function config(name, body) return sh.write(dir .. "/" .. name, body) end

local small = [[
local lre = require "lrengine"
return {
  data = {source = "fashion-mnist", dir = "%s", validation = 500, limit = 3000, test_limit = 1000},
  model = {kind = "mlp", hidden = {32}},
  optimizer = {"adamw", lr = 3e-3},
  schedule = {at = function(self, step, ctx)
      self.state.calls = (self.state.calls or 0) + 1
      return 3e-3 * (1 + math.cos(math.pi * step / 200)) / 2
    end, state = {}},
  epochs = 3, batch_size = 64, seed = 3,
}]]

local synthetic_csv = require "support.synthetic"

describe("lrengine train", function()
  local cfg = config("small.lua", small:format(FASHION))

  it("learns: the loss falls and accuracy is well above chance", function()
    local code, out, err = sh.lre("train " .. cfg .. " --metrics " .. dir .. "/m.jsonl")
    assert.are.equal(0, code, err)
    local losses = {}
    for l in out:gmatch("train_loss=([%d.]+)") do losses[#losses + 1] = tonumber(l) end
    assert.are.equal(3, #losses)
    assert.is_true(losses[3] < losses[1])
    local acc = tonumber(out:match("final test_acc=([%d.]+)"))
    assert.is_true(acc > 0.6, out)
    local m = sh.slurp(dir .. "/m.jsonl")
    assert.matches('{"epoch":3,"step":%d+,"train_loss":', m)
    assert.matches('"lr":', m)
  end)

  it("is deterministic for a seed", function()
    local _, a = sh.lre("train " .. cfg .. " --quiet")
    local _, b = sh.lre("train " .. cfg .. " --quiet")
    assert.are.equal(a, b)
    local _, c = sh.lre("train " .. cfg .. " --quiet --seed 4")
    assert.are_not.equal(a, c)
  end)

  it("resumes exactly: byte-identical checkpoints and the same figures", function()
    -- the part run stops with --until (its plan, which checkpoints record, is the full run's)
    local full, part = dir .. "/full.ckpt", dir .. "/part.ckpt"
    local c1, out_full = sh.lre("train " .. cfg .. " --checkpoint " .. full)
    assert.are.equal(0, c1)
    assert.are.equal(0, (sh.lre("train " .. cfg .. " --until 1 --checkpoint " .. part)))
    local c2, out_resumed = sh.lre("train " .. cfg .. " --resume " .. part .. " --checkpoint " .. part)
    assert.are.equal(0, c2)
    assert.are.equal(sh.slurp(full), sh.slurp(part))
    assert.are.equal(out_full:match("final [^\n]+"), out_resumed:match("final [^\n]+"))
    assert.are.equal(out_full:match("epoch 3/3[^(]+"), out_resumed:match("epoch 3/3[^(]+"))
  end)

  it("resumes after being killed mid-run", function()
    local ck = dir .. "/killed.ckpt"
    local big = config("big.lua", small:format(FASHION):gsub("epochs = 3", "epochs = 40"))
    sh.run("timeout -s KILL 2 " .. sh.bin .. " train " .. big .. " --checkpoint " .. ck)
    -- the killed run's last checkpoint is whole (written to a temporary file, then renamed)
    local code, out, err = sh.lre("train " .. big .. " --resume " .. ck .. " --epochs 2 --quiet")
    assert.are.equal(0, code, err)
    assert.matches("final test_acc", out)
    assert.is_nil(io.open(ck .. ".tmp"))
  end)

  it("stops on SIGINT at a step boundary, writing a checkpoint", function()
    local ck = dir .. "/int.ckpt"
    local big = config("big2.lua", small:format(FASHION):gsub("epochs = 3", "epochs = 100000"))
    local code, _, err = sh.run("sh -c '" .. sh.bin .. " train " .. big .. " --checkpoint " .. ck
      .. " & pid=$!; sleep 2; kill -INT $pid; wait $pid'")
    assert.are.equal(130, code)
    assert.matches("interrupted at step %d+; checkpoint written", err)
    local rc, out = sh.lre("train " .. big .. " --resume " .. ck .. " --epochs 1 --quiet")
    assert.are.equal(0, rc)
    assert.matches("final test_acc", out)
  end)

  it("stops at the step boundary on SIGINT inside a schedule script, writing a checkpoint", function()
    -- nearly all of each step is the script's loop, so the signal lands there:
    -- the host stops the script, the step is not taken, and the run stops
    -- before it as at any boundary (it used to fail with the script's error)
    local train = synthetic_csv(dir .. "/syn_int.csv", 300, 8)
    local ck = dir .. "/int_script.ckpt"
    local cfg = config("int_script.lua", 'return {data = {source = "csv", train = "' .. train .. '", test = "' .. train
      .. '", validation = 20}, model = {kind = "softmax"}, optimizer = {"sgd", lr = 0.1}, epochs = 100000,'
      .. ' schedule = function(step) local x = 0 for i = 1, 1e6 do x = x + i end return 0.1 end}')
    local code, _, err = sh.run("sh -c '" .. sh.bin .. " train " .. cfg .. " --checkpoint " .. ck
      .. " & pid=$!; sleep 1; kill -INT $pid; wait $pid'")
    assert.are.equal(130, code, err)
    assert.matches("interrupted at step %d+; checkpoint written", err)
    local rc, out, err2 = sh.lre("train " .. cfg .. " --resume " .. ck .. " --epochs 1 --quiet")
    assert.are.equal(0, rc, err2)
    assert.matches("final test_acc", out)
  end)

  it("refuses a damaged checkpoint and one from another config", function()
    local ck = dir .. "/good.ckpt"
    assert.are.equal(0, (sh.lre("train " .. cfg .. " --epochs 1 --quiet --checkpoint " .. ck)))
    local bytes = sh.slurp(ck)
    sh.write(dir .. "/torn.ckpt", bytes:sub(1, #bytes // 2))
    local code, _, err = sh.lre("train " .. cfg .. " --resume " .. dir .. "/torn.ckpt")
    assert.are.equal(1, code)
    assert.matches("damaged", err)
    code, _, err = sh.lre("train " .. cfg .. " --resume " .. ck .. " --seed 9")
    assert.are.equal(1, code)
    assert.matches("another configuration", err)
  end)
end)

describe("lrengine train refuses bad input", function()
  local function fails(body, pattern)
    local code, _, err = sh.lre("train " .. config("bad.lua", body) .. " --quiet")
    assert.are.equal(1, code)
    assert.matches(pattern, err)
  end
  it("names a missing dataset's package", function()
    fails('return {data = {dir = "' .. dir .. '/none"}}', "apt%-get install dataset%-fashion%-mnist")
  end)
  it("names a truncated IDX file", function()
    local d = dir .. "/idx"
    os.execute("mkdir -p " .. d)
    for _, f in ipairs{"train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} do
      os.execute("cp " .. FASHION .. "/" .. f .. " " .. d .. "/")
    end
    os.execute("zcat " .. FASHION .. "/train-images-idx3-ubyte.gz | head -c 100000 | gzip > " .. d .. "/train-images-idx3-ubyte.gz")
    fails('return {data = {dir = "' .. d .. '"}}', "train%-images%-idx3%-ubyte.gz: truncated")
  end)
  it("names a bad CSV line", function()
    local train = sh.write(dir .. "/bad.csv", "label,a,b\n0,1,2\n1,3\n")
    fails('return {data = {source = "csv", train = "' .. train .. '", test = "' .. train .. '"}}', "bad.csv:3: 1 features")
  end)
  it("refuses a model too large to build before building it: a data file's width is its input", function()
    -- 400,000 features and 300 hidden units: (400,000 + 1) * 300 + 301 * 2 = 1.2e8 parameters
    local row = table.concat({"%d", string.rep("1,", 399999) .. "1"}, ",")
    local wide = sh.write(dir .. "/wide.csv", row:format(0) .. "\n" .. row:format(1) .. "\n" .. row:format(0) .. "\n")
    fails('return {data = {source = "csv", train = "' .. wide .. '", test = "' .. wide .. '", validation = 1}, '
      .. 'model = {kind = "mlp", hidden = {300}}}',
      "bad.lua: the model would have 1.2e%+08 parameters %(the data's 400000 inputs, 1 hidden layer, 2 classes%), more than 100000000")
  end)
  it("names an unknown key and a wrong type", function()
    fails("return {epochz = 3}", "unknown key 'epochz'")
    fails("return {model = {kind = 'mlp', hiden = {3}}}", "unknown key 'model.hiden'")
    fails("return {epochs = 'three'}", "epochs must be a whole number")
    fails("return {optimizer = {'adam', lr = 'fast'}}", "optimizer.lr must be a number")
    fails("return {optimizer = {'adam', betas = {0.9, 2}}}", "betas%[2%] must be in %[0, 1%)")
  end)
  it("reports a schedule script error with its step", function()
    local train = synthetic_csv(dir .. "/syn_err.csv", 200, 1)
    fails('return {data = {source = "csv", train = "' .. train .. '", test = "' .. train .. '", validation = 20},'
      .. ' model = {kind = "softmax"}, optimizer = {"sgd", lr = 0.1},'
      .. ' schedule = function(step) if step == 5 then error("no rate") end return 0.1 end}',
      "bad.lua:1: no rate %(step 5%)")
  end)
  it("stops on an exploding loss, naming the step and the rate", function()
    local train = synthetic_csv(dir .. "/syn_boom.csv", 400, 2)
    fails('return {data = {source = "csv", train = "' .. train .. '", test = "' .. train .. '", validation = 20},'
      .. ' model = {kind = "mlp", hidden = {16}}, optimizer = {"sgd", lr = 1e6}, batch_size = 16}',
      "loss .* at step %d+ %(lr 1e%+06%)")
  end)
end)

describe("lrengine find-lr", function()
  it("suggests a rate in the known good range of a synthetic problem", function()
    local train = synthetic_csv(dir .. "/syn.csv", 2000, 3)
    local cfg = config("syn.lua", 'return {data = {source = "csv", train = "' .. train .. '", test = "' .. train
      .. '", validation = 100}, model = {kind = "softmax"}, optimizer = {"sgd", lr = 0.1}, batch_size = 32}')
    local code, out, err = sh.lre("find-lr " .. cfg .. " --steps 200 --format csv --output " .. dir .. "/lr.csv")
    assert.are.equal(0, code, err)
    local lr = tonumber(out:match("suggested lr=([%d.e%-+]+)"))
    assert.is_true(lr >= 1e-3 and lr <= 3, out)
    assert.matches("^lr,loss\n", sh.slurp(dir .. "/lr.csv"))
  end)

  local function syn_config()
    local train = synthetic_csv(dir .. "/syn2.csv", 2000, 3)
    return config("syn2.lua", 'return {data = {source = "csv", train = "' .. train .. '", test = "' .. train
      .. '", validation = 100}, model = {kind = "softmax"}, optimizer = {"sgd", lr = 0.1}, batch_size = 32}')
  end

  it("prints one parseable JSON document with the suggestion for --format json", function()
    local json = require "dkjson"
    local code, out, err = sh.lre("find-lr " .. syn_config() .. " --steps 100 --format json")
    assert.are.equal(0, code, err)
    local doc = json.decode(out)
    assert.is_table(doc, out)
    assert.is_number(doc.suggested_lr)
    assert.are.equal(#doc.lr, #doc.loss)
    assert.matches("suggested lr=", err) -- the summary goes to stderr when stdout carries the JSON
  end)

  it("reports Ctrl-C as an interruption with exit 130, not as a divergence with a suggestion", function()
    local cfg = syn_config()
    local code, out, err = sh.run("sh -c '" .. sh.bin .. " find-lr " .. cfg
      .. " --steps 1000000 --format csv & pid=$!; sleep 1; kill -INT $pid; wait $pid'")
    assert.are.equal(130, code)
    assert.matches("interrupted after %d+ of 1000000 steps", err)
    assert.is_nil(out:match("suggested"))
  end)
end)

describe("lrengine train configs", function()
  it("reads data paths relative to the config's directory", function()
    local sub = dir .. "/project"
    os.execute("mkdir -p " .. sub .. "/data")
    synthetic_csv(sub .. "/data/rel.csv", 300, 5)
    local cfg = sh.write(sub .. "/rel.lua", 'return {data = {source = "csv", train = "data/rel.csv", test = "data/rel.csv",'
      .. ' validation = 20}, model = {kind = "softmax"}, optimizer = {"sgd", lr = 0.1}, epochs = 1}')
    local code, out, err = sh.lre("train " .. cfg .. " --quiet")
    assert.are.equal(0, code, err)
    assert.matches("final test_acc", out)
  end)

  it("warns when --epochs changes the length of a run a schedule was planned for", function()
    local train = synthetic_csv(dir .. "/syn3.csv", 300, 6)
    local cfg = config("planned.lua", 'local lre = require "lrengine"; return {data = {source = "csv", train = "'
      .. train .. '", test = "' .. train .. '", validation = 20}, model = {kind = "softmax"},'
      .. ' optimizer = {"sgd", lr = 0.1}, schedule = lre.schedule.cosine{lr = 0.1, t_max = 50}, epochs = 2}')
    local code, _, err = sh.lre("train " .. cfg .. " --quiet --epochs 3")
    assert.are.equal(0, code, err)
    assert.matches("warning: %-%-epochs 3 changes the run from the config's 2 epochs", err)
    code, _, err = sh.lre("train " .. cfg .. " --quiet --epochs 2")
    assert.are.equal(0, code)
    assert.is_nil(err:match("warning"))
  end)

  it("takes optimizer.nonfinite: trust skips the gradient scan with the same figures, a bad policy is refused", function()
    local train = synthetic_csv(dir .. "/syn_nf.csv", 300, 7)
    local function run(policy)
      local cfg = config("nf.lua", 'return {data = {source = "csv", train = "' .. train .. '", test = "' .. train
        .. '", validation = 20}, model = {kind = "mlp", hidden = {8}}, optimizer = {"adamw", lr = 0.01'
        .. (policy and (', nonfinite = "' .. policy .. '"') or "") .. '}, epochs = 2, seed = 2}')
      return sh.lre("train " .. cfg .. " --metrics " .. dir .. "/nf.jsonl")
    end
    local code, out, err = run(nil)
    assert.are.equal(0, code, err)
    assert.is_nil(out:find("nonfinite", 1, true))
    local checked = sh.slurp(dir .. "/nf.jsonl"):gsub('"seconds":[%d.e+-]+', "")
    code, out, err = run("trust")
    assert.are.equal(0, code, err)
    assert.matches("adamw %(nonfinite = trust: gradients unchecked%), batch", out)
    assert.are.equal(checked, (sh.slurp(dir .. "/nf.jsonl"):gsub('"seconds":[%d.e+-]+', "")))
    code, out = run("skip")
    assert.matches("adamw %(nonfinite = skip%)", out)
    code, _, err = run("ignore")
    assert.are.equal(1, code)
    assert.matches("optimizer.nonfinite must be 'error', 'skip' or 'trust', got 'ignore'", err)
  end)

  it("refuses numbers that do not convert: 1e300, NaN, infinity, 2.5 epochs", function()
    for _, v in ipairs{"1e300", "0/0", "math.huge", "2.5", "-1"} do
      local code, _, err = sh.lre("train " .. config("num.lua", "return {epochs = " .. v .. "}") .. " --quiet")
      assert.are.equal(1, code, v)
      assert.matches("epochs must be a whole number in %[0, ", err)
    end
    local code, _, err = sh.lre("train " .. config("seed.lua", "return {seed = math.maxinteger, epochs = 0,"
      .. " optimizer = {'sgd', lr = 0.1}, data = {source = 'csv', train = '" .. dir .. "/syn3.csv', test = '" .. dir .. "/syn3.csv', validation = 20}}") .. " --quiet")
    assert.are.equal(0, code, err)
  end)
end)

describe("lrengine train's files", function()
  it("names the config file in a config error, and leaves an existing metrics file alone when a run fails early", function()
    local metrics = sh.write(dir .. "/keep.jsonl", "{\"epoch\":1}\n")
    local train = synthetic_csv(dir .. "/syn4.csv", 200, 7)
    local cfg = config("early.lua", 'return {data = {source = "csv", train = "' .. train .. '", test = "' .. train
      .. '", validation = 20}, model = {kind = "softmax"}, optimizer = {"sgd", lr = 0.1},'
      .. ' schedule = function(step) error("no rate") end}')
    local code, _, err = sh.lre("train " .. cfg .. " --quiet --metrics " .. metrics)
    assert.are.equal(1, code)
    assert.matches("no rate", err)
    assert.are.equal("{\"epoch\":1}\n", sh.slurp(metrics))
    code, _, err = sh.lre("train " .. config("typo.lua", "return {epochz = 3}") .. " --quiet")
    assert.are.equal(1, code)
    assert.matches("^lrengine: typo.lua: unknown key 'epochz'", err)
  end)
end)
