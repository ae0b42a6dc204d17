/* host.c -- Lua states that run schedule scripts and configs: the state's
 * lifetime, its memory cap, and the limits of every call into it (an
 * instruction budget, a wall-clock deadline, the stop flag for SIGINT). The
 * model is lua.c: protected calls, messages that name the chunk and line.
 *
 * A limit, once hit, ends the call: the hook fires at every instruction
 * from then on and the sandbox's pcall and xpcall re-raise (sandbox.c), so
 * a script cannot catch it and carry on. */
#include "host.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <fcntl.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_INSTRUCTIONS 10000000u
#define DEFAULT_SECONDS 5.0
#define HOOK_EVERY 1000

/* The allocator of the engine's objects made in a host (optimizers,
 * schedules): the state's own, so that the memory cap counts them. They may
 * outlive the state (a schedule a script returned to C), so the meter lives
 * until both the host and its last block are gone, and once the host is
 * gone allocates with plain malloc. */
typedef struct engine_meter {
    struct lre_host *h; /* NULL once the state is closed */
    size_t blocks;      /* live blocks */
} engine_meter;

struct lre_host {
    lua_State *L;
    engine_meter *meter;
    lre_allocator engine_alloc; /* through the meter */
    lre_lua_env *env; /* L's binding env, looked up once */
    int refs;
    int custom;     /* of the refs, those of custom schedules (the binding's owner hooks) */
    int collecting; /* in release's collection: no closing from inside it */
    int closing;
    int sandboxed;
    size_t used, cap;
    uint64_t budget; /* instructions per call; 0 = none */
    int64_t remaining;
    double seconds, deadline; /* per call; the current call's end (monotonic) */
    uint64_t unclocked;       /* work charged since the clock was last read */
    volatile int *stop;
    char limit[LRE_ERRMSG_SIZE]; /* the limit that ended the current call, or "" */
    char name[128];
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static lre_host *host_of(lua_State *L) { return *(lre_host **)lua_getextraspace(L); }

/* Counts n instructions' worth of work against the current call and, when
 * `clock` is set, reads the clock (starting it at the call's first reading).
 * Records the limit the call has run into (the first one) in h->limit and
 * returns whether there is one. */
static int exceeded(lre_host *h, uint64_t n, int clock)
{
    if (h->limit[0]) return 1;
    if (h->stop && *h->stop) {
        snprintf(h->limit, sizeof h->limit, "interrupted!");
        return 1;
    }
    if (h->budget) {
        h->remaining -= n < h->budget ? (int64_t)n : (int64_t)h->budget;
        if (h->remaining < 0) {
            snprintf(h->limit, sizeof h->limit, "%s: instruction budget of %llu per call exceeded (a runaway loop?)",
                     h->name, (unsigned long long)h->budget);
            return 1;
        }
    }
    if (h->seconds > 0 && clock) {
        /* the clock starts at a call's first tick: a short call never reads it */
        double t = now();
        if (h->deadline == 0) h->deadline = t + h->seconds;
        else if (t > h->deadline) {
            snprintf(h->limit, sizeof h->limit, "%s: time limit of %g s per call exceeded", h->name, h->seconds);
            return 1;
        }
    }
    return 0;
}

/* Allocations from this size on are work the count hook cannot see (one
 * instruction copying megabytes): charged at one instruction per 64 bytes. */
#define ALLOC_CHARGED ((size_t)64 << 10)

static void *host_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    lre_host *h = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        h->used -= old;
        return NULL;
    }
    if (h->cap && nsize > old && (nsize - old > h->cap || h->used + (nsize - old) > h->cap)) {
        if (!h->limit[0])
            snprintf(h->limit, sizeof h->limit, "%s: memory limit of %zu bytes exceeded", h->name, h->cap);
        return NULL;
    }
    /* a large block during a call (a frame on the stack: not the parser,
     * not lua_close) is work: past a limit it fails, and the call ends on
     * that limit as on the memory cap */
    lua_Debug ar;
    if (nsize > old && nsize - old >= ALLOC_CHARGED && h->L && lua_getstack(h->L, 0, &ar) &&
        exceeded(h, (nsize - old) / 64, 1))
        return NULL;
    void *p = realloc(ptr, nsize);
    if (!p) return NULL;
    h->used = h->used - old + nsize;
    return p;
}

