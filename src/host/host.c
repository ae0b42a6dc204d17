/* host.c -- Lua states that run schedule scripts and configs: lrengine
 * preloaded, a sandbox, an instruction budget per call, a memory cap, and an
 * interrupt for SIGINT. The model is lua.c: protected calls, messages that
 * name the chunk and line. */
#include "host.h"

#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MEMORY ((size_t)64 << 20)
#define DEFAULT_INSTRUCTIONS 10000000u
#define HOOK_EVERY 1000

struct lre_host {
    lua_State *L;
    lre_lua_env *env; /* L's binding env, looked up once */
    int refs;
    int sandboxed;
    size_t used, cap;
    int oom;                 /* the allocator refused a request */
    uint64_t budget;         /* instructions per call; 0 = none */
    int64_t remaining;
    volatile int interrupted;
    char name[128];
};

static void *host_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    lre_host *h = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        h->used -= old;
        return NULL;
    }
    if (h->cap && nsize > old && h->used + (nsize - old) > h->cap) {
        h->oom = 1;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (!p) return NULL;
    h->used = h->used - old + nsize;
    return p;
}

static lre_host *host_of(lua_State *L) { return *(lre_host **)lua_getextraspace(L); }

static void count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lre_host *h = host_of(L);
    if (h->interrupted) {
        h->interrupted = 0;
        luaL_error(L, "interrupted!");
    }
    if (h->budget) {
        h->remaining -= HOOK_EVERY;
        if (h->remaining < 0)
            luaL_error(L, "%s: instruction budget of %I per call exceeded (a runaway loop?)", h->name,
                       (lua_Integer)h->budget);
    }
}

static void before_call(lre_lua_env *env)
{
    lre_host *h = env->host;
    h->remaining = (int64_t)h->budget;
    h->oom = 0;
}

void lre_host_interrupt(lre_host *h)
{
    h->interrupted = 1;
    lua_sethook(h->L, count_hook, LUA_MASKCOUNT, 1);
}

/* Loads an embedded module's chunk: "lrengine" -> lua/lrengine/init.lua. */
static int load_embedded(lua_State *L, const char *module)
{
    for (const lre_embedded *e = lre_embedded_lua; e->module; e++) {
        if (strcmp(e->module, module) != 0) continue;
        char chunkname[96];
        snprintf(chunkname, sizeof chunkname, "=[lrengine] %s", module);
        if (luaL_loadbufferx(L, e->source, e->len, chunkname, "t") != LUA_OK) lua_error(L);
        return 1;
    }
    return 0;
}

static int preload_embedded(lua_State *L)
{
    const char *module = luaL_checkstring(L, 1);
    if (!load_embedded(L, module)) return luaL_error(L, "no embedded module %s", module);
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    return 1;
}

void lre_host_preload(lua_State *L)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_lrengine_core);
    lua_setfield(L, -2, "lrengine.core");
    for (const lre_embedded *e = lre_embedded_lua; e->module; e++) {
        lua_pushcfunction(L, preload_embedded);
        lua_setfield(L, -2, e->module);
    }
    lua_pop(L, 1);
}

/* The sandbox's require: lrengine and its parts only. */
static int sandbox_require(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, "lrengine.loaded");
    if (lua_getfield(L, -1, name) != LUA_TNIL) return 1;
    lua_pop(L, 1);
    if (strcmp(name, "lrengine.core") == 0) {
        lua_pushcfunction(L, luaopen_lrengine_core);
        lua_call(L, 0, 1);
    } else if (strncmp(name, "lrengine", 8) == 0 && load_embedded(L, name)) {
        lua_pushvalue(L, 1);
        lua_call(L, 1, 1);
    } else {
        return luaL_error(L, "module '%s' is not available to schedule scripts (only 'lrengine')", name);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, name);
    return 1;
}

/* Base functions without load, loadfile, dofile, collectgarbage; math,
 * string, table, utf8; os.clock and os.time; require limited to lrengine.
 * No io, os, debug, package. */
