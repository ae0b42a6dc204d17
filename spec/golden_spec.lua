-- Conformance with PyTorch 1.13 and Keras: every case of the reference traces
-- (spec/fixtures/golden, or the directory in LRE_GOLDEN_DIR), in float64 and
-- float32, is a test of its own.
local golden = require "support.golden"

local dir = os.getenv("LRE_GOLDEN_DIR") or "spec/fixtures/golden"
local TOL = {f64 = {1e-12, 1e-10}, f32 = {1e-6, 1e-4}}

describe("schedules reproduce the reference traces", function()
  local doc = golden.load(dir, "schedules.json")
  assert.are.equal("lrengine-golden-schedules/1", doc.format)
  for _, case in ipairs(doc.cases) do
    it(case.name .. " (" .. case.family .. " " .. case.kind .. ")", function()
      local ok, msg = golden.close(golden.curve(case), case.lr, 1e-12, 1e-10, "lr")
      assert(ok, msg)
      if case.momentum then
        ok, msg = golden.close(golden.momentum_curve(case), case.momentum, 1e-12, 1e-10, "momentum")
        assert(ok, msg)
      end
    end)
  end
end)

describe("optimizers reproduce the reference traces", function()
  local doc = golden.load(dir, "optimizers.json")
  assert.are.equal("lrengine-golden-optimizers/1", doc.format)
  for _, case in ipairs(doc.cases) do
    for _, dtype in ipairs{"f64", "f32"} do
      it(case.name .. " (" .. case.optimizer .. ", " .. dtype .. ")", function()
        local opt, params, grads = golden.optimizer(case, dtype)
        local atol, rtol = TOL[dtype][1], TOL[dtype][2]
        for t, g in ipairs(case.grads) do
          grads:copy(g)
          assert.is_true(opt:step())
          if case.lr then
            local ok, msg = golden.close({opt:get("lr")}, {case.lr[t]}, 1e-12, 1e-10, "lr at step " .. (t - 1))
            assert(ok, msg)
          end
          local ok, msg = golden.close(params:totable(), case.x[t], atol, rtol, "x after step " .. (t - 1))
          assert(ok, msg)
        end
      end)
    end
  end
end)
