/* sandbox.c -- what a sandboxed script sees: the base functions without
 * load, loadfile, dofile and collectgarbage; math, string (without dump),
 * table and utf8; os.clock and os.time; require limited to lrengine. No io,
 * os, debug, package or coroutine.
 *
 * Three base functions are replaced so that the host's limits hold:
 * pcall and xpcall re-raise an error that a limit raised (the budget, the
 * deadline, the memory cap, an interrupt), and setmetatable refuses a __gc
 * metamethod, which would run outside any call the host makes (at
 * collection time, and when the state is closed). */
#include "host.h"

#include <lualib.h>
#include <string.h>

/* After a protected call: a limit error goes on up. */
static void reraise_limit(lua_State *L)
{
    if (lre_host_limit_hit(L)) lua_error(L); /* the error value is on top */
}

static int finish_pcall(lua_State *L, int status, int base)
{
    if (status != LUA_OK) {
        reraise_limit(L);
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

/* xpcall(f, msgh, ...): the handler is at 2; f and its arguments follow. */
static int sandbox_xpcall(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 1);
    lua_copy(L, 2, 1);
    lua_replace(L, 2); /* 1: handler, 2: f */
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

int lre_sandbox_open(lua_State *L)
{
    static const char *const removed[] = {"load", "loadfile", "dofile", "collectgarbage", NULL};
    static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},        {LUA_MATHLIBNAME, luaopen_math},
                                    {LUA_STRLIBNAME, luaopen_string}, {LUA_TABLIBNAME, luaopen_table},
                                    {LUA_UTF8LIBNAME, luaopen_utf8},  {NULL, NULL}};
    static const luaL_Reg replaced[] = {{"pcall", sandbox_pcall},
                                        {"xpcall", sandbox_xpcall},
                                        {"setmetatable", sandbox_setmetatable},
                                        {"require", lre_sandbox_require},
                                        {NULL, NULL}};
    for (const luaL_Reg *lib = libs; lib->func; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
    for (const char *const *r = removed; *r; r++) {
        lua_pushnil(L);
        lua_setglobal(L, *r);
    }
    lua_pushglobaltable(L);
    luaL_setfuncs(L, replaced, 0);
    lua_pop(L, 1);
    /* string.dump yields bytecode, which the sandbox never loads anyway */
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
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
