/* lrengine_lua.h -- the Lua binding's internal interface, shared by its files
 * and by the script host (src/host), which reuses it to turn a script's
 * result into a schedule and to keep its Lua state alive while the engine
 * holds schedules that call into it. */
#ifndef LRENGINE_LUA_H
#define LRENGINE_LUA_H

#include "lrengine.h"

#include <lauxlib.h>
#include <lua.h>

#define LRE_TENSOR_MT "lrengine.tensor"
#define LRE_SCHEDULE_MT "lrengine.schedule"
#define LRE_OPTIM_MT "lrengine.optim"

/* ---- the binding's environment (env.c) ----
 *
 * One per Lua universe, kept in its registry. Custom schedules call into Lua
 * on the thread that is calling the engine right now (set between
 * lre_lua_enter and lre_lua_leave by every binding function that may run
 * them), and otherwise, when C calls the engine directly, on the main
 * thread: never on a thread that may have died.
 *
 * The owner hooks let an embedder (the script host) tie its own lifetime to
 * the binding's: every custom schedule retains the owner when it is made
 * and releases it when the engine releases the schedule; before_call runs
 * before every call into user Lua (the host resets its limits there), and
 * limit_error names the limit that stopped the last call, if one did.
 *
 * The engine's objects made in the universe (optimizers, schedules: their
 * state, lists and buffers) allocate through `alloc`, or when it is NULL
 * through the Lua state's own allocator (lua_getallocf), so that what limits
 * the state's memory limits them too. Objects may outlive the state (a
 * schedule a script returned to C): an embedder whose allocator's ud dies
 * with the state gives an `alloc` that outlives it. */
typedef struct lre_lua_env {
    lua_State *main;    /* the universe's main thread */
    lua_State *current; /* the thread calling the engine; NULL when C calls it */
    void *owner;
    void (*retain)(void *owner);
    void (*release)(void *owner);
    void (*before_call)(struct lre_lua_env *env);
    const char *(*limit_error)(struct lre_lua_env *env);
    const lre_allocator *alloc;
    /* Charges n instructions' worth of work done in C to the call running
     * in L, raising the limit it runs into (the host's budget); may be NULL. */
    void (*charge)(struct lre_lua_env *env, lua_State *L, uint64_t n);
    int depth, too_deep; /* calls into custom schedules under way; their nesting limit hit (custom_lua.c) */
} lre_lua_env;

lre_lua_env *lre_lua_env_get(lua_State *L);
/* The thread custom schedules of env call into now. */
lua_State *lre_lua_thread(const lre_lua_env *env);
/* Brackets a core call that may run custom schedules; no Lua error may be
 * raised in between (raise after lre_lua_leave). */
lua_State *lre_lua_enter(lua_State *L);
void lre_lua_leave(lua_State *L, lua_State *previous);
/* The allocator of the engine's objects made in L's universe (see above). */
lre_allocator lre_lua_allocator(lua_State *L);
/* Charges the work of one call into the engine (n instructions' worth: an
 * element updated or a schedule node evaluated is one) through the env's
 * charge hook, before the call: the count hook sees none of it. */
void lre_lua_charge(lua_State *L, double n);
/* What reading an entry through a metamethod is charged: a function call
 * (some 50 ns even for a C function, where a Lua instruction takes 5). */
#define LRE_LUA_CHARGE_METAMETHOD 8
/* Charges reading n entries of the table at idx: a sixteenth of an
 * instruction each from a plain table, LRE_LUA_CHARGE_METAMETHOD from one
 * with a metatable (its __index may be called for every entry). */
void lre_lua_charge_entries(lua_State *L, int idx, double n);
/* The same three given L's env, which objects called once a step keep from
 * their creation (their universe's env outlives them): lre_lua_env_get is
 * a lookup in the registry, about 140 instructions, three times a call. */
static inline lua_State *lre_lua_env_enter(lre_lua_env *env, lua_State *L)
{
    lua_State *previous = env->current;
    env->current = L;
    return previous;
}
static inline void lre_lua_env_leave(lre_lua_env *env, lua_State *previous) { env->current = previous; }
void lre_lua_env_charge(lre_lua_env *env, lua_State *L, double n);
/* Sets the functions l into the table on top, each holding the metatable at
 * mt (upvalue 1) and the class's cell of its last checked object (upvalue 2):
 * for a class's metamethods and methods, so lre_lua_self and
 * lre_lua_self_forget work in each. */
