/* tensor.c -- lre.tensor: a contiguous float32 or float64 array that Lua
 * indexes from 1 and that optimizers update in place. The data lives inside
 * the userdata, so it never moves while the tensor is alive. */
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
    lre_lua_charge(L, (double)t->n / 16); /* every entry may be a metamethod call */
    for (size_t i = 0; i < t->n; i++) {
        int isnum;
        lua_geti(L, idx, (lua_Integer)i + 1);
        double v = lua_tonumberx(L, -1, &isnum);
        if (!isnum) luaL_argerror(L, arg, lua_pushfstring(L, "entry %I is not a number", (lua_Integer)i + 1));
        set(t, i, v);
        lua_pop(L, 1);
    }
}

/* lre.tensor(n_or_table [, "f32"|"f64"]) */
static int tensor_new(lua_State *L)
{
    lre_dtype dtype = checkdtype(L, 2);
    if (lua_type(L, 1) == LUA_TTABLE) {
        lua_Integer n = luaL_len(L, 1);
        luaL_argcheck(L, n >= 0, 1, "a list with a negative length");
        fill_from_table(L, lre_lua_newtensor(L, (size_t)n, dtype), 1, 1);
        return 1;
    }
    lua_Integer n = luaL_checkinteger(L, 1);
    luaL_argcheck(L, n >= 0, 1, "size must be >= 0");
    lre_lua_newtensor(L, (size_t)n, dtype);
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

/* t:copy(src): src is a tensor or a table of the same length. */
static int tensor_copy(lua_State *L)
{
    lre_tensor *t = lre_lua_checktensor(L, 1);
    lre_tensor *src = luaL_testudata(L, 2, LRE_TENSOR_MT);
    if (src) {
        luaL_argcheck(L, src->n == t->n, 2, "tensor sizes differ");
        lre_lua_charge(L, (double)t->n / 16);
        for (size_t i = 0; i < t->n; i++) set(t, i, get(src, i));
    } else {
        luaL_checktype(L, 2, LUA_TTABLE);
        luaL_argcheck(L, (size_t)luaL_len(L, 2) == t->n, 2, "table length differs from the tensor's");
        fill_from_table(L, t, 2, 2);
    }
    lua_settop(L, 1);
    return 1;
}

static int tensor_totable(lua_State *L)
{
    lre_tensor *t = lre_lua_checktensor(L, 1);
    lre_lua_charge(L, (double)t->n / 16);
    lua_createtable(L, (int)t->n, 0);
    for (size_t i = 0; i < t->n; i++) {
        lua_pushnumber(L, get(t, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
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
    lua_pushfstring(L, "lrengine.tensor(%d, %s): %p", (int)t->n, t->dtype == LRE_F32 ? "f32" : "f64", (void *)t);
    return 1;
}

void lre_lua_open_tensor(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__index", tensor_index}, {"__newindex", tensor_newindex},
                                    {"__len", tensor_len},     {"__tostring", tensor_tostring},
                                    {NULL, NULL}};
    static const luaL_Reg methods[] = {{"fill", tensor_fill},       {"copy", tensor_copy},
                                       {"totable", tensor_totable}, {"dtype", tensor_dtype},
                                       {NULL, NULL}};
    luaL_newmetatable(L, LRE_TENSOR_MT);
    luaL_setfuncs(L, meta, 0);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__methods");
    lua_pop(L, 1);
    lua_pushcfunction(L, tensor_new);
    lua_setfield(L, -2, "tensor");
}
