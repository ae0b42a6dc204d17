-- Writes the checkpoint seeds of fuzz_checkpoint (tests/fuzz/corpus/checkpoint/) with this
-- build's `lrengine train`, and proves each loads: every seed is resumed by the binary on
-- the config that wrote it. Run from the repository's root after `make`:
--   lua5.4 tests/fuzz/seeds_checkpoint.lua [BUILD]      (BUILD: build/ by default)
-- The runs: a softmax (10 parameters) and an MLP with one hidden layer of 3 (23) on a
-- synthetic CSV (spec/support/synthetic.lua: 400 rows, 4 features, 2 classes), AdamW,
-- stopped after 2 of 4 epochs (--until 2):
--   softmax_adamw.ckpt, mlp3_adamw.ckpt   format 2: the run's checkpoint with its plan block
--                                         taken out (no planlen, no plan; CRC made right),
--                                         as a build without plans wrote it
--   plan_softmax_adamw.ckpt               format 4, the plan of one config (plateau over cosine)
--   plan_continued_twice.ckpt             format 4, that run continued twice: a cooldown from
--                                         step 36, then replaced by another config at step 54
-- Each is the optimizer's stream of the harness's optimizer: AdamW, one float32 group.
package.path = "spec/?.lua;" .. package.path
local build = arg[1] or "build"
local bin = "./" .. build .. "/bin/lrengine"
local sh = require "support.sh"
local synthetic_csv = require "support.synthetic"
local ckpt = require "support.ckpt"

local out = "tests/fuzz/corpus/checkpoint/"
local dir = sh.tmpdir()
synthetic_csv(dir .. "/syn.csv", 400, 1)

local function cfg(name, model, schedule)
  return sh.write(dir .. "/" .. name, [[
local lre = require "lrengine"
local S = lre.schedule
return {
  data = {source = "csv", train = "syn.csv", test = "syn.csv", validation = 40},
  model = ]] .. model .. [[,
  optimizer = {"adamw", lr = 0.01},
  schedule = ]] .. schedule .. [[,
  observe = "val_loss",
  epochs = 4, batch_size = 20,
}]])
end

local function train(args)
  local code, o, e = sh.run(bin .. " train " .. args .. " --quiet")
  assert(code == 0, "lrengine train " .. args .. ": " .. o .. e)
end

-- a format 4 checkpoint as format 2: the 88-byte header without planlen, no plan block
local function format2(path)
  local b = sh.slurp(path)
  assert(b:sub(1, 8) == "LRECKPT4", path .. ": not a format 4 checkpoint")
  local planlen = string.unpack("=I8", b, 81)
  local v2 = b:sub(1, 7) .. "2" .. b:sub(9, 80) .. b:sub(89, #b - 4 - planlen)
  return v2 .. string.pack("=I4", ckpt.crc32(v2))
end

local softmax = cfg("s.lua", '{kind = "softmax"}', "S.cosine{lr = 0.01, t_max = 72}")
local mlp3 = cfg("m.lua", '{kind = "mlp", hidden = {3}}', "S.step{lr = 0.01, step_size = 18, gamma = 0.5}")
local f = cfg("f.lua", '{kind = "softmax"}', "S.plateau{S.cosine{lr = 0.01, t_max = 72}, patience = 0, factor = 0.5}")
local g = cfg("g.lua", '{kind = "softmax"}', "S.plateau{S.cosine{lr = 0.01, t_max = 144}, patience = 0, factor = 0.5}")

local seeds = {}
for _, r in ipairs{{"softmax_adamw.ckpt", softmax}, {"mlp3_adamw.ckpt", mlp3}} do
  local c = dir .. "/" .. r[1]
  train(r[2] .. " --checkpoint " .. c .. " --until 2")
  sh.write(out .. r[1], format2(c))
  seeds[#seeds + 1] = {r[1], r[2]}
end
local p, c1, c2 = dir .. "/p.ckpt", dir .. "/c1.ckpt", dir .. "/c2.ckpt"
train(f .. " --checkpoint " .. p .. " --until 2")
train(f .. " --resume " .. p .. " --checkpoint " .. c1 .. " --continue cooldown:steps=30,shape=sqrt --epochs 4 --until 3")
train(g .. " --resume " .. c1 .. " --checkpoint " .. c2 .. " --continue replace --epochs 6")
sh.write(out .. "plan_softmax_adamw.ckpt", sh.slurp(p))
sh.write(out .. "plan_continued_twice.ckpt", sh.slurp(c2))
seeds[#seeds + 1] = {"plan_softmax_adamw.ckpt", f}
seeds[#seeds + 1] = {"plan_continued_twice.ckpt", g .. " --epochs 6"}

-- each seed loads: resumed on the config that wrote it (a copy: a resume checkpoints nothing here)
for _, s in ipairs(seeds) do
  local copy = dir .. "/resume-" .. s[1]
  sh.write(copy, sh.slurp(out .. s[1]))
  local code, o, e = sh.run(bin .. " train " .. s[2] .. " --resume " .. copy)
  assert(code == 0 and o:find("final test_acc=", 1, true), s[1] .. " does not resume: " .. o .. e)
  print(("%-28s %5d bytes, format %s, resumed: %s"):format(s[1], #sh.slurp(out .. s[1]),
        sh.slurp(out .. s[1]):sub(8, 8), o:match("final [^\n]*")))
end
os.execute("rm -rf " .. dir)
