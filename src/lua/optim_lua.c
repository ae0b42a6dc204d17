/* optim_lua.c -- lre.optim.*: one constructor per optimizer and the optimizer
 * object's methods.
 *
 *   lre.optim.adam{params = p, grads = g, lr = 1e-3, betas = {0.9, 0.999}}
 *   lre.optim.sgd{{params = p1, grads = g1}, {params = p2, grads = g2, lr = 0.01},
 *                 lr = lre.schedule.cosine{lr = 0.1, t_max = 1000}, momentum = 0.9}
 *
 * Any hyper-parameter may be a number or a schedule (a schedule object, a
 * function or a table with `at`). Options beside the hyper-parameters:
 * nonfinite = "error" | "skip" | "trust", threads, steps_per_epoch, total_steps,
 * average = {kind = "ema" | "swa", decay = 0.999, ...} (see opt:set_average),
 * clip and guard (clip_lua.c). */
#include "lrengine_lua.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef struct optim_ud {
    lre_optim *o;
    const char *busy; /* what the optimizer is doing ("running a step"), or NULL */
    double elements;  /* parameters, over the groups: a step's work */
    double nodes;     /* schedule nodes evaluated per step, at most (see lre_lua_schedule_nodes) */
    double max_nodes; /* of the largest schedule given: what opt:schedule's result counts */
    lre_lua_env *env; /* its universe's */
    int evref;        /* opt:on_event's function in the registry, or LUA_NOREF */
    lre_lua_evq evq;  /* its events, queued during a core call (event_lua.c) */
} optim_ud;

#define MAX_PARAMS 32

/* The optimizer at idx, alive and idle: a schedule's callback that reaches
 * back into the optimizer running it gets an error, not a half-made step. */
static optim_ud *checkopt(lua_State *L, int idx)
{
    optim_ud *u = luaL_checkudata(L, idx, LRE_OPTIM_MT);
    luaL_argcheck(L, u->o != NULL, idx, "optimizer is closed");
    if (u->busy) luaL_argerror(L, idx, lua_pushfstring(L, "optimizer is %s", u->busy));
    return u;
}

/* Brackets a core call that may run schedules. */
static lua_State *begin(lua_State *L, optim_ud *u, const char *doing)
{
    u->busy = doing;
    return lre_lua_enter(L);
}

static void end(lua_State *L, optim_ud *u, lua_State *prev)
{
    lre_lua_leave(L, prev);
    u->busy = NULL;
}

static int is_option(const char *k)
{
    return !strcmp(k, "params") || !strcmp(k, "grads") || !strcmp(k, "nonfinite") || !strcmp(k, "threads") ||
           !strcmp(k, "steps_per_epoch") || !strcmp(k, "total_steps") || !strcmp(k, "average") ||
           !strcmp(k, "clip") || !strcmp(k, "guard");
}

static int is_schedule_value(lua_State *L, int idx)
{
    int t = lua_type(L, idx);
    if (t == LUA_TFUNCTION || luaL_testudata(L, idx, LRE_SCHEDULE_MT)) return 1;
    if (t != LUA_TTABLE) return 0;
    int has_at = lua_getfield(L, idx, "at") == LUA_TFUNCTION;
    lua_pop(L, 1);
    return has_at;
}

/* Counts a schedule given to the optimizer (the value at idx). */
static void add_nodes(lua_State *L, optim_ud *u, int idx)
{
    double n = lre_lua_schedule_nodes(L, idx);
    u->nodes += n;
    if (n > u->max_nodes) u->max_nodes = n;
}

/* Reads the hyper-parameters of table t into params. Lists and schedules are
 * anchored in the table `anchor` (an absolute index) until the call is over. */
