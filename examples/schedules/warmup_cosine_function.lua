-- Linear warmup over 1000 steps, then cosine decay to 0 over the next 99000,
-- written as a plain Lua function (warmup_cosine.lua builds the same shape
-- from built-ins). `make bench` times this file called from C.
local cos, pi = math.cos, math.pi
local lr, warmup, decay = 0.1, 1000, 99000

return function(step)
  if step < warmup then return lr * step / warmup end
  if step >= warmup + decay then return 0 end
  return 0.5 * lr * (1 + cos(pi * (step - warmup) / decay))
end
