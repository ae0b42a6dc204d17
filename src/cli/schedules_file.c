/* schedules_file.c -- what the binary's commands share: loading a schedule
 * script's schedules, number parsing, and drawing charts with lrengine.plot. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void cli_free_schedules(cli_schedules *set)
{
    for (int i = 0; i < set->n; i++) lre_schedule_release(set->s[i]);
    set->n = 0;
}

static int add(lre_host *h, const char *script, const char *hp, cli_schedules *set, lre_error *err)
{
    if (set->n == CLI_MAX_SCHEDULES) {
        return lre_error_set(err, LRE_EINVAL, "%s: too many schedules", script);
    }
    char name[160];
    snprintf(name, sizeof name, strcmp(hp, "lr") ? "%s[%s]" : "%s", script, hp);
    int rc = lre_host_toschedule(h, name, &set->s[set->n], err);
    if (rc) return rc;
    snprintf(set->name[set->n++], sizeof set->name[0], "%s", hp);
    return LRE_OK;
}

/* A table with `at` is one schedule; a table without is {lr = ..., momentum =
 * ...}: one schedule per hyper-parameter, lr first, then by name. */
int cli_schedules_from_value(lre_host *h, const char *name, cli_schedules *set, lre_error *err)
{
    lua_State *L = lre_host_state(h);
    set->n = 0;
    int is_set = 0;
    if (lua_type(L, -1) == LUA_TTABLE) {
        is_set = lua_getfield(L, -1, "at") == LUA_TNIL;
        lua_pop(L, 1);
    }
    if (!is_set) return add(h, name, "lr", set, err);
    int t = lua_gettop(L);
    if (lua_getfield(L, t, "lr") == LUA_TNIL) {
        lua_settop(L, t - 1);
        return lre_error_set(err, LRE_EINVAL, "%s: returned a table with neither 'at' nor 'lr'", name);
    }
    int rc = add(h, name, "lr", set, err);
    const char *keys[CLI_MAX_SCHEDULES];
    int nk = 0;
    lua_pushnil(L);
    while (!rc && lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING || !strcmp(lua_tostring(L, -1), "lr")) continue;
        if (nk == CLI_MAX_SCHEDULES - 1) break;
        keys[nk++] = lua_tostring(L, -1); /* anchored in the table */
    }
    for (int i = 1; i < nk; i++) /* insertion sort: a handful of names */
        for (int j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *k = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = k;
        }
    for (int i = 0; i < nk && !rc; i++) {
        lua_getfield(L, t, keys[i]);
        rc = add(h, name, keys[i], set, err);
    }
    lua_settop(L, t - 1);
    if (rc) cli_free_schedules(set);
    return rc;
}

int cli_load_schedules(const char *path, cli_schedules *set, lre_error *err)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    lre_host *h = lre_host_new(base, NULL);
    if (!h) {
        return lre_error_set(err, LRE_ENOMEM, "out of memory");
    }
    cli_current_host = h;
    int rc = lre_host_dofile(h, path, err);
    if (!rc) rc = cli_schedules_from_value(h, base, set, err);
    lre_host_release(h); /* the schedules keep it alive */
    return rc;
}

int cli_parse_count(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0) return 1;
    *out = v;
    return 0;
}

int cli_parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) return 1;
    *out = v;
    return 0;
}

static void push_list(lua_State *L, const double *v, size_t n, int integers)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        if (integers) lua_pushinteger(L, (lua_Integer)i);
        else lua_pushnumber(L, v[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

int cli_render(FILE *out, const char *format, const char *title, const char *xlabel, const double *x, size_t n,
               int nseries, const char *const *names, const double *const *values, int logx, int logy)
{
    lre_script_limits limits = {0, 0, 1};
    lre_host *h = lre_host_new("plot", &limits);
    if (!h) return cli_error(LRE_EXIT_FAIL, "out of memory");
    lua_State *L = lre_host_state(h);
    int rc = LRE_EXIT_OK;
    lua_getglobal(L, "require");
    lua_pushliteral(L, "lrengine.plot");
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        rc = cli_error(LRE_EXIT_FAIL, "%s", lua_tostring(L, -1));
        goto done;
    }
    lua_getfield(L, -1, "render");
    lua_pushstring(L, format);
    lua_createtable(L, 0, 6);
    push_list(L, x, n, x == NULL);
    lua_setfield(L, -2, "x");
    lua_createtable(L, nseries, 0);
    for (int i = 0; i < nseries; i++) {
        lua_createtable(L, 0, 2);
        lua_pushstring(L, names[i]);
        lua_setfield(L, -2, "name");
        push_list(L, values[i], n, 0);
        lua_setfield(L, -2, "values");
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "series");
    lua_pushstring(L, title);
    lua_setfield(L, -2, "title");
    lua_pushstring(L, xlabel);
    lua_setfield(L, -2, "xlabel");
    lua_pushstring(L, nseries == 1 ? names[0] : "value");
    lua_setfield(L, -2, "ylabel");
    lua_pushboolean(L, logx);
    lua_setfield(L, -2, "logx");
    lua_pushboolean(L, logy);
    lua_setfield(L, -2, "logy");
    if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
        rc = cli_error(LRE_EXIT_USAGE, "%s", lua_tostring(L, -1));
        goto done;
    }
    size_t len;
    const char *text = lua_tolstring(L, -1, &len);
    if (fwrite(text, 1, len, out) != len || fflush(out)) rc = cli_error(LRE_EXIT_FAIL, "writing the chart failed");
done:
    lre_host_release(h);
    return rc;
}