static size_t read_hps(lua_State *L, const char *kind, int t, lre_param *params, int anchor, optim_ud *u, int arg)
{
    size_t np = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            lua_pop(L, 1);
            continue; /* groups, in the array part */
        }
        const char *key = lua_tostring(L, -2);
        int v = lua_gettop(L);
        if (is_option(key)) {
            lua_pop(L, 1);
            continue;
        }
        if (np >= MAX_PARAMS) lre_lua_argerror(L, arg, kind, "too many parameters");
        lre_param *p = &params[np++];
        memset(p, 0, sizeof *p);
        p->name = key;
        if (is_schedule_value(L, v)) {
            add_nodes(L, u, v);
            lre_schedule *s = lre_lua_toschedule(L, v, NULL);
            lre_lua_pushschedule(L, s);
            p->schedule = s;
        } else if (lua_type(L, v) == LUA_TNUMBER) {
            p->value = lua_tonumber(L, v);
            lua_pushnil(L);
        } else if (lua_type(L, v) == LUA_TBOOLEAN) {
            p->value = lua_toboolean(L, v);
            lua_pushnil(L);
        } else if (lua_type(L, v) == LUA_TSTRING) { /* a choice: muon's rule = "adamw" */
            p->str = lua_tostring(L, v);
            lua_pushvalue(L, v); /* anchored with the call */
        } else if (lua_type(L, v) == LUA_TTABLE) {
            p->list = lre_lua_checknumbers(L, v, 1, kind, key, &p->len);
        } else {
            lre_lua_argerror(L, arg, kind,
                             lua_pushfstring(L, "%s must be a number, a boolean, a string, a list or a schedule, got %s", key,
                                             luaL_typename(L, v)));
        }
        lua_rawseti(L, anchor, (lua_Integer)luaL_len(L, anchor) + 1);
        lua_pop(L, 1);
    }
    return np;
}

/* params and grads of table t: two tensors of one size and dtype, kept alive
 * as keys of the optimizer's uservalue table `keep` (params true, grads
 * false), where params given twice are found: PyTorch refuses them, and
 * each step would update them once per group. */
/* which: the group's number in messages; 0 for the single group of params = ..., grads = ... */
static int add_group(lua_State *L, const char *kind, optim_ud *u, int t, int keep, int anchor, int which, int arg)
{
    lre_optim *o = u->o;
    lua_getfield(L, t, "params");
    lre_tensor *p = luaL_testudata(L, -1, LRE_TENSOR_MT);
    lua_getfield(L, t, "grads");
    lre_tensor *g = luaL_testudata(L, -1, LRE_TENSOR_MT);
    const char *group = which ? lua_pushfstring(L, "group %d: ", which) : "";
    if (!p || !g) return lre_lua_argerror(L, arg, kind, lua_pushfstring(L, "%sparams and grads must be tensors", group));
    if (p->n != g->n || p->dtype != g->dtype)
        return lre_lua_argerror(L, arg, kind,
                                lua_pushfstring(L, "%sparams and grads must have the same size and dtype", group));
    lua_pushvalue(L, which ? -3 : -2);
    if (lua_rawget(L, keep) == LUA_TBOOLEAN && lua_toboolean(L, -1))
        return lre_lua_argerror(L, arg, kind, lua_pushfstring(L, "%sits params are in another group too", group));
    lua_pop(L, which ? 2 : 1);
    lua_pushvalue(L, -1); /* grads: false unless they are params too */
    if (lua_rawget(L, keep) == LUA_TNIL) {
        lua_pushvalue(L, -2);
        lua_pushboolean(L, 0);
        lua_rawset(L, keep);
    }
    lua_pop(L, 2);
    lua_pushboolean(L, 1);
    lua_rawset(L, keep);
    u->elements += (double)p->n;
    lre_param params[MAX_PARAMS];
    size_t np = read_hps(L, kind, t, params, anchor, u, arg);
    int gi = -1, single = which == 0;
    int rc = p->ndim == 2 ? lre_optim_add_matrix(o, p->dtype, p->data, g->data, p->rows, p->cols, params, np, &gi)
                          : lre_optim_add_group(o, p->dtype, p->data, g->data, p->n, params, np, &gi);
    if (rc) {
        const char *msg = lre_optim_errmsg(o), *name = lre_optim_kind(o);
        size_t kl = strlen(name);
        if (!strncmp(msg, name, kl) && msg[kl] == ':' && msg[kl + 1] == ' ') msg += kl + 2;
        if (single) return lre_lua_argerror(L, arg, kind, msg);
        return lre_lua_argerror(L, arg, kind, lua_pushfstring(L, "group %d: %s", which, msg));
    }
    return gi;
}

