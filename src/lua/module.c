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

int lre_lua_membuf_write(void *ud, const void *p, size_t n)
{
    lre_membuf *b = ud;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) return 1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int lre_lua_memreader_read(void *ud, void *p, size_t n)
{
    lre_memreader *r = ud;
    if (r->len - r->pos < n) return 1;
    memcpy(p, r->data + r->pos, n);
    r->pos += n;
    return 0;
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
