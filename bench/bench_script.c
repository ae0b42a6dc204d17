/* bench_script.c -- the cost per step of a Lua schedule script called from C
 * (warmup + cosine written as a Lua function), beside the same schedule
 * built in. */
#include "lrengine.h"
#include "lrengine_script.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const char script[] =
    "return function(step, ctx)\n"
    "  if step < 1000 then return 0.1 * step / 1000 end\n"
    "  return 0.05 * (1 + math.cos(math.pi * (step - 1000) / 99000))\n"
    "end\n";

static const char builtin[] =
    "local S = require('lrengine').schedule\n"
    "return S.warmup{S.cosine{lr = 0.1, t_max = 99000}, steps = 1000}\n";

static double per_step(lre_schedule *s, int iters)
{
    double v, sum = 0, t = now();
    for (int i = 0; i < iters; i++) lre_schedule_eval(s, i, &v, NULL), sum += v;
    t = now() - t;
    if (sum < 0) printf("?");
    return t / iters * 1e9;
}

int main(void)
{
    lre_schedule *lua_fn, *lua_builtin;
    lre_error err;
    if (lre_script_load_string(&lua_fn, script, strlen(script), "warmup_cosine_fn.lua", NULL, &err) ||
        lre_script_load_string(&lua_builtin, builtin, strlen(builtin), "warmup_cosine.lua", NULL, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    int iters = 2000000;
    per_step(lua_fn, 10000);
    printf("Lua function schedule (warmup+cosine), from C: %6.1f ns per step\n", per_step(lua_fn, iters));
    printf("built-in schedule returned by a script:        %6.1f ns per step\n", per_step(lua_builtin, iters));
    lre_schedule_release(lua_fn);
    lre_schedule_release(lua_builtin);
    return 0;
}