/* opt:add_group{params = p, grads = g, lr = ...} -> the new group's number:
 * PyTorch's add_param_group on a live optimizer. The group takes the
 * optimizer's defaults (as set with opt:set(name, v) for all groups) where
 * it gives no value, starts with fresh state, and is saved with the rest
 * (so a stream saved before it no longer loads). */
static int optim_add_group(lua_State *L)
{
    optim_ud *u = checkopt(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    lua_newtable(L);             /* 3: anchors for this call */
    lua_getiuservalue(L, 1, 1);  /* 4: the tensors kept alive */
    int n = lre_optim_ngroups(u->o);
    luaL_argcheck(L, n < INT_MAX, 2, "too many groups");
    int gi = add_group(L, "add_group", u, 2, 4, 3, n + 1, 2);
    lua_pushinteger(L, (lua_Integer)gi + 1);
    return 1;
}

/* __gc, __close and close: idempotent; refused while the optimizer runs. */
static int optim_close(lua_State *L)
{
    optim_ud *u = luaL_checkudata(L, 1, LRE_OPTIM_MT);
    lre_lua_self_forget(L, u);
    if (u->busy) return luaL_argerror(L, 1, lua_pushfstring(L, "optimizer is %s", u->busy));
    lre_optim *o = u->o;
    u->o = NULL;
    lua_State *prev = lre_lua_enter(L);
    lre_optim_free(o);
    lre_lua_leave(L, prev);
    luaL_unref(L, LUA_REGISTRYINDEX, u->evref);
    u->evref = LUA_NOREF;
    lre_lua_evq_clear(&u->evq);
    return 0;
}

/* An optional whole-number option of the constructor's table, in [lo, hi]. */
static lua_Integer opt_count(lua_State *L, const char *kind, const char *key, lua_Integer lo, lua_Integer hi)
{
    int type = lua_getfield(L, 1, key);
    lua_Integer v = 0;
    if (type != LUA_TNIL) {
        int isint;
        v = lua_tointegerx(L, -1, &isint);
        if (!isint || v < lo || v > hi)
            lre_lua_argerror(L, 1, kind,
                             lua_pushfstring(L, "%s must be a whole number in [%I, %I]", key, lo, hi));
    }
    lua_pop(L, 1);
    return v;
}

/* The averaging rule of table t (kind = "ema" | "swa" | "none", and its
 * parameters, an EMA's decay possibly a schedule), or nil: turns it off.
 * Errors name fname's argument arg. */
static void set_average(lua_State *L, optim_ud *u, int t, int arg, const char *fname)
{
    if (lua_isnil(L, t)) {
        if (lre_optim_set_average(u->o, NULL, NULL, 0)) lre_lua_argerror(L, arg, fname, lre_optim_errmsg(u->o));
        return;
    }
    if (!lua_istable(L, t)) lre_lua_argerror(L, arg, fname, "average must be a table such as {kind = 'ema', decay = 0.999}");
    t = lua_absindex(L, t);
    lua_newtable(L); /* anchors */
    int anchor = lua_gettop(L);
    lre_param params[16];
    size_t np = 0;
    const char *kind = NULL;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            lre_lua_argerror(L, arg, fname, "average: keys must be names (kind, decay, ...)");
        const char *key = lua_tostring(L, -2);
        int v = lua_gettop(L);
        if (!strcmp(key, "kind")) {
            if (lua_type(L, v) != LUA_TSTRING) lre_lua_argerror(L, arg, fname, "average: kind must be 'ema', 'swa' or 'none'");
            kind = lua_tostring(L, v);
            lua_pop(L, 1);
            continue;
        }
        if (np == sizeof params / sizeof params[0]) lre_lua_argerror(L, arg, fname, "average: too many parameters");
        lre_param *p = &params[np++];
        memset(p, 0, sizeof *p);
        p->name = key;
        if (is_schedule_value(L, v)) {
            add_nodes(L, u, v);
            lre_schedule *s = lre_lua_toschedule(L, v, NULL);
            lre_lua_pushschedule(L, s);
            lua_rawseti(L, anchor, (lua_Integer)luaL_len(L, anchor) + 1);
            p->schedule = s;
        } else if (lua_type(L, v) == LUA_TNUMBER) {
            p->value = lua_tonumber(L, v);
        } else if (lua_type(L, v) == LUA_TBOOLEAN) {
            p->value = lua_toboolean(L, v);
        } else {
            lre_lua_argerror(L, arg, fname,
                             lua_pushfstring(L, "average: %s must be a number, a boolean or a schedule, got %s", key,
                                             luaL_typename(L, v)));
        }
        lua_pop(L, 1);
    }
    if (!kind) lre_lua_argerror(L, arg, fname, "average: kind ('ema', 'swa' or 'none') is missing");
    lua_State *prev = lre_lua_enter(L);
    int rc = lre_optim_set_average(u->o, kind, params, np);
    lre_lua_leave(L, prev);
    if (rc) {
        const char *msg = lre_optim_errmsg(u->o);
        const char *kn = lre_optim_kind(u->o);
        size_t kl = strlen(kn);
        if (!strncmp(msg, kn, kl) && msg[kl] == ':' && msg[kl + 1] == ' ') msg += kl + 2;
        lre_lua_argerror(L, arg, fname, msg);
    }
    lua_pop(L, 1);
}