void lre_lua_setmethods(lua_State *L, int mt, const luaL_Reg *l);
/* The userdata at index 1 when its metatable is the one the running C
 * function holds (lre_lua_setmethods), else NULL: the check of methods called
 * once a step. The object it last accepted passes on its address alone: about
 * 90 instructions where comparing metatables takes 170 (and luaL_checkudata,
 * which looks the metatable up in the registry by name, more). */
void *lre_lua_self(lua_State *L);
/* Called by the class's __gc (and close) before u's memory can be freed. */
void lre_lua_self_forget(lua_State *L, const void *u);

/* ---- shared helpers (env.c) ---- */

/* Reads the list at idx (a sequence of numbers) into a userdata pushed on the
 * stack; raises "bad argument #arg to 'fname' (what[i] must be a number, got
 * TYPE)", or "... (what has a bad length (N))" before reading any item. */
double *lre_lua_checknumbers(lua_State *L, int idx, int arg, const char *fname, const char *what, size_t *n);
/* The same for a list that may also hold strings (durations): sets *has_text
 * when it does; the length is checked, charged and allocated before any item
 * is read, as for numbers. */
double *lre_lua_checklist(lua_State *L, int idx, int arg, const char *fname, const char *what, size_t *n,
                          int *has_text);
/* Raises "bad argument #arg to 'fname' (msg)", msg stripped of the core's
 * "fname: " prefix: the one shape of every argument error of the binding. */
int lre_lua_argerror(lua_State *L, int arg, const char *fname, const char *msg);

/* Gives the table on top a metatable whose __index raises "unknown WHAT
 * 'name' (did you mean 'x'?; valid names: ...)" for a missing name: so
 * lre.schedule.cosin{} says what is wrong instead of calling nil. */
void lre_lua_suggest_names(lua_State *L, const char *what, const char *const *names);

/* The load flags of an optional options table {hparams = "saved"|"current"}
 * at idx (argument of `fname`): LRE_LOAD_SAVED_HPARAMS when absent
 * (optim_lua.c). */
unsigned lre_lua_load_flags(lua_State *L, int idx, const char *fname);

/* ---- tensors (tensor.c) ---- */

/* A flat buffer of n elements with a shape: a vector (ndim 1) or a matrix
 * of rows x cols stored row-major (ndim 2); rows * cols == n (a vector is
 * 1 x n). */
typedef struct lre_tensor {
    size_t n;
    lre_dtype dtype;
    void *data;
    size_t rows, cols;
    int ndim;
} lre_tensor;

lre_tensor *lre_lua_checktensor(lua_State *L, int idx);
lre_tensor *lre_lua_newtensor(lua_State *L, size_t n, lre_dtype dtype);

/* ---- schedules (schedule_lua.c, custom_lua.c) ---- */

/* The schedule at idx: a schedule object, a number (a constant), a function
 * function(step, ctx) or a table with at(self, step, ctx). Returns a new
 * reference owned by the caller; raises a Lua error otherwise. `name` names a
 * function or table schedule: its identity in saved state (NULL: its kind,
 * "function" or "table") and its label in messages (NULL: "source:line"). */
lre_schedule *lre_lua_toschedule(lua_State *L, int idx, const char *name);

/* The function or table at idx as a custom schedule (custom_lua.c). */
lre_schedule *lre_lua_custom_schedule(lua_State *L, int idx, const char *name);

/* A script's own events (event_lua.c): ctx.event(name, fields), checked
 * (a name of letters, digits, '_', '.', '-' up to 32 bytes and not one of the
 * engine's events; at most 8 fields named like it, not step, epoch, event or
 * node, each a number, a boolean or a string of at most 200 bytes) and
 * rate-limited per schedule: a burst of LRE_LUA_EVENT_BURST, then one per
 * LRE_LUA_EVENT_EVERY steps; what is dropped is counted in the next event's
 * `dropped` field. Reported through the context of the call in progress. */
