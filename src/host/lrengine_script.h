/*
 * lrengine_script.h -- schedule scripts for C programs (liblrengine-script).
 *
 * A schedule script is a Lua chunk that returns a schedule built with
 * require "lrengine", a function(step, ctx) returning the rate, or a table
 * with at(self, step, ctx), optionally observe(self, metric, ctx) and a
 * `state` table that is saved with the schedule. The script runs in its own
 * Lua state, sandboxed, with an instruction budget per call and a memory cap;
 * the C caller gets an ordinary lre_schedule handle (eval, observe, save,
 * load, use by an optimizer) and writes no Lua itself.
 */
#ifndef LRENGINE_SCRIPT_H
#define LRENGINE_SCRIPT_H

#include "lrengine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lre_script_limits {
    size_t memory_bytes;           /* cap on the state's memory; 0 = default (64 MiB) */
    uint64_t instructions_per_call; /* budget per call into the script; 0 = default (10M) */
    int unsandboxed;               /* 1: the full standard library (trusted code only) */
} lre_script_limits;

/* Loads the script at path (or the chunk of len bytes, named `name` in
 * messages) and returns its schedule in *out. limits may be NULL. Errors (a
 * missing file, a syntax error, a runtime error, a result that is not a
 * schedule) are returned with a message naming the script. */
int lre_script_load_file(lre_schedule **out, const char *path, const lre_script_limits *limits, lre_error *err);
int lre_script_load_string(lre_schedule **out, const char *chunk, size_t len, const char *name,
                           const lre_script_limits *limits, lre_error *err);

#ifdef __cplusplus
}
#endif
#endif
