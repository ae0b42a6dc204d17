/* config_clip.c -- a training config's gradient clipping and spike guard:
 *   clip = 1.0                                  (by global 2-norm: max_norm)
 *   clip = {max_norm = 1, norm_type = "inf"}    (max_norm may be a schedule)
 *   clip = {clip_value = 0.5}  or  {clip_factor = 0.01, eps = 1e-3}  (AGC)
 *   guard = "zscore"  or  {"zscore", window = 100, z = 6, on = "loss", max_skips = 10}
 *   guard = {"threshold", max = 10}  or  guard = function(ctx) ... end
 * read into the config, validated by the engine (lre_optim_set_clip and
 * lre_optim_set_guard on a scratch optimizer, with their messages), and
 * applied to the job's optimizer. */
#include "train.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fail(char *msg, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, size, fmt, ap);
    va_end(ap);
    return -1;
}

/* One parameter at path into p (name copied to name, a string to str). */
static int read_param(lre_script *s, const char *path, const char *key, lre_param *p, char *name, size_t nsize,
                      char *str, size_t ssize, const char *scheduled, lre_schedule **sched, char *msg, size_t size)
{
    if (strlen(key) >= nsize) return fail(msg, size, "config: %s: name too long", path);
    memset(p, 0, sizeof *p);
    snprintf(name, nsize, "%s", key);
    p->name = name;
    lre_value_type t = lre_script_type(s, path);
    int b;
    if (t == LRE_VNUMBER) {
        lre_script_number(s, path, &p->value);
    } else if (t == LRE_VBOOLEAN) {
        lre_script_boolean(s, path, &b);
        p->value = b;
    } else if (t == LRE_VSTRING) {
        size_t len;
        const char *v = lre_script_string(s, path, &len);
        if (!v || len >= ssize) return fail(msg, size, "config: %s must be a string of at most %zu bytes", path, ssize - 1);
        snprintf(str, ssize, "%s", v);
        p->str = str;
    } else if (scheduled && !strcmp(key, scheduled) && (t == LRE_VTABLE || t == LRE_VFUNCTION || t == LRE_VOTHER)) {
        lre_schedule_set set = {0};
        lre_error err;
        if (lre_script_schedules(s, path, &set, &err)) return fail(msg, size, "config: %s: %s", path, err.msg);
        if (set.n != 1) {
            lre_schedule_set_free(&set);
            return fail(msg, size, "config: %s must be a number or one schedule", path);
        }
        *sched = lre_schedule_retain(set.s[0]);
        lre_schedule_set_free(&set);
        p->schedule = *sched;
    } else {
        return fail(msg, size, "config: %s must be a number or a string%s", path, scheduled && !strcmp(key, scheduled) ? " (or a schedule)" : "");
    }
    return 0;
}

static int read_clip(train_config *c, lre_script *s, char *msg, size_t size)
{
    lre_value_type t = lre_script_type(s, "clip");
    if (t == LRE_VNUMBER) {
        snprintf(c->clip, sizeof c->clip, "norm");
        memset(&c->clip_params[0], 0, sizeof c->clip_params[0]);
        c->clip_params[0].name = "max_norm";
        lre_script_number(s, "clip", &c->clip_params[0].value);
        c->nclip = 1;
        return 0;
    }
    if (t != LRE_VTABLE) return fail(msg, size, "config: clip must be a number (max_norm) or a table such as {max_norm = 1}");
    size_t len;
    const char *kind = lre_script_type(s, "clip.kind") == LRE_VSTRING ? lre_script_string(s, "clip.kind", &len) : NULL;
    if (lre_script_type(s, "clip.kind") != LRE_VNIL && !kind) return fail(msg, size, "config: clip.kind must be a string");
    if (kind) snprintf(c->clip, sizeof c->clip, "%.7s", kind);
    else if (lre_script_type(s, "clip.max_norm") != LRE_VNIL) snprintf(c->clip, sizeof c->clip, "norm");
    else if (lre_script_type(s, "clip.clip_value") != LRE_VNIL) snprintf(c->clip, sizeof c->clip, "value");
    else snprintf(c->clip, sizeof c->clip, "agc");
    const char *sched = !strcmp(c->clip, "norm") ? "max_norm" : !strcmp(c->clip, "value") ? "clip_value" : "clip_factor";
    const char *const *keys;
    size_t n;
    lre_error err;
    if (lre_script_keys(s, "clip", &keys, &n, &err)) return fail(msg, size, "config: %s", err.msg);
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(keys[i], "kind")) continue;
        if (c->nclip == TRAIN_MAX_CLIP) return fail(msg, size, "config: clip has too many parameters");
        char path[160];
        snprintf(path, sizeof path, "clip.%s", keys[i]);
        int k = c->nclip;
        if (read_param(s, path, keys[i], &c->clip_params[k], c->clip_names[k], sizeof c->clip_names[k], c->clip_strs[k],
                       sizeof c->clip_strs[k], c->clip_sched ? NULL : sched, &c->clip_sched, msg, size))
            return -1;
        c->nclip++;
    }
    return 0;
}

