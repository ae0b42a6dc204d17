/* duration_lua.c -- durations in a schedule's parameters: S.cosine{lr = 0.1,
 * t_max = "90%"}, S.warmup{inner, steps = "1 epoch"}, "3M tokens" with
 * tokens_per_step = N. Such a schedule is planned for the run it is in
 * (lre.schedule.for_run): its durations resolve to steps when the run's
 * horizon is known, and again when it changes. lre.duration(text, horizon)
 * resolves one directly. */
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

/* Whether the string s reads as a duration (on a horizon that knows everything). */
static int is_duration(const char *s)
{
    static const lre_horizon all = {1, 1, 1};
    int64_t steps;
    return lre_duration_steps(s, &all, &steps, NULL) == LRE_OK && strspn(s, "0123456789.eE+- ") < strlen(s);
}

int lre_lua_has_durations(lua_State *L, int idx)
{
    int found = 0;
    lua_pushnil(L);
    while (!found && lua_next(L, idx)) {
        found = lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING && is_duration(lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    if (found) lua_pop(L, 1);
    return found;
}

/* build(total_steps, steps_per_epoch): the constructor (upvalue 1) on a copy
 * of the parameters (upvalue 2) with their durations in steps; the tree it
 * makes gets the horizon, for the durations of its inner schedules. */
static int build(lua_State *L)
{
    lre_horizon h = {(int64_t)luaL_optinteger(L, 2, 0), (int64_t)luaL_checkinteger(L, 1), 0};
    int t = lua_upvalueindex(2);
    lua_getfield(L, t, "tokens_per_step");
    h.tokens_per_step = luaL_optnumber(L, -1, 0);
    lua_pop(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_newtable(L);
    int copy = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -2) == LUA_TSTRING && !strcmp(lua_tostring(L, -2), "tokens_per_step")) {
            lua_pop(L, 1);
            continue;
        }
        if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING && is_duration(lua_tostring(L, -1))) {
            int64_t steps;
            lre_error err;
            if (lre_duration_steps(lua_tostring(L, -1), &h, &steps, &err))
                return luaL_error(L, "%s: %s: %s", lua_tostring(L, lua_upvalueindex(3)), lua_tostring(L, -2), err.msg);
            lua_pop(L, 1);
            lua_pushinteger(L, (lua_Integer)steps);
        }
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_settable(L, copy);
    }
    lua_call(L, 1, 1);
    lre_schedule_set_horizon(lre_lua_checkschedule(L, -1), h.steps_per_epoch, h.total_steps);
    return 1;
}

int lre_lua_deferred(lua_State *L, int ctor, int params, const char *kind)
{
    /* the module as loaded: by the sandbox's require (scripts) or by Lua's */
    if (lua_getfield(L, LUA_REGISTRYINDEX, "lrengine.loaded") != LUA_TTABLE) lua_pushnil(L);
    else lua_getfield(L, -1, "lrengine");
    if (!lua_istable(L, -1)) {
        lua_pop(L, 2);
        lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
        lua_getfield(L, -1, "lrengine");
    }
    if (!lua_istable(L, -1) || lua_getfield(L, -1, "schedule") != LUA_TTABLE ||
        lua_getfield(L, -1, "for_run") != LUA_TFUNCTION)
        return luaL_error(L, "%s: durations in its parameters need require \"lrengine\" (lre.schedule.for_run)", kind);
    lua_pushvalue(L, ctor);
    lua_pushvalue(L, params);
    lua_pushstring(L, kind);
    lua_pushcclosure(L, build, 3);
    lua_pushfstring(L, "%s (durations)", kind);
    lua_call(L, 2, 1);
    return 1;
}

void lre_lua_open_duration(lua_State *L)
{
    lua_pushcfunction(L, duration);
    lua_setfield(L, -2, "duration");
}
