/* lrengine_lua.h -- the Lua binding's internal interface, shared by its files
 * and by the script host (src/host), which reuses it to turn a script's
 * result into a schedule. */
#ifndef LRENGINE_LUA_H
#define LRENGINE_LUA_H

#include "lrengine.h"

#include <lauxlib.h>
#include <lua.h>

#define LRE_TENSOR_MT "lrengine.tensor"
#define LRE_SCHEDULE_MT "lrengine.schedule"
#define LRE_OPTIM_MT "lrengine.optim"

/* One per Lua universe (stored in its registry): which thread calls into
 * custom schedules now, and the script host's hook run before every call into
 * user Lua (it resets the instruction budget). */
typedef struct lre_lua_env {
    lua_State *L;
    void (*before_call)(struct lre_lua_env *env);
    void *host;
} lre_lua_env;

/* The env of L's universe, created on first use; and the entry point of
 * every binding function that may run custom schedules: it records L as the
 * calling thread. */
lre_lua_env *lre_lua_env_get(lua_State *L);
#define LRE_LUA_ENTER(L) (lre_lua_env_get(L)->L = (L))

typedef struct lre_tensor {
    size_t n;
    lre_dtype dtype;
    void *data;
} lre_tensor;

lre_tensor *lre_lua_checktensor(lua_State *L, int idx);
lre_tensor *lre_lua_newtensor(lua_State *L, size_t n, lre_dtype dtype);

/* The schedule at idx: a schedule object, a number (a constant), a function
 * function(step, ctx) or a table with at(self, step, ctx). Returns a new
 * reference owned by the caller; raises a Lua error naming argument `arg`
 * (of function `fname`) otherwise. `name` names a function or table schedule
 * in messages and fingerprints (the script's name); NULL for "function". */
lre_schedule *lre_lua_toschedule(lua_State *L, int idx, const char *name);

/* The function or table at idx as a custom schedule (custom_lua.c). */
lre_schedule *lre_lua_custom_schedule(lua_State *L, int idx, const char *name);

/* Pushes a schedule object that owns one new reference to s. */
void lre_lua_pushschedule(lua_State *L, lre_schedule *s);
lre_schedule *lre_lua_checkschedule(lua_State *L, int idx);

/* Serialises the value at idx (numbers, strings, booleans and tables of them)
 * into a buffer (pushes a string); and parses one back (pushes the value).
 * Keys are written in sorted order so equal tables give equal bytes. Both
 * raise a Lua error on bad input. */
void lre_lua_encode(lua_State *L, int idx, const char *what);
void lre_lua_decode(lua_State *L, const char *data, size_t len);

/* Raises a Lua error for a failed core call. */
int lre_lua_error(lua_State *L, const char *fname, const char *msg);


/* The pieces of the module. */
void lre_lua_open_tensor(lua_State *L);   /* sets fields of the table on top */
void lre_lua_open_schedule(lua_State *L); /* sets .schedule */
void lre_lua_open_optim(lua_State *L);    /* sets .optim */

int luaopen_lrengine_core(lua_State *L);

#endif
