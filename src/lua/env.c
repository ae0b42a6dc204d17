/* env.c -- the binding's per-universe environment (which thread custom
 * schedules call into, the owner hooks) and the helpers every file of the
 * binding shares. */
#include "lrengine_lua.h"

#include <string.h>

static const char env_key = 'e';

lre_lua_env *lre_lua_env_get(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &env_key);
    lre_lua_env *env = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (!env) {
        env = lua_newuserdatauv(L, sizeof *env, 0);
        memset(env, 0, sizeof *env);
        lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
        env->main = lua_tothread(L, -1);
        lua_pop(L, 1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &env_key);
    }
    return env;
}

lua_State *lre_lua_thread(const lre_lua_env *env) { return env->current ? env->current : env->main; }

lua_State *lre_lua_enter(lua_State *L)
{
    lre_lua_env *env = lre_lua_env_get(L);
    lua_State *previous = env->current;
    env->current = L;
    return previous;
}

void lre_lua_leave(lua_State *L, lua_State *previous) { lre_lua_env_get(L)->current = previous; }

void lre_lua_charge(lua_State *L, double n) { lre_lua_env_charge(lre_lua_env_get(L), L, n); }

void lre_lua_charge_entries(lua_State *L, int idx, double n)
{
    int proxy = lua_getmetatable(L, idx);
    if (proxy) lua_pop(L, 1);
    lre_lua_charge(L, proxy ? n * LRE_LUA_CHARGE_METAMETHOD : n / 16);
}

void lre_lua_env_charge(lre_lua_env *env, lua_State *L, double n)
{
    if (env->charge && n >= 1) env->charge(env, L, n < 1e18 ? (uint64_t)n : (uint64_t)1e18);
}

/* The class's cell: the last userdata that passed lre_lua_self's full check.
 * Its memory is an object of the class until the object's finalizer has run
 * (Lua frees a userdata with __gc only after calling it), and the finalizer
 * forgets it (lre_lua_self_forget): so the cell never names freed memory, and
 * a userdata equal to it needs no metatable check. (debug.setmetatable can
 * take a __gc away; the debug library is outside the sandbox and, as Lua's
 * manual says, outside any guarantee.) tests/c/test_lua_self.c gives a
 * collected object's block to a userdata of another kind. */
static const char self_cell_key = 'c';

void lre_lua_setmethods(lua_State *L, int mt, const luaL_Reg *l)
{
    mt = lua_absindex(L, mt);
    if (lua_rawgetp(L, mt, &self_cell_key) == LUA_TNIL) {
        lua_pop(L, 1);
        *(void **)lua_newuserdatauv(L, sizeof(void *), 0) = NULL;
        lua_pushvalue(L, -1);
        lua_rawsetp(L, mt, &self_cell_key);
    }
    lua_pushvalue(L, mt);
    lua_insert(L, -2);
    luaL_setfuncs(L, l, 2);
}

void *lre_lua_self(lua_State *L)
{
    void *u = lua_touserdata(L, 1);
    void **cell = lua_touserdata(L, lua_upvalueindex(2));
    if (u && cell && u == *cell) return u;
    if (!u || !lua_getmetatable(L, 1)) return NULL;
    const void *mt = lua_topointer(L, -1);
    lua_pop(L, 1);
    if (mt != lua_topointer(L, lua_upvalueindex(1))) return NULL;
    if (cell) *cell = u;
    return u;
}

void lre_lua_self_forget(lua_State *L, const void *u)
{
    void **cell = lua_touserdata(L, lua_upvalueindex(2));
    if (cell && *cell == u) *cell = NULL;
}

lre_allocator lre_lua_allocator(lua_State *L)
{
    const lre_lua_env *env = lre_lua_env_get(L);
    if (env->alloc) return *env->alloc;
    lre_allocator a;
    a.realloc = lua_getallocf(L, &a.ud);
    return a;
}

double *lre_lua_checknumbers(lua_State *L, int idx, int arg, const char *fname, const char *what, size_t *n)
{
    return lre_lua_checklist(L, idx, arg, fname, what, n, NULL);
}

double *lre_lua_checklist(lua_State *L, int idx, int arg, const char *fname, const char *what, size_t *n,
                          int *has_text)
{
    idx = lua_absindex(L, idx);
    lua_Integer len = luaL_len(L, idx);
    /* Lua refuses blocks beyond LUA_MAXINTEGER bytes ("block too big", naming nothing) */
    if (len < 0 || (lua_Unsigned)len > (lua_Unsigned)LUA_MAXINTEGER / sizeof(double) - 64)
        lre_lua_argerror(L, arg, fname, lua_pushfstring(L, "%s has a bad length (%I)", what, len));
    double *v = lua_newuserdatauv(L, (size_t)(len > 0 ? len : 1) * sizeof(double), 0);
    lre_lua_charge_entries(L, idx, (double)len);
    for (lua_Integer i = 1; i <= len; i++) {
        int isnum;
        lua_geti(L, idx, i);
        v[i - 1] = lua_tonumberx(L, -1, &isnum);
        if (!isnum && has_text && lua_type(L, -1) == LUA_TSTRING)
            *has_text = 1, isnum = 1;
        if (!isnum)
            lre_lua_argerror(L, arg, fname,
                             lua_pushfstring(L, "%s[%I] must be a number%s, got %s", what, i,
                                             has_text ? " or a duration" : "", luaL_typename(L, -1)));
        lua_pop(L, 1);
    }
    *n = (size_t)len;
    return v;
}

/* Levenshtein distance of a and b, capped at 9 (enough to rank suggestions). */
static int distance(const char *a, const char *b)
{
    size_t n = strlen(b);
    if (n > 63 || strlen(a) > 63) return 9;
    int row[64];
    for (size_t j = 0; j <= n; j++) row[j] = (int)j;
    for (size_t i = 1; a[i - 1]; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= n; j++) {
            int up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[n] < 9 ? row[n] : 9;
}

static int unknown_name(lua_State *L)
{
    const char *what = lua_tostring(L, lua_upvalueindex(1));
    const char *const *names = lua_touserdata(L, lua_upvalueindex(2));
    if (lua_type(L, 2) != LUA_TSTRING) return 0;
    const char *name = lua_tostring(L, 2);
    const char *best = NULL;
    int bestd = 3; /* suggest only close names */
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (const char *const *n = names; *n; n++) {
        int d = distance(name, *n);
        if (d < bestd) bestd = d, best = *n;
        if (n != names) luaL_addstring(&b, ", ");
        luaL_addstring(&b, *n);
    }
    luaL_pushresult(&b);
    if (best) return luaL_error(L, "unknown %s '%s' (did you mean '%s'? valid names: %s)", what, name, best, lua_tostring(L, -1));
    return luaL_error(L, "unknown %s '%s' (valid names: %s)", what, name, lua_tostring(L, -1));
}

void lre_lua_suggest_names(lua_State *L, const char *what, const char *const *names)
{
    lua_createtable(L, 0, 1);
    lua_pushstring(L, what);
    lua_pushlightuserdata(L, (void *)names); /* the core's lists are static */
    lua_pushcclosure(L, unknown_name, 2);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
}

int lre_lua_argerror(lua_State *L, int arg, const char *fname, const char *msg)
{
    size_t fl = strlen(fname);
    if (strncmp(msg, fname, fl) == 0 && msg[fl] == ':' && msg[fl + 1] == ' ') msg += fl + 2;
    /* named explicitly: the called expression (lre.schedule[k]) may have no name */
    return luaL_error(L, "bad argument #%d to '%s' (%s)", arg, fname, msg);
}
