/* event_lua.c -- events between Lua and the engine, both ways:
 * ctx.event(name, fields), a schedule script's own entries in the run's
 * event log (lrengine_lua.h says what is checked and how it is
 * rate-limited; misuse raises an error naming the argument; an event that
 * is not recorded, no log or over the rate, returns false); and the queue
 * behind opt:on_event(fn), which hands the optimizer's events to Lua. */
#include "lrengine_lua.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 8
#define MAX_NAME 32
#define MAX_STRING 200

/* Names the engine's own events and the log's own keys use. */
static const char *const reserved_events[] = {"plateau_reduce", "warmup_end", "restart",      "phase",
                                              "resume",         "continue",   "skipped_step", NULL};
/* and the keys of opt:on_event's tables (name, path, hp, group) */
static const char *const reserved_fields[] = {"step", "epoch", "event", "node", "dropped",
                                              "name", "path", "hp",   "group", NULL};

static int in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(s, *list)) return 1;
    return 0;
}

/* 1 when s is 1..MAX_NAME bytes of [A-Za-z0-9_.-]. */
static int good_name(const char *s, size_t len)
{
    if (len == 0 || len > MAX_NAME) return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == len;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const lre_event_field *)a)->name, ((const lre_event_field *)b)->name);
}

/* Whether the bucket has a token at this step (and takes it). Counted in
 * steps, exactly: a token is LRE_LUA_EVENT_EVERY steps' worth. */
static int take_token(lre_lua_events *ev, int64_t step)
{
    const int64_t full = (int64_t)LRE_LUA_EVENT_BURST * LRE_LUA_EVENT_EVERY;
    if (!ev->started) {
        ev->started = 1;
        ev->tokens = full;
    } else if (step > ev->last_step) {
        ev->tokens = step - ev->last_step >= full - ev->tokens ? full : ev->tokens + (step - ev->last_step);
    }
    ev->last_step = step;
    if (ev->tokens < LRE_LUA_EVENT_EVERY) return 0;
    ev->tokens -= LRE_LUA_EVENT_EVERY;
    return 1;
}

static int ctx_event(lua_State *L)
{
    lre_lua_events *ev = lua_touserdata(L, lua_upvalueindex(1));
    size_t len;
    const char *name = luaL_checklstring(L, 1, &len);
    if (!good_name(name, len))
        return luaL_argerror(L, 1, lua_pushfstring(L, "event name '%s': 1 to %d letters, digits, '_', '.' or '-'",
                                                   name, MAX_NAME));
    if (in_list(name, reserved_events))
        return luaL_argerror(L, 1, lua_pushfstring(L, "'%s' is one of the engine's own events", name));
    lre_event_field f[MAX_FIELDS + 1];
    size_t n = 0;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            if (lua_type(L, -2) != LUA_TSTRING)
                return luaL_argerror(L, 2, lua_pushfstring(L, "field names must be strings, got a %s key",
                                                           luaL_typename(L, -2)));
            size_t klen;
            const char *key = lua_tolstring(L, -2, &klen);
            if (!good_name(key, klen) || in_list(key, reserved_fields))
                return luaL_argerror(L, 2, lua_pushfstring(L, "bad field name '%s' (letters, digits, '_', '.', '-'; "
                                                              "not step, epoch, event, node, dropped, name, path, hp or group)", key));
            if (n == MAX_FIELDS) return luaL_argerror(L, 2, "at most 8 fields");
            f[n] = (lre_event_field){key, 0, NULL};
            switch (lua_type(L, -1)) {
            case LUA_TNUMBER: f[n].value = lua_tonumber(L, -1); break;
            case LUA_TBOOLEAN: f[n].value = lua_toboolean(L, -1); break;
            case LUA_TSTRING: {
                size_t vlen;
                f[n].str = lua_tolstring(L, -1, &vlen); /* alive: the table holds it */
                if (vlen > MAX_STRING || strlen(f[n].str) != vlen)
                    return luaL_argerror(L, 2, lua_pushfstring(L, "field '%s': a string of at most %d bytes without NUL",
                                                               key, MAX_STRING));
                break;
            }
            default:
                return luaL_argerror(L, 2, lua_pushfstring(L, "field '%s' is a %s: numbers, booleans and strings only",
                                                           key, luaL_typename(L, -1)));
            }
            n++;
            lua_pop(L, 1);
        }
        qsort(f, n, sizeof f[0], by_name); /* the same line for the same event, whatever the table's order */
    }
    const lre_sched_ctx *ctx = ev->ctx;
    if (!ctx || !ctx->event) return lua_pushboolean(L, 0), 1;
    if (!take_token(ev, ctx->step)) {
        ev->dropped++;
        return lua_pushboolean(L, 0), 1;
    }
    if (ev->dropped) f[n++] = (lre_event_field){"dropped", (double)ev->dropped, NULL};
    ev->dropped = 0;
    lua_pushboolean(L, lre_sched_ctx_emit(ctx, name, f, n));
    return 1;
}

