-- One-cycle (Smith & Topin 2018) with its inverse momentum cycle: returning a
-- table of schedules drives several hyper-parameters at once.
local lre = require "lrengine"
local S = lre.schedule
local p = {max_lr = 0.1, total_steps = 200, pct_start = 0.3, base_momentum = 0.85, max_momentum = 0.95}
return {lr = S.one_cycle(p), momentum = S.one_cycle_momentum(p)}
