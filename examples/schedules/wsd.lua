-- Warmup-stable-decay (MiniCPM): 100 warmup steps, 600 stable, 300 of 1-sqrt decay.
local lre = require "lrengine"
return lre.schedule.wsd{lr = 3e-3, warmup_steps = 100, stable_steps = 600, decay_steps = 300,
                        decay = "sqrt", min_lr = 3e-5}
