/* host.h -- the script host's internals, shared with the binary (src/cli)
 * and the benchmarks: a Lua state with lrengine preloaded, optionally
 * sandboxed, with limits. The training job does not see this header: it
 * uses lrengine_script.h, which needs no Lua.
 *
 * A host is reference counted: its creator holds one reference, and every
 * custom schedule made in it holds one (the binding's owner hooks), so the
 * state lives exactly as long as C holds the host or a schedule that calls
 * into it. */
#ifndef LRE_HOST_H
#define LRE_HOST_H

#include "lrengine_lua.h"
#include "lrengine_script.h"

typedef struct lre_host lre_host;

/* A new state: lrengine preloaded (require "lrengine" works), the standard
 * library when unsandboxed, the sandbox otherwise. `name` names the host in
 * limit messages. NULL on out of memory. */
lre_host *lre_host_new(const char *name, const lre_script_limits *limits);
/* The file name of a path ("a/b/c.lua" -> "c.lua"): how the host names a
 * script in messages, so they stay short and do not depend on where it lies. */
const char *lre_host_basename(const char *path);
lua_State *lre_host_state(lre_host *h);
const char *lre_host_name(const lre_host *h);
lre_host *lre_host_retain(lre_host *h);
void lre_host_release(lre_host *h); /* closes the state with the last reference; accepts NULL */

/* Loads and runs a file or chunk in the host (text chunks only), within the
 * limits, leaving its first result on the stack. On failure returns a code,
 * with the message. */
int lre_host_dofile(lre_host *h, const char *path, lre_error *err);
int lre_host_dostring(lre_host *h, const char *chunk, size_t len, const char *name, lre_error *err);

/* Calls the function below nargs arguments on the host's stack within the
 * limits, as lua_pcall with a message handler that adds a traceback when
 * `traceback` is set; nres results are left on success, nothing on failure. */
int lre_host_pcall(lre_host *h, int nargs, int nres, int traceback, lre_error *err);

/* The value on top of the host's stack (popped) as a schedule, or as the set
 * {lr = ..., momentum = ...}. The schedules keep the host alive. */
int lre_host_toschedule(lre_host *h, lre_schedule **out, lre_error *err);
int lre_host_toschedules(lre_host *h, lre_schedule_set *set, lre_error *err);

/* The limit that ended the current call into L's host ("... memory limit
 * of N bytes exceeded"), or NULL: the sandbox's pcall re-raises it. */
const char *lre_host_limit_hit(lua_State *L);

/* Charges n instructions' worth of work to the current call into L's host
 * and checks its limits as the count hook does (the clock once per hook
 * period of work), raising the limit hit: for C functions that do in one
 * call work the hook cannot see. */
void lre_host_charge(lua_State *L, uint64_t n);

/* Opens the sandbox's libraries in L (sandbox.c); and lrengine in
 * package.preload of an unsandboxed state (preload.c). */
int lre_sandbox_open(lua_State *L);
/* Sets find, match, gmatch and gsub in the string table on top: Lua's
 * pattern matching with every step charged (sandbox_pattern.c). */
void lre_sandbox_open_patterns(lua_State *L);
void lre_host_preload(lua_State *L);
/* The sandbox's require: lrengine and its parts only. */
int lre_sandbox_require(lua_State *L);

/* The Lua sources under lua/lrengine, compiled in (build/gen). */
typedef struct lre_embedded {
    const char *module;
    const char *source;
    size_t len;
} lre_embedded;
extern const lre_embedded lre_embedded_lua[];
/* Pushes the compiled chunk of an embedded module; 0 when there is none. */
int lre_embedded_load(lua_State *L, const char *module);

#endif