/* The constructor of every optimizer; its upvalue is the optimizer's name. */
static int construct(lua_State *L)
{
    const char *kind = lua_tostring(L, lua_upvalueindex(1));
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_newtable(L); /* 2: anchors for this call */
    optim_ud *u = lua_newuserdatauv(L, sizeof *u, 1); /* 3: the object, closed until made */
    u->o = NULL;
    u->busy = NULL;
    u->elements = u->nodes = u->max_nodes = 0;
    u->env = lre_lua_env_get(L);
    u->evref = LUA_NOREF;
    memset(&u->evq, 0, sizeof u->evq);
    luaL_setmetatable(L, LRE_OPTIM_MT);
    lua_newtable(L); /* 4: tensors kept alive */
    lua_pushvalue(L, 4);
    lua_setiuservalue(L, 3, 1);

    lre_param params[MAX_PARAMS];
    size_t np = read_hps(L, kind, 1, params, 2, u, 1);
    lre_error err;
    lre_allocator alloc = lre_lua_allocator(L);
    if (lre_optim_new_with(&u->o, kind, params, np, &alloc, &err)) return lre_lua_argerror(L, 1, kind, err.msg);
    if (lua_getfield(L, 1, "nonfinite") != LUA_TNIL) {
        static const char *const policies[] = {"error", "skip", "trust", NULL}; /* lre_nonfinite's order */
        const char *p = lua_tostring(L, -1);
        int i = 0;
        while (policies[i] && (!p || strcmp(policies[i], p))) i++;
        if (!policies[i]) return lre_lua_argerror(L, 1, kind, "nonfinite must be 'error', 'skip' or 'trust'");
        lre_optim_set_nonfinite(u->o, (lre_nonfinite)i);
    }
    lua_pop(L, 1);
    lre_lua_clip_options(L, u->o, kind, 1);
    lre_optim_set_threads(u->o, (int)opt_count(L, kind, "threads", 0, 1024));
    int64_t spe = opt_count(L, kind, "steps_per_epoch", 0, LUA_MAXINTEGER);
    lre_optim_set_horizon(u->o, spe, opt_count(L, kind, "total_steps", 0, LUA_MAXINTEGER));

    lua_getfield(L, 1, "params");
    int single = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (single) {
        add_group(L, kind, u, 1, 4, 2, 0, 1);
    } else {
        lua_Integer n = luaL_len(L, 1);
        if (n <= 0) return lre_lua_argerror(L, 1, kind, "params and grads, or a list of groups, expected");
        for (lua_Integer i = 1; i <= n; i++) {
            lua_geti(L, 1, i);
            if (!lua_istable(L, -1))
                return lre_lua_argerror(L, 1, kind, lua_pushfstring(L, "group %I is not a table", i));
            add_group(L, kind, u, lua_gettop(L), 4, 2, (int)(i < INT_MAX ? i : INT_MAX), 1);
            lua_settop(L, 4);
        }
    }
    if (lua_getfield(L, 1, "average") != LUA_TNIL) set_average(L, u, -1, 1, kind);
    lua_settop(L, 4);
    lua_pushvalue(L, 3);
    return 1;
}

