/* clip_lua.c -- gradient clipping and the spike guard from Lua: the
 * optimizer's `clip` and `guard` options, opt:set_clip, opt:set_guard,
 * opt:grad_norm(), opt:clip_coef() and opt:guard(); and guard(ctx) functions
 * as the core's custom guard (a schedule whose value skips or scales).
 *
 *   clip = 1.0                                  -- by global 2-norm, max_norm 1
 *   clip = {max_norm = 1, norm_type = "inf"}    -- max_norm may be a schedule
 *   clip = {clip_value = 0.5}                   -- by value
 *   clip = {clip_factor = 0.01, eps = 1e-3}     -- adaptive (AGC), per row
 *   guard = "zscore"                            -- or "threshold" with max = ...
 *   guard = {"zscore", window = 50, z = 4, on = "loss", max_skips = 3}
 *   guard = function(ctx) return ctx.grad_norm > 10 and "skip" or "keep" end
 *   guard = {function(ctx) ... end, max_skips = 3}
 *
 * A guard function gets ctx (grad_norm, loss, step, state, ... as a schedule
 * function's) and returns "keep" (or nil), "skip", or a scale >= 0 for the
 * step's gradients (0 skips it too). */
#include "lrengine_lua.h"

#include <math.h>
#include <string.h>

#define MAX_CLIP_PARAMS 8

/* The guard function's result as the core's guard value: 1 keeps, 0
 * skips, a number > 0 scales (0 skips too). Called as a schedule function
 * (step, ctx). */
static int guard_adapter(lua_State *L)
{
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 2);
    lua_call(L, 1, 1);
    int t = lua_type(L, -1);
    if (t == LUA_TNIL) {
        lua_pushnumber(L, 1);
        return 1;
    }
    if (t == LUA_TSTRING) {
        const char *r = lua_tostring(L, -1);
        if (!strcmp(r, "keep") || !strcmp(r, "skip")) {
            lua_pushnumber(L, strcmp(r, "keep") ? 0 : 1);
            return 1;
        }
    }
    if (t == LUA_TNUMBER) {
        double v = lua_tonumber(L, -1);
        if (isfinite(v) && v >= 0) {
            lua_pushnumber(L, v);
            return 1;
        }
    }
    return luaL_error(L, "guard returned %s; expected 'keep', 'skip' or a scale >= 0",
                      t == LUA_TSTRING || t == LUA_TNUMBER ? lua_pushfstring(L, "%s", luaL_tolstring(L, -1, NULL))
                                                           : luaL_typename(L, -1));
}

lre_schedule *lre_lua_toguard(lua_State *L, int idx)
{
    luaL_checktype(L, idx, LUA_TFUNCTION);
    lua_pushvalue(L, idx);
    lua_pushcclosure(L, guard_adapter, 1);
    lre_schedule *s = lre_lua_custom_schedule(L, lua_gettop(L), "guard");
    lua_pop(L, 1);
    return s;
}

/* The parameters of the table at t (string keys but `kind`), numbers,
 * booleans, strings (norm_type = "inf", on = "loss") or, for `scheduled`,
 * schedules (anchored in the table at anchor). */
static size_t read_params(lua_State *L, const char *who, int t, lre_param *p, int anchor, const char *scheduled)
{
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -2) != LUA_TSTRING || !strcmp(lua_tostring(L, -2), "kind") ||
            !strcmp(lua_tostring(L, -2), "rule")) {
            lua_pop(L, 1);
            continue;
        }
        const char *key = lua_tostring(L, -2);
        if (n == MAX_CLIP_PARAMS) luaL_error(L, "%s: too many parameters", who);
        lre_param *q = &p[n++];
        memset(q, 0, sizeof *q);
        q->name = key;
        int v = lua_gettop(L), type = lua_type(L, v);
        if (type == LUA_TNUMBER) q->value = lua_tonumber(L, v);
        else if (type == LUA_TBOOLEAN) q->value = lua_toboolean(L, v);
        else if (type == LUA_TSTRING) q->str = lua_tostring(L, v);
        else if (scheduled && !strcmp(key, scheduled)) {
            lre_schedule *s = lre_lua_toschedule(L, v, NULL);
            lre_lua_pushschedule(L, s); /* owns the reference; anchored below */
            lua_rawseti(L, anchor, (lua_Integer)luaL_len(L, anchor) + 1);
            q->schedule = s;
        } else {
            luaL_error(L, "%s: %s must be a number or a string, got %s", who, key, luaL_typename(L, v));
        }
        lua_pop(L, 1);
    }
    return n;
}

/* clip spec at idx into the optimizer; raises an error naming `who`. */
static void set_clip(lua_State *L, lre_optim *o, const char *who, int idx)
{
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    int anchor = lua_gettop(L);
    int t = lua_type(L, idx);
    lre_param p[MAX_CLIP_PARAMS];
    size_t n = 0;
    const char *kind;
    if (t == LUA_TNIL || (t == LUA_TBOOLEAN && !lua_toboolean(L, idx)) ||
        (t == LUA_TSTRING && !strcmp(lua_tostring(L, idx), "none"))) {
        kind = "none";
    } else if (t == LUA_TNUMBER) {
        kind = "norm";
        memset(p, 0, sizeof p[0]);
        p[0].name = "max_norm";
        p[0].value = lua_tonumber(L, idx);
        n = 1;
    } else if (t == LUA_TTABLE) {
        lua_getfield(L, idx, "kind");
        kind = lua_tostring(L, -1); /* anchored in the table */
        lua_pop(L, 1);
        if (!kind) {
            static const char *const keys[][2] = {{"max_norm", "norm"}, {"clip_value", "value"}, {"clip_factor", "agc"}};
            for (int i = 0; i < 3 && !kind; i++) {
                if (lua_getfield(L, idx, keys[i][0]) != LUA_TNIL) kind = keys[i][1];
                lua_pop(L, 1);
            }
            if (!kind) kind = "agc"; /* {} or {eps = ...}: AGC's defaults */
        }
        const char *sched = !strcmp(kind, "norm") ? "max_norm" : !strcmp(kind, "value") ? "clip_value" : "clip_factor";
        n = read_params(L, who, idx, p, anchor, sched);
    } else {
        luaL_error(L, "%s: clip must be a number (max_norm), a table or false, got %s", who, luaL_typename(L, idx));
        return;
    }
    if (lre_optim_set_clip(o, kind, p, n)) luaL_error(L, "%s: %s", who, lre_optim_errmsg(o));
    lua_settop(L, anchor - 1);
}