void lre_lua_push_event_fn(lua_State *L, lre_lua_events *ev, int owner)
{
    owner = lua_absindex(L, owner);
    lua_pushlightuserdata(L, ev);
    lua_pushvalue(L, owner);
    lua_pushcclosure(L, ctx_event, 2);
}

/* ---- opt:on_event: the queue ---- */

/* One event, copied: its strings follow the struct. */
typedef struct lre_lua_evitem {
    int64_t step;
    int group;
    const char *kind, *path, *hparam; /* hparam NULL: none */
    size_t nfields;
    lre_event_field f[];
} lre_lua_evitem;

static char *put_string(char **at, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = memcpy(*at, s, n);
    *at += n;
    return d;
}

void lre_lua_evq_record(void *ud, const lre_event *ev, const char *hparam, int group)
{
    lre_lua_evq *q = ud;
    size_t bytes = sizeof(lre_lua_evitem) + ev->nfields * sizeof(lre_event_field);
    bytes += strlen(ev->kind) + strlen(ev->path) + (hparam ? strlen(hparam) : 0) + 3;
    for (size_t i = 0; i < ev->nfields; i++)
        bytes += strlen(ev->fields[i].name) + 1 + (ev->fields[i].str ? strlen(ev->fields[i].str) + 1 : 0);
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 8;
        lre_lua_evitem **grown = realloc(q->item, cap * sizeof *grown);
        if (!grown) {
            q->lost++;
            return;
        }
        q->item = grown;
        q->cap = cap;
    }
    lre_lua_evitem *it = malloc(bytes);
    if (!it) {
        q->lost++;
        return;
    }
    char *at = (char *)(it->f + ev->nfields);
    it->step = ev->step;
    it->group = group;
    it->kind = put_string(&at, ev->kind);
    it->path = put_string(&at, ev->path);
    it->hparam = hparam ? put_string(&at, hparam) : NULL;
    it->nfields = ev->nfields;
    for (size_t i = 0; i < ev->nfields; i++) {
        it->f[i].name = put_string(&at, ev->fields[i].name);
        it->f[i].value = ev->fields[i].value;
        it->f[i].str = ev->fields[i].str ? put_string(&at, ev->fields[i].str) : NULL;
    }
    q->item[q->n++] = it;
}

void lre_lua_evq_clear(lre_lua_evq *q)
{
    for (size_t i = q->head; i < q->n; i++) free(q->item[i]);
    free(q->item);
    q->item = NULL;
    q->n = q->head = q->cap = 0;
    q->lost = 0;
}

/* The event's table: the engine's keys, then its fields (which the
 * engine's events and ctx.event keep apart from them). */
static void push_item(lua_State *L, const lre_lua_evitem *it)
{
    lua_createtable(L, 0, (int)it->nfields + 5);
    lua_pushstring(L, it->kind);
    lua_setfield(L, -2, "name");
    lua_pushinteger(L, (lua_Integer)it->step);
    lua_setfield(L, -2, "step");
    lua_pushstring(L, it->path);
    lua_setfield(L, -2, "path");
    if (it->hparam) {
        lua_pushstring(L, it->hparam);
        lua_setfield(L, -2, "hp");
    }
    if (it->group >= 0) { /* 1-based, as opt:get's groups; nil: every group */
        lua_pushinteger(L, (lua_Integer)it->group + 1);
        lua_setfield(L, -2, "group");
    }
    for (size_t i = 0; i < it->nfields; i++) {
        if (it->f[i].str) lua_pushstring(L, it->f[i].str);
        else if (it->f[i].value == (double)(lua_Integer)it->f[i].value && fabs(it->f[i].value) < 9007199254740992.0)
            lua_pushinteger(L, (lua_Integer)it->f[i].value); /* counts and steps read as integers */
        else lua_pushnumber(L, it->f[i].value);
        lua_setfield(L, -2, it->f[i].name);
    }
}

void lre_lua_evq_deliver(lua_State *L, lre_lua_evq *q, const int *ref, const char *fname)
{
    if (q->lost) {
        long long lost = q->lost;
        lre_lua_evq_clear(q);
        luaL_error(L, "%s: %lld events lost: out of memory", fname, lost);
    }
    /* read afresh each time: the function may step again (its events join
     * the queue, in order), replace itself or turn events off */
    while (q->head < q->n && *ref != LUA_NOREF) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, *ref);
        push_item(L, q->item[q->head]);
        free(q->item[q->head]);
        q->head++;
        if (q->head == q->n) q->head = q->n = 0;
        if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
            lre_lua_evq_clear(q); /* the events after the failing one are dropped */
            lua_error(L);
        }
    }
    if (*ref == LUA_NOREF) lre_lua_evq_clear(q);
}
