/* cmd_run.c -- `lrengine run SCRIPT [ARGS...]`: the user's own Lua program,
 * with the full standard library and require "lrengine", as `lua` runs it
 * (the global `arg` holds the script name at 0 and its arguments; "-" reads
 * the program from stdin). */
#include "cli.h"

#include <string.h>

static const cli_option run_options[] = {{NULL, 0, NULL, NULL}};

static const cli_command run_command = {
    "run", "SCRIPT [ARGS...]",
    "Runs a Lua 5.4 program ('-': from stdin) with the engine available as require \"lrengine\", unsandboxed,\n"
    "as lua5.4 would. Options go before SCRIPT: what follows it is the program's (arg[1], ...). --quiet is\n"
    "accepted; the program's output is its own.",
    run_options, 1, -1, 1};

int cmd_run(int argc, char **argv)
{
    cli_parser p;
    cli_parser_init(&p, &run_command, argc, argv);
    if (cli_next(&p) == CLI_EXIT) return p.exit; /* run has no option of its own */
    const char *script = p.operands[0];
    int nargs = p.noperands - 1;
    char **args = p.operands + 1;
    lre_script_limits limits = cli_limits(1);
    lre_host *h = lre_host_new(strcmp(script, "-") ? script : "stdin", &limits);
    if (!h) return cli_error(LRE_EXIT_FAIL, "cannot create a Lua state: not enough memory");
    lua_State *L = lre_host_state(h);
    int rc = LRE_EXIT_OK;
    if (!lua_checkstack(L, nargs + 3)) {
        lre_host_release(h);
        return cli_error(LRE_EXIT_FAIL, "too many arguments");
    }
    lua_createtable(L, nargs, 1);
    lua_pushstring(L, script);
    lua_rawseti(L, -2, 0);
    for (int i = 0; i < nargs; i++) {
        lua_pushstring(L, args[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setglobal(L, "arg");
    if (luaL_loadfile(L, strcmp(script, "-") ? script : NULL) != LUA_OK) {
        rc = cli_error(LRE_EXIT_FAIL, "%s", lua_tostring(L, -1));
    } else {
        for (int i = 0; i < nargs; i++) lua_pushstring(L, args[i]);
        lre_error err;
        if (lre_host_pcall(h, nargs, 0, 1, &err))
            rc = cli_interrupted ? cli_error(LRE_EXIT_INTERRUPTED, "%s", err.msg) : cli_error(LRE_EXIT_FAIL, "%s", err.msg);
    }
    lre_host_release(h);
    return rc;
}
