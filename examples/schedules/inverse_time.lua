-- Inverse-time decay: lr / (1 + 0.05 t).
local lre = require "lrengine"
return lre.schedule.inverse_time{lr = 0.1, decay_rate = 0.05}
