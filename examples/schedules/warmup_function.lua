-- A schedule as a plain function of the step: linear warmup then 1/sqrt decay
-- (the Transformer's schedule, Vaswani et al. 2017, with d_model = 512).
return function(step, ctx)
  local t = step + 1
  return 512 ^ -0.5 * math.min(t ^ -0.5, t * 4000 ^ -1.5)
end