#define LRE_LUA_EVENT_BURST 16
#define LRE_LUA_EVENT_EVERY 100
typedef struct lre_lua_events {
    const lre_sched_ctx *ctx; /* the call in progress; NULL between calls */
    int64_t tokens; /* in steps: LRE_LUA_EVENT_EVERY of them make one event */
    int64_t last_step;
    long long dropped;
    int started;
} lre_lua_events;
/* Pushes ctx.event for ev; `owner` (an index) is kept alive by it. */
void lre_lua_push_event_fn(lua_State *L, lre_lua_events *ev, int owner);

/* opt:on_event(fn) (event_lua.c): the optimizer's events (lre_optim_set_events)
 * are copied into a queue while the core runs, and handed to fn once the
 * core call has returned, so that Lua never runs, or raises, inside core
 * frames. An item that cannot be copied (out of memory) is counted in
 * `lost`, reported as an error at delivery. */
typedef struct lre_lua_evq {
    struct lre_lua_evitem **item;
    size_t n, head, cap;
    long long lost;
} lre_lua_evq;
/* An lre_optim_event_fn; ud is the queue. */
void lre_lua_evq_record(void *ud, const lre_event *ev, const char *hparam, int group);
/* Calls the function in the registry at ref with each queued event, in
 * order: {name, step, path, hp, group, and the event's fields}. An error of
 * the function drops the events after it and propagates; fname names the
 * call in the error for lost events. */
void lre_lua_evq_deliver(lua_State *L, lre_lua_evq *q, const int *ref, const char *fname);
/* Frees every queued event. */
void lre_lua_evq_clear(lre_lua_evq *q);

/* Pushes a schedule object that owns one new reference to s. */
void lre_lua_pushschedule(lua_State *L, lre_schedule *s);
lre_schedule *lre_lua_checkschedule(lua_State *L, int idx);

/* The nodes a schedule value evaluates per step, an inner schedule counted
 * once per place it appears (1 for a function, table or number): the core
 * evaluates a tree that shares a product's children as a tree, so sharing
 * makes evaluation exponential in the nesting. Trees beyond
 * LRE_LUA_MAX_NODES are refused; calls are charged by it. A schedule object
 * that C pushed counts 1 until told otherwise. */
#define LRE_LUA_MAX_NODES 10000
double lre_lua_schedule_nodes(lua_State *L, int idx);
void lre_lua_set_schedule_nodes(lua_State *L, int idx, double nodes);

/* Serialises the value at idx (numbers, strings, booleans and tables of them)
 * into a string (pushed); and parses one back (pushes the value). Keys are
 * written in sorted order so equal tables give equal bytes. Both raise a Lua
 * error naming the path (state.a.b) on bad input (state_codec.c). */
void lre_lua_encode(lua_State *L, int idx, const char *what);
void lre_lua_decode(lua_State *L, const char *data, size_t len);

/* ---- optimizers (optim_lua.c, clip_lua.c) ---- */

/* The optimizer at idx, alive and not running (raises an error otherwise). */
lre_optim *lre_lua_checkoptim(lua_State *L, int idx);
/* Applies the constructor table t's `clip` and `guard` to o; errors name `kind`. */
void lre_lua_clip_options(lua_State *L, lre_optim *o, const char *kind, int t);
/* Adds opt:set_clip, set_guard, grad_norm, clip_coef and guard to the
 * methods table on top of the stack. */
void lre_lua_clip_methods(lua_State *L);
/* A guard(ctx) function at idx as the core's custom guard: a schedule whose
 * value is 1 ("keep" or nil), 0 ("skip") or the scale returned. */
lre_schedule *lre_lua_toguard(lua_State *L, int idx);

/* The pieces of the module. */
void lre_lua_open_tensor(lua_State *L);   /* sets fields of the table on top */
void lre_lua_open_schedule(lua_State *L); /* sets .schedule */
void lre_lua_open_duration(lua_State *L); /* sets .duration */
/* s:plan([horizon]): the method resolving a schedule's durations (duration_lua.c). */
int lre_lua_schedule_plan(lua_State *L);
void lre_lua_open_optim(lua_State *L);    /* sets .optim */

int luaopen_lrengine_core(lua_State *L);

#endif
