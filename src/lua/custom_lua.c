/* custom_lua.c -- Lua functions and tables as schedules: the custom-schedule
 * callbacks of the core, implemented by calling Lua.
 *
 * A function is called as fn(step, ctx); a table as t:at(step, ctx) and, when
 * it has one, t:observe(metric, ctx). ctx is one table per schedule: its
 * field `state` is the table the engine saves with the optimizer (for a table
 * schedule, its own `state` field when it has one); step, epoch,
 * steps_per_epoch, total_steps, last_lr, metric, grad_norm and loss are read through its
 * metatable from the context of the current call. So a step costs what a
 * bare lua_pcall of the user's function costs, plus nothing for the fields
 * the script does not read.
 *
 * Every call into Lua is a lua_pcall on the env's thread (lrengine_lua.h),
 * so a Lua error never unwinds through the core's frames: it becomes an
 * LRE_ECALLBACK naming the schedule and the step.
 *
 * Identity: in saved state a custom schedule is known by its place in the
 * tree and the name its author gave (lre.schedule.custom(fn, name)), or by
 * its kind ("function", "table") -- never by where its source lies, so a
 * checkpoint survives a renamed file or an added comment line. */
#include "lrengine_lua.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A full userdata, kept alive by the registry until the schedule is released
 * and afterwards by ctx's metatable for as long as a script holds ctx. */
typedef struct custom_sched {
    lre_lua_env *env;
    int self_ref; /* this userdata */
    int fn_ref;   /* the function or table */
    int is_table;
    int state_ref, ctx_ref;
    int at_ref, observe_ref; /* a table's method callers */
    lre_sched_ctx ctx;       /* the context of the current (or last) call */
    lre_lua_events events;   /* ctx.event's rate limit (event_lua.c) */
    char where[160];         /* "name" or "source:line", for messages */
} custom_sched;

/* What a protected C call needs, passed as a light userdata. */
typedef struct call_args {
    custom_sched *c;
    const void *data;
    size_t len;
    lre_write_fn write;
    void *wud;
    int staged_ref, added_ref; /* a prepared load: the decoded state, the keys it adds */
} call_args;

/* ctx's __index: the engine's fields; nil when unknown. */
static int ctx_index(lua_State *L)
{
    const custom_sched *c = lua_touserdata(L, lua_upvalueindex(1));
    const lre_sched_ctx *x = &c->ctx;
    if (lua_type(L, 2) != LUA_TSTRING) return 0;
    const char *k = lua_tostring(L, 2);
    if (strcmp(k, "step") == 0) lua_pushinteger(L, (lua_Integer)x->step);
    else if (strcmp(k, "epoch") == 0 && x->steps_per_epoch > 0)
        lua_pushinteger(L, (lua_Integer)(x->step / x->steps_per_epoch));
    else if (strcmp(k, "steps_per_epoch") == 0 && x->steps_per_epoch > 0)
        lua_pushinteger(L, (lua_Integer)x->steps_per_epoch);
    else if (strcmp(k, "total_steps") == 0 && x->total_steps > 0) lua_pushinteger(L, (lua_Integer)x->total_steps);
    else if (strcmp(k, "last_lr") == 0 && !isnan(x->last_value)) lua_pushnumber(L, x->last_value);
    else if (strcmp(k, "metric") == 0 && !isnan(x->metric)) lua_pushnumber(L, x->metric);
    else if (strcmp(k, "d") == 0 && !isnan(x->d)) lua_pushnumber(L, x->d); /* Prodigy's estimate */
    else if (strcmp(k, "grad_norm") == 0 && !isnan(x->grad_norm)) lua_pushnumber(L, x->grad_norm);
    else if (strcmp(k, "loss") == 0 && !isnan(x->loss)) lua_pushnumber(L, x->loss);
    else if (strcmp(k, "event") == 0) { /* made once, then a field of ctx (argument 1) */
        lre_lua_push_event_fn(L, (lre_lua_events *)&c->events, lua_upvalueindex(1));
        lua_pushvalue(L, 2);
        lua_pushvalue(L, -2);
        lua_rawset(L, 1);
    } else return 0;
    return 1;
}

