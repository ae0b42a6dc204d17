/* tensor.c -- lre.tensor: a contiguous float32 or float64 array that Lua
 * indexes from 1 and that optimizers update in place. The data lives inside
 * the userdata, so it never moves while the tensor is alive. A tensor has a
 * shape: a vector, or a matrix of rows x cols stored row-major (t[i] still
 * indexes the flat buffer); optimizers see a matrix tensor's shape. */
#include "lrengine_lua.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static double get(const lre_tensor *t, size_t i)
{
    return t->dtype == LRE_F32 ? (double)((float *)t->data)[i] : ((double *)t->data)[i];
}

static void set(lre_tensor *t, size_t i, double v)
{
    if (t->dtype == LRE_F32) ((float *)t->data)[i] = (float)v;
    else ((double *)t->data)[i] = v;
}

lre_tensor *lre_lua_checktensor(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, LRE_TENSOR_MT);
}

lre_tensor *lre_lua_newtensor(lua_State *L, size_t n, lre_dtype dtype)
{
    size_t es = dtype == LRE_F64 ? sizeof(double) : sizeof(float);
    /* Lua refuses blocks beyond LUA_MAXINTEGER bytes ("block too big", naming nothing) */
    if (n > ((size_t)LUA_MAXINTEGER - sizeof(lre_tensor) - 64) / es)
        luaL_error(L, "tensor of %f elements is too large", (lua_Number)n);
    lre_tensor *t = lua_newuserdatauv(L, sizeof(lre_tensor) + 16 + n * es, 0);
    t->n = n;
    t->dtype = dtype;
    t->rows = 1;
    t->cols = n;
    t->ndim = 1;
    /* align the data to 16 bytes after the header */
    uintptr_t base = (uintptr_t)(t + 1);
    t->data = (void *)((base + 15) & ~(uintptr_t)15);
    memset(t->data, 0, n * es);
    luaL_setmetatable(L, LRE_TENSOR_MT);
    return t;
}

static lre_dtype checkdtype(lua_State *L, int idx)
{
    static const char *const names[] = {"f32", "f64", NULL};
    return luaL_checkoption(L, idx, "f64", names) == 0 ? LRE_F32 : LRE_F64;
}

/* Fills t from the list at idx (argument arg), which has t->n entries. */
static void fill_from_table(lua_State *L, lre_tensor *t, int idx, int arg)
{
    lre_lua_charge_entries(L, idx, (double)t->n);
    for (size_t i = 0; i < t->n; i++) {
        int isnum;
        lua_geti(L, idx, (lua_Integer)i + 1);
        double v = lua_tonumberx(L, -1, &isnum);
        if (!isnum) luaL_argerror(L, arg, lua_pushfstring(L, "entry %I is not a number", (lua_Integer)i + 1));
        set(t, i, v);
        lua_pop(L, 1);
    }
}

/* Is the list at idx a list of rows (its first entry a table)? */
static int is_rows(lua_State *L, int idx)
{
    int t = lua_geti(L, idx, 1);
    lua_pop(L, 1);
    return t == LUA_TTABLE;
}

/* The shape of the list of rows at idx (argument arg): every row a list of
 * the same length. */
static void rows_shape(lua_State *L, int idx, int arg, size_t *rows, size_t *cols)
{
    lua_Integer r = luaL_len(L, idx), c = 0;
    for (lua_Integer i = 1; i <= r; i++) {
        if (lua_geti(L, idx, i) != LUA_TTABLE)
            luaL_argerror(L, arg, lua_pushfstring(L, "row %I is not a list", i));
        lua_Integer len = luaL_len(L, -1);
        lua_pop(L, 1);
        if (i == 1) c = len;
        else if (len != c)
            luaL_argerror(L, arg, lua_pushfstring(L, "row %I has %I entries, row 1 has %I", i, len, c));
    }
    if (c < 0) luaL_argerror(L, arg, "a row with a negative length");
    *rows = (size_t)r;
    *cols = (size_t)c;
}

