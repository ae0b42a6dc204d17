-- Reads the modern reference traces (spec/fixtures/golden/modern.json, format
-- in ../shared/golden/MODERN.md): numbers, with NaN and infinities spelled
-- "nan", "inf", "-inf"; and the check every recorded value passes:
-- |got - want| <= abs + rel*|want|, NaN matching NaN and an infinity itself.
local golden = require "support.golden"

local M = {}

local SPECIAL = {nan = 0 / 0, inf = math.huge, ["-inf"] = -math.huge}

-- Replaces the special strings by numbers, in place, everywhere but in the
-- descriptive fields (a case's "semantics" is text).
local function numbers(v)
  if type(v) ~= "table" then return v end
  for k, x in pairs(v) do
    if type(x) == "string" and SPECIAL[x] then v[k] = SPECIAL[x] else numbers(x) end
  end
  return v
end

function M.load(dir)
  local doc = numbers(golden.load(dir or os.getenv("LRE_GOLDEN_DIR") or "spec/fixtures/golden", "modern.json"))
  assert(doc.format == "lrengine-golden-modern/1", "unknown format " .. tostring(doc.format))
  return doc
end

-- The tolerance {abs, rel} of a case's field (tolerance_fields overrides).
function M.tolerance(case, field)
  local t = case.tolerance_fields and case.tolerance_fields[field] or case.tolerance
  return t.abs, t.rel
end

-- Flattens nested lists (a matrix given as rows) into one list.
function M.flat(v, out)
  out = out or {}
  if type(v) ~= "table" then out[#out + 1] = v; return out end
  for _, x in ipairs(v) do M.flat(x, out) end
  return out
end

local function same(g, w, abs, rel)
  if type(g) ~= "number" then return false end
  if w ~= w then return g ~= g end
  if w == math.huge or w == -math.huge then return g == w end
  return math.abs(g - w) <= abs + rel * math.abs(w)
end

-- Compares got with want (numbers or nested lists of them) within the
-- tolerance {abs, rel}; returns true, or false and a message naming the
-- first miss as `what[index]`.
function M.close(got, want, abs, rel, what)
  local g, w = M.flat(got), M.flat(want)
  if #g ~= #w then return false, string.format("%s: %d values, want %d", what, #g, #w) end
  for i = 1, #w do
    if not same(g[i], w[i], abs, rel) then
      return false, string.format("%s[%d]: got %s, want %.17g (abs %g, rel %g)", what, i - 1, tostring(g[i]), w[i], abs, rel)
    end
  end
  return true
end

-- Asserts that field `field` of `case` at index t (1-based; nil: the whole
-- field) matches got, at the field's tolerance (or the float32 tolerance
-- when f32 is true, MODERN.md's 1e-6 + 1e-4*|want|).
function M.check(case, field, t, got, f32)
  local abs, rel = M.tolerance(case, field)
  if f32 then abs, rel = math.max(abs, 1e-6), math.max(rel, 1e-4) end
  local want = case[field]
  if t then want = want[t] end
  local ok, msg = M.close(got, want, abs, rel, case.name .. ": " .. field .. (t and (" at step " .. (t - 1)) or ""))
  assert(ok, msg)
end

return M
