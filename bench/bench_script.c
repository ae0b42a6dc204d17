/* bench_script.c -- the cost per step of a Lua schedule script called from C
 * (examples/schedules/warmup_cosine_function.lua: warmup + cosine written as
 * a Lua function), beside the same shape built in, and beside the floor: the
 * same Lua function called with a bare lua_pcall from C, with the
 * instruction-count hook the sandbox sets for its budget, and without it.
 * Run from the repository's root. */
#include "lrengine.h"
#include "lrengine_lua.h"
#include "lrengine_script.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const char script[] = "examples/schedules/warmup_cosine_function.lua";

static const char builtin[] =
    "local S = require('lrengine').schedule\n"
    "return S.warmup{S.cosine{lr = 0.1, t_max = 99000}, steps = 1000}\n";

enum { ITERS = 1000000, RUNS = 9 };

static double sink;

/* one run through lrengine: ns per evaluation */
static double run_schedule(lre_schedule *s)
{
    double v, sum = 0, t = now();
    for (int i = 0; i < ITERS; i++) lre_schedule_eval(s, i % 100000, &v, NULL), sum += v;
    sink += sum;
    return (now() - t) / ITERS * 1e9;
}

static void count_hook(lua_State *L, lua_Debug *ar) { (void)L, (void)ar; }

/* The floor: a state holding the function fn(step, ctx), called by a bare
 * lua_pcall from C, nothing else. */
static lua_State *floor_state(int hooked)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    if (luaL_dofile(L, script)) return NULL;
    lua_newtable(L); /* ctx */
    if (hooked) lua_sethook(L, count_hook, LUA_MASKCOUNT, 1000);
    return L;
}

static double run_floor(lua_State *L)
{
    double sum = 0, t = now();
    for (int i = 0; i < ITERS; i++) {
        lua_pushvalue(L, 1);
        lua_pushinteger(L, i % 100000);
        lua_pushvalue(L, 2);
        if (lua_pcall(L, 2, 1, 0)) return -1;
        sum += lua_tonumber(L, -1);
        lua_pop(L, 1);
    }
    sink += sum;
    return (now() - t) / ITERS * 1e9;
}

static void keep_best(double *best, double t);

/* ---- calls from Lua: opt:step() and S.custom(fn):at(t) in a Lua program
 * (a plain lua_State with the module, as lua5.4 runs one), beside their
 * peers from the same run: lre_optim_step called from C on an optimizer of
 * the same kind and size, and the same Lua function called from Lua with a
 * ctx table, no engine between. */
static const char lua_calls_src[] =
    "local script = ...\n"
    "package.path = 'lua/?.lua;lua/?/init.lua;' .. package.path\n"
    "local lre = require 'lrengine'\n"
    "local fn = dofile(script)\n"
    "local p, g = lre.tensor(1, 'f32'), lre.tensor(1, 'f32')\n"
    "local opt = lre.optim.sgd{params = p, grads = g, lr = 0.01}\n"
    "local sched = lre.schedule.custom(fn)\n"
    "local ctx = {}\n"
    "local function steps(n) for _ = 1, n do opt:step() end end\n"
    "local function ats(n) local s = 0 for i = 1, n do s = s + sched:at(i % 100000) end return s end\n"
    "local function bare(n) local s = 0 for i = 1, n do s = s + fn(i % 100000, ctx) end return s end\n"
    "local nop = select(2, ...)\n"
    "local function nops(n) for _ = 1, n do nop:ret_true() end end\n"
    "local function calls(n) local s = 0 for i = 1, n do s = s + nop:call(fn, i % 100000, ctx) end return s end\n"
    "return steps, ats, bare, nops, calls\n";

/* The Lua VM's own part of a method call into C: a userdata whose metatable's
 * __index holds C functions that do nothing else: ret_true returns true;
 * call(fn, t, ctx) returns fn(t, ctx), called with lua_pcall. */
static int ret_true(lua_State *L)
{
    lua_pushboolean(L, 1);
    return 1;
}

static int call(lua_State *L)
{
    lua_settop(L, 4);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    lua_pushvalue(L, 4);
    if (lua_pcall(L, 2, 1, 0)) return lua_error(L);
    return 1;
}

static void push_nop_object(lua_State *L)
{
    lua_newuserdatauv(L, 64, 0);
    lua_newtable(L); /* its metatable */
    lua_newtable(L); /* __index */
    lua_pushcfunction(L, ret_true);
    lua_setfield(L, -2, "ret_true");
    lua_pushcfunction(L, call);
    lua_setfield(L, -2, "call");
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
}

static double run_lua(lua_State *L, int fn)
{
    double t = now();
    lua_pushvalue(L, fn);
    lua_pushinteger(L, ITERS);
    if (lua_pcall(L, 1, 1, 0)) {
        fprintf(stderr, "bench_script: %s\n", lua_tostring(L, -1));
        return -1;
    }
    sink += lua_tonumber(L, -1);
    lua_pop(L, 1);
    return (now() - t) / ITERS * 1e9;
}