lre_optim *lre_lua_checkoptim(lua_State *L, int idx) { return checkopt(L, idx)->o; }

/* opt:step([loss]) -> true, or false when the step was skipped (a non-finite
 * gradient under nonfinite = "skip", or the guard). loss: the loss whose
 * gradients this step applies, for the guard and ctx.loss. */
/* After a core call (its return code rc) with an event function: the
 * queued events go to it, then the call's error, if any, is raised (its
 * message taken first: the function may use the optimizer); else result
 * (a boolean, or nothing when < 0) is returned. */
static int deliver(lua_State *L, optim_ud *u, int rc, int result, const char *fname)
{
    if (rc) lua_pushstring(L, lre_optim_errmsg(u->o));
    lre_lua_evq_deliver(L, &u->evq, &u->evref, fname);
    if (rc) return luaL_error(L, "%s", lua_tostring(L, -1));
    if (result < 0) return 0;
    lua_pushboolean(L, result);
    return 1;
}

static int optim_step(lua_State *L)
{
    optim_ud *u = lre_lua_self(L);
    if (!u || !u->o || u->busy) u = checkopt(L, 1); /* (its message) */
    lre_lua_env_charge(u->env, L, u->nodes + u->elements / 8);
    if (lua_gettop(L) >= 2 && !lua_isnil(L, 2)) lre_optim_set_loss(u->o, luaL_checknumber(L, 2));
    int64_t skipped = lre_optim_skipped(u->o);
    u->busy = "running a step";
    lua_State *prev = lre_lua_env_enter(u->env, L);
    int rc = lre_optim_step(u->o);
    lre_lua_env_leave(u->env, prev);
    u->busy = NULL;
    if (u->evref != LUA_NOREF) return deliver(L, u, rc, lre_optim_skipped(u->o) == skipped, "step");
    if (rc) return luaL_error(L, "%s", lre_optim_errmsg(u->o));
    lua_pushboolean(L, lre_optim_skipped(u->o) == skipped);
    return 1;
}

static int optim_observe(lua_State *L)
{
    optim_ud *u = checkopt(L, 1);
    double m = luaL_checknumber(L, 2);
    lre_lua_charge(L, u->nodes);
    lua_State *prev = begin(L, u, "observing a metric");
    int rc = lre_optim_observe(u->o, m);
    end(L, u, prev);
    if (u->evref != LUA_NOREF) return deliver(L, u, rc, -1, "observe");
    if (rc) return luaL_error(L, "%s", lre_optim_errmsg(u->o));
    return 0;
}

/* opt:on_event(fn | nil): fn(ev) for each event of the optimizer's
 * schedules, ev = {name =, step =, path =, hp =, group =, fields...}
 * (lre_optim_set_events: a schedule driving several hyper-parameters is
 * reported for each; group is nil when it drives every group). Calls are
 * made after the step or observation that caused them has completed; an
 * error of fn propagates from that call, the optimizer's state being the
 * completed call's. */
