/* cmd_run.c -- `lrengine run SCRIPT [ARGS...]`: the user's own Lua program,
 * with the full standard library and require "lrengine", as `lua` runs it
 * (the global `arg` holds the script name at 0 and its arguments). */
#include "cli.h"

#include <string.h>

int cmd_run(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs("usage: lrengine run SCRIPT [ARGS...]\n"
              "Runs a Lua 5.4 program with the engine available as require \"lrengine\".\n",
              argc < 2 ? stderr : stdout);
        return argc < 2 ? LRE_EXIT_USAGE : LRE_EXIT_OK;
    }
    lre_script_limits limits = cli_limits(1);
    lre_host *h = lre_host_new(argv[1], &limits);
    if (!h) return cli_error(LRE_EXIT_FAIL, "cannot create a Lua state: not enough memory");
    lua_State *L = lre_host_state(h);
    int rc = LRE_EXIT_OK;
    if (!lua_checkstack(L, argc + 2)) {
        lre_host_release(h);
        return cli_error(LRE_EXIT_FAIL, "too many arguments");
    }
    lua_createtable(L, argc, 1);
    for (int i = 1; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - 1);
    }
    lua_setglobal(L, "arg");
    if (luaL_loadfile(L, argv[1]) != LUA_OK) {
        rc = cli_error(LRE_EXIT_FAIL, "%s", lua_tostring(L, -1));
    } else {
        for (int i = 2; i < argc; i++) lua_pushstring(L, argv[i]);
        lre_error err;
        if (lre_host_pcall(h, argc - 2, 0, 1, &err))
            rc = cli_interrupted ? cli_error(LRE_EXIT_INTERRUPTED, "%s", err.msg) : cli_error(LRE_EXIT_FAIL, "%s", err.msg);
    }
    lre_host_release(h);
    return rc;
}
