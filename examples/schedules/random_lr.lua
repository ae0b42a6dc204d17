-- A random rate, drawn uniformly in [1e-3, 1e-1] and redrawn every 10 steps;
-- reproducible from the seed and resumable (no hidden generator state).
local lre = require "lrengine"
return lre.schedule.random{min_lr = 1e-3, max_lr = 0.1, period = 10, seed = 42}
