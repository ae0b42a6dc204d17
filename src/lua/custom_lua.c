/* custom_lua.c -- Lua functions and tables as schedules: the custom-schedule
 * callbacks of the core, implemented by calling Lua.
 *
 * A function is called as fn(step, ctx); a table as t:at(step, ctx) and, when
 * it has one, t:observe(metric, ctx). ctx is one table per schedule, updated
 * in place before each call (no allocation per step): step, epoch,
 * steps_per_epoch, total_steps, last_lr, metric, state. ctx.state is the
 * table the engine saves with the optimizer (for a table schedule, its own
 * `state` field when it has one).
 *
 * Every call into Lua is a lua_pcall of a C function, so a Lua error never
 * unwinds through the core's frames: it becomes an LRE_ECALLBACK naming the
 * schedule and the step. */
#include "lrengine_lua.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lua_custom {
    lre_lua_env *env;
    int fn_ref;  /* the function or table */
    int is_table;
    int state_ref;
    int ctx_ref;
    char where[160]; /* "name" or "source:line", for messages */
} lua_custom;

/* What a protected call needs, passed as a light userdata. */
typedef struct call_args {
    lua_custom *c;
    const lre_sched_ctx *ctx;
    double value;
    double metric;
    const void *data;
    size_t len;
    lre_write_fn write;
    void *wud;
    int ref;
} call_args;

static void set_opt_integer(lua_State *L, int t, const char *k, int64_t v)
{
    if (v > 0) lua_pushinteger(L, (lua_Integer)v);
    else lua_pushnil(L);
    lua_setfield(L, t, k);
}

static void set_opt_number(lua_State *L, int t, const char *k, double v)
{
    if (isnan(v)) lua_pushnil(L);
    else lua_pushnumber(L, v);
    lua_setfield(L, t, k);
}

/* Pushes the ctx table, brought up to date. */
static int push_ctx(lua_State *L, lua_custom *c, const lre_sched_ctx *ctx)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->ctx_ref);
    int t = lua_gettop(L);
    lua_pushinteger(L, (lua_Integer)ctx->step);
    lua_setfield(L, t, "step");
    if (ctx->steps_per_epoch > 0) lua_pushinteger(L, (lua_Integer)(ctx->step / ctx->steps_per_epoch));
    else lua_pushnil(L);
    lua_setfield(L, t, "epoch");
    set_opt_integer(L, t, "steps_per_epoch", ctx->steps_per_epoch);
    set_opt_integer(L, t, "total_steps", ctx->total_steps);
    set_opt_number(L, t, "last_lr", ctx->last_value);
    set_opt_number(L, t, "metric", ctx->metric);
    return t;
}

/* Pushes the callable and its leading arguments; returns their count. For a
 * table, its method `method` (NULL when it has none: pushes nothing). */
static int push_callee(lua_State *L, lua_custom *c, const char *method)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->fn_ref);
    if (!c->is_table) return 1;
    if (lua_getfield(L, -1, method) == LUA_TNIL) {
        lua_pop(L, 2);
        return 0;
    }
    lua_insert(L, -2); /* method, self */
    return 2;
}

static int protected_at(lua_State *L)
{
    call_args *a = lua_touserdata(L, 1);
    lua_custom *c = a->c;
    int ctx = push_ctx(L, c, a->ctx);
    int n = push_callee(L, c, "at");
    lua_pushinteger(L, (lua_Integer)a->ctx->step);
    lua_pushvalue(L, ctx);
    lua_call(L, n + 1, 1);
    long long step = (long long)a->ctx->step;
    if (lua_type(L, -1) != LUA_TNUMBER) {
        const char *got = lua_type(L, -1) == LUA_TSTRING ? lua_pushfstring(L, "the string '%s'", lua_tostring(L, -1))
                                                         : luaL_typename(L, -1);
        return luaL_error(L, "%s: step %I: returned %s, expected a number", c->where, (lua_Integer)step, got);
    }
    double v = lua_tonumber(L, -1);
    if (!isfinite(v) || v < 0) {
        char num[40];
        snprintf(num, sizeof num, "%g", v);
        return luaL_error(L, "%s: step %I: returned %s, expected a finite number >= 0", c->where,
                          (lua_Integer)step, num);
    }
    a->value = v;
    return 0;
}

static int protected_observe(lua_State *L)
{
    call_args *a = lua_touserdata(L, 1);
    int ctx = push_ctx(L, a->c, a->ctx);
    int n = push_callee(L, a->c, "observe");
    if (n == 0) return 0;
    lua_pushnumber(L, a->metric);
    lua_pushvalue(L, ctx);
    lua_call(L, n + 1, 0);
    return 0;
}

static int protected_save(lua_State *L)
{
    call_args *a = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, a->c->state_ref);
    lre_lua_encode(L, -1, "state");
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (a->write(a->wud, s, len)) return luaL_error(L, "out of memory saving the state of %s", a->c->where);
    return 0;
}

static int protected_decode(lua_State *L)
{
    call_args *a = lua_touserdata(L, 1);
    lre_lua_decode(L, a->data, a->len);
    if (!lua_istable(L, -1)) return luaL_error(L, "saved state of %s is not a table", a->c->where);
    a->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* Replaces the contents of the state table by the staged one's, keeping the
 * table itself: a script may hold it in a local. */
static int protected_commit(lua_State *L)
{
    call_args *a = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, a->c->state_ref);
    int st = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, st)) { /* clear: setting an existing field to nil is allowed during traversal */
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushnil(L);
        lua_rawset(L, st);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, a->ref);
    int src = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, src)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, st);
    }
    return 0;
}