/* Fills matrix t from the list of rows at idx, of t's shape. */
static void fill_from_rows(lua_State *L, lre_tensor *t, int idx, int arg)
{
    lre_lua_charge(L, (double)t->n / 16);
    for (size_t r = 0; r < t->rows; r++) {
        lua_geti(L, idx, (lua_Integer)r + 1);
        for (size_t c = 0; c < t->cols; c++) {
            int isnum;
            lua_geti(L, -1, (lua_Integer)c + 1);
            double v = lua_tonumberx(L, -1, &isnum);
            if (!isnum)
                luaL_argerror(L, arg, lua_pushfstring(L, "entry [%I][%I] is not a number", (lua_Integer)r + 1,
                                                      (lua_Integer)c + 1));
            set(t, r * t->cols + c, v);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
}

static void set_matrix(lre_tensor *t, size_t rows, size_t cols)
{
    t->rows = rows;
    t->cols = cols;
    t->ndim = 2;
}

/* A whole number >= 0 at idx. */
static size_t checksize(lua_State *L, int idx, const char *what)
{
    lua_Integer n = luaL_checkinteger(L, idx);
    if (n < 0) luaL_argerror(L, idx, lua_pushfstring(L, "%s must be >= 0", what));
    return (size_t)n;
}

/* lre.tensor(n [, dtype]), lre.tensor(rows, cols [, dtype]),
 * lre.tensor(list [, dtype]) (a vector) or lre.tensor(list_of_rows [, dtype])
 * (a matrix); dtype "f32" or "f64" (the default). */
static int tensor_new(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TTABLE) {
        lre_dtype dtype = checkdtype(L, 2);
        if (is_rows(L, 1)) {
            size_t rows, cols, n;
            rows_shape(L, 1, 1, &rows, &cols);
            if (cols != 0 && rows > SIZE_MAX / cols) luaL_argerror(L, 1, "too many entries");
            n = rows * cols;
            lre_tensor *t = lre_lua_newtensor(L, n, dtype);
            set_matrix(t, rows, cols);
            fill_from_rows(L, t, 1, 1);
            return 1;
        }
        lua_Integer n = luaL_len(L, 1);
        luaL_argcheck(L, n >= 0, 1, "a list with a negative length");
        fill_from_table(L, lre_lua_newtensor(L, (size_t)n, dtype), 1, 1);
        return 1;
    }
    if (lua_type(L, 2) == LUA_TNUMBER) {
        size_t rows = checksize(L, 1, "rows"), cols = checksize(L, 2, "cols");
        lre_dtype dtype = checkdtype(L, 3);
        if (cols != 0 && rows > SIZE_MAX / cols) luaL_argerror(L, 2, "too many entries");
        set_matrix(lre_lua_newtensor(L, rows * cols, dtype), rows, cols);
        return 1;
    }
    lre_dtype dtype = checkdtype(L, 2);
    lre_lua_newtensor(L, checksize(L, 1, "size"), dtype);
    return 1;
}

static size_t checkindex(lua_State *L, lre_tensor *t, int idx)
{
    lua_Integer i = luaL_checkinteger(L, idx);
    if (i < 1 || (lua_Unsigned)i > t->n)
        luaL_error(L, "tensor index %d out of range [1, %d]", (int)i, (int)t->n);
    return (size_t)(i - 1);
}

static int tensor_index(lua_State *L)
{
    lre_tensor *t = lre_lua_checktensor(L, 1);
    if (lua_type(L, 2) == LUA_TNUMBER) {
        lua_pushnumber(L, get(t, checkindex(L, t, 2)));
        return 1;
    }
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "__methods");
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
}

static int tensor_newindex(lua_State *L)
{
    lre_tensor *t = lre_lua_checktensor(L, 1);
    size_t i = checkindex(L, t, 2);
    set(t, i, luaL_checknumber(L, 3));
    return 0;
}

static int tensor_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)lre_lua_checktensor(L, 1)->n);
    return 1;
}

static int tensor_fill(lua_State *L)
{
    lre_tensor *t = lre_lua_checktensor(L, 1);
    double v = luaL_checknumber(L, 2);
    lre_lua_charge(L, (double)t->n / 16);
    for (size_t i = 0; i < t->n; i++) set(t, i, v);
    lua_settop(L, 1);
    return 1;
}

/* t:copy(src): src is a tensor of the same size, a list of the same length,
 * or (for a matrix) a list of rows of its shape. */
static int tensor_copy(lua_State *L)
{
    lre_tensor *t = lre_lua_checktensor(L, 1);
    lre_tensor *src = luaL_testudata(L, 2, LRE_TENSOR_MT);
    if (src) {
        luaL_argcheck(L, src->n == t->n, 2, "tensor sizes differ");
        lre_lua_charge(L, (double)t->n / 16);
        for (size_t i = 0; i < t->n; i++) set(t, i, get(src, i));
    } else if (luaL_checktype(L, 2, LUA_TTABLE), t->ndim == 2 && is_rows(L, 2)) {
        size_t rows, cols;
        rows_shape(L, 2, 2, &rows, &cols);
        luaL_argcheck(L, rows == t->rows && cols == t->cols, 2, "rows differ from the tensor's shape");
        fill_from_rows(L, t, 2, 2);
    } else {
        luaL_argcheck(L, (size_t)luaL_len(L, 2) == t->n, 2, "table length differs from the tensor's");
        fill_from_table(L, t, 2, 2);
    }
    lua_settop(L, 1);
    return 1;
}