static int optim_on_event(lua_State *L)
{
    optim_ud *u = checkopt(L, 1);
    if (!lua_isnil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    int on = !lua_isnil(L, 2);
    if (lre_optim_set_events(u->o, on ? lre_lua_evq_record : NULL, on ? &u->evq : NULL))
        return lre_lua_argerror(L, 1, "on_event", lre_optim_errmsg(u->o));
    luaL_unref(L, LUA_REGISTRYINDEX, u->evref);
    u->evref = on ? luaL_ref(L, LUA_REGISTRYINDEX) : LUA_NOREF;
    if (!on) lre_lua_evq_clear(&u->evq);
    return 0;
}

static int checkgroup(lua_State *L, lre_optim *o, int idx)
{
    if (lua_isnoneornil(L, idx)) return -1;
    lua_Integer g = luaL_checkinteger(L, idx);
    luaL_argcheck(L, g >= 1 && g <= lre_optim_ngroups(o), idx, "no such group");
    return (int)g - 1;
}

/* opt:get(name [, group]) -> the value used by the last step */
static int optim_get(lua_State *L)
{
    optim_ud *u = checkopt(L, 1);
    const char *name = luaL_checkstring(L, 2);
    double v;
    if (lre_optim_get(u->o, checkgroup(L, u->o, 3), name, &v))
        return lre_lua_argerror(L, 2, "get", lre_optim_errmsg(u->o));
    lua_pushnumber(L, v);
    return 1;
}

/* opt:set(name, number_or_schedule [, group]) */
static int optim_set(lua_State *L)
{
    optim_ud *u = checkopt(L, 1);
    const char *name = luaL_checkstring(L, 2);
    int group = checkgroup(L, u->o, 4);
    int rc;
    if (lua_type(L, 3) == LUA_TNUMBER) {
        rc = lre_optim_set(u->o, group, name, lua_tonumber(L, 3));
    } else {
        luaL_argcheck(L, is_schedule_value(L, 3), 3, "a number or a schedule expected");
        add_nodes(L, u, 3);
        lre_schedule *s = lre_lua_toschedule(L, 3, NULL);
        lre_lua_pushschedule(L, s);
        lua_State *prev = begin(L, u, "replacing a schedule");
        rc = lre_optim_schedule(u->o, group, name, s);
        end(L, u, prev);
    }
    if (rc) return lre_lua_argerror(L, 3, "set", lre_optim_errmsg(u->o));
    return 0;
}

/* opt:schedule(name [, group]) -> the schedule driving it, or nil */
static int optim_schedule(lua_State *L)
{
    optim_ud *u = checkopt(L, 1);
    int group = checkgroup(L, u->o, 3);
    lre_schedule *s = lre_optim_get_schedule(u->o, group < 0 ? 0 : group, luaL_checkstring(L, 2));
    if (!s) return 0;
    lre_lua_pushschedule(L, lre_schedule_retain(s));
    lre_lua_set_schedule_nodes(L, -1, u->max_nodes > 1 ? u->max_nodes : 1);
    return 1;
}

/* opt:shape(group) -> n for a vector group, rows, cols for a matrix */
static int optim_shape(lua_State *L)
{
    optim_ud *u = checkopt(L, 1);
    lua_Integer g = luaL_checkinteger(L, 2);
    luaL_argcheck(L, g >= 1 && g <= lre_optim_ngroups(u->o), 2, "no such group");
    size_t rows, cols;
    if (lre_optim_shape(u->o, (int)g - 1, &rows, &cols) == 2) {
        lua_pushinteger(L, (lua_Integer)rows);
        lua_pushinteger(L, (lua_Integer)cols);
        return 2;
    }
    lua_pushinteger(L, (lua_Integer)cols);
    return 1;
}

static int optim_hparams(lua_State *L)
{
    optim_ud *u = checkopt(L, 1);
    lua_newtable(L);
    int i = 0;
    for (const char *const *n = lre_optim_hparams(u->o); *n; n++) {
        lua_pushstring(L, *n);
        lua_rawseti(L, -2, ++i);
    }
    return 1;
}

static int optim_step_count(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)lre_optim_step_count(checkopt(L, 1)->o));
    return 1;
}

static int optim_skipped(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)lre_optim_skipped(checkopt(L, 1)->o));
    return 1;
}

static int optim_kind(lua_State *L)
{
    lua_pushstring(L, lre_optim_kind(checkopt(L, 1)->o));
    return 1;
}

