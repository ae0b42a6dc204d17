/* script_value.c -- lre_script: a config script's result, kept in its host
 * and read from C by path ("data.dir", "model.hidden[2]"), so the training
 * job reads configs without Lua headers. Reads are raw (no metamethod runs)
 * and protected (a memory error is an error code, not an abort). */
#include "host.h"

#include <stdlib.h>
#include <string.h>

struct lre_script {
    lre_host *h;
    int ref;           /* the result */
    const char **keys; /* lre_script_keys' answer */
    size_t cap;
};

static int script_open(lre_script **out, const char *path, const char *chunk, size_t len, const char *name,
                       const lre_script_limits *limits, lre_error *err)
{
    *out = NULL;
    const char *who = path ? path : name;
    lre_script *s = calloc(1, sizeof *s);
    if (!s || !(s->h = lre_host_new(path ? lre_host_basename(path) : name, limits))) {
        free(s);
        return lre_error_set(err, LRE_ENOMEM, "%s: out of memory", who);
    }
    s->ref = LUA_NOREF;
    int rc = path ? lre_host_dofile(s->h, path, err) : lre_host_dostring(s->h, chunk, len, name, err);
    if (rc) {
        lre_script_close(s);
        return rc;
    }
    lua_State *L = lre_host_state(s->h);
    s->ref = luaL_ref(L, LUA_REGISTRYINDEX); /* the registry's free list has room: no error here */
    *out = s;
    return LRE_OK;
}

int lre_script_open(lre_script **out, const char *path, const lre_script_limits *limits, lre_error *err)
{
    return script_open(out, path, NULL, 0, NULL, limits, err);
}

int lre_script_open_string(lre_script **out, const char *chunk, size_t len, const char *name,
                           const lre_script_limits *limits, lre_error *err)
{
    return script_open(out, NULL, chunk, len, name ? name : "config", limits, err);
}

void lre_script_close(lre_script *s)
{
    if (!s) return;
    if (s->h) luaL_unref(lre_host_state(s->h), LUA_REGISTRYINDEX, s->ref); /* the result: garbage now */
    lre_host_release(s->h);
    free(s->keys);
    free(s);
}

const char *lre_script_name(const lre_script *s) { return lre_host_name(s->h); }

/* Pushes the value at the path (1: the path, 2: the result's ref). */
static int protected_lookup(lua_State *L)
{
    const char *p = lua_tostring(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, (lua_Integer)lua_tointeger(L, 2));
    while (*p) {
        if (lua_type(L, -1) != LUA_TTABLE) {
            lua_pushnil(L);
            return 1;
        }
        if (*p == '.') p++;
        if (*p == '[') {
            char *end;
            long long i = strtoll(p + 1, &end, 10);
            if (*end != ']') return luaL_error(L, "bad path");
            lua_rawgeti(L, -1, (lua_Integer)i);
            p = end + 1;
        } else {
            size_t n = strcspn(p, ".[");
            lua_pushlstring(L, p, n);
            lua_rawget(L, -2);
            p += n;
        }
        lua_remove(L, -2);
    }
    return 1;
}

/* Leaves the value at path on top of the host's stack; LRE_OK or a code. */
static int lookup(lre_script *s, const char *path, lre_error *err)
{
    lua_State *L = lre_host_state(s->h);
    if (!lua_checkstack(L, 4)) return lre_error_set(err, LRE_ENOMEM, "%s: Lua stack overflow", lre_host_name(s->h));
    lua_pushcfunction(L, protected_lookup);
    lua_pushstring(L, path);
    lua_pushinteger(L, s->ref);
    return lre_host_pcall(s->h, 2, 1, 0, err);
}

lre_value_type lre_script_type(lre_script *s, const char *path)
{
    if (lookup(s, path, NULL)) return LRE_VNIL;
    lua_State *L = lre_host_state(s->h);
    lre_value_type t;
    switch (lua_type(L, -1)) {
    case LUA_TNIL: t = LRE_VNIL; break;
    case LUA_TBOOLEAN: t = LRE_VBOOLEAN; break;
    case LUA_TNUMBER: t = LRE_VNUMBER; break;
    case LUA_TSTRING: t = LRE_VSTRING; break;
    case LUA_TTABLE: t = LRE_VTABLE; break;
    case LUA_TFUNCTION: t = LRE_VFUNCTION; break;
    default: t = LRE_VOTHER;
    }
    lua_pop(L, 1);
    return t;
}

int lre_script_number(lre_script *s, const char *path, double *out)
{
    if (lookup(s, path, NULL)) return LRE_EINVAL;
    lua_State *L = lre_host_state(s->h);
    int ok = lua_type(L, -1) == LUA_TNUMBER;
    if (ok) *out = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return ok ? LRE_OK : LRE_EINVAL;
}