static int open_sandbox(lua_State *L)
{
    static const char *const removed[] = {"load", "loadfile", "dofile", "collectgarbage", NULL};
    static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},        {LUA_MATHLIBNAME, luaopen_math},
                                    {LUA_STRLIBNAME, luaopen_string}, {LUA_TABLIBNAME, luaopen_table},
                                    {LUA_UTF8LIBNAME, luaopen_utf8},  {NULL, NULL}};
    for (const luaL_Reg *lib = libs; lib->func; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
    for (const char *const *r = removed; *r; r++) {
        lua_pushnil(L);
        lua_setglobal(L, *r);
    }
    /* string.dump yields bytecode, which the sandbox never loads anyway */
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    luaL_requiref(L, "os", luaopen_os, 0);
    lua_createtable(L, 0, 2);
    lua_getfield(L, -2, "clock");
    lua_setfield(L, -2, "clock");
    lua_getfield(L, -2, "time");
    lua_setfield(L, -2, "time");
    lua_setglobal(L, "os");
    lua_pop(L, 1);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "lrengine.loaded");
    lua_pushcfunction(L, sandbox_require);
    lua_setglobal(L, "require");
    return 0;
}

static int open_full(lua_State *L)
{
    luaL_openlibs(L);
    lre_host_preload(L);
    return 0;
}

lre_host *lre_host_new(const char *name, const lre_script_limits *limits)
{
    lre_host *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->refs = 1;
    h->sandboxed = !(limits && limits->unsandboxed);
    h->cap = limits && limits->memory_bytes ? limits->memory_bytes : DEFAULT_MEMORY;
    h->budget = limits && limits->instructions_per_call ? limits->instructions_per_call : DEFAULT_INSTRUCTIONS;
    if (!h->sandboxed) h->cap = 0, h->budget = 0;
    snprintf(h->name, sizeof h->name, "%s", name ? name : "script");
    h->L = lua_newstate(host_alloc, h);
    if (!h->L) {
        free(h);
        return NULL;
    }
    *(lre_host **)lua_getextraspace(h->L) = h;
    lua_pushcfunction(h->L, h->sandboxed ? open_sandbox : open_full);
    if (lua_pcall(h->L, 0, 0, 0) != LUA_OK) {
        lua_close(h->L);
        free(h);
        return NULL;
    }
    lre_lua_env *env = lre_lua_env_get(h->L);
    h->env = env;
    env->L = h->L;
    env->host = h;
    env->before_call = before_call;
    if (h->budget) lua_sethook(h->L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
    return h;
}

lua_State *lre_host_state(lre_host *h)
{
    h->env->L = h->L;
    return h->L;
}

lre_host *lre_host_retain(lre_host *h)
{
    h->refs++;
    return h;
}

void lre_host_release(lre_host *h)
{
    if (!h || --h->refs > 0) return;
    h->env->L = h->L;
    lua_close(h->L);
    free(h);
}

static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    lua_pushstring(L, msg);
    return 1;
}

/* Runs the function on top with the budget set, keeping one result. */
static int run_chunk(lre_host *h, int status, lre_error *err)
{
    lua_State *L = h->L;
    if (status == LUA_OK) {
        before_call(lre_lua_env_get(L));
        lua_pushcfunction(L, msghandler);
        lua_insert(L, -2);
        status = lua_pcall(L, 0, 1, -2);
        lua_remove(L, -2);
    }
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        if (h->oom || status == LUA_ERRMEM)
            lre_error_set(err, LRE_ECALLBACK, "%s: memory limit of %zu bytes exceeded", h->name, h->cap);
        else
            lre_error_set(err, LRE_ECALLBACK, "%s", msg ? msg : "error");
        lua_pop(L, 1);
        return LRE_ECALLBACK;
    }
    return LRE_OK;
}

int lre_host_dofile(lre_host *h, const char *path, lre_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return lre_error_set(err, LRE_EIO, "cannot open %s", path);
    lua_State *L = lre_host_state(h);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) luaL_addlstring(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    luaL_pushresult(&b);
    if (bad) {
        lua_pop(L, 1);
        return lre_error_set(err, LRE_EIO, "cannot read %s", path);
    }
    /* the chunk is named by its file name alone: messages stay short, and
     * checkpoints and fingerprints do not depend on where the script lies */
    const char *base = strrchr(path, '/');
    size_t len;
    const char *text = lua_tolstring(L, -1, &len);
    char chunkname[160];
    snprintf(chunkname, sizeof chunkname, "@%s", base ? base + 1 : path);
    int status = luaL_loadbufferx(L, text, len, chunkname, "t");
    lua_remove(L, -2);
    return run_chunk(h, status, err);
}

int lre_host_dostring(lre_host *h, const char *chunk, size_t len, const char *name, lre_error *err)
{
    lua_State *L = lre_host_state(h);
    char chunkname[160];
    snprintf(chunkname, sizeof chunkname, "=%s", name ? name : "script");
    return run_chunk(h, luaL_loadbufferx(L, chunk, len, chunkname, "t"), err);
}

