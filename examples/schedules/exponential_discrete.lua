-- Exponential decay, the discrete form: lr * gamma^floor(t / 20) (Keras staircase).
local lre = require "lrengine"
return lre.schedule.exponential{lr = 0.1, gamma = 0.5, decay_steps = 20, staircase = true}
