/* sandbox.c -- what a sandboxed script sees: the base functions without
 * load, loadfile, dofile and collectgarbage; math, string (without dump),
 * table and utf8; os.clock and os.time; require limited to lrengine. No io,
 * os, debug, package or coroutine.
 *
 * Some functions are replaced so that the host's limits hold:
 * - pcall and xpcall re-raise an error that a limit raised (the budget, the
 *   deadline, the memory cap, an interrupt), and charge the budget for each
 *   error they catch (unwinding and formatting the message);
 * - setmetatable refuses a __gc metamethod, and getmetatable does not hand
 *   out the metatables of the engine's objects (tensors, schedules,
 *   optimizers): a __gc put there would run outside any call the host
 *   makes (at collection time, and when the state is closed), where no
 *   limit holds;
 * - every function that can do long work in one call charges that work to
 *   the call's instruction budget as it goes (lre_host_charge, which also
 *   checks the deadline), since the count hook only sees Lua instructions:
 *   the pattern functions (sandbox_pattern.c, a matcher with a step count),
 *   table.concat, insert, remove and move (loops of metamethod calls that
 *   may be C functions), table.sort (its comparisons), and the functions
 *   whose work grows with their string arguments but which allocate
 *   nothing (utf8.len, tonumber, string.pack...); string.rep("", 2^60)
 *   returns at once. Work that allocates is charged by the host's
 *   allocator. Results and error messages are those of the standard
 *   functions. */
#include "host.h"

#include <lualib.h>
#include <string.h>

/* After a protected call: a limit error goes on up. */
static void reraise_limit(lua_State *L)
{
    if (lre_host_limit_hit(L)) lua_error(L); /* the error value is on top */
}

/* What an error raised and caught is charged, in Lua instructions (one
 * takes about 5 ns under the count hook: an empty loop of 10M ran 0.05 s):
 * the work the hook does not see, the stack unwound (80 ns for error('x',
 * 0) caught by pcall) and error() formatting the position into its
 * message (450 ns more for error('x')). */
#define CHARGE_ERROR 64

static int finish_pcall(lua_State *L, int status, int base)
{
    if (status != LUA_OK) {
        reraise_limit(L);
        lre_host_charge(L, CHARGE_ERROR);
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_insert(L, base);
    return lua_gettop(L) - base + 1;
}

static int sandbox_pcall(lua_State *L)
{
    luaL_checkany(L, 1);
    return finish_pcall(L, lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0), 1);
}

/* xpcall's handler runs where the error was raised, and a limit is raised
 * inside the count hook, where Lua runs no hook: a handler that looped
 * there would never be stopped. So a limit's error skips the script's
 * handler (its upvalue). */
static int xpcall_handler(lua_State *L)
{
    if (lre_host_limit_hit(L)) return 1; /* the error as it is */
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* xpcall(f, msgh, ...): the handler is at 2; f and its arguments follow. */
static int sandbox_xpcall(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 1);
    lua_copy(L, 2, 1);
    lua_replace(L, 2); /* 1: handler, 2: f */
    lua_pushvalue(L, 1);
    lua_pushcclosure(L, xpcall_handler, 1);
    lua_replace(L, 1);
    return finish_pcall(L, lua_pcall(L, n - 2, LUA_MULTRET, 1), 2);
}

