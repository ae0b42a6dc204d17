/* schedule_lua.c -- lre.schedule.*: one constructor per built-in kind, taking
 * one table (named parameters, inner schedules in its array part), and the
 * schedule object's methods. */
#include "lrengine_lua.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct lua_schedule {
    lre_schedule *s;
    lua_Integer next_step; /* the step after the last evaluated one: observe's default */
} lua_schedule;

#define MAX_PARAMS 32

void lre_lua_pushschedule(lua_State *L, lre_schedule *s)
{
    lua_schedule *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->s = s;
    u->next_step = 0;
    luaL_setmetatable(L, LRE_SCHEDULE_MT);
}

static lua_schedule *checkobj(lua_State *L, int idx)
{
    lua_schedule *u = luaL_checkudata(L, idx, LRE_SCHEDULE_MT);
    luaL_argcheck(L, u->s != NULL, idx, "schedule is closed");
    return u;
}

lre_schedule *lre_lua_checkschedule(lua_State *L, int idx) { return checkobj(L, idx)->s; }

/* Raises "bad argument #1 to 'kind' (msg)" with the core's "kind: " prefix removed. */
static int core_argerror(lua_State *L, int arg, const char *kind, const char *msg)
{
    size_t kl = strlen(kind);
    if (strncmp(msg, kind, kl) == 0 && msg[kl] == ':' && msg[kl + 1] == ' ') msg += kl + 2;
    /* named explicitly: the called expression (lre.schedule[k]) may have no name */
    return luaL_error(L, "bad argument #%d to '%s' (%s)", arg, kind, msg);
}

/* Adds the schedule value at idx as a child: wraps it into a schedule object
 * on the stack (which owns it) and records the pointer. */
static void add_child(lua_State *L, int idx, lre_schedule **children, size_t *n, size_t max)
{
    if (*n >= max) luaL_error(L, "too many inner schedules");
    lre_schedule *c = lre_lua_toschedule(L, idx, NULL);
    lre_lua_pushschedule(L, c); /* owned by the stack from now on */
    children[(*n)++] = c;
}

/* The constructor of every built-in kind; its upvalue is the kind's name. */
static int construct(lua_State *L)
{
    const char *kind = lua_tostring(L, lua_upvalueindex(1));
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lre_param params[MAX_PARAMS];
    size_t np = 0, nc = 0;
    lre_schedule *children[64];
    lua_Integer npos = luaL_len(L, 1);
    for (lua_Integer i = 1; i <= npos; i++) {
        lua_geti(L, 1, i);
        add_child(L, lua_gettop(L), children, &nc, 64);
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
        if (lua_type(L, -2) != LUA_TSTRING) return luaL_argerror(L, 1, "parameter names must be strings");
        const char *key = lua_tostring(L, -2);
        int v = lua_gettop(L);
        if (strcmp(key, "schedule") == 0) {
            add_child(L, v, children, &nc, 64);
            lua_insert(L, 2); /* keep the owner below the iteration */
            lua_pop(L, 1);
            continue;
        }
        if (strcmp(key, "schedules") == 0) {
            luaL_argcheck(L, lua_istable(L, v), 1, "schedules must be a list of schedules");
            lua_Integer n = luaL_len(L, v);
            for (lua_Integer i = 1; i <= n; i++) {
                lua_geti(L, v, i);
                add_child(L, lua_gettop(L), children, &nc, 64);
                lua_remove(L, -2);
                lua_insert(L, 2);
            }
            lua_pop(L, 1);
            continue;
        }
        if (np >= MAX_PARAMS) return luaL_argerror(L, 1, "too many parameters");
        lre_param *p = &params[np++];
        memset(p, 0, sizeof *p);
        p->name = key; /* the key stays referenced by the table */
        switch (lua_type(L, v)) {
        case LUA_TNUMBER: p->value = lua_tonumber(L, v); break;
        case LUA_TBOOLEAN: p->value = lua_toboolean(L, v); break;
        case LUA_TSTRING: p->str = lua_tostring(L, v); break;
        case LUA_TTABLE: {
            lua_Integer n = luaL_len(L, v);
            double *list = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof(double), 0);
            for (lua_Integer i = 1; i <= n; i++) {
                int isnum;
                list[i - 1] = (lua_geti(L, v, i), lua_tonumberx(L, -1, &isnum));
                if (!isnum) return luaL_argerror(L, 1, lua_pushfstring(L, "%s[%d] is not a number", key, (int)i));
                lua_pop(L, 1);
            }
            p->list = n > 0 ? list : NULL;
            p->len = (size_t)n;
            lua_insert(L, 2); /* keep the list alive below the iteration */
            break;
        }
        default:
            return luaL_argerror(L, 1, lua_pushfstring(L, "%s: unexpected %s", key, luaL_typename(L, v)));
        }
        lua_pop(L, 1);
    }
    lre_schedule *s;
    lre_error err;
    if (lre_schedule_new(&s, kind, params, np, children, nc, &err)) return core_argerror(L, 1, kind, err.msg);
    lre_lua_pushschedule(L, s);
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
        if (lre_schedule_new(&s, "constant", &p, 1, NULL, 0, &err)) luaL_error(L, "%s", err.msg);
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

