/* schedule_lua.c -- lre.schedule.*: one constructor per built-in kind, taking
 * one table (named parameters, inner schedules in its array part), and the
 * schedule object's methods. */
#include "lrengine_lua.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct sched_ud {
    lre_schedule *s;
    lua_Integer next_step; /* the step after the last evaluated one: observe's default */
    double nodes;          /* see lre_lua_schedule_nodes */
    lre_lua_env *env;      /* its universe's */
} sched_ud;

#define MAX_PARAMS 32
#define MAX_CHILDREN 64

void lre_lua_pushschedule(lua_State *L, lre_schedule *s)
{
    sched_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->s = s;
    u->env = lre_lua_env_get(L);
    u->next_step = 0;
    u->nodes = 1;
    luaL_setmetatable(L, LRE_SCHEDULE_MT);
}

double lre_lua_schedule_nodes(lua_State *L, int idx)
{
    const sched_ud *u = luaL_testudata(L, idx, LRE_SCHEDULE_MT);
    return u ? u->nodes : 1;
}

void lre_lua_set_schedule_nodes(lua_State *L, int idx, double nodes)
{
    sched_ud *u = luaL_testudata(L, idx, LRE_SCHEDULE_MT);
    if (u) u->nodes = nodes;
}

static sched_ud *checkobj(lua_State *L, int idx)
{
    sched_ud *u = luaL_checkudata(L, idx, LRE_SCHEDULE_MT);
    luaL_argcheck(L, u->s != NULL, idx, "schedule is closed");
    return u;
}

lre_schedule *lre_lua_checkschedule(lua_State *L, int idx) { return checkobj(L, idx)->s; }

/* Adds the schedule value at idx as a child: wraps it into a schedule object
 * on the stack (which owns it) and records the pointer; adds its nodes. */
static void add_child(lua_State *L, int idx, lre_schedule **children, size_t *n, size_t max, double *nodes)
{
    if (*n >= max) luaL_error(L, "too many inner schedules");
    *nodes += lre_lua_schedule_nodes(L, idx);
    lre_schedule *c = lre_lua_toschedule(L, idx, NULL);
    lre_lua_pushschedule(L, c); /* owned by the stack from now on */
    children[(*n)++] = c;
}

/* The n items of a list at idx that holds a string (milestones = {"1 epoch",
 * 90}) joined by commas, the core's form of a list of durations, pushed. */
