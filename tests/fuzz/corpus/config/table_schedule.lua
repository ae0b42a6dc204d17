return {
  data = {source = "csv", train = "d.csv", test = "d.csv"},
  model = {kind = "softmax"},
  optimizer = {kind = "adam", lr = 1e-3, betas = {0.9, 0.99}},
  schedule = {state = {halvings = 0}, at = function(self, step, ctx)
    local s = ctx.state
    if ctx.metric and s.last and ctx.metric > s.last then s.halvings = s.halvings + 1 end
    s.last = ctx.metric
    return 1e-3 * 0.5 ^ s.halvings
  end, observe = function(self, m, ctx) ctx.state.seen = (ctx.state.seen or 0) + 1 end},
  epochs = 1, batch_size = 32, observe = "val_acc",
}
