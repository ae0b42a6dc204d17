-- Resume for the optimizers of issue 13 (AdEMAMix, Muon, Prodigy): a run
-- saved at step k and loaded into a fresh optimizer over copies of the
-- parameters continues byte for byte as the run that never stopped (the
-- parameters after N steps and the saved states are equal as bytes). The
-- gradients are a fixed function of the step and the position (sin), so
-- both runs see the same ones.
local lre = require "lrengine"

local N, K = 12, 5

-- Builds an optimizer over fresh tensors (shapes: a list of {rows, cols} or
-- {n}); returns it and a function that sets the gradients of step t.
local function build(kind, hps, shapes, dtype)
  local groups, ps, gs = {}, {}, {}
  for i, s in ipairs(shapes) do
    local n = s[2] and s[1] * s[2] or s[1]
    ps[i] = s[2] and lre.tensor(s[1], s[2], dtype) or lre.tensor(n, dtype)
    gs[i] = lre.tensor(n, dtype)
    for j = 1, n do ps[i][j] = math.cos(j + 3 * i) end
    groups[i] = {params = ps[i], grads = gs[i]}
  end
  for k, v in pairs(hps) do groups[k] = v end
  local opt = lre.optim[kind](groups)
  local function grads(t)
    for i, g in ipairs(gs) do
      for j = 1, #g do g[j] = math.sin(0.7 * t + 1.3 * j + i) * (1 + 0.1 * j) + 0.1 * (ps[i][j]) end
    end
  end
  return opt, ps, grads
end

local function bytes(ps)
  local out = {}
  for i, p in ipairs(ps) do
    local t = {}
    for j = 1, #p do t[j] = string.pack("<d", p[j]) end
    out[i] = table.concat(t)
  end
  return table.concat(out, "|")
end

local cases = {
  {"ademamix", {lr = 0.01, betas = {0.9, 0.999, 0.9999}, alpha = 5, alpha_warmup = 8, beta3_warmup = 8,
                weight_decay = 0.01}, {{6}, {2, 3}}},
  -- two matrix groups (wide and tall) by Muon's rule, a vector by its AdamW rule
  {"muon", {lr = 0.02, momentum = 0.95, weight_decay = 0.01}, {{3, 4}, {5, 2}, {6}}},
  -- d, d_max, N, dlr and k are the optimizer's, saved beside the groups
  {"prodigy", {lr = 1, d0 = 1e-3, weight_decay = 0.01, use_bias_correction = true, growth_rate = 1.5}, {{5}, {2, 2}}},
}

describe("optimizers of issue 13 resume byte for byte", function()
  for _, c in ipairs(cases) do
    for _, dtype in ipairs{"f64", "f32"} do
      it(c[1] .. " (" .. dtype .. ") saved at step " .. K .. " of " .. N, function()
        local a, pa, ga = build(c[1], c[2], c[3], dtype)
        local b, pb, gb = build(c[1], c[2], c[3], dtype)
        for t = 1, K do ga(t); a:step(); gb(t); b:step() end
        local saved = b:save()
        b:close()
        local r, pr, gr = build(c[1], c[2], c[3], dtype)
        for i, p in ipairs(pb) do pr[i]:copy(p) end
        assert.is_true(r:load(saved))
        assert.are.equal(saved, r:save())
        for t = K + 1, N do ga(t); a:step(); gr(t); r:step() end
        assert.are.equal(bytes(pa), bytes(pr))
        assert.are.equal(a:save(), r:save())
        assert.are.equal(N, r:step_count())
      end)
    end
  end
end)