/* t:totable(): a list, or a list of rows for a matrix. */
static int tensor_totable(lua_State *L)
{
    lre_tensor *t = lre_lua_checktensor(L, 1);
    lre_lua_charge(L, (double)t->n / 16);
    if (t->ndim == 2) {
        lua_createtable(L, t->rows < INT32_MAX ? (int)t->rows : 0, 0);
        for (size_t r = 0; r < t->rows; r++) {
            lua_createtable(L, t->cols < INT32_MAX ? (int)t->cols : 0, 0);
            for (size_t c = 0; c < t->cols; c++) {
                lua_pushnumber(L, get(t, r * t->cols + c));
                lua_rawseti(L, -2, (lua_Integer)c + 1);
            }
            lua_rawseti(L, -2, (lua_Integer)r + 1);
        }
        return 1;
    }
    lua_createtable(L, (int)t->n, 0);
    for (size_t i = 0; i < t->n; i++) {
        lua_pushnumber(L, get(t, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* t:shape() -> n for a vector, rows, cols for a matrix */
static int tensor_shape(lua_State *L)
{
    lre_tensor *t = lre_lua_checktensor(L, 1);
    if (t->ndim == 1) {
        lua_pushinteger(L, (lua_Integer)t->n);
        return 1;
    }
    lua_pushinteger(L, (lua_Integer)t->rows);
    lua_pushinteger(L, (lua_Integer)t->cols);
    return 2;
}

/* t:reshape(rows, cols) makes t a matrix, t:reshape(n) a vector, in place
 * (the data stays as it is); the size must not change. Returns t. An
 * optimizer keeps the shape its group was added with. */
static int tensor_reshape(lua_State *L)
{
    lre_tensor *t = lre_lua_checktensor(L, 1);
    size_t a = checksize(L, 2, "rows");
    if (lua_isnoneornil(L, 3)) {
        luaL_argcheck(L, a == t->n, 2, lua_pushfstring(L, "a vector of %I entries: the tensor has %I",
                                                       (lua_Integer)a, (lua_Integer)t->n));
        t->rows = 1;
        t->cols = a;
        t->ndim = 1;
    } else {
        size_t b = checksize(L, 3, "cols");
        if ((b != 0 && a > SIZE_MAX / b) || a * b != t->n)
            luaL_argerror(L, 3, lua_pushfstring(L, "a %I x %I matrix: the tensor has %I entries", (lua_Integer)a,
                                                (lua_Integer)b, (lua_Integer)t->n));
        set_matrix(t, a, b);
    }
    lua_settop(L, 1);
    return 1;
}

static int tensor_dtype(lua_State *L)
{
    lua_pushstring(L, lre_lua_checktensor(L, 1)->dtype == LRE_F32 ? "f32" : "f64");
    return 1;
}

static int tensor_tostring(lua_State *L)
{
    lre_tensor *t = lre_lua_checktensor(L, 1);
    const char *dt = t->dtype == LRE_F32 ? "f32" : "f64";
    if (t->ndim == 2)
        lua_pushfstring(L, "lrengine.tensor(%I x %I, %s): %p", (lua_Integer)t->rows, (lua_Integer)t->cols, dt,
                        (void *)t);
    else
        lua_pushfstring(L, "lrengine.tensor(%I, %s): %p", (lua_Integer)t->n, dt, (void *)t);
    return 1;
}

/* lre.newton_schulz(m [, steps]) -> a new matrix tensor: Muon's
 * orthogonalisation of matrix tensor m (lre_newton_schulz), steps 5 by
 * default. */
static int tensor_newton_schulz(lua_State *L)
{
    lre_tensor *m = lre_lua_checktensor(L, 1);
    luaL_argcheck(L, m->ndim == 2, 1, "a matrix tensor expected");
    lua_Integer steps = luaL_optinteger(L, 2, 5);
    luaL_argcheck(L, steps >= 0 && steps <= 100, 2, "steps must be in [0, 100]");
    lre_lua_charge(L, (double)m->n * 16 * (double)steps);
    lre_tensor *t = lre_lua_newtensor(L, m->n, m->dtype);
    set_matrix(t, m->rows, m->cols);
    memcpy(t->data, m->data, m->n * (m->dtype == LRE_F64 ? sizeof(double) : sizeof(float)));
    lre_error err;
    lre_allocator alloc = lre_lua_allocator(L);
    if (lre_newton_schulz(t->dtype, t->data, t->rows, t->cols, (int)steps, &alloc, &err))
        return luaL_error(L, "%s", err.msg);
    return 1;
}

void lre_lua_open_tensor(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__index", tensor_index}, {"__newindex", tensor_newindex},
                                    {"__len", tensor_len},     {"__tostring", tensor_tostring},
                                    {NULL, NULL}};
    static const luaL_Reg methods[] = {{"fill", tensor_fill},       {"copy", tensor_copy},
                                       {"totable", tensor_totable}, {"dtype", tensor_dtype},
                                       {"shape", tensor_shape},     {"reshape", tensor_reshape},
                                       {NULL, NULL}};
    luaL_newmetatable(L, LRE_TENSOR_MT);
    luaL_setfuncs(L, meta, 0);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__methods");
    lua_pop(L, 1);
    lua_pushcfunction(L, tensor_new);
    lua_setfield(L, -2, "tensor");
    lua_pushcfunction(L, tensor_newton_schulz);
    lua_setfield(L, -2, "newton_schulz");
}