static void durations_text(lua_State *L, int idx, lua_Integer n, const char *kind, const char *key)
{
    lua_Integer k;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (k = 1; k <= n; k++) {
        if (k > 1) luaL_addchar(&b, ',');
        int t = lua_geti(L, idx, k);
        if (t == LUA_TNUMBER) lua_pushfstring(L, "%s", lua_tostring(L, -1)), lua_remove(L, -2);
        else if (t != LUA_TSTRING || strchr(lua_tostring(L, -1), ','))
            lre_lua_argerror(L, 1, kind, lua_pushfstring(L, "%s[%I] must be a number or a duration", key, k));
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
}

/* The constructor of every built-in kind; its upvalue is the kind's name. */
static int construct(lua_State *L)
{
    const char *kind = lua_tostring(L, lua_upvalueindex(1));
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    /* every child and list stays on the stack until the call ends */
    luaL_checkstack(L, MAX_CHILDREN + MAX_PARAMS + 8, "too many inner schedules");
    lre_param params[MAX_PARAMS];
    size_t np = 0, nc = 0;
    double nodes = 1;
    lre_schedule *children[MAX_CHILDREN];
    lua_Integer npos = luaL_len(L, 1);
    for (lua_Integer i = 1; i <= npos; i++) {
        lua_geti(L, 1, i);
        add_child(L, lua_gettop(L), children, &nc, MAX_CHILDREN, &nodes);
        lua_remove(L, -2);
    }
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        /* stack: ... key value */
        if (lua_type(L, -2) == LUA_TNUMBER && lua_isinteger(L, -2)) {
            lua_Integer k = lua_tointeger(L, -2);
            if (k >= 1 && k <= npos) {
                lua_pop(L, 1);
                continue;
            }
        }
        if (lua_type(L, -2) != LUA_TSTRING) return lre_lua_argerror(L, 1, kind, "parameter names must be strings");
        const char *key = lua_tostring(L, -2);
        int v = lua_gettop(L);
        if (strcmp(key, "schedule") == 0) {
            add_child(L, v, children, &nc, MAX_CHILDREN, &nodes);
            lua_insert(L, 2); /* keep the owner below the iteration */
            lua_pop(L, 1);
            continue;
        }
        if (strcmp(key, "schedules") == 0) {
            if (!lua_istable(L, v)) return lre_lua_argerror(L, 1, kind, "schedules must be a list of schedules");
            lua_Integer n = luaL_len(L, v);
            for (lua_Integer i = 1; i <= n; i++) {
                lua_geti(L, v, i);
                add_child(L, lua_gettop(L), children, &nc, MAX_CHILDREN, &nodes);
                lua_remove(L, -2);
                lua_insert(L, 2);
            }
            lua_pop(L, 1);
            continue;
        }
        if (np >= MAX_PARAMS) return lre_lua_argerror(L, 1, kind, "too many parameters");
        lre_param *p = &params[np++];
        memset(p, 0, sizeof *p);
        p->name = key; /* the key stays referenced by the table */
        switch (lua_type(L, v)) {
        case LUA_TNUMBER: p->value = lua_tonumber(L, v); break;
        case LUA_TBOOLEAN: p->value = lua_toboolean(L, v); break;
        case LUA_TSTRING: p->str = lua_tostring(L, v); break;
        case LUA_TTABLE: {
            size_t n;
            int has_text = 0;
            double *list = lre_lua_checklist(L, v, 1, kind, key, &n, &has_text);
            if (has_text) { /* {"1 epoch", "2 epochs"}: one text for the core */
                lua_pop(L, 1);
                durations_text(L, v, (lua_Integer)n, kind, key);
                p->str = lua_tostring(L, -1);
                lua_insert(L, 2); /* keep it alive below the iteration */
                break;
            }
            p->list = n > 0 ? list : NULL;
            p->len = n;
            lua_insert(L, 2); /* keep the list alive below the iteration */
            break;
        }
        default:
            return lre_lua_argerror(L, 1, kind,
                                    lua_pushfstring(L, "%s must be a number, a boolean, a string or a list, got %s",
                                                    key, luaL_typename(L, v)));
        }
        lua_pop(L, 1);
    }
    if (nodes > LRE_LUA_MAX_NODES)
        return lre_lua_argerror(L, 1, kind,
                                lua_pushfstring(L, "a schedule of %I nodes, more than %d (an inner schedule counts once "
                                                   "per place it appears)", (lua_Integer)nodes, LRE_LUA_MAX_NODES));
    lre_schedule *s;
    lre_error err;
    lre_allocator alloc = lre_lua_allocator(L);
    if (lre_schedule_new_with(&s, kind, params, np, children, nc, &alloc, &err))
        return lre_lua_argerror(L, 1, kind, err.msg);
    lre_lua_pushschedule(L, s);
    lre_lua_set_schedule_nodes(L, -1, nodes);
    return 1;
}


lre_schedule *lre_lua_toschedule(lua_State *L, int idx, const char *name)
{
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx)) {
    case LUA_TUSERDATA: return lre_schedule_retain(checkobj(L, idx)->s);
    case LUA_TNUMBER: {
        lre_param p = {"lr", lua_tonumber(L, idx), NULL, 0, NULL, NULL};
        lre_schedule *s;
        lre_error err;
        lre_allocator alloc = lre_lua_allocator(L);
        if (lre_schedule_new_with(&s, "constant", &p, 1, NULL, 0, &alloc, &err)) luaL_error(L, "%s", err.msg);
        return s;
    }
    case LUA_TFUNCTION:
    case LUA_TTABLE: return lre_lua_custom_schedule(L, idx, name);
    default:
        luaL_error(L, "a schedule, a number, a function or a table with 'at' expected, got %s",
                   luaL_typename(L, idx));
        return NULL;
    }
}

/* ---- methods ----
 *
 * Each holds its own reference to the schedule while the core runs it, so a
 * script that closes the schedule from inside its own callback only drops
 * the object's reference. */

static lua_Integer checkstep(lua_State *L, int idx)
{
    int isnum;
    lua_Integer t = lua_tointegerx(L, idx, &isnum); /* luaL_checkinteger's test, half its cost */
    if (!isnum) t = luaL_checkinteger(L, idx);      /* (its message) */
    luaL_argcheck(L, t >= 0, idx, "step must be >= 0");
    return t;
}

static int sched_at(lua_State *L)
{
    sched_ud *u = lre_lua_self(L);
    if (!u || !u->s) u = checkobj(L, 1); /* (its message) */
    lua_Integer t = checkstep(L, 2);
    lre_lua_env_charge(u->env, L, u->nodes);
    lre_schedule *s = lre_schedule_retain(u->s);
    double v;
    lre_error err;
    lua_State *prev = lre_lua_env_enter(u->env, L);
    int rc = lre_schedule_eval(s, t, &v, &err);
    lre_lua_env_leave(u->env, prev);
    lre_schedule_release(s);
    if (rc) return luaL_error(L, "%s", err.msg);
    u->next_step = t + 1;
    lua_pushnumber(L, v);
    return 1;
}

