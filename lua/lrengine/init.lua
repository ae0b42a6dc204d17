-- lrengine: optimizers and learning-rate schedules (see README.md).
-- The engine is the C module lrengine.core; this file adds the pure-Lua
-- parts: charts of schedules (lrengine.plot).
local core = require "lrengine.core"

local M = {}
for k, v in pairs(core) do M[k] = v end

-- lre.plot is loaded on first use: schedule scripts rarely need it.
setmetatable(M, {
  __index = function(t, k)
    if k == "plot" then
      local plot = require "lrengine.plot"
      rawset(t, "plot", plot)
      return plot
    end
  end,
})

return M