static void *meter_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    engine_meter *m = ud;
    void *p;
    if (m->h) {
        p = host_alloc(m->h, ptr, osize, nsize);
    } else if (nsize == 0) {
        free(ptr);
        p = NULL;
    } else {
        p = realloc(ptr, nsize);
    }
    if (!ptr && p) m->blocks++;
    else if (ptr && nsize == 0) m->blocks--;
    if (!m->h && m->blocks == 0) free(m);
    return p;
}

/* Records the limit hit (the first one of the call) and raises it; the hook
 * then fires at every instruction, so the error is raised again wherever a
 * script would catch it. */
static void raise_limit(lua_State *L, lre_host *h, const char *fmt, ...)
{
    if (!h->limit[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(h->limit, sizeof h->limit, fmt, ap);
        va_end(ap);
    }
    lua_sethook(L, lua_gethook(L), LUA_MASKCOUNT, 1);
    lua_pushstring(L, h->limit);
    lua_error(L);
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lre_host *h = host_of(L);
    h->unclocked = 0;
    if (exceeded(h, HOOK_EVERY, 1)) raise_limit(L, h, "%s", h->limit);
}

void lre_host_charge(lua_State *L, uint64_t n)
{
    lre_host *h = host_of(L);
    if (!h) return;
    int clock = (h->unclocked += n) >= HOOK_EVERY;
    if (clock) h->unclocked = 0;
    if (exceeded(h, n, clock)) raise_limit(L, h, "%s", h->limit);
}

/* Starts the limits of a call into the state. */
static void begin_call(lre_host *h)
{
    h->remaining = (int64_t)h->budget;
    h->deadline = 0;
    h->unclocked = 0;
    if (h->limit[0]) { /* the last call ended on a limit: back to the normal period */
        h->limit[0] = 0;
        lua_sethook(h->L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
    }
}

const char *lre_host_limit_hit(lua_State *L)
{
    lre_host *h = host_of(L);
    return h && h->limit[0] ? h->limit : NULL;
}

/* ---- the binding's owner hooks ---- */

static void unref(lre_host *h, int custom);
static void env_retain(void *owner)
{
    lre_host *h = owner;
    h->custom++;
    lre_host_retain(h);
}
static void env_release(void *owner) { unref(owner, 1); }
/* Only a call from C starts new limits: a script that calls its own schedule
 * (sched:at(t) in a loop) stays within the limits of the call it runs in. */
static void env_before_call(lre_lua_env *env)
{
    lua_Debug ar;
    if (!lua_getstack(lre_lua_thread(env), 0, &ar)) begin_call(env->owner);
}
static const char *env_limit_error(lre_lua_env *env)
{
    lre_host *h = env->owner;
    return h->limit[0] ? h->limit : NULL;
}
static void env_charge(lre_lua_env *env, lua_State *L, uint64_t n)
{
    (void)env;
    lre_host_charge(L, n);
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
    h->stop = limits ? limits->stop : NULL;
    if (!h->sandboxed) {
        h->cap = limits->memory_bytes; /* 0: none */
    } else {
        h->cap = limits && limits->memory_bytes ? limits->memory_bytes : LRE_SCRIPT_DEFAULT_MEMORY;
        h->budget = limits && limits->instructions_per_call ? limits->instructions_per_call : DEFAULT_INSTRUCTIONS;
        h->seconds = limits && limits->seconds_per_call > 0 ? limits->seconds_per_call : DEFAULT_SECONDS;
    }
    snprintf(h->name, sizeof h->name, "%s", name ? name : "script");
    h->meter = calloc(1, sizeof *h->meter);
    h->L = h->meter ? lua_newstate(host_alloc, h) : NULL;
    if (!h->L) {
        free(h->meter);
        free(h);
        return NULL;
    }
    h->meter->h = h;
    h->engine_alloc.realloc = meter_alloc;
    h->engine_alloc.ud = h->meter;
    *(lre_host **)lua_getextraspace(h->L) = h;
    lua_pushcfunction(h->L, h->sandboxed ? lre_sandbox_open : open_full);
    if (lua_pcall(h->L, 0, 0, 0) != LUA_OK) {
        lua_close(h->L);
        free(h->meter); /* nothing was allocated through it yet */
        free(h);
        return NULL;
    }
    lre_lua_env *env = lre_lua_env_get(h->L); /* created by the opening above */
    h->env = env;
    env->owner = h;
    env->retain = env_retain;
    env->release = env_release;
    env->before_call = env_before_call;
    env->limit_error = env_limit_error;
    env->alloc = &h->engine_alloc;
    env->charge = env_charge;
    if (h->budget || h->seconds > 0 || h->stop) lua_sethook(h->L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
    return h;
}

lua_State *lre_host_state(lre_host *h) { return h->L; }

const char *lre_host_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}
const char *lre_host_name(const lre_host *h) { return h->name; }

lre_host *lre_host_retain(lre_host *h)
{
    h->refs++;
    return h;
}

/* Closing runs the finalizers of the state's objects, which release custom
 * schedules, whose release hook comes back here: `closing` ends that. */
/* C is done with the state but for the custom schedules it may hold,
 * which reach what they need through references of their own (their
 * functions and upvalues, their state tables): the globals and the tables of
 * loaded modules are roots only C could still use. They are replaced by
 * empty tables (a function that reads globals keeps its own _ENV), and a
 * full collection frees what only they and the finished script held. */
static int drop_roots(lua_State *L)
{
    lua_newtable(L);
    lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "lrengine.loaded");
    return 0;
}

/* When the last reference that is not a custom schedule's goes (the
 * creator's), the custom schedules left may be held only by the state's own
 * objects -- a schedule object in a config's table or in a global, in a
 * finished program's locals -- a cycle through C that would keep the state
 * alive forever. Dropping the roots C no longer uses and collecting frees
 * those; the ones C holds stay, and keep the state. */
static void unref(lre_host *h, int custom)
{
    if (!h || h->closing) return;
    if (custom) h->custom--;
    if (--h->refs > 0) {
        if (custom || h->collecting || h->refs != h->custom) return;
        h->collecting = 1;
        begin_call(h); /* no limit left over from the last call */
        if (lua_checkstack(h->L, 2)) {
            lua_pushcfunction(h->L, drop_roots);
            if (lua_pcall(h->L, 0, 0, 0) != LUA_OK) lua_pop(h->L, 1);
        }
        lua_gc(h->L, LUA_GCCOLLECT);
        h->collecting = 0;
        if (h->refs > 0) return;
    }
    if (h->collecting) return; /* the collection above closes it when it is over */
    h->closing = 1;
    h->env->current = NULL;
    lua_close(h->L);
    engine_meter *m = h->meter; /* objects still alive free it with their last block */
    m->h = NULL;
    if (m->blocks == 0) free(m);
    free(h);
}

void lre_host_release(lre_host *h) { unref(h, 0); }

static int msghandler(lua_State *L)
{
    const char *limit = lre_host_limit_hit(L);
    const char *msg = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : NULL;
    if (limit) msg = limit;
    /* not converted: its __tostring would be user code run while reporting */
    if (!msg) msg = lua_pushfstring(L, "%s: error object is a %s value", host_of(L)->name, luaL_typename(L, 1));
    if (lua_toboolean(L, lua_upvalueindex(1))) luaL_traceback(L, L, msg, 1);
    else lua_pushstring(L, msg);
    return 1;
}

int lre_host_pcall(lre_host *h, int nargs, int nres, int traceback, lre_error *err)
{
    lua_State *L = h->L;
    if (!lua_checkstack(L, 2)) return lre_error_set(err, LRE_ENOMEM, "%s: Lua stack overflow", h->name);
    int base = lua_gettop(L) - nargs;
    lua_pushboolean(L, traceback);
    lua_pushcclosure(L, msghandler, 1);
    lua_insert(L, base);
    begin_call(h);
    int status = lua_pcall(L, nargs, nres, base);
    lua_remove(L, base);
    if (status == LUA_OK) return LRE_OK;
    const char *msg = lua_tostring(L, -1); /* the handler made it a string, or it is "not enough memory" */
    if (h->limit[0]) lre_error_set(err, LRE_ECALLBACK, "%s", h->limit);
    else if (status == LUA_ERRMEM) lre_error_set(err, LRE_ENOMEM, "%s: out of memory", h->name);
    else lre_error_set(err, LRE_ECALLBACK, "%s", msg ? msg : "error");
    lua_pop(L, 1);
    return err ? err->code : LRE_ECALLBACK;
}

/* Loads a chunk, then runs it keeping one result. */
static int run_loaded(lre_host *h, int status, lre_error *err)
{
    if (status != LUA_OK) {
        const char *msg = lua_tostring(h->L, -1);
        if (!msg) msg = "syntax error";
        /* a syntax error names the chunk and line; "attempt to load a binary
         * chunk" and the parser's "C stack overflow" name nothing */
        size_t nl = strlen(h->name);
        int named = !strncmp(msg, h->name, nl) && msg[nl] == ':';
        int rc = status == LUA_ERRMEM ? lre_error_set(err, LRE_ENOMEM, "%s: out of memory loading the script", h->name)
                 : named              ? lre_error_set(err, LRE_ECALLBACK, "%s", msg)
                                      : lre_error_set(err, LRE_ECALLBACK, "%s: %s", h->name, msg);
        lua_pop(h->L, 1);
        return rc;
    }
    return lre_host_pcall(h, 0, 1, 0, err);
}

int lre_host_dofile(lre_host *h, const char *path, lre_error *err)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK); /* a FIFO is refused below, not waited on */
    if (fd < 0) return lre_error_set(err, LRE_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return lre_error_set(err, LRE_EIO, "%s: not a regular file", path);
    }
    size_t limit = h->cap ? h->cap : (size_t)1 << 30;
    if ((uintmax_t)st.st_size > limit) {
        close(fd);
        return lre_error_set(err, LRE_EINVAL, "%s: a script of %jd bytes is larger than the %s of %zu bytes", path,
                             (intmax_t)st.st_size, h->cap ? "memory limit" : "limit", limit);
    }
    size_t len = (size_t)st.st_size, got = 0;
    char *text = malloc(len ? len : 1);
    if (!text) {
        close(fd);
        return lre_error_set(err, LRE_ENOMEM, "%s: out of memory reading the script", path);
    }
    while (got < len) {
        ssize_t r = read(fd, text + got, len - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    int bad = got != len ? errno : 0;
    close(fd);
    if (got != len) {
        free(text);
        return lre_error_set(err, LRE_EIO, "cannot read %s: %s", path, bad ? strerror(bad) : "the file shrank");
    }
    char chunkname[160];
    snprintf(chunkname, sizeof chunkname, "@%s", lre_host_basename(path));
    int status = luaL_loadbufferx(h->L, text, len, chunkname, "t");
    free(text);
    return run_loaded(h, status, err);
}

int lre_host_dostring(lre_host *h, const char *chunk, size_t len, const char *name, lre_error *err)
{
    char chunkname[160];
    snprintf(chunkname, sizeof chunkname, "=%s", name ? name : "script");
    return run_loaded(h, luaL_loadbufferx(h->L, chunk, len, chunkname, "t"), err);
}