static int protected_toschedule(lua_State *L)
{
    lre_schedule **out = lua_touserdata(L, 2);
    *out = lre_lua_toschedule(L, 1, lua_tostring(L, 3));
    return 0;
}

/* ---- the schedule a host's script gave: forwards to it with the host's
 * thread current, and keeps the host alive ---- */

typedef struct script_node {
    lre_host *h;
    lre_schedule *inner;
    int64_t steps_per_epoch, total_steps;
} script_node;

static int limit_message(script_node *n, int rc, lre_error *err)
{
    if (rc && n->h->oom) {
        long long step = 0;
        const char *p = strstr(err->msg, "(step ");
        if (p) step = atoll(p + 6);
        lre_error_set(err, rc, "%s: memory limit of %zu bytes exceeded (step %lld)", n->h->name, n->h->cap, step);
    }
    return rc;
}

static int node_at(void *ud, const lre_sched_ctx *ctx, double *out, lre_error *err)
{
    script_node *n = ud;
    lre_host_state(n->h);
    if (ctx->steps_per_epoch != n->steps_per_epoch || ctx->total_steps != n->total_steps) {
        n->steps_per_epoch = ctx->steps_per_epoch;
        n->total_steps = ctx->total_steps;
        lre_schedule_set_horizon(n->inner, n->steps_per_epoch, n->total_steps);
    }
    return limit_message(n, lre_schedule_eval(n->inner, ctx->step, out, err), err);
}

static int node_observe(void *ud, double metric, const lre_sched_ctx *ctx, lre_error *err)
{
    script_node *n = ud;
    lre_host_state(n->h);
    return limit_message(n, lre_schedule_observe(n->inner, metric, ctx->step, err), err);
}

static int node_save(void *ud, lre_write_fn write, void *wud, lre_error *err)
{
    script_node *n = ud;
    lre_host_state(n->h);
    return lre_schedule_save(n->inner, write, wud, err);
}

/* Two-phase load over the inner schedule's atomic load: keep a snapshot of
 * its state, load the new one, and put the snapshot back on abort. */
static int node_prepare_load(void *ud, const void *data, size_t len, void **token, lre_error *err)
{
    script_node *n = ud;
    lre_host_state(n->h);
    lre_membuf *backup = calloc(1, sizeof *backup);
    if (!backup) return lre_error_set(err, LRE_ENOMEM, "out of memory");
    int rc = lre_schedule_save(n->inner, lre_membuf_write, backup, err);
    if (!rc) {
        lre_memreader r = {data, len, 0};
        rc = lre_schedule_load(n->inner, lre_memreader_read, &r, err);
    }
    if (rc) {
        free(backup->data);
        free(backup);
        return rc;
    }
    *token = backup;
    return LRE_OK;
}

static void node_commit_load(void *ud, void *token)
{
    (void)ud;
    lre_membuf *backup = token;
    free(backup->data);
    free(backup);
}

static void node_abort_load(void *ud, void *token)
{
    script_node *n = ud;
    lre_membuf *backup = token;
    lre_memreader r = {backup->data, backup->len, 0};
    lre_error err;
    lre_host_state(n->h);
    lre_schedule_load(n->inner, lre_memreader_read, &r, &err);
    node_commit_load(ud, token);
}

static void node_release(void *ud)
{
    script_node *n = ud;
    lre_host_state(n->h);
    lre_schedule_release(n->inner);
    lre_host_release(n->h);
    free(n);
}

static const lre_custom_vtable node_vtable = {node_at, node_observe, node_save, node_prepare_load,
                                              node_commit_load, node_abort_load, node_release};

int lre_host_toschedule(lre_host *h, const char *name, lre_schedule **out, lre_error *err)
{
    lua_State *L = lre_host_state(h);
    lre_schedule *inner = NULL;
    lua_pushcfunction(L, protected_toschedule);
    lua_insert(L, -2);
    lua_pushlightuserdata(L, &inner);
    lua_pushstring(L, name);
    if (lua_pcall(L, 3, 0, 0) != LUA_OK) {
        lre_error_set(err, LRE_EINVAL, "%s: %s", name, lua_tostring(L, -1));
        lua_pop(L, 1);
        return LRE_EINVAL;
    }
    script_node *n = calloc(1, sizeof *n);
    if (!n) {
        lre_schedule_release(inner);
        return lre_error_set(err, LRE_ENOMEM, "out of memory");
    }
    n->h = lre_host_retain(h);
    n->inner = inner;
    return lre_schedule_custom(out, name, &node_vtable, n, err);
}