/* ---- methods ---- */

static lua_Integer checkstep(lua_State *L, int idx)
{
    lua_Integer t = luaL_checkinteger(L, idx);
    luaL_argcheck(L, t >= 0, idx, "step must be >= 0");
    return t;
}

static int sched_at(lua_State *L)
{
    lua_schedule *u = checkobj(L, 1);
    lua_Integer t = checkstep(L, 2);
    LRE_LUA_ENTER(L);
    double v;
    lre_error err;
    if (lre_schedule_eval(u->s, t, &v, &err)) return luaL_error(L, "%s", err.msg);
    u->next_step = t + 1;
    lua_pushnumber(L, v);
    return 1;
}

/* s:observe(metric [, step]): the metric reported before `step` (by default
 * the step after the last one evaluated). */
static int sched_observe(lua_State *L)
{
    lua_schedule *u = checkobj(L, 1);
    double m = luaL_checknumber(L, 2);
    lua_Integer t = lua_isnoneornil(L, 3) ? u->next_step : checkstep(L, 3);
    LRE_LUA_ENTER(L);
    lre_error err;
    if (lre_schedule_observe(u->s, m, t, &err)) return luaL_error(L, "%s", err.msg);
    return 0;
}

/* s:curve(n [, metrics]) -> {lr_0, ..., lr_n-1}; metric i is observed after step i. */
static int sched_curve(lua_State *L)
{
    lua_schedule *u = checkobj(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_argcheck(L, n >= 0 && n <= 100000000, 2, "number of steps must be in [0, 1e8]");
    size_t nm = 0;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        nm = (size_t)luaL_len(L, 3);
    }
    double *buf = lua_newuserdatauv(L, ((size_t)n + nm + 1) * sizeof(double), 0);
    double *metrics = buf + n;
    for (size_t i = 0; i < nm; i++) {
        int isnum;
        metrics[i] = (lua_geti(L, 3, (lua_Integer)i + 1), lua_tonumberx(L, -1, &isnum));
        if (!isnum) return luaL_argerror(L, 3, lua_pushfstring(L, "metric %d is not a number", (int)i + 1));
        lua_pop(L, 1);
    }
    LRE_LUA_ENTER(L);
    lre_error err;
    if (lre_schedule_curve(u->s, buf, (size_t)n, metrics, nm, &err)) return luaL_error(L, "%s", err.msg);
    u->next_step = n;
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 0; i < n; i++) {
        lua_pushnumber(L, buf[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int sched_save(lua_State *L)
{
    lua_schedule *u = checkobj(L, 1);
    LRE_LUA_ENTER(L);
    lre_membuf b = {0};
    lre_error err;
    int rc = lre_schedule_save(u->s, lre_membuf_write, &b, &err);
    if (rc) {
        free(b.data);
        return luaL_error(L, "%s", err.msg);
    }
    lua_pushlstring(L, (const char *)b.data, b.len);
    free(b.data);
    return 1;
}

/* s:load(bytes) -> true, or nil, message, code for a bad stream. */
static int sched_load(lua_State *L)
{
    lua_schedule *u = checkobj(L, 1);
    lre_memreader r = {0};
    r.data = (const unsigned char *)luaL_checklstring(L, 2, &r.len);
    LRE_LUA_ENTER(L);
    lre_error err;
    int rc = lre_schedule_load(u->s, lre_memreader_read, &r, &err);
    if (rc) {
        luaL_pushfail(L);
        lua_pushstring(L, err.msg);
        lua_pushinteger(L, rc);
        return 3;
    }
    lua_pushboolean(L, 1);
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

static int sched_close(lua_State *L)
{
    lua_schedule *u = luaL_checkudata(L, 1, LRE_SCHEDULE_MT);
    lre_schedule_release(u->s);
    u->s = NULL;
    return 0;
}

static int sched_tostring(lua_State *L)
{
    lua_schedule *u = luaL_checkudata(L, 1, LRE_SCHEDULE_MT);
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
    static const luaL_Reg methods[] = {{"at", sched_at},         {"observe", sched_observe}, {"curve", sched_curve},
                                       {"save", sched_save},     {"load", sched_load},       {"reset", sched_reset},
                                       {"kind", sched_kind},     {"close", sched_close},     {NULL, NULL}};
    luaL_newmetatable(L, LRE_SCHEDULE_MT);
    luaL_setfuncs(L, meta, 0);
    luaL_newlib(L, methods);
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
    lua_setfield(L, -2, "schedule");
}
