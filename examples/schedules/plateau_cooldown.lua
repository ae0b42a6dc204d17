-- A plateau rule of our own, with a cooldown: when the metric has not
-- improved by 1% for `patience` reports, multiply the rate by 0.5, then ignore
-- the metric for `cooldown` reports. The rule's memory lives in self.state,
-- which the engine saves with checkpoints.
return {
  state = {scale = 1, best = math.huge, bad = 0, cooldown = 0},
  patience = 3,
  cooldown = 2,
  at = function(self, step, ctx)
    return 0.1 * self.state.scale
  end,
  observe = function(self, metric, ctx)
    local s = self.state
    if s.cooldown > 0 then
      s.cooldown = s.cooldown - 1
      return
    end
    if metric < s.best * 0.99 then
      s.best, s.bad = metric, 0
    else
      s.bad = s.bad + 1
      if s.bad >= self.patience then
        s.scale, s.bad, s.cooldown = s.scale * 0.5, 0, self.cooldown
      end
    end
  end,
}