/* Runs f under lua_pcall on the calling thread; on failure fills err. */
static int run(lua_custom *c, lua_CFunction f, call_args *a, lre_error *err)
{
    lua_State *L = c->env->L;
    if (!lua_checkstack(L, 8))
        return snprintf(err->msg, sizeof err->msg, "%s: Lua stack overflow", c->where), err->code = LRE_ECALLBACK;
    if (c->env->before_call) c->env->before_call(c->env);
    lua_pushcfunction(L, f);
    lua_pushlightuserdata(L, a);
    if (lua_pcall(L, 1, 0, 0) == LUA_OK) return LRE_OK;
    const char *msg = lua_tostring(L, -1);
    if (!msg) msg = "(error object is not a string)";
    err->code = LRE_ECALLBACK;
    /* a Lua runtime error names the line but not the step */
    if (a->ctx && !strstr(msg, ": step "))
        snprintf(err->msg, sizeof err->msg, "%s (step %lld)", msg, (long long)a->ctx->step);
    else
        snprintf(err->msg, sizeof err->msg, "%s", msg);
    lua_pop(L, 1);
    return LRE_ECALLBACK;
}

static int cb_at(void *ud, const lre_sched_ctx *ctx, double *out, lre_error *err)
{
    call_args a = {0};
    a.c = ud;
    a.ctx = ctx;
    int rc = run(ud, protected_at, &a, err);
    if (!rc) *out = a.value;
    return rc;
}

static int cb_observe(void *ud, double metric, const lre_sched_ctx *ctx, lre_error *err)
{
    lua_custom *c = ud;
    if (!c->is_table) return LRE_OK;
    call_args a = {0};
    a.c = c;
    a.ctx = ctx;
    a.metric = metric;
    return run(c, protected_observe, &a, err);
}

static int cb_save(void *ud, lre_write_fn write, void *wud, lre_error *err)
{
    call_args a = {0};
    a.c = ud;
    a.write = write;
    a.wud = wud;
    return run(ud, protected_save, &a, err);
}

static int cb_prepare_load(void *ud, const void *data, size_t len, void **token, lre_error *err)
{
    call_args a = {0};
    a.c = ud;
    a.data = data;
    a.len = len;
    int rc = run(ud, protected_decode, &a, err);
    if (rc) return rc;
    *token = (void *)(intptr_t)a.ref;
    return LRE_OK;
}

static void cb_commit_load(void *ud, void *token)
{
    lua_custom *c = ud;
    call_args a = {0};
    lre_error err;
    a.c = c;
    a.ref = (int)(intptr_t)token;
    run(c, protected_commit, &a, &err);
    luaL_unref(c->env->L, LUA_REGISTRYINDEX, a.ref);
}

static void cb_abort_load(void *ud, void *token)
{
    lua_custom *c = ud;
    luaL_unref(c->env->L, LUA_REGISTRYINDEX, (int)(intptr_t)token);
}

static void cb_release(void *ud)
{
    lua_custom *c = ud;
    lua_State *L = c->env->L;
    luaL_unref(L, LUA_REGISTRYINDEX, c->fn_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, c->state_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, c->ctx_ref);
    free(c);
}

static const lre_custom_vtable lua_vtable = {cb_at, cb_observe, cb_save, cb_prepare_load,
                                             cb_commit_load, cb_abort_load, cb_release};

lre_schedule *lre_lua_custom_schedule(lua_State *L, int idx, const char *name);
lre_schedule *lre_lua_custom_schedule(lua_State *L, int idx, const char *name)
{
    idx = lua_absindex(L, idx);
    int is_table = lua_istable(L, idx);
    if (is_table) {
        if (lua_getfield(L, idx, "at") != LUA_TFUNCTION) luaL_error(L, "a schedule table needs an 'at' function");
        lua_pop(L, 1);
    }
    /* the state table: the table schedule's own `state`, or a new one */
    int has_state = 0;
    if (is_table) {
        int t = lua_getfield(L, idx, "state");
        if (t != LUA_TNIL && t != LUA_TTABLE) luaL_error(L, "a schedule table's 'state' must be a table");
        has_state = t == LUA_TTABLE;
        if (!has_state) lua_pop(L, 1);
    }
    if (!has_state) lua_newtable(L);
    lua_createtable(L, 0, 8); /* ctx */
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "state");

    lua_custom *c = malloc(sizeof *c);
    if (!c) luaL_error(L, "out of memory");
    c->env = lre_lua_env_get(L);
    c->env->L = L;
    c->is_table = is_table;
    /* "script.lua:12": the given name (or the source) and where the function starts */
    lua_Debug ar;
    lua_pushvalue(L, idx);
    if (is_table) lua_getfield(L, -1, "at"), lua_remove(L, -2);
    lua_getinfo(L, ">S", &ar);
    if (ar.linedefined > 0) snprintf(c->where, sizeof c->where, "%s:%d", name ? name : ar.short_src, ar.linedefined);
    else snprintf(c->where, sizeof c->where, "%s", name ? name : ar.short_src);
    c->ctx_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    c->state_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, idx);
    c->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lre_schedule *s;
    lre_error err;
    if (lre_schedule_custom(&s, c->where, &lua_vtable, c, &err)) luaL_error(L, "%s", err.msg);
    return s;
}
