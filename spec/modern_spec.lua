-- Conformance with the modern reference traces (modern.json; MODERN.md):
-- every case is a test. Each family's runner is spec/support/modern/<family>.lua,
-- a function(case, check) that replays the case and checks every recorded
-- field; a family without a runner fails, it is never skipped.
local modern = require "support.modern"

local doc = modern.load()

local runners = {}
local function runner(family)
  if runners[family] == nil then
    local path = "spec/support/modern/" .. family .. ".lua"
    local f = io.open(path, "r")
    if f then f:close(); runners[family] = dofile(path) else runners[family] = false end
  end
  return runners[family]
end

describe("modern training features reproduce the reference traces", function()
  for _, case in ipairs(doc.cases) do
    it(case.name .. " (" .. case.family .. ")", function()
      local run = runner(case.family)
      assert(run, "no runner for family " .. case.family .. " (spec/support/modern/" .. case.family .. ".lua)")
      run(case, modern)
    end)
  end
end)
