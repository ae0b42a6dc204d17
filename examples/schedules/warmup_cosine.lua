-- Linear warmup over 100 steps, then cosine decay to 1e-5 over 900.
local lre = require "lrengine"
local S = lre.schedule
return S.warmup{S.cosine{lr = 0.1, t_max = 900, eta_min = 1e-5, hold = true}, steps = 100}