/* Runs the function and nargs arguments on the stack under lua_pcall,
 * leaving nres results; on failure fills err (naming the step when ctx is
 * given and the message does not, and the limit when one stopped the call)
 * and leaves nothing. Error values that are not strings are not converted:
 * their metamethods would run user code outside any limit. */
/* Calls into schedules nest (a schedule evaluating another, or itself) at
 * most this deep: beyond, the call fails with a message of its own, which
 * every level it unwinds through reports instead of its own message (each
 * would prefix its position: the reason fell off the end). */
#define MAX_NESTING 64

static int too_deep(custom_sched *c, lre_error *err)
{
    return lre_error_set(err, LRE_ECALLBACK,
                         "%s: schedules called inside one another more than %d deep (one that evaluates itself?)",
                         c->where, MAX_NESTING);
}

static int pcall(custom_sched *c, lua_State *L, int nargs, int nres, const lre_sched_ctx *ctx, lre_error *err)
{
    int status = lua_pcall(L, nargs, nres, 0);
    c->env->depth--;
    if (status == LUA_OK) return LRE_OK;
    const char *limit = c->env->limit_error ? c->env->limit_error(c->env) : NULL;
    if (!limit && c->env->too_deep) {
        lua_pop(L, 1);
        return too_deep(c, err);
    }
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    int pushed = 0;
    if (limit) msg = limit;
    else if (!msg) msg = lua_pushfstring(L, "%s: error object is a %s value", c->where, luaL_typename(L, -1)), pushed = 1;
    if (ctx && !strstr(msg, ": step ")) lre_error_set(err, LRE_ECALLBACK, "%s (step %lld)", msg, (long long)ctx->step);
    else lre_error_set(err, LRE_ECALLBACK, "%s", msg);
    lua_pop(L, 1 + pushed);
    return LRE_ECALLBACK;
}

/* The thread to call on, with room on its stack and the budget of a call
 * into the script started; counts the nesting, which pcall uncounts. */
static lua_State *begin_call(custom_sched *c, lre_error *err)
{
    lre_lua_env *env = c->env;
    lua_State *L = lre_lua_thread(env);
    if (env->depth == 0) env->too_deep = 0;
    if (env->depth >= MAX_NESTING) {
        env->too_deep = 1;
        too_deep(c, err);
        return NULL;
    }
    if (!lua_checkstack(L, 8)) {
        lre_error_set(err, LRE_ECALLBACK, "%s: Lua stack overflow", c->where);
        return NULL;
    }
    env->depth++;
    if (env->before_call) env->before_call(env);
    return L;
}

/* A table's methods are called through these, so that methods found through
 * a metatable (a class) work and an error there is caught like any other. */
static const char method_callers[] =
    "return function(t, step, ctx) return t:at(step, ctx) end,\n"
    "       function(t, metric, ctx) local f = t.observe; if f then f(t, metric, ctx) end end\n";

/* Pushes what to call and its leading arguments: the function, or the
 * table's method caller and the table. Returns how many. */
static int push_callee(lua_State *L, custom_sched *c, int caller_ref)
{
    if (!c->is_table) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, c->fn_ref);
        return 1;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, caller_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->fn_ref);
    return 2;
}

static int protected_save(lua_State *L)
{
    call_args *a = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, a->c->state_ref);
    lre_lua_encode(L, -1, "state");
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (a->write(a->wud, s, len)) return luaL_error(L, "%s: out of memory saving the state", a->c->where);
    return 0;
}

/* Prepare: decodes the saved state into a new table, and gives every key it
 * has that the live state lacks a slot in the live state (holding false), so
 * that the commit only assigns existing slots: it cannot allocate, so it
 * cannot fail. The keys added are listed, for an abort to remove. */
static int protected_prepare(lua_State *L)
{
    call_args *a = lua_touserdata(L, 1);
    lua_newtable(L); /* the keys added: referenced first, so an abort finds them whatever fails */
    int added = lua_gettop(L);
    lua_pushvalue(L, added);
    a->added_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lre_lua_decode(L, a->data, a->len);
    if (!lua_istable(L, -1)) return luaL_error(L, "%s: saved state is not a table", a->c->where);
    int staged = lua_gettop(L);
    lua_pushvalue(L, staged);
    a->staged_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_rawgeti(L, LUA_REGISTRYINDEX, a->c->state_ref);
    int live = lua_gettop(L);
    lua_Integer nadded = 0;
    lua_pushnil(L);
    while (lua_next(L, staged)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        if (lua_rawget(L, live) == LUA_TNIL) {
            lua_pushvalue(L, -2);
            lua_rawseti(L, added, ++nadded);
            lua_pushvalue(L, -2);
            lua_pushboolean(L, 0);
            lua_rawset(L, live);
        }
        lua_pop(L, 1);
    }
    return 0;
}

