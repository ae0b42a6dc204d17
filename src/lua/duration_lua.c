/* duration_lua.c -- durations: lre.duration(text, horizon) resolves one
 * directly; s:plan(horizon) resolves a tree's (the core keeps them in the
 * nodes: S.cosine{lr = 0.1, t_max = "90%"} passes the text straight to
 * lre_schedule_new, and an optimizer's horizon plans the tree). */
#include "lrengine_lua.h"

#include <string.h>

/* The horizon from a table {steps_per_epoch =, total_steps =, tokens_per_step =} at idx (may be nil). */
static lre_horizon horizon_of(lua_State *L, int idx)
{
    lre_horizon h = {0, 0, 0};
    if (lua_isnoneornil(L, idx)) return h;
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_getfield(L, idx, "steps_per_epoch");
    h.steps_per_epoch = (int64_t)luaL_optinteger(L, -1, 0);
    lua_getfield(L, idx, "total_steps");
    h.total_steps = (int64_t)luaL_optinteger(L, -1, 0);
    lua_getfield(L, idx, "tokens_per_step");
    h.tokens_per_step = luaL_optnumber(L, -1, 0);
    lua_pop(L, 3);
    return h;
}

/* lre.duration(text [, horizon]) -> whole steps */
static int duration(lua_State *L)
{
    const char *text = luaL_checkstring(L, 1);
    lre_horizon h = horizon_of(L, 2);
    int64_t steps;
    lre_error err;
    if (lre_duration_steps(text, &h, &steps, &err)) return luaL_argerror(L, 1, err.msg);
    lua_pushinteger(L, (lua_Integer)steps);
    return 1;
}

/* s:plan([horizon]) -> s: resolves the durations of the tree on the horizon
 * {steps_per_epoch =, total_steps =, tokens_per_step =} (lre_schedule_plan);
 * a duration the horizon can not resolve is an error naming the node. */
int lre_lua_schedule_plan(lua_State *L)
{
    lre_schedule *s = lre_lua_checkschedule(L, 1);
    lre_horizon h = horizon_of(L, 2);
    lre_error err;
    if (lre_schedule_plan(s, &h, &err)) return lre_lua_argerror(L, 2, "plan", err.msg);
    lua_settop(L, 1);
    return 1;
}

void lre_lua_open_duration(lua_State *L)
{
    lua_pushcfunction(L, duration);
    lua_setfield(L, -2, "duration");
}
