-- Halve the rate every 30 steps (PyTorch StepLR).
local lre = require "lrengine"
return lre.schedule.step{lr = 0.1, step_size = 30, gamma = 0.5}
