/* script.c -- the public entry points of lrengine_script.h for single
 * schedules: a script file or chunk in a fresh host, its result as a
 * schedule that keeps the host alive. */
#include "host.h"

#include <stdio.h>
#include <string.h>

static int load(lre_schedule **out, const char *path, const char *chunk, size_t len, const char *name,
                const lre_script_limits *limits, lre_error *err)
{
    *out = NULL;
    if (path) name = lre_host_basename(path);
    lre_host *h = lre_host_new(name, limits);
    if (!h) return lre_error_set(err, LRE_ENOMEM, "%s: out of memory", name);
    int rc = path ? lre_host_dofile(h, path, err) : lre_host_dostring(h, chunk, len, name, err);
    if (!rc) rc = lre_host_toschedule(h, out, err);
    lre_host_release(h); /* the schedule holds its own reference */
    return rc;
}

int lre_script_load_file(lre_schedule **out, const char *path, const lre_script_limits *limits, lre_error *err)
{
    return load(out, path, NULL, 0, NULL, limits, err);
}

int lre_script_load_string(lre_schedule **out, const char *chunk, size_t len, const char *name,
                           const lre_script_limits *limits, lre_error *err)
{
    return load(out, NULL, chunk, len, name ? name : "script", limits, err);
}
