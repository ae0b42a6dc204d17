/* test_lua_self.c -- opt:step and s:at accept the object they last checked
 * on its address alone (lre_lua_self). Once that object is collected, a
 * userdata of another kind may be given its memory: it must be checked
 * again. An allocator hands the collected object's block to the next
 * allocation of its size, so the impostor surely takes that address. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdlib.h>

#include "test.h"

int luaopen_lrengine_core(lua_State *L);

/* The block holding `target`, once freed, waits in `kept`; the next
 * allocation of its size gets it back. */
static struct {
    const char *target;
    void *kept;
    size_t size;
} reuse;

static void *alloc(void *ud, void *p, size_t osize, size_t nsize)
{
    (void)ud;
    if (nsize == 0) {
        if (p && reuse.target >= (char *)p && reuse.target < (char *)p + osize) {
            reuse.kept = p, reuse.size = osize, reuse.target = NULL;
            return NULL;
        }
        free(p);
        return NULL;
    }
    if (!p && reuse.kept && nsize == reuse.size) {
        void *b = reuse.kept;
        reuse.kept = NULL;
        return b;
    }
    return realloc(p, nsize);
}

static const char make_objects[] =
    "local lre = require 'lrengine'\n"
    "local p, g = lre.tensor(1), lre.tensor(1)\n"
    "local opt = lre.optim.sgd{params = p, grads = g, lr = 0.1}\n"
    "local s = lre.schedule.constant{lr = 1}\n"
    "assert(opt:step()) assert(s:at(0) == 1)\n"
    "return opt.step, s.at, opt, s\n";

/* Collects the object at idx (the last reference), then makes a userdata of
 * its size and user values, its bytes all 0xff, and calls method on it. */
static void check_impostor(lua_State *L, int method, int idx, int nuv, const char *expected)
{
    size_t size = lua_rawlen(L, idx);
    const void *addr = lua_touserdata(L, idx);
    lua_pushnil(L);
    lua_replace(L, idx);
    reuse.target = addr;
    lua_gc(L, LUA_GCCOLLECT);
    lua_gc(L, LUA_GCCOLLECT);
    ASSERT(reuse.kept != NULL);
    void *fake = lua_newuserdatauv(L, size, nuv);
    memset(fake, 0xff, size);
    ASSERT(fake == addr);
    lua_pushvalue(L, method);
    lua_insert(L, -2);
    lua_pushinteger(L, 0);
    ASSERT(lua_pcall(L, 2, 0, 0) != LUA_OK);
    ASSERT_STR_CONTAINS(lua_tostring(L, -1), expected);
    lua_pop(L, 1);
}

static void test_self_checked_after_collection(void)
{
    lua_State *L = lua_newstate(alloc, NULL);
    luaL_openlibs(L);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_lrengine_core);
    lua_setfield(L, -2, "lrengine.core");
    lua_pop(L, 1);
    if (luaL_dostring(L, "package.path = 'lua/?.lua;lua/?/init.lua;' .. package.path") ||
        luaL_loadstring(L, make_objects) || lua_pcall(L, 0, 4, 0)) {
        fprintf(stderr, "  %s\n", lua_tostring(L, -1));
        test_failed_flag = 1;
        lua_close(L);
        return;
    }
    check_impostor(L, 1, 3, 1, "lrengine.optim expected, got userdata");
    if (!test_failed_flag) check_impostor(L, 2, 4, 0, "lrengine.schedule expected, got userdata");
    lua_close(L);
    free(reuse.kept);
    reuse.kept = NULL;
}

int main(void)
{
    static const test_case tests[] = {
        {"a collected object's memory, taken by a userdata of another kind, is checked again",
         test_self_checked_after_collection},
        {NULL, NULL}};
    return run_tests(tests);
}