/* Calls f with the light userdata a under lua_pcall. */
static int run(custom_sched *c, lua_CFunction f, call_args *a, lre_error *err)
{
    lua_State *L = begin_call(c, err);
    if (!L) return LRE_ECALLBACK;
    lua_pushcfunction(L, f);
    lua_pushlightuserdata(L, a);
    return pcall(c, L, 1, 0, NULL, err);
}

static int cb_at(void *ud, const lre_sched_ctx *ctx, double *out, lre_error *err)
{
    custom_sched *c = ud;
    lua_State *L = begin_call(c, err);
    if (!L) return LRE_ECALLBACK;
    c->ctx = *ctx;
    int n = push_callee(L, c, c->at_ref);
    lua_pushinteger(L, (lua_Integer)ctx->step);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->ctx_ref);
    c->events.ctx = &c->ctx;
    int rc = pcall(c, L, n + 1, 1, ctx, err);
    c->events.ctx = NULL;
    if (rc) return rc;
    long long step = (long long)ctx->step;
    int type = lua_type(L, -1);
    double v = lua_tonumber(L, -1);
    if (type == LUA_TSTRING)
        rc = lre_error_set(err, LRE_ECALLBACK, "%s: step %lld: returned the string '%.40s', expected a number",
                           c->where, step, lua_tostring(L, -1));
    else if (type != LUA_TNUMBER)
        rc = lre_error_set(err, LRE_ECALLBACK, "%s: step %lld: returned %s, expected a number", c->where, step,
                           luaL_typename(L, -1));
    else if (!isfinite(v) || v < 0)
        rc = lre_error_set(err, LRE_ECALLBACK, "%s: step %lld: returned %g, expected a finite number >= 0", c->where,
                           step, v);
    lua_pop(L, 1);
    if (!rc) *out = v;
    return rc;
}

static int cb_observe(void *ud, double metric, const lre_sched_ctx *ctx, lre_error *err)
{
    custom_sched *c = ud;
    if (!c->is_table) return LRE_OK;
    lua_State *L = begin_call(c, err);
    if (!L) return LRE_ECALLBACK;
    c->ctx = *ctx;
    int n = push_callee(L, c, c->observe_ref);
    lua_pushnumber(L, metric);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->ctx_ref);
    c->events.ctx = &c->ctx;
    int rc = pcall(c, L, n + 1, 0, ctx, err);
    c->events.ctx = NULL;
    return rc;
}

static int cb_save(void *ud, lre_write_fn write, void *wud, lre_error *err)
{
    call_args a = {0};
    a.c = ud;
    a.write = write;
    a.wud = wud;
    return run(ud, protected_save, &a, err);
}

static void cb_abort_load(void *ud, void *token);

static int cb_prepare_load(void *ud, const void *data, size_t len, void **token, lre_error *err)
{
    call_args *a = malloc(sizeof *a);
    if (!a) return lre_error_set(err, LRE_ENOMEM, "%s: out of memory loading the state", ((custom_sched *)ud)->where);
    memset(a, 0, sizeof *a);
    a->c = ud;
    a->data = data;
    a->len = len;
    a->staged_ref = a->added_ref = LUA_NOREF;
    int rc = run(ud, protected_prepare, a, err);
    if (rc) {
        cb_abort_load(ud, a); /* the core aborts only what was prepared */
        return rc;
    }
    *token = a;
    return LRE_OK;
}

/* Assigns existing slots only (see protected_prepare): no allocation, no
 * Lua error, no call into user code. */
