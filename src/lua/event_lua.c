/* event_lua.c -- ctx.event(name, fields): a schedule script's own entries in
 * the run's event log (lrengine_lua.h says what is checked and how it is
 * rate-limited). Misuse raises an error naming the argument; an event that
 * is not recorded (no log, or over the rate) returns false. */
#include "lrengine_lua.h"

#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 8
#define MAX_NAME 32
#define MAX_STRING 200

/* Names the engine's own events and the log's own keys use. */
static const char *const reserved_events[] = {"plateau_reduce", "warmup_end", "restart",      "phase",
                                              "resume",         "continue",   "skipped_step", NULL};
static const char *const reserved_fields[] = {"step", "epoch", "event", "node", "dropped", NULL};

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
                                                              "not step, epoch, event, node or dropped)", key));
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
