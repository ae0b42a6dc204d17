/* host.h -- the script host's internals, shared with the binary and the
 * training job: a Lua state with lrengine preloaded, optionally sandboxed,
 * with limits, whose schedules can outlive the caller's use of the state. */
#ifndef LRE_HOST_H
#define LRE_HOST_H

#include "lrengine_lua.h"
#include "lrengine_script.h"

typedef struct lre_host lre_host;

/* A new state: lrengine preloaded (require "lrengine" works), the standard
 * library when unsandboxed, the sandbox otherwise. `name` names the host in
 * limit messages. NULL on out of memory. */
lre_host *lre_host_new(const char *name, const lre_script_limits *limits);
lua_State *lre_host_state(lre_host *h);
lre_host *lre_host_retain(lre_host *h);
void lre_host_release(lre_host *h); /* closes the state with the last reference */

/* Loads and runs a file or chunk in the host (text chunks only), leaving its
 * first result on the stack. On failure returns a code, with the message. */
int lre_host_dofile(lre_host *h, const char *path, lre_error *err);
int lre_host_dostring(lre_host *h, const char *chunk, size_t len, const char *name, lre_error *err);

/* Turns the value on top of the host's stack (popped) into a schedule that
 * keeps the host alive; `name` names it in messages and fingerprints. */
int lre_host_toschedule(lre_host *h, const char *name, lre_schedule **out, lre_error *err);

/* Calls `interrupt()` from the count hook: raises "interrupted!" in the
 * state at the next hook (for SIGINT). */
void lre_host_interrupt(lre_host *h);

/* The Lua sources under lua/lrengine, compiled in (build/gen). */
typedef struct lre_embedded {
    const char *module;
    const char *source;
    size_t len;
} lre_embedded;
extern const lre_embedded lre_embedded_lua[];

/* Registers lrengine (C core and embedded Lua parts) in package.preload of
 * an unsandboxed state. */
void lre_host_preload(lua_State *L);

#endif