static void cb_commit_load(void *ud, void *token)
{
    custom_sched *c = ud;
    call_args *a = token;
    lua_State *L = lre_lua_thread(c->env);
    lua_checkstack(L, 4); /* within the LUA_MINSTACK slots a C caller always has */
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->state_ref);
    int live = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, a->staged_ref);
    int staged = live + 1;
    lua_pushnil(L);
    while (lua_next(L, live)) { /* clear what the saved state lacks: assigning nil during traversal is allowed */
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        if (lua_rawget(L, staged) == LUA_TNIL) {
            lua_pushvalue(L, -2);
            lua_pushnil(L);
            lua_rawset(L, live);
        }
        lua_pop(L, 1);
    }
    lua_pushnil(L);
    while (lua_next(L, staged)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, live);
    }
    lua_settop(L, live - 1);
    luaL_unref(L, LUA_REGISTRYINDEX, a->staged_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, a->added_ref);
    free(a);
}

/* Removes the slots a prepare added to the live state. */
static void cb_abort_load(void *ud, void *token)
{
    custom_sched *c = ud;
    call_args *a = token;
    lua_State *L = lre_lua_thread(c->env);
    lua_checkstack(L, 4);
    if (a->added_ref != LUA_NOREF) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, c->state_ref);
        lua_rawgeti(L, LUA_REGISTRYINDEX, a->added_ref);
        for (lua_Integer i = 1; lua_rawgeti(L, -1, i) != LUA_TNIL; i++) {
            lua_pushnil(L);
            lua_rawset(L, -4);
        }
        lua_pop(L, 3);
    }
    luaL_unref(L, LUA_REGISTRYINDEX, a->staged_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, a->added_ref);
    free(a);
}

static void cb_release(void *ud)
{
    custom_sched *c = ud;
    lre_lua_env *env = c->env;
    lua_State *L = lre_lua_thread(env);
    luaL_unref(L, LUA_REGISTRYINDEX, c->fn_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, c->state_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, c->ctx_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, c->at_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, c->observe_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, c->self_ref); /* c lives in this userdata */
    if (env->release) env->release(env->owner); /* last: it may close the state */
}

static const lre_custom_vtable custom_vtable = {cb_at, cb_observe, cb_save, cb_prepare_load,
                                                cb_commit_load, cb_abort_load, cb_release};

lre_schedule *lre_lua_custom_schedule(lua_State *L, int idx, const char *name)
{
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 8, NULL);
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
    int state = lua_gettop(L);

    /* every Lua allocation first (an error here leaves nothing behind), then the refs */
    custom_sched *c = lua_newuserdatauv(L, sizeof *c, 0);
    memset(c, 0, sizeof *c);
    c->ctx.last_value = c->ctx.metric = c->ctx.grad_norm = c->ctx.loss = NAN;
    lua_createtable(L, 0, 1); /* ctx */
    lua_pushvalue(L, state);
    lua_setfield(L, -2, "state");
    lua_createtable(L, 0, 1); /* its metatable */
    lua_pushvalue(L, -3);
    lua_pushcclosure(L, ctx_index, 1);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    if (luaL_loadbufferx(L, method_callers, sizeof method_callers - 1, "=[lrengine] method call", "t") != LUA_OK)
        lua_error(L);
    lua_call(L, 0, 2);

    /* for messages: the given name, or "script.lua:12" where the function starts */
    lua_Debug ar;
    lua_pushvalue(L, idx);
    if (is_table) lua_getfield(L, -1, "at"), lua_remove(L, -2);
    lua_getinfo(L, ">S", &ar);
    if (name) snprintf(c->where, sizeof c->where, "%s", name);
    else if (ar.linedefined > 0) snprintf(c->where, sizeof c->where, "%s:%d", ar.short_src, ar.linedefined);
    else snprintf(c->where, sizeof c->where, "%s", ar.short_src);

    lre_lua_env *env = lre_lua_env_get(L);
    c->env = env;
    c->is_table = is_table;
    c->observe_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    c->at_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    c->ctx_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    c->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    c->state_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, idx);
    c->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    if (env->retain) env->retain(env->owner); /* released by cb_release, failure included */
    lre_schedule *s;
    lre_error err;
    lre_allocator alloc = lre_lua_allocator(L);
    if (lre_schedule_custom_with(&s, name ? name : is_table ? "table" : "function", &custom_vtable, c, &alloc, &err))
        luaL_error(L, "%s", err.msg);
    return s;
}
