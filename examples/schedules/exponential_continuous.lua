-- Exponential decay, the continuous form: lr * exp(-k t) with k = 0.02.
local lre = require "lrengine"
return lre.schedule.exponential{lr = 0.1, gamma = math.exp(-0.02)}