static int optim_save(lua_State *L)
{
    optim_ud *u = checkopt(L, 1);
    lre_lua_charge(L, u->nodes + u->elements / 8);
    lre_membuf b = {0};
    lua_State *prev = begin(L, u, "saving");
    int rc = lre_optim_save(u->o, lre_membuf_write, &b);
    end(L, u, prev);
    if (rc) {
        free(b.data);
        return luaL_error(L, "%s", lre_optim_errmsg(u->o));
    }
    lua_pushlstring(L, (const char *)b.data, b.len);
    free(b.data);
    return 1;
}

unsigned lre_lua_load_flags(lua_State *L, int idx, const char *fname)
{
    if (lua_isnoneornil(L, idx)) return LRE_LOAD_SAVED_HPARAMS;
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_getfield(L, idx, "hparams");
    const char *w = lua_tostring(L, -1);
    unsigned flags = LRE_LOAD_SAVED_HPARAMS;
    if (lua_isnil(L, -1) || (w && !strcmp(w, "saved"))) flags = LRE_LOAD_SAVED_HPARAMS;
    else if (w && !strcmp(w, "current")) flags = LRE_LOAD_CURRENT_HPARAMS;
    else lre_lua_argerror(L, idx, fname, "hparams must be 'saved' (the stream's win, PyTorch's) or 'current' (this one's)");
    lua_pop(L, 1);
    return flags;
}

/* opt:load(bytes [, {hparams = "saved"|"current"}]) -> true. A state that does not fit this optimizer
 * (damaged, another configuration's) is an error like any other misuse,
 * so an unchecked load cannot leave the optimizer at step 0 unnoticed;
 * nothing changes on failure. */
static int optim_load(lua_State *L)
{
    optim_ud *u = checkopt(L, 1);
    lre_memreader r = {0};
    r.data = (const unsigned char *)luaL_checklstring(L, 2, &r.len);
    unsigned flags = lre_lua_load_flags(L, 3, "load");
    lre_lua_charge(L, u->nodes + u->elements / 8 + (double)r.len / 64);
    lua_State *prev = begin(L, u, "loading");
    int rc = lre_optim_load_with(u->o, lre_memreader_read, &r, flags);
    end(L, u, prev);
    if (rc) return lre_lua_argerror(L, 2, "load", lre_optim_errmsg(u->o));
    lua_pushboolean(L, 1);
    return 1;
}

/* opt:set_average{kind = "ema", decay = 0.999, ...} or opt:set_average(nil) */
static int optim_set_average(lua_State *L)
{
    optim_ud *u = checkopt(L, 1);
    luaL_checkany(L, 2);
    set_average(L, u, 2, 2, "set_average");
    return 0;
}

/* opt:swap_average(): the averages and the parameters exchange places. */
static int optim_swap_average(lua_State *L)
{
    optim_ud *u = checkopt(L, 1);
    lre_lua_charge(L, u->elements / 8);
    if (lre_optim_swap_average(u->o)) return luaL_error(L, "%s", lre_optim_errmsg(u->o));
    lua_pushboolean(L, lre_optim_average_swapped(u->o));
    return 1;
}

/* opt:average([group]) -> a new tensor holding the group's averaged weights,
 * or nil before the first averaged update (or without averaging). */
static int optim_average(lua_State *L)
{
    optim_ud *u = checkopt(L, 1);
    int group = checkgroup(L, u->o, 2);
    if (group < 0) group = 0;
    const void *data = lre_optim_average(u->o, group);
    if (!data) return 0;
    lre_dtype dtype;
    size_t n;
    if (lre_optim_group_info(u->o, group, &dtype, &n)) return 0;
    lre_lua_charge(L, (double)n / 8);
    lre_tensor *t = lre_lua_newtensor(L, n, dtype);
    memcpy(t->data, data, n * (dtype == LRE_F64 ? sizeof(double) : sizeof(float)));
    return 1;
}

