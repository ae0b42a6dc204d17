-- Cyclical learning rate, triangular2 (Smith 2017): the amplitude halves each cycle.
local lre = require "lrengine"
return lre.schedule.cyclic{base_lr = 1e-3, max_lr = 1e-2, step_size_up = 20, mode = "triangular2"}
