-- Composition no other library offers: a plateau rule that cuts the level of
-- a warmup + cosine schedule when the metric stalls.
local lre = require "lrengine"
local S = lre.schedule
local base = S.warmup{S.cosine{lr = 0.1, t_max = 400, eta_min = 1e-4}, steps = 50}
return S.plateau{base, factor = 0.5, patience = 5, min_lr = 1e-4}
