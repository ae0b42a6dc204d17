-- Shapes: a tensor is a flat buffer and a shape (a vector, or a matrix of
-- rows x cols stored row-major); optimizer groups built from a matrix carry
-- its shape, which the saved state records. Expected values follow from the
-- row-major layout: entry [r][c] of an R x C matrix is element (r-1)*C + c.
local lre = require "lrengine"

describe("matrix tensors", function()
  it("are built from a list of rows, row-major, and give the rows back", function()
    local t = lre.tensor({{1, 2, 3}, {4, 5, 6}}, "f32")
    assert.are.same({2, 3}, {t:shape()})
    assert.are.equal(6, #t)
    assert.are.equal(4, t[4]) -- [2][1]
    assert.are.equal(3, t[3]) -- [1][3]
    assert.are.same({{1, 2, 3}, {4, 5, 6}}, t:totable())
    assert.are.equal("f32", t:dtype())
    assert.matches("^lrengine.tensor%(2 x 3, f32%)", tostring(t))
  end)

  it("are made by size, copy lists of rows or flat lists, and reshape in place", function()
    local t = lre.tensor(3, 2)
    assert.are.same({3, 2}, {t:shape()})
    assert.are.same({{0, 0}, {0, 0}, {0, 0}}, t:totable())
    t:copy{{1, 2}, {3, 4}, {5, 6}}
    assert.are.same({1, 2, 3, 4, 5, 6}, {t[1], t[2], t[3], t[4], t[5], t[6]})
    t:copy{6, 5, 4, 3, 2, 1}
    assert.are.same({{6, 5}, {4, 3}, {2, 1}}, t:totable())
    assert.are.equal(t, t:reshape(2, 3))
    assert.are.same({{6, 5, 4}, {3, 2, 1}}, t:totable())
    t:reshape(6)
    assert.are.same({6}, {t:shape()})
    assert.are.same({6, 5, 4, 3, 2, 1}, t:totable())
    assert.are.same({4}, {lre.tensor(4):shape()})
  end)

  it("refuse ragged rows, non-numbers and sizes that do not fit", function()
    assert.has_error(function() lre.tensor{{1, 2}, {3}} end,
      "bad argument #1 to 'tensor' (row 2 has 1 entries, row 1 has 2)")
    assert.has_error(function() lre.tensor{{1, 2}, 3} end, "bad argument #1 to 'tensor' (row 2 is not a list)")
    assert.has_error(function() lre.tensor{{1, "x"}} end,
      "bad argument #1 to 'tensor' (entry [1][2] is not a number)")
    assert.has_error(function() lre.tensor(-1, 2) end, "bad argument #1 to 'tensor' (rows must be >= 0)")
    local t = lre.tensor(2, 3)
    assert.has_error(function() t:reshape(4, 2) end, "bad argument #2 to 'reshape' (a 4 x 2 matrix: the tensor has 6 entries)")
    assert.has_error(function() t:reshape(5) end, "bad argument #1 to 'reshape' (a vector of 5 entries: the tensor has 6)")
    assert.has_error(function() t:copy{{1, 2}, {3, 4}} end)
    assert.are.same({2, 3}, {t:shape()})
  end)
end)

describe("optimizer groups", function()
  it("carry the shape of a matrix tensor, and vectors are 1-D", function()
    local w, gw = lre.tensor{{1, 2}, {3, 4}, {5, 6}}, lre.tensor(3, 2)
    local b, gb = lre.tensor{1, 2}, lre.tensor(2)
    local opt = lre.optim.sgd{{params = w, grads = gw}, {params = b, grads = gb}, lr = 0.1}
    assert.are.same({3, 2}, {opt:shape(1)})
    assert.are.same({2}, {opt:shape(2)})
    assert.has_error(function() opt:shape(3) end)
  end)

  it("record the shape in saved state: another shape of the same size is refused", function()
    local function make(r, c)
      local p = lre.tensor(r, c)
      return lre.optim.sgd{params = p, grads = lre.tensor(r * c):fill(1), lr = 0.1, momentum = 0.9}
    end
    local a, b, v = make(2, 3), make(3, 2), lre.optim.sgd{params = lre.tensor(6), grads = lre.tensor(6), lr = 0.1, momentum = 0.9}
    a:step()
    local bytes = a:save()
    assert.has_error(function() b:load(bytes) end,
      "bad argument #2 to 'load' (sgd: optimizer state of another configuration: group 1 has another shape (matrix 2 x 3, this group is a matrix 3 x 2))")
    assert.has_error(function() v:load(bytes) end,
      "bad argument #2 to 'load' (sgd: optimizer state of another configuration: group 1 has another shape (matrix 2 x 3, this group is a vector 1 x 6))")
    assert.are.equal(0, b:step_count())
    assert.is_true(make(2, 3):load(bytes))
  end)
end)