static int read_guard(train_config *c, lre_script *s, char *msg, size_t size)
{
    lre_value_type t = lre_script_type(s, "guard");
    size_t len;
    lre_error err;
    const char *fn = NULL;
    if (t == LRE_VSTRING) {
        const char *r = lre_script_string(s, "guard", &len);
        snprintf(c->guard, sizeof c->guard, "%.15s", r ? r : "");
        return 0;
    }
    if (t == LRE_VFUNCTION) fn = "guard";
    else if (t != LRE_VTABLE)
        return fail(msg, size, "config: guard must be a rule ('zscore', 'threshold'), a function or a table");
    else if (lre_script_type(s, "guard[1]") == LRE_VFUNCTION) fn = "guard[1]";
    else if (lre_script_type(s, "guard[1]") == LRE_VSTRING) {
        const char *r = lre_script_string(s, "guard[1]", &len);
        snprintf(c->guard, sizeof c->guard, "%.15s", r ? r : "");
    } else {
        return fail(msg, size, "config: guard = {rule, ...} needs the rule ('zscore', 'threshold') or a function first");
    }
    if (fn) {
        snprintf(c->guard, sizeof c->guard, "custom");
        if (lre_script_guard(s, fn, &c->guard_script, &err)) return fail(msg, size, "config: guard: %s", err.msg);
    }
    if (t != LRE_VTABLE) return 0;
    const char *const *keys;
    size_t n;
    if (lre_script_keys(s, "guard", &keys, &n, &err)) return fail(msg, size, "config: %s", err.msg);
    for (size_t i = 0; i < n; i++) {
        if (c->nguard == TRAIN_MAX_GUARD) return fail(msg, size, "config: guard has too many parameters");
        char path[160];
        snprintf(path, sizeof path, "guard.%s", keys[i]);
        int k = c->nguard;
        if (read_param(s, path, keys[i], &c->guard_params[k], c->guard_names[k], sizeof c->guard_names[k],
                       c->guard_strs[k], sizeof c->guard_strs[k], NULL, NULL, msg, size))
            return -1;
        c->nguard++;
    }
    return 0;
}

int train_clip_apply(const train_config *c, lre_optim *o)
{
    if (c->clip[0] && lre_optim_set_clip(o, c->clip, c->clip_params, (size_t)c->nclip)) return -1;
    if (c->guard[0] && lre_optim_set_guard(o, c->guard, c->guard_params, (size_t)c->nguard, c->guard_script)) return -1;
    return 0;
}

int train_config_clip(train_config *c, lre_script *s, char *msg, size_t size)
{
    if (lre_script_type(s, "clip") != LRE_VNIL && read_clip(c, s, msg, size)) return -1;
    if (lre_script_type(s, "guard") != LRE_VNIL && read_guard(c, s, msg, size)) return -1;
    if (!c->clip[0] && !c->guard[0]) return 0;
    lre_optim *o;
    lre_error err;
    if (lre_optim_new(&o, c->optimizer, c->hps, (size_t)c->nhps, &err)) return fail(msg, size, "config: optimizer: %s", err.msg);
    int rc = train_clip_apply(c, o);
    if (rc) {
        const char *m = lre_optim_errmsg(o), *k = strchr(m, ':');
        fail(msg, size, "config: %s", k && (!strncmp(k, ": clip", 6) || !strncmp(k, ": guard", 7)) ? k + 2 : m);
    }
    lre_optim_free(o);
    return rc;
}

void train_config_clip_free(train_config *c)
{
    lre_schedule_release(c->clip_sched);
    lre_schedule_release(c->guard_script);
    c->clip_sched = c->guard_script = NULL;
}
