-- The C trainer example (examples/c/trainer.c): a script schedule used from
-- C through lrengine_script.h.
local sh = require "support.sh"

describe("the C trainer example", function()
  it("uses a script schedule from C and resumes it exactly", function()
    for _, s in ipairs{"rises_twice.lua", "plateau_cooldown.lua", "warmup_cosine.lua"} do
      local code, out = sh.run("./" .. sh.build .. "/examples/c_trainer examples/schedules/" .. s)
      assert.are.equal(0, code, s)
      assert.matches("resumed run identical", out)
    end
  end)
end)