static double run_c_step(lre_optim *o)
{
    double t = now();
    for (int i = 0; i < ITERS; i++)
        if (lre_optim_step(o)) return -1;
    return (now() - t) / ITERS * 1e9;
}

static int lua_calls(void)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_lrengine_core);
    lua_setfield(L, -2, "lrengine.core");
    lua_pop(L, 1);
    if (luaL_loadstring(L, lua_calls_src) || (lua_pushstring(L, script), push_nop_object(L), lua_pcall(L, 2, 5, 0))) {
        fprintf(stderr, "bench_script: %s\n", lua_tostring(L, -1));
        return 1;
    }
    float p = 0, g = 0;
    lre_optim *o;
    lre_param lr = {"lr", 0.01, NULL, 0, NULL, NULL};
    lre_error err;
    if (lre_optim_new(&o, "sgd", &lr, 1, &err) || lre_optim_add_group(o, LRE_F32, &p, &g, 1, NULL, 0, NULL)) {
        fprintf(stderr, "bench_script: cannot make the C optimizer\n");
        return 1;
    }
    double lua_step = 1e30, c_step = 1e30, at = 1e30, bare = 1e30, nop = 1e30, pcalled = 1e30;
    for (int r = 0; r < RUNS; r++) {
        keep_best(&nop, run_lua(L, 4));
        keep_best(&pcalled, run_lua(L, 5));
        keep_best(&lua_step, run_lua(L, 1));
        keep_best(&c_step, run_c_step(o));
        keep_best(&at, run_lua(L, 2));
        keep_best(&bare, run_lua(L, 3));
    }
    printf("calls from Lua, ns per call (best of %d interleaved runs of %d calls)\n", RUNS, ITERS);
    printf("  opt:step() from Lua (sgd, 1 parameter):               %6.1f   C call + %.1f\n", lua_step,
           lua_step - c_step);
    printf("    peer: lre_optim_step from C, same kind and size:    %6.1f\n", c_step);
    printf("    floor: obj:ret_true() from Lua, a C method doing nothing: %6.1f   (the binding adds %.1f)\n", nop,
           lua_step - c_step - nop);
    printf("  S.custom(fn):at(t) from Lua (%s): %6.1f   %.2f x bare\n", "warmup_cosine_function", at, at / bare);
    printf("    peer: fn(t, ctx) called from Lua:                   %6.1f\n", bare);
    printf("    floor: obj:call(fn, t, ctx), a C method that lua_pcalls fn: %6.1f   %.2f x bare\n", pcalled,
           pcalled / bare);
    lre_optim_free(o);
    lua_close(L);
    return 0;
}

static void keep_best(double *best, double t)
{
    if (t < *best) *best = t;
}

int main(void)
{
    lre_schedule *lua_fn, *lua_trusted, *lua_builtin;
    lre_error err;
    lre_script_limits trusted = {.unsandboxed = 1};
    if (lre_script_load_file(&lua_fn, script, NULL, &err) || lre_script_load_file(&lua_trusted, script, &trusted, &err) ||
        lre_script_load_string(&lua_builtin, builtin, strlen(builtin), "warmup_cosine.lua", NULL, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    lua_State *hooked = floor_state(1), *bare = floor_state(0);
    if (!hooked || !bare) {
        fprintf(stderr, "cannot load %s\n", script);
        return 1;
    }
    /* the variants take turns, so that a noisy neighbour hurts them alike */
    double sandboxed = 1e30, unsandboxed = 1e30, floor_hooked = 1e30, floor_bare = 1e30, built_in = 1e30;
    for (int r = 0; r < RUNS; r++) {
        keep_best(&sandboxed, run_schedule(lua_fn));
        keep_best(&floor_hooked, run_floor(hooked));
        keep_best(&unsandboxed, run_schedule(lua_trusted));
        keep_best(&floor_bare, run_floor(bare));
        keep_best(&built_in, run_schedule(lua_builtin));
    }
    printf("warmup+cosine from C, ns per step (best of %d interleaved runs of %d steps)\n", RUNS, ITERS);
    printf("  Lua function script, sandboxed (instruction budget on): %6.1f   %.2f x floor\n", sandboxed,
           sandboxed / floor_hooked);
    printf("    floor: bare lua_pcall of the function, count hook set:  %6.1f\n", floor_hooked);
    printf("  Lua function script, trusted (no sandbox, no budget):    %6.1f   %.2f x floor\n", unsandboxed,
           unsandboxed / floor_bare);
    printf("    floor: bare lua_pcall of the function, no hook:          %6.1f\n", floor_bare);
    printf("  built-in warmup+cosine returned by a script:              %6.1f\n", built_in);
    lre_schedule_release(lua_fn);
    lre_schedule_release(lua_trusted);
    lre_schedule_release(lua_builtin);
    lua_close(hooked);
    lua_close(bare);
    if (lua_calls()) return 1;
    return sink < 0;
}