static void set_guard(lua_State *L, lre_optim *o, const char *who, int idx)
{
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    int anchor = lua_gettop(L);
    int t = lua_type(L, idx);
    lre_param p[MAX_CLIP_PARAMS];
    size_t n = 0;
    const char *rule = NULL;
    int fn = 0;
    if (t == LUA_TNIL || (t == LUA_TBOOLEAN && !lua_toboolean(L, idx))) rule = "none";
    else if (t == LUA_TSTRING) rule = lua_tostring(L, idx);
    else if (t == LUA_TFUNCTION) fn = idx;
    else if (t == LUA_TTABLE) {
        lua_geti(L, idx, 1);
        if (lua_type(L, -1) == LUA_TNIL) {
            lua_pop(L, 1);
            lua_getfield(L, idx, "rule");
        }
        if (lua_type(L, -1) == LUA_TFUNCTION) fn = lua_gettop(L);
        else if (lua_type(L, -1) == LUA_TSTRING) rule = lua_tostring(L, -1);
        else luaL_error(L, "%s: guard = {rule, ...} needs the rule ('zscore', 'threshold') or a function first", who);
        n = read_params(L, who, idx, p, anchor, NULL);
    } else {
        luaL_error(L, "%s: guard must be a rule name, a function or a table, got %s", who, luaL_typename(L, idx));
    }
    lre_schedule *script = NULL;
    if (fn) {
        rule = "custom";
        script = lre_lua_toguard(L, fn);
        lre_lua_pushschedule(L, script); /* owns the reference */
    }
    if (lre_optim_set_guard(o, rule, p, n, script)) luaL_error(L, "%s: %s", who, lre_optim_errmsg(o));
    lua_settop(L, anchor - 1);
}

void lre_lua_clip_options(lua_State *L, lre_optim *o, const char *kind, int t)
{
    if (lua_getfield(L, t, "clip") != LUA_TNIL) set_clip(L, o, kind, -1);
    lua_pop(L, 1);
    if (lua_getfield(L, t, "guard") != LUA_TNIL) set_guard(L, o, kind, -1);
    lua_pop(L, 1);
}

/* opt:set_clip(spec): as the constructor's clip; nil or false turns it off. */
static int optim_set_clip(lua_State *L)
{
    lre_optim *o = lre_lua_checkoptim(L, 1);
    set_clip(L, o, "set_clip", 2);
    return 0;
}

/* opt:set_guard(spec) */
static int optim_set_guard(lua_State *L)
{
    lre_optim *o = lre_lua_checkoptim(L, 1);
    set_guard(L, o, "set_guard", 2);
    return 0;
}

static void push_number_or_nil(lua_State *L, double v)
{
    if (isnan(v)) lua_pushnil(L);
    else lua_pushnumber(L, v);
}

/* opt:grad_norm() -> the last scanned step's norm before clipping (NaN when
 * no step scanned, or a gradient held a NaN) */
static int optim_grad_norm(lua_State *L)
{
    lua_pushnumber(L, lre_optim_grad_norm(lre_lua_checkoptim(L, 1)));
    return 1;
}

/* opt:clip_coef() -> the last step's coefficient (clipping by norm; NaN
 * before any step or under other clipping) */
static int optim_clip_coef(lua_State *L)
{
    lua_pushnumber(L, lre_optim_clip_coef(lre_lua_checkoptim(L, 1)));
    return 1;
}

/* opt:guard() -> {skips, consecutive, skipped, value, mean, std, limit, scale} */
static int optim_guard(lua_State *L)
{
    lre_guard_info x;
    lre_optim_guard_info(lre_lua_checkoptim(L, 1), &x);
    lua_createtable(L, 0, 8);
    lua_pushinteger(L, (lua_Integer)x.skips);
    lua_setfield(L, -2, "skips");
    lua_pushinteger(L, (lua_Integer)x.consecutive);
    lua_setfield(L, -2, "consecutive");
    lua_pushboolean(L, x.skipped);
    lua_setfield(L, -2, "skipped");
    const double v[] = {x.value, x.mean, x.std, x.limit, x.scale};
    const char *const names[] = {"value", "mean", "std", "limit", "scale"};
    for (int i = 0; i < 5; i++) {
        push_number_or_nil(L, v[i]);
        lua_setfield(L, -2, names[i]);
    }
    return 1;
}

void lre_lua_clip_methods(lua_State *L)
{
    static const luaL_Reg methods[] = {{"set_clip", optim_set_clip},   {"set_guard", optim_set_guard},
                                       {"grad_norm", optim_grad_norm}, {"clip_coef", optim_clip_coef},
                                       {"guard", optim_guard},         {NULL, NULL}};
    luaL_setfuncs(L, methods, 0);
}