int lre_script_integer(lre_script *s, const char *path, int64_t lo, int64_t hi, int64_t *out)
{
    if (lookup(s, path, NULL)) return LRE_EINVAL;
    lua_State *L = lre_host_state(s->h);
    int ok = 0;
    int64_t v = 0;
    if (lua_isinteger(L, -1)) {
        v = (int64_t)lua_tointeger(L, -1);
        ok = 1;
    } else if (lua_type(L, -1) == LUA_TNUMBER) {
        /* a float: integral and inside int64 before it is converted */
        double d = lua_tonumber(L, -1);
        ok = d == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0 && d == (double)(int64_t)d;
        if (ok) v = (int64_t)d;
    }
    lua_pop(L, 1);
    if (!ok || v < lo || v > hi) return LRE_EINVAL;
    *out = v;
    return LRE_OK;
}

int lre_script_boolean(lre_script *s, const char *path, int *out)
{
    if (lookup(s, path, NULL)) return LRE_EINVAL;
    lua_State *L = lre_host_state(s->h);
    int ok = lua_type(L, -1) == LUA_TBOOLEAN;
    if (ok) *out = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return ok ? LRE_OK : LRE_EINVAL;
}

const char *lre_script_string(lre_script *s, const char *path, size_t *len)
{
    if (lookup(s, path, NULL)) return NULL;
    lua_State *L = lre_host_state(s->h);
    /* anchored in the result, which the registry holds */
    const char *str = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, len) : NULL;
    lua_pop(L, 1);
    return str;
}

int64_t lre_script_length(lre_script *s, const char *path)
{
    if (lookup(s, path, NULL)) return -1;
    lua_State *L = lre_host_state(s->h);
    int64_t n = lua_type(L, -1) == LUA_TTABLE ? (int64_t)lua_rawlen(L, -1) : -1;
    lua_pop(L, 1);
    return n;
}

static int key_cmp(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

int lre_script_keys(lre_script *s, const char *path, const char *const **keys, size_t *n, lre_error *err)
{
    *n = 0;
    *keys = NULL;
    int rc = lookup(s, path, err);
    if (rc) return rc;
    lua_State *L = lre_host_state(s->h);
    if (lua_type(L, -1) != LUA_TTABLE) {
        lua_pop(L, 1);
        return lre_error_set(err, LRE_EINVAL, "%s: %s is not a table", lre_host_name(s->h), path[0] ? path : "the result");
    }
    lua_Unsigned len = lua_rawlen(L, -1);
    size_t count = 0;
    rc = LRE_OK;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1 && (lua_Unsigned)lua_tointeger(L, -1) <= len) continue;
            rc = lre_error_set(err, LRE_EINVAL, "%s: %s has a %s key; expected names", lre_host_name(s->h),
                               path[0] ? path : "the result", lua_typename(L, lua_type(L, -1)));
            lua_pop(L, 1);
            break;
        }
        if (count == s->cap) {
            size_t cap = s->cap ? 2 * s->cap : 16;
            const char **k = realloc(s->keys, cap * sizeof *k);
            if (!k) {
                rc = lre_error_set(err, LRE_ENOMEM, "%s: out of memory", lre_host_name(s->h));
                lua_pop(L, 1);
                break;
            }
            s->keys = k;
            s->cap = cap;
        }
        s->keys[count++] = lua_tostring(L, -1); /* anchored in the table */
    }
    lua_pop(L, 1);
    if (rc) return rc;
    if (count) qsort(s->keys, count, sizeof *s->keys, key_cmp); /* (keys is NULL when there are none) */
    *keys = s->keys;
    *n = count;
    return LRE_OK;
}

int lre_script_schedules(lre_script *s, const char *path, lre_schedule_set *set, lre_error *err)
{
    set->n = 0;
    int rc = lookup(s, path, err);
    return rc ? rc : lre_host_toschedules(s->h, set, err);
}

/* The function at 1 as a guard (lre_lua_toguard), stored at the light
 * userdata at 2. */
static int protected_toguard(lua_State *L)
{
    lre_schedule **out = lua_touserdata(L, 2);
    if (lua_type(L, 1) != LUA_TFUNCTION) return luaL_error(L, "a guard must be a function, got %s", luaL_typename(L, 1));
    *out = lre_lua_toguard(L, 1);
    return 0;
}

int lre_script_guard(lre_script *s, const char *path, lre_schedule **out, lre_error *err)
{
    *out = NULL;
    int rc = lookup(s, path, err);
    if (rc) return rc;
    lua_State *L = lre_host_state(s->h);
    lua_pushcfunction(L, protected_toguard);
    lua_insert(L, -2);
    lua_pushlightuserdata(L, out);
    rc = lre_host_pcall(s->h, 2, 0, 0, err);
    if (rc) {
        lre_schedule_release(*out);
        *out = NULL;
    }
    return rc;
}