static int sandbox_setmetatable(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    int t = lua_type(L, 2);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (t == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_argerror(L, 2, "__gc metamethods are not allowed in schedule scripts");
        lua_pop(L, 1);
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* getmetatable: as the standard one, except that a userdata's metatable
 * (the engine's: the script cannot make userdata) is protected, as if it
 * had __metatable = its __name. */
static int sandbox_getmetatable(lua_State *L)
{
    luaL_checkany(L, 1);
    if (!lua_getmetatable(L, 1)) {
        lua_pushnil(L);
        return 1;
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) return 1;
    if (lua_type(L, 1) == LUA_TUSERDATA) {
        lua_pushliteral(L, "__name");
        if (lua_rawget(L, -2) != LUA_TSTRING) lua_pushliteral(L, "userdata");
    }
    return 1;
}

/* ---- charging the work of standard functions ---- */

/* The standard function a guard calls, as a plain C call on the guard's
 * own frame, so that messages name the script's line and the function as
 * the standard one does (none of the guarded functions uses upvalues). */
typedef struct guarded {
    lua_CFunction f;
} guarded;

/* One instruction per call and per 2 bytes of its string arguments: these
 * functions scan their strings a byte at a time, 1.6 ns a byte (tonumber)
 * to 3.2 ns (utf8.len), where a Lua instruction takes about 5 ns. */
static int guard(lua_State *L)
{
    const guarded *g = lua_touserdata(L, lua_upvalueindex(1));
    size_t bytes = 0;
    for (int i = 1, n = lua_gettop(L); i <= n; i++)
        if (lua_type(L, i) == LUA_TSTRING) bytes += lua_rawlen(L, i);
    lre_host_charge(L, 1 + bytes / 2);
    return g->f(L);
}

/* Replaces the C function t[name] (t on top) by its guard. */
static void set_guard(lua_State *L, const char *name)
{
    lua_getfield(L, -1, name);
    lua_CFunction f = lua_tocfunction(L, -1);
    lua_pop(L, 1);
    if (!f) return;
    guarded *g = lua_newuserdatauv(L, sizeof *g, 0);
    g->f = f;
    lua_pushcclosure(L, guard, 1);
    lua_setfield(L, -2, name);
}

/* string.rep: the standard one, except that n copies of nothing are made at
 * once (it loops n times, and n may be 2^62). */
static int sandbox_rep(lua_State *L)
{
    const guarded *g = lua_touserdata(L, lua_upvalueindex(1));
    size_t l, lsep;
    luaL_checklstring(L, 1, &l);
    luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &lsep);
    if (l == 0 && lsep == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    return g->f(L);
}

/* ---- table functions: the standard ones, charging each element ---- */

#define TAB_R 1 /* reads elements */
#define TAB_W 2 /* writes elements */
#define TAB_L 4 /* takes the length */

/* As the standard library: a table, or a value with the metamethods the
 * operation needs. */
static void check_table(lua_State *L, int arg, int what)
{
    static const char *const fields[] = {"__index", "__newindex", "__len"}; /* TAB_R, TAB_W, TAB_L */
    if (lua_type(L, arg) == LUA_TTABLE) return;
    int has_mt = lua_getmetatable(L, arg), ok = has_mt;
    for (int i = 0; ok && i < 3; i++) {
        if (!(what & (1 << i))) continue;
        lua_pushstring(L, fields[i]);
        ok = lua_rawget(L, -2) != LUA_TNIL;
        lua_pop(L, 1);
    }
    if (has_mt) lua_pop(L, 1);
    if (!ok) luaL_checktype(L, arg, LUA_TTABLE); /* the standard message */
}

static lua_Integer length_of(lua_State *L, int arg, int what)
{
    check_table(L, arg, what | TAB_L);
    return luaL_len(L, arg);
}

/* Elements moved one at a time are charged by the hundred. What each
 * costs, in Lua instructions (about 5 ns each):
 * - an element of a plain table: 1;
 * - an element of a table with a metatable: LRE_LUA_CHARGE_METAMETHOD, its
 *   metamethods may be called (table.move between proxies whose __index
 *   and __newindex are C functions: 0.54 s for 10M elements);
 * - a number that table.concat writes as a string (snprintf, some 800
 *   machine instructions: 2.0 s for 10M elements). */
#define CHARGE_EVERY 128
#define CHARGE_NUMBER_TO_STRING 32

static void tick(lua_State *L, lua_Integer *n, lua_Integer work)
{
    if ((*n += work) >= CHARGE_EVERY) {
        lre_host_charge(L, (uint64_t)*n);
        *n = 0;
    }
}

/* What reading or writing one element of the table at arg is charged. */
static lua_Integer element_cost(lua_State *L, int arg)
{
    if (!lua_getmetatable(L, arg)) return 1;
    lua_pop(L, 1);
    return LRE_LUA_CHARGE_METAMETHOD;
}

static int tab_insert(lua_State *L)
{
    lua_Integer e = length_of(L, 1, TAB_R | TAB_W);
    e = (lua_Integer)((lua_Unsigned)e + 1u); /* the first empty slot */
    lua_Integer pos, work = 0, cost = element_cost(L, 1);
    switch (lua_gettop(L)) {
    case 2: pos = e; break;
    case 3:
        pos = luaL_checkinteger(L, 2);
        luaL_argcheck(L, (lua_Unsigned)pos - 1u < (lua_Unsigned)e, 2, "position out of bounds");
        for (lua_Integer i = e; i > pos; i--) {
            lua_geti(L, 1, i - 1);
            lua_seti(L, 1, i);
            tick(L, &work, cost);
        }
        break;
    default: return luaL_error(L, "wrong number of arguments to 'insert'");
    }
    lua_seti(L, 1, pos);
    return 0;
}

static int tab_remove(lua_State *L)
{
    lua_Integer size = length_of(L, 1, TAB_R | TAB_W);
    lua_Integer pos = luaL_optinteger(L, 2, size), work = 0, cost = element_cost(L, 1);
    if (pos != size) /* (Lua 5.4.4 blames argument 1) */
        luaL_argcheck(L, (lua_Unsigned)pos - 1u <= (lua_Unsigned)size, 1, "position out of bounds");
    lua_geti(L, 1, pos);
    for (; pos < size; pos++) {
        lua_geti(L, 1, pos + 1);
        lua_seti(L, 1, pos);
        tick(L, &work, cost);
    }
    lua_pushnil(L);
    lua_seti(L, 1, pos);
    return 1;
}

static int tab_move(lua_State *L)
{
    lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3), t = luaL_checkinteger(L, 4);
    int tt = lua_isnoneornil(L, 5) ? 1 : 5;
    check_table(L, 1, TAB_R);
    check_table(L, tt, TAB_W);
    if (e >= f) {
        luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
        lua_Integer n = e - f + 1, work = 0, cost = element_cost(L, 1) + element_cost(L, tt);
        luaL_argcheck(L, t <= LUA_MAXINTEGER - n + 1, 4, "destination wrap around");
        /* forwards unless the ranges overlap with the destination after the source */
        int forward = t > e || t <= f || (tt != 1 && !lua_compare(L, 1, tt, LUA_OPEQ));
        for (lua_Integer k = 0; k < n; k++) {
            lua_Integer i = forward ? k : n - 1 - k;
            lua_geti(L, 1, f + i);
            lua_seti(L, tt, t + i);
            tick(L, &work, cost);
        }
    }
    lua_pushvalue(L, tt);
    return 1;
}

static int tab_concat(lua_State *L)
{
    lua_Integer last = length_of(L, 1, TAB_R), work = 0, cost = element_cost(L, 1);
    size_t lsep;
    const char *sep = luaL_optlstring(L, 2, "", &lsep);
    lua_Integer i = luaL_optinteger(L, 3, 1);
    last = luaL_optinteger(L, 4, last);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (; i <= last; i++) {
        lua_geti(L, 1, i);
        if (!lua_isstring(L, -1))
            return luaL_error(L, "invalid value (%s) at index %I in table for 'concat'", luaL_typename(L, -1),
                              (LUAI_UACINT)i);
        int number = lua_type(L, -1) == LUA_TNUMBER;
        luaL_addvalue(&b);
        if (i == last) break; /* i++ would overflow at LUA_MAXINTEGER */
        luaL_addlstring(&b, sep, lsep);
        tick(L, &work, cost + (number ? CHARGE_NUMBER_TO_STRING : 0));
    }
    luaL_pushresult(&b);
    return 1;
}

/* The comparisons of table.sort: each is charged (with the length of the
 * strings it compares, and, for a table with a metatable, the two element
 * reads that come with it: the cost is the upvalue), then made as the
 * standard sort makes it. */
static void charge_pair(lua_State *L)
{
    size_t bytes = 0;
    if (lua_type(L, 1) == LUA_TSTRING) bytes += lua_rawlen(L, 1);
    if (lua_type(L, 2) == LUA_TSTRING) bytes += lua_rawlen(L, 2);
    lre_host_charge(L, (uint64_t)lua_tointeger(L, lua_upvalueindex(1)) + bytes / 64);
}

static int sort_less(lua_State *L)
{
    charge_pair(L);
    lua_pushboolean(L, lua_compare(L, 1, 2, LUA_OPLT));
    return 1;
}

static int sort_call(lua_State *L)
{
    charge_pair(L);
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
    return 1;
}

/* table.sort(t [, comp]): the standard sort (its upvalue), called with a
 * comparator that charges each comparison. */
static int tab_sort(lua_State *L)
{
    const guarded *g = lua_touserdata(L, lua_upvalueindex(1));
    int t = lua_type(L, 2);
    lua_Integer cost = element_cost(L, 1) == 1 ? 1 : 2 * LRE_LUA_CHARGE_METAMETHOD;
    if (t == LUA_TNONE || t == LUA_TNIL) {
        lua_settop(L, 1);
        lua_pushinteger(L, cost);
        lua_pushcclosure(L, sort_less, 1);
    } else if (t == LUA_TFUNCTION) {
        lua_settop(L, 2);
        lua_pushinteger(L, cost);
        lua_insert(L, 2);
        lua_pushcclosure(L, sort_call, 2);
    }
    return g->f(L);
}

/* Replaces t[name] (t on top) by f, with the standard function as upvalue. */
static void set_wrapper(lua_State *L, const char *name, lua_CFunction f)
{
    lua_getfield(L, -1, name);
    guarded *g = lua_newuserdatauv(L, sizeof *g, 0);
    g->f = lua_tocfunction(L, -2);
    lua_remove(L, -2);
    lua_pushcclosure(L, f, 1);
    lua_setfield(L, -2, name);
}

int lre_sandbox_open(lua_State *L)
{
    static const char *const removed[] = {"load", "loadfile", "dofile", "collectgarbage", NULL};
    static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},        {LUA_MATHLIBNAME, luaopen_math},
                                    {LUA_STRLIBNAME, luaopen_string}, {LUA_TABLIBNAME, luaopen_table},
                                    {LUA_UTF8LIBNAME, luaopen_utf8},  {NULL, NULL}};
    static const luaL_Reg replaced[] = {{"pcall", sandbox_pcall},
                                        {"xpcall", sandbox_xpcall},
                                        {"setmetatable", sandbox_setmetatable},
                                        {"getmetatable", sandbox_getmetatable},
                                        {"require", lre_sandbox_require},
                                        {NULL, NULL}};
    static const luaL_Reg table_fns[] = {
        {"insert", tab_insert}, {"remove", tab_remove}, {"move", tab_move}, {"concat", tab_concat}, {NULL, NULL}};
    static const char *const guarded_base[] = {"print", "tonumber", "rawequal", NULL};
    static const char *const guarded_string[] = {"pack", "packsize", "unpack", NULL};
    static const char *const guarded_utf8[] = {"len", "offset", "codepoint", NULL};
    for (const luaL_Reg *lib = libs; lib->func; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
    for (const char *const *r = removed; *r; r++) {
        lua_pushnil(L);
        lua_setglobal(L, *r);
    }
    lua_pushglobaltable(L);
    for (const char *const *g = guarded_base; *g; g++) set_guard(L, *g);
    luaL_setfuncs(L, replaced, 0);
    lua_pop(L, 1);
    /* string.dump yields bytecode, which the sandbox never loads anyway */
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    for (const char *const *g = guarded_string; *g; g++) set_guard(L, *g);
    set_wrapper(L, "rep", sandbox_rep);
    lre_sandbox_open_patterns(L);
    lua_pop(L, 1);
    lua_getglobal(L, "table");
    luaL_setfuncs(L, table_fns, 0);
    set_wrapper(L, "sort", tab_sort);
    lua_pop(L, 1);
    lua_getglobal(L, "utf8");
    for (const char *const *g = guarded_utf8; *g; g++) set_guard(L, *g);
    lua_pop(L, 1);
    luaL_requiref(L, "os", luaopen_os, 0);
    lua_createtable(L, 0, 2);
    lua_getfield(L, -2, "clock");
    lua_setfield(L, -2, "clock");
    lua_getfield(L, -2, "time");
    lua_setfield(L, -2, "time");
    lua_setglobal(L, "os");
    lua_pop(L, 1);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "lrengine.loaded");
    lre_lua_env_get(L);
    return 0;
}
