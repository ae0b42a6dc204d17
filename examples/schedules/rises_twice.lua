-- A stateful rule: halve the rate when the metric rises twice in a row.
-- ctx.state survives checkpoints, so a resumed run remembers the last metric,
-- the run of rises and the halvings so far.
return function(step, ctx)
  local s = ctx.state
  s.halvings = s.halvings or 0
  if ctx.metric and ctx.metric ~= s.last then
    if s.last and ctx.metric > s.last then s.rises = (s.rises or 0) + 1 else s.rises = 0 end
    if s.rises == 2 then s.halvings, s.rises = s.halvings + 1, 0 end
    s.last = ctx.metric
  end
  return 0.05 * 0.5 ^ s.halvings
end