/* opt:average_info() -> {kind =, swapped =, decay =, count = (first group's)} */
static int optim_average_info(lua_State *L)
{
    optim_ud *u = checkopt(L, 1);
    int group = checkgroup(L, u->o, 2);
    lua_createtable(L, 0, 4);
    lua_pushstring(L, lre_optim_average_kind(u->o));
    lua_setfield(L, -2, "kind");
    lua_pushboolean(L, lre_optim_average_swapped(u->o));
    lua_setfield(L, -2, "swapped");
    lua_pushnumber(L, lre_optim_average_decay(u->o));
    lua_setfield(L, -2, "decay");
    lua_pushinteger(L, (lua_Integer)lre_optim_average_count(u->o, group < 0 ? 0 : group));
    lua_setfield(L, -2, "count");
    return 1;
}

/* opt:eval() / opt:train(): schedule-free's modes (no-ops for others). */
static int optim_mode(lua_State *L, int eval)
{
    optim_ud *u = checkopt(L, 1);
    lre_lua_charge(L, u->elements / 8);
    if (eval ? lre_optim_eval(u->o) : lre_optim_train(u->o)) return luaL_error(L, "%s", lre_optim_errmsg(u->o));
    return 0;
}
static int optim_eval(lua_State *L) { return optim_mode(L, 1); }
static int optim_train(lua_State *L) { return optim_mode(L, 0); }

/* opt:mode() -> "train" or "eval" */
static int optim_getmode(lua_State *L)
{
    lua_pushstring(L, lre_optim_is_eval(checkopt(L, 1)->o) ? "eval" : "train");
    return 1;
}

/* opt:scheduled_lr([group]) -> lr_t, c_t of schedule-free's last update */
static int optim_scheduled_lr(lua_State *L)
{
    optim_ud *u = checkopt(L, 1);
    int group = checkgroup(L, u->o, 2);
    double lr, c;
    if (lre_optim_scheduled_lr(u->o, group < 0 ? 0 : group, &lr, &c))
        return luaL_error(L, "scheduled_lr: %s is not a schedule-free optimizer", lre_optim_kind(u->o));
    lua_pushnumber(L, lr);
    lua_pushnumber(L, c);
    return 2;
}

static int optim_tostring(lua_State *L)
{
    optim_ud *u = luaL_checkudata(L, 1, LRE_OPTIM_MT);
    if (!u->o) lua_pushliteral(L, "lrengine.optim (closed)");
    else lua_pushfstring(L, "lrengine.optim(%s): %p", lre_optim_kind(u->o), (void *)u);
    return 1;
}

void lre_lua_open_optim(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__gc", optim_close}, {"__close", optim_close}, {"__tostring", optim_tostring},
                                    {NULL, NULL}};
    static const luaL_Reg methods[] = {
        {"step", optim_step},         {"observe", optim_observe},       {"get", optim_get},
        {"set", optim_set},           {"schedule", optim_schedule},     {"hparams", optim_hparams},
        {"step_count", optim_step_count}, {"skipped", optim_skipped},   {"kind", optim_kind},
        {"save", optim_save},         {"load", optim_load},             {"close", optim_close},
        {"shape", optim_shape},       {"add_group", optim_add_group},
        {"set_average", optim_set_average}, {"swap_average", optim_swap_average}, {"average", optim_average},
        {"average_info", optim_average_info}, {"eval", optim_eval},     {"train", optim_train},
        {"mode", optim_getmode},      {"scheduled_lr", optim_scheduled_lr}, {"on_event", optim_on_event},
        {NULL, NULL}};
    luaL_newmetatable(L, LRE_OPTIM_MT);
    lre_lua_setmethods(L, -1, meta);
    luaL_newlibtable(L, methods);
    lre_lua_setmethods(L, -2, methods);
    lre_lua_clip_methods(L);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    lua_newtable(L);
    for (const char *const *k = lre_optim_kinds(); *k; k++) {
        lua_pushstring(L, *k);
        lua_pushcclosure(L, construct, 1);
        lua_setfield(L, -2, *k);
    }
    lre_lua_suggest_names(L, "optimizer", lre_optim_kinds());
    lua_setfield(L, -2, "optim");
}
