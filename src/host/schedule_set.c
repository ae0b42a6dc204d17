/* schedule_set.c -- a script's result as schedules: one schedule (an
 * object, a number, a function, a table with `at`), or a table of them by
 * hyper-parameter, {lr = ..., momentum = ...}: lr first, then by name.
 * Everything runs in protected mode within the host's limits: a result with
 * a looping __index or a huge table gets an error, not an abort. */
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lre_schedule_set_free(lre_schedule_set *set)
{
    for (int i = 0; i < set->n; i++) lre_schedule_release(set->s[i]);
    set->n = 0;
}

static int name_cmp(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* The value at 1 into the set at 2 (a light userdata); the set is filled in
 * place, so what was made before an error is released by the caller. */
static int protected_toschedules(lua_State *L)
{
    lre_schedule_set *set = lua_touserdata(L, 2);
    int is_set = 0, single = lua_toboolean(L, 3);
    if (!single && lua_type(L, 1) == LUA_TTABLE) {
        is_set = lua_getfield(L, 1, "at") == LUA_TNIL;
        lua_pop(L, 1);
    }
    if (!is_set) {
        set->s[set->n] = lre_lua_toschedule(L, 1, NULL);
        snprintf(set->name[set->n++], sizeof set->name[0], "lr");
        return 0;
    }
    const char *keys[LRE_SCHEDULE_SET_MAX];
    size_t nk = 0;
    int has_lr = 0;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "a table of schedules has a %s key; expected hyper-parameter names",
                              luaL_typename(L, -1));
        const char *k = lua_tostring(L, -1); /* anchored in the table */
        if (strlen(k) >= sizeof set->name[0]) return luaL_error(L, "hyper-parameter name '%.40s...' is too long", k);
        if (!strcmp(k, "lr")) has_lr = 1;
        else if (nk + 1 >= LRE_SCHEDULE_SET_MAX)
            return luaL_error(L, "a table of schedules may drive at most %d hyper-parameters", LRE_SCHEDULE_SET_MAX);
        else keys[nk++] = k;
    }
    if (!has_lr) return luaL_error(L, "returned a table with neither 'at' nor 'lr'");
    qsort(keys, nk, sizeof keys[0], name_cmp);
    for (size_t i = 0; i <= nk; i++) {
        const char *k = i == 0 ? "lr" : keys[i - 1];
        lua_getfield(L, 1, k);
        set->s[set->n] = lre_lua_toschedule(L, -1, NULL);
        snprintf(set->name[set->n++], sizeof set->name[0], "%s", k);
        lua_pop(L, 1);
    }
    return 0;
}

static int toschedules(lre_host *h, lre_schedule_set *set, int single, lre_error *err)
{
    lua_State *L = lre_host_state(h);
    set->n = 0;
    if (!lua_checkstack(L, 4)) {
        lua_pop(L, 1);
        return lre_error_set(err, LRE_ENOMEM, "%s: Lua stack overflow", lre_host_name(h));
    }
    lua_pushcfunction(L, protected_toschedules);
    lua_insert(L, -2);
    lua_pushlightuserdata(L, set);
    lua_pushboolean(L, single);
    lre_error scratch;
    if (!err) err = &scratch;
    int rc = lre_host_pcall(h, 3, 0, 0, err);
    if (rc) {
        lre_schedule_set_free(set);
        const char *name = lre_host_name(h);
        if (strncmp(err->msg, name, strlen(name)) != 0) { /* name the script */
            char msg[LRE_ERRMSG_SIZE];
            snprintf(msg, sizeof msg, "%s", err->msg);
            lre_error_set(err, rc, "%s: %s", name, msg);
        }
    }
    return rc;
}

int lre_host_toschedules(lre_host *h, lre_schedule_set *set, lre_error *err) { return toschedules(h, set, 0, err); }

int lre_host_toschedule(lre_host *h, lre_schedule **out, lre_error *err)
{
    lre_schedule_set set = {0};
    int rc = toschedules(h, &set, 1, err);
    if (!rc) *out = set.s[0];
    return rc;
}

int lre_script_load_schedules(const char *path, const lre_script_limits *limits, lre_schedule_set *set,
                              lre_error *err)
{
    set->n = 0;
    lre_host *h = lre_host_new(lre_host_basename(path), limits);
    if (!h) return lre_error_set(err, LRE_ENOMEM, "%s: out of memory", path);
    int rc = lre_host_dofile(h, path, err);
    if (!rc) rc = lre_host_toschedules(h, set, err);
    lre_host_release(h); /* the schedules keep it alive */
    return rc;
}
