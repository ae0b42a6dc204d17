-- A synthetic classification problem as a CSV file, for specs that train:
-- two classes in 4 dimensions, the first two features centred on
-- +separation or -separation (default 1: well separated), from a seeded LCG
-- so every run writes the same bytes.
local sh = require "support.sh"

return function(path, n, seed, separation)
  separation = separation or 1
  local rows, s = {"label,a,b,c,d"}, seed
  local function r()
    s = (s * 1103515245 + 12345) % 2147483648
    return s / 2147483648 - 0.5
  end
  for i = 1, n do
    local y = i % 2
    local c = y == 1 and separation or -separation
    rows[#rows + 1] = string.format("%d,%.4f,%.4f,%.4f,%.4f", y, c + r(), c + r(), r(), r())
  end
  return sh.write(path, table.concat(rows, "\n") .. "\n")
end