/* s:observe(metric [, step]): the metric reported before `step` (by default
 * the step after the last one evaluated). */
static int sched_observe(lua_State *L)
{
    sched_ud *u = checkobj(L, 1);
    double m = luaL_checknumber(L, 2);
    lua_Integer t = lua_isnoneornil(L, 3) ? u->next_step : checkstep(L, 3);
    lre_lua_charge(L, u->nodes);
    lre_schedule *s = lre_schedule_retain(u->s);
    lre_error err;
    lua_State *prev = lre_lua_enter(L);
    int rc = lre_schedule_observe(s, m, t, &err);
    lre_lua_leave(L, prev);
    lre_schedule_release(s);
    if (rc) return luaL_error(L, "%s", err.msg);
    return 0;
}

#define MAX_CURVE 100000000

/* Evaluates steps 0..n-1 into a table; metric i (of the optional list at 3)
 * is observed after step i. `advance` keeps the state the run leaves
 * (s:run), otherwise the schedule is left as it was (s:curve, a preview). */
static int curve(lua_State *L, int advance)
{
    sched_ud *u = checkobj(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_argcheck(L, n >= 0 && n <= MAX_CURVE, 2, "number of steps must be in [0, 1e8]");
    size_t nm = 0;
    const double *metrics = NULL;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        metrics = lre_lua_checknumbers(L, 3, 3, advance ? "run" : "curve", "metrics", &nm);
    }
    lre_lua_charge(L, (double)n * u->nodes);
    double *buf = lua_newuserdatauv(L, ((size_t)n + 1) * sizeof(double), 0);
    lre_schedule *s = lre_schedule_retain(u->s);
    lre_error err;
    lua_State *prev = lre_lua_enter(L);
    int rc = advance ? lre_schedule_run(s, buf, (size_t)n, metrics, nm, &err)
                     : lre_schedule_curve(s, buf, (size_t)n, metrics, nm, &err);
    lre_lua_leave(L, prev);
    lre_schedule_release(s);
    if (rc) return luaL_error(L, "%s", err.msg);
    if (advance) u->next_step = n;
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 0; i < n; i++) {
        lua_pushnumber(L, buf[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* s:curve(n [, metrics]) -> {lr_0, ..., lr_n-1}: a preview; the schedule's
 * state (plateau counters, script state) is as before. */
static int sched_curve(lua_State *L) { return curve(L, 0); }

/* s:run(n [, metrics]): the same values, advancing the state as a run would. */
static int sched_run(lua_State *L) { return curve(L, 1); }

static int sched_save(lua_State *L)
{
    sched_ud *u = checkobj(L, 1);
    lre_lua_charge(L, u->nodes);
    lre_schedule *s = lre_schedule_retain(u->s);
    lre_membuf b = {0};
    lre_error err;
    lua_State *prev = lre_lua_enter(L);
    int rc = lre_schedule_save(s, lre_membuf_write, &b, &err);
    lre_lua_leave(L, prev);
    lre_schedule_release(s);
    if (rc) {
        free(b.data);
        return luaL_error(L, "%s", err.msg);
    }
    lua_pushlstring(L, (const char *)b.data, b.len);
    free(b.data);
    return 1;
}

/* s:load(bytes [, {hparams = "current"}]) -> true. A stream that does not
 * fit this schedule (damaged, another schedule's; with hparams = "current",
 * another tree's) is an error, as every other misuse; nothing changes. */
static int sched_load(lua_State *L)
{
    sched_ud *u = checkobj(L, 1);
    lre_memreader r = {0};
    r.data = (const unsigned char *)luaL_checklstring(L, 2, &r.len);
    unsigned flags = lre_lua_load_flags(L, 3, "load");
    lre_lua_charge(L, u->nodes + (double)r.len / 64);
    lre_schedule *s = lre_schedule_retain(u->s);
    lre_error err;
    lua_State *prev = lre_lua_enter(L);
    int rc = lre_schedule_load_with(s, lre_memreader_read, &r, flags, &err);
    lre_lua_leave(L, prev);
    lre_schedule_release(s);
    if (rc) return lre_lua_argerror(L, 2, "load", err.msg);
    lua_pushboolean(L, 1);
    return 1;
}

/* s:text() -> the tree as text (lre_schedule_text). */
static int sched_text(lua_State *L)
{
    sched_ud *u = checkobj(L, 1);
    lre_lua_charge(L, u->nodes);
    size_t n = lre_schedule_text(u->s, NULL, 0);
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, n + 1);
    lre_schedule_text(u->s, p, n + 1);
    luaL_pushresultsize(&b, n);
    return 1;
}

/* s:differ(other) -> nil when alike, else where they first differ. */
static int sched_differ(lua_State *L)
{
    sched_ud *a = checkobj(L, 1), *b = checkobj(L, 2);
    lre_lua_charge(L, a->nodes + b->nodes);
    char msg[LRE_ERRMSG_SIZE];
    if (!lre_schedule_differ(a->s, b->s, msg, sizeof msg)) return 0;
    lua_pushstring(L, msg);
    return 1;
}

/* s:carry(from) -> how many nodes took from's state (lre_schedule_carry_state). */
static int sched_carry(lua_State *L)
{
    sched_ud *to = checkobj(L, 1), *from = checkobj(L, 2);
    lre_lua_charge(L, to->nodes + from->nodes);
    lre_schedule *t = lre_schedule_retain(to->s), *f = lre_schedule_retain(from->s);
    lre_error err;
    size_t n = 0;
    lua_State *prev = lre_lua_enter(L);
    int rc = lre_schedule_carry_state(t, f, &n, &err);
    lre_lua_leave(L, prev);
    lre_schedule_release(t);
    lre_schedule_release(f);
    if (rc) return luaL_error(L, "%s", err.msg);
    lua_pushinteger(L, (lua_Integer)n);
    return 1;
}

static int sched_reset(lua_State *L)
{
    lre_schedule_reset(checkobj(L, 1)->s);
    return 0;
}

static int sched_kind(lua_State *L)
{
    lua_pushstring(L, lre_schedule_kind(checkobj(L, 1)->s));
    return 1;
}

/* __gc, __close and close: idempotent. The release may run a custom
 * schedule's release, which unreferences Lua values: on this thread. */
static int sched_close(lua_State *L)
{
    sched_ud *u = luaL_checkudata(L, 1, LRE_SCHEDULE_MT);
    lre_lua_self_forget(L, u);
    lre_schedule *s = u->s;
    u->s = NULL;
    lua_State *prev = lre_lua_enter(L);
    lre_schedule_release(s);
    lre_lua_leave(L, prev);
    return 0;
}

static int sched_tostring(lua_State *L)
{
    sched_ud *u = luaL_checkudata(L, 1, LRE_SCHEDULE_MT);
    if (!u->s) lua_pushliteral(L, "lrengine.schedule (closed)");
    else lua_pushfstring(L, "lrengine.schedule(%s): %p", lre_schedule_kind(u->s), (void *)u);
    return 1;
}

/* lre.schedule.custom(fn_or_table [, name]) */
static int sched_custom(lua_State *L)
{
    luaL_argcheck(L, lua_isfunction(L, 1) || lua_istable(L, 1), 1, "a function or a table with 'at' expected");
    lre_lua_pushschedule(L, lre_lua_toschedule(L, 1, luaL_optstring(L, 2, NULL)));
    return 1;
}

void lre_lua_open_schedule(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__gc", sched_close},
                                    {"__close", sched_close},
                                    {"__tostring", sched_tostring},
                                    {"__call", sched_at},
                                    {NULL, NULL}};
    static const luaL_Reg methods[] = {{"at", sched_at},         {"observe", sched_observe}, {"curve", sched_curve}, {"run", sched_run},
                                       {"save", sched_save},     {"load", sched_load},       {"reset", sched_reset},
                                       {"kind", sched_kind},     {"close", sched_close},     {"text", sched_text},
                                       {"differ", sched_differ}, {"carry", sched_carry},     {"plan", lre_lua_schedule_plan},
                                       {NULL, NULL}};
    luaL_newmetatable(L, LRE_SCHEDULE_MT);
    lre_lua_setmethods(L, -1, meta);
    luaL_newlibtable(L, methods);
    lre_lua_setmethods(L, -2, methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    lua_newtable(L);
    for (const char *const *k = lre_schedule_kinds(); *k; k++) {
        lua_pushstring(L, *k);
        lua_pushcclosure(L, construct, 1);
        lua_setfield(L, -2, *k);
    }
    lua_pushcfunction(L, sched_custom);
    lua_setfield(L, -2, "custom");
    lre_lua_suggest_names(L, "schedule kind", lre_schedule_kinds());
    lua_setfield(L, -2, "schedule");
}
