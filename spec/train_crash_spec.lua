-- Crash safety of the training job's checkpoints: `lrengine train` killed
-- with SIGKILL at random moments (LRE_CRASH_KILLS times, default 20; the
-- moments from LRE_CRASH_SEED, default the clock, printed) always leaves
-- either no checkpoint or a whole one, and the run resumed after the kills
-- ends byte-identical to one never interrupted. A full disk (a 64 KB tmpfs
-- when it can be mounted, and always a file size limit) stops the run with a
-- clear message and leaves the previous checkpoint whole.
local sh = require "support.sh"

local KILLS = tonumber(os.getenv("LRE_CRASH_KILLS")) or 20
local SEED = tonumber(os.getenv("LRE_CRASH_SEED")) or os.time()

local dir, mnt, mounted

local synthetic = require "support.synthetic"
local function synthetic_csv(path, n, seed) return synthetic(path, n, seed, 0.3) end

local function config(name, epochs, extra)
  local train = dir .. "/train.csv"
  return sh.write(dir .. "/" .. name, string.format([[
return {
  data = {source = "csv", train = %q, test = %q, validation = 8},
  model = {kind = "mlp", hidden = {8}},
  optimizer = {"adamw", lr = 0.003},
  %s
  epochs = %d, batch_size = 8, seed = 5,
}]], train, train, extra or "", epochs))
end

local function now()
  local p = io.popen("date +%s%N")
  local t = tonumber(p:read("l"))
  p:close()
  return t / 1e9
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

