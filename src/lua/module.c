/* module.c -- luaopen_lrengine_core, the one C entry point of the Lua module
 * (lua/lrengine/init.lua requires it and adds the pure-Lua parts). */
#include "lrengine_lua.h"

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
    lre_lua_open_duration(L);
    lre_lua_open_optim(L);
    return 1;
}
