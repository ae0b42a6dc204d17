/* preload.c -- the lrengine module inside the host: its C core and its Lua
 * parts (compiled in from lua/lrengine by tools/embed.lua). */
#include "host.h"

#include <stdio.h>
#include <string.h>

int lre_embedded_load(lua_State *L, const char *module)
{
    for (const lre_embedded *e = lre_embedded_lua; e->module; e++) {
        if (strcmp(e->module, module) != 0) continue;
        char chunkname[96];
        snprintf(chunkname, sizeof chunkname, "=[lrengine] %s", module);
        if (luaL_loadbufferx(L, e->source, e->len, chunkname, "t") != LUA_OK) lua_error(L);
        return 1;
    }
    return 0;
}

static int preload_embedded(lua_State *L)
{
    const char *module = luaL_checkstring(L, 1);
    if (!lre_embedded_load(L, module)) return luaL_error(L, "no embedded module %s", module);
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    return 1;
}

void lre_host_preload(lua_State *L)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_lrengine_core);
    lua_setfield(L, -2, "lrengine.core");
    for (const lre_embedded *e = lre_embedded_lua; e->module; e++) {
        lua_pushcfunction(L, preload_embedded);
        lua_setfield(L, -2, e->module);
    }
    lua_pop(L, 1);
}

int lre_sandbox_require(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, "lrengine.loaded");
    if (lua_getfield(L, -1, name) != LUA_TNIL) return 1;
    lua_pop(L, 1);
    if (strcmp(name, "lrengine.core") == 0) {
        lua_pushcfunction(L, luaopen_lrengine_core);
        lua_call(L, 0, 1);
    } else if (strncmp(name, "lrengine", 8) == 0 && lre_embedded_load(L, name)) {
        lua_pushvalue(L, 1);
        lua_call(L, 1, 1);
    } else {
        return luaL_error(L, "module '%s' is not available to schedule scripts (only 'lrengine')", name);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, name);
    return 1;
}