-- the checkpoint's temporaries (PATH.tmp.XXXXXX) in its directory
local function temporaries(ck)
  local d, base = ck:match("^(.*)/([^/]+)$")
  local p = io.popen("ls -a " .. d)
  local found = {}
  for name in p:lines() do
    if name:sub(1, #base + 5) == base .. ".tmp." then found[#found + 1] = name end
  end
  p:close()
  return found
end

-- completed epochs, from the header (offset 32, the writer's byte order;
-- the current format, 4, is the only one the job writes)
local function epoch_of(ck)
  local b = sh.slurp(ck)
  assert(#b >= 88 and b:sub(1, 8) == "LRECKPT4", "not a whole checkpoint header of format 4")
  return (string.unpack("=I8", b, 33))
end

-- whether the checkpoint loads (and how it failed if not)
local function loads(cfg, ck)
  local code, out, err = sh.lre("train " .. cfg .. " --resume " .. ck .. " --epochs 0 --quiet")
  return code == 0 and out:match("^final test_acc=") ~= nil, err
end

-- runs `lrengine ARGS` and sends it SIGKILL after `delay` seconds; its exit code (137: killed)
local function run_and_kill(args, delay)
  return (sh.run(string.format("sh -c '%s %s & pid=$!; sleep %.3f; kill -KILL $pid 2>/dev/null; wait $pid'",
    sh.bin, args, delay)))
end

describe("lrengine train under kill -9", function()
  setup(function()
    dir = sh.tmpdir()
    synthetic_csv(dir .. "/train.csv", 64, 7)
  end)
  teardown(function()
    if mounted then os.execute("umount " .. mnt) end
    os.execute("rm -rf " .. dir)
  end)

  it("leaves no checkpoint or a whole one at each kill, and the resumed run ends byte-identical", function()
    local cfg = config("run.lua", 200)
    local ref, ck = dir .. "/ref.ckpt", dir .. "/run.ckpt"
    local t0 = now()
    local code, ref_out, err = sh.lre("train " .. cfg .. " --checkpoint " .. ref .. " --quiet")
    local total = now() - t0
    assert.are.equal(0, code, err)
    local ref_bytes, ref_final = sh.slurp(ref), ref_out:match("final [^\n]+")
    t0 = now()
    assert.is_true(loads(cfg, ref))
    local startup = now() - t0
    -- a run resumed to its end: the same bytes and figures as the uninterrupted one
    local chains = 0
    local function finish_chain()
      local resume = exists(ck) and (" --resume " .. ck) or ""
      local c, out, e = sh.lre("train " .. cfg .. " --checkpoint " .. ck .. resume .. " --quiet")
      assert.are.equal(0, c, e)
      assert.is_true(ref_bytes == sh.slurp(ck), "a resumed run's checkpoint differs (seed " .. SEED .. ")")
      assert.are.equal(ref_final, out:match("final [^\n]+"))
      assert.are.same({}, temporaries(ck))
      chains = chains + 1
    end
    -- kill moments spread so that a chain of KILLS runs makes about half the full run's
    -- progress; halved whenever a run gets to its end first (fsync times vary)
    local window = startup + (total - startup) / KILLS
    math.randomseed(SEED)
    local kills, finished, absent, whole, last, stale, nstale = 0, 0, 0, 0, -1, {}, 0
    while kills < KILLS do
      assert.is_true(finished < KILLS, "the runs keep finishing before their kill (seed " .. SEED .. ")")
      local resume = exists(ck) and (" --resume " .. ck) or ""
      local rc = run_and_kill("train " .. cfg .. " --checkpoint " .. ck .. resume .. " --quiet", math.random() * window)
      if rc == 137 then
        kills = kills + 1
        if exists(ck) then
          local ok, why = loads(cfg, ck)
          assert.is_true(ok, "kill " .. kills .. " (seed " .. SEED .. "): " .. tostring(why))
          local e = epoch_of(ck)
          assert.is_true(e >= last and e >= 1 and e <= 200, "epoch " .. e .. " after " .. last)
          last = e
          whole = whole + 1
        else
          assert.are.equal(-1, last, "the checkpoint vanished (seed " .. SEED .. ")")
          absent = absent + 1
        end
        for _, name in ipairs(temporaries(ck)) do -- killed mid-write
          if not stale[name] then stale[name], nstale = true, nstale + 1 end
        end
      else
        assert.are.equal(0, rc, "exit code " .. tostring(rc) .. " (seed " .. SEED .. ")")
        finished, window = finished + 1, window / 2
        assert.is_true(ref_bytes == sh.slurp(ck), "a resumed run's checkpoint differs (seed " .. SEED .. ")")
        os.remove(ck)
        chains, last = chains + 1, -1
      end
    end
    finish_chain()
    io.stderr:write(string.format("\n# kill -9: %d kills (%d before a first checkpoint, %d with a whole one), "
      .. "%d chains of resumed runs ended byte-identical (%d run(s) got to the end before their kill), "
      .. "%d killed mid-write (their temporaries removed by the next write); full run %.2f s, seed %d\n",
      kills, absent, whole, chains, finished, nstale, total, SEED))
  end)

  -- a config whose checkpoints grow by about 7 KB per epoch (its script's state)
  local function growing()
    return config("grow.lua", 60, [[schedule = function(step, ctx)
    ctx.state.pad = (ctx.state.pad or "") .. string.rep("x", 1000)
    return 0.003
  end,]])
  end

  -- runs `sh_prefix lrengine train` until the disk is full; checks the message and the checkpoint left
  local function fills(ck, prefix, reason)
    local cfg = growing()
    local code, _, err = sh.run(prefix .. sh.bin .. " train " .. cfg .. " --checkpoint " .. ck .. " --quiet")
    assert.are.equal(1, code, err)
    assert.matches("checkpoint " .. ck:gsub("%p", "%%%0") .. ": writing " .. ck:gsub("%p", "%%%0")
      .. "%.tmp%.%w+: " .. reason .. "; the previous checkpoint, if any, is unchanged", err)
    assert.is_true(exists(ck), "no checkpoint was written before the disk filled")
    local ok, why = loads(cfg, ck)
    assert.is_true(ok, why)
    assert.is_true(epoch_of(ck) >= 1)
    assert.are.same({}, temporaries(ck))
    return epoch_of(ck)
  end

  it("stops with a clear message on a full disk (a 64 KB tmpfs), keeping the previous checkpoint", function()
    mnt = dir .. "/mnt"
    os.execute("mkdir -p " .. mnt)
    mounted = sh.run("mount -t tmpfs -o size=64k tmpfs " .. mnt) == 0
    if mounted then
      local e = fills(mnt .. "/run.ckpt", "", "No space left on device")
      io.stderr:write(string.format("\n# full tmpfs: stopped after epoch %d, whose checkpoint is whole\n", e))
    else
      -- no mount here (not root, or no CAP_SYS_ADMIN): the same failure through a file size limit
      local e = fills(mnt .. "/run.ckpt", "trap '' XFSZ; ulimit -f 64; ", "File too large")
      io.stderr:write(string.format("\n# no tmpfs (mount refused): file size limit stopped after epoch %d\n", e))
    end
  end)

  it("stops with a clear message when a write fails (a file size limit), keeping the previous checkpoint", function()
    os.execute("mkdir -p " .. dir .. "/fsize")
    fills(dir .. "/fsize/run.ckpt", "trap '' XFSZ; ulimit -f 64; ", "File too large")
  end)
end)
