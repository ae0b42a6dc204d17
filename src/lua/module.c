/* module.c -- luaopen_lrengine_core, the one C entry point of the Lua module
 * (lua/lrengine/init.lua requires it and adds the pure-Lua parts), and the
 * helpers its files share. */
#include "lrengine_lua.h"

#include <stdlib.h>
#include <string.h>

static const char env_key = 'e';

lre_lua_env *lre_lua_env_get(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &env_key);
    lre_lua_env *env = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (!env) {
        env = lua_newuserdatauv(L, sizeof *env, 0);
        memset(env, 0, sizeof *env);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &env_key);
    }
    return env;
}

int lre_lua_error(lua_State *L, const char *fname, const char *msg)
{
    return luaL_error(L, "%s: %s", fname, msg);
}

static int version_number(lua_State *L)
{
    lua_pushinteger(L, lre_version_number());
    return 1;
}

int luaopen_lrengine_core(lua_State *L)
{
    lre_lua_env_get(L);
    lua_newtable(L);
    lua_pushliteral(L, "lrengine " LRE_VERSION_STRING);
    lua_setfield(L, -2, "_VERSION");
    lua_pushcfunction(L, version_number);
    lua_setfield(L, -2, "version_number");
    lre_lua_open_tensor(L);
    lre_lua_open_schedule(L);
    lre_lua_open_optim(L);
    return 1;
}
