/*
 * lrengine_script.h -- schedule scripts and configs for C programs
 * (liblrengine-script). No Lua header is needed to use it.
 *
 * A schedule script is a Lua chunk that returns a schedule built with
 * require "lrengine", a function(step, ctx) returning the rate, or a table
 * with at(self, step, ctx), optionally observe(self, metric, ctx) and a
 * `state` table that is saved with the schedule. It may also return a table
 * of such schedules by hyper-parameter: {lr = ..., momentum = ...}.
 *
 * The script runs in its own Lua state, sandboxed, with an instruction
 * budget per call and a memory cap; the C caller gets ordinary lre_schedule
 * handles (eval, observe, save, load, use by an optimizer) and writes no Lua.
 * The state lives as long as a schedule it made is held.
 *
 * A config is a script returning a table of settings; lre_script_open runs
 * one and lets C read its values by path ("data.dir", "model.hidden[2]").
 *
 * Thread safety: a script and the schedules it made share one Lua state, so
 * they must be used from one thread at a time; distinct scripts are
 * independent.
 */
#ifndef LRENGINE_SCRIPT_H
#define LRENGINE_SCRIPT_H

#include "lrengine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LRE_SCRIPT_DEFAULT_MEMORY ((size_t)64 << 20) /* a state's memory when its limits give none */

typedef struct lre_script_limits {
    size_t memory_bytes;            /* cap on the state's memory; 0 = default (LRE_SCRIPT_DEFAULT_MEMORY),
                                       or none when unsandboxed */
    uint64_t instructions_per_call; /* budget per call into the script; 0 = default (10M) */
    int unsandboxed;                /* 1: the full standard library, no limits but memory_bytes when given
                                       (trusted code only) */
    double seconds_per_call;        /* wall-clock deadline per call; 0 = default (5 s) */
    volatile int *stop;             /* when set and *stop becomes non-zero, running Lua code
                                       raises "interrupted!" (for SIGINT); may be NULL */
} lre_script_limits;

/* Loads the script at path (or the chunk of len bytes, named `name` in
 * messages) and returns its schedule in *out. limits may be NULL. Errors (a
 * missing file, a syntax error, a runtime error, a result that is not a
 * schedule) are returned with a message naming the script. */
int lre_script_load_file(lre_schedule **out, const char *path, const lre_script_limits *limits, lre_error *err);
int lre_script_load_string(lre_schedule **out, const char *chunk, size_t len, const char *name,
                           const lre_script_limits *limits, lre_error *err);

/* The schedules a script gives, by hyper-parameter: "lr" first, then the
 * others by name. */
#define LRE_SCHEDULE_SET_MAX 8
typedef struct lre_schedule_set {
    int n;
    char name[LRE_SCHEDULE_SET_MAX][32];
    lre_schedule *s[LRE_SCHEDULE_SET_MAX];
} lre_schedule_set;

int lre_script_load_schedules(const char *path, const lre_script_limits *limits, lre_schedule_set *set,
                              lre_error *err);
void lre_schedule_set_free(lre_schedule_set *set); /* releases and empties; accepts an empty set */

/* ---- configs: a script's result, read from C ---- */

typedef struct lre_script lre_script;

/* Runs the script at path and keeps its result. The script's name in
 * messages is its file name. */
int lre_script_open(lre_script **out, const char *path, const lre_script_limits *limits, lre_error *err);
/* The same for a chunk of len bytes, named `name` in messages (a config
 * recorded in a checkpoint). */
int lre_script_open_string(lre_script **out, const char *chunk, size_t len, const char *name,
                           const lre_script_limits *limits, lre_error *err);
void lre_script_close(lre_script *s); /* accepts NULL */
const char *lre_script_name(const lre_script *s);

/* Values of the result by path: "" is the result, "a.b" a field of a field,
 * "a[2]" an element of a list. Reads are raw: no metamethod of the script
 * runs. */
typedef enum lre_value_type {
    LRE_VNIL = 0,
    LRE_VBOOLEAN,
    LRE_VNUMBER,
    LRE_VSTRING,
    LRE_VTABLE,
    LRE_VFUNCTION,
    LRE_VOTHER /* userdata (a schedule object...), thread */
} lre_value_type;

lre_value_type lre_script_type(lre_script *s, const char *path);
/* A number (integers converted exactly when they fit a double's mantissa,
 * else rounded); 0, or LRE_EINVAL when the value is not a number. */
int lre_script_number(lre_script *s, const char *path, double *out);
/* A whole number in [lo, hi] (a Lua integer, or a float with an integral
 * value in range); LRE_EINVAL otherwise (NaN, infinity, 1e300, 2.5...). */
int lre_script_integer(lre_script *s, const char *path, int64_t lo, int64_t hi, int64_t *out);
int lre_script_boolean(lre_script *s, const char *path, int *out);
/* The string at path (valid until lre_script_close), or NULL. */
const char *lre_script_string(lre_script *s, const char *path, size_t *len);
/* The raw length of the table at path (its border), or -1. */
int64_t lre_script_length(lre_script *s, const char *path);
/* The keys of the table at path, sorted: the count, with their names in
 * *keys (valid until the next call on s). A table with a key that is not a
 * string (beyond its list part 1..length) is LRE_EINVAL with a message. */
int lre_script_keys(lre_script *s, const char *path, const char *const **keys, size_t *n, lre_error *err);
/* The schedule or table of schedules at path (as lre_script_load_schedules). */
int lre_script_schedules(lre_script *s, const char *path, lre_schedule_set *set, lre_error *err);
/* The function guard(ctx) at path as a spike guard's script for
 * lre_optim_set_guard(o, "custom", ...): a schedule whose value is 1 when
 * the function returns "keep" (or nil), 0 for "skip", else the scale it
 * returns (> 0). It runs in the script's sandbox, within its limits, and
 * sees ctx.grad_norm, ctx.loss, ctx.step and ctx.state (saved). */
int lre_script_guard(lre_script *s, const char *path, lre_schedule **out, lre_error *err);

#ifdef __cplusplus
}
#endif
#endif
