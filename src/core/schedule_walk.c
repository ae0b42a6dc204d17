/* schedule_walk.c -- a tree seen from outside: the paths that name its
 * nodes, the events it reports (set up here, emitted by schedule.c's
 * evaluation), a walk that gives every node's value at a step (for
 * `lrengine explain`), and a node's parameters in words. */
#include "schedule_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The path of child i of a node with path `parent` and n children:
 * "parent/kind", or "parent/i:kind" when there are several. */
static int child_path(char *buf, size_t size, const char *parent, size_t i, size_t n, const lre_schedule *c)
{
    if (!parent) return snprintf(buf, size, "%s", lre_schedule_kind(c));
    if (n > 1) return snprintf(buf, size, "%s/%zu:%s", parent, i + 1, lre_schedule_kind(c));
    return snprintf(buf, size, "%s/%s", parent, lre_schedule_kind(c));
}

#define PATH_MAX_LEN 1024

static int set_events(lre_schedule *s, const char *path, lre_event_fn fn, void *ud, lre_error *err)
{
    if (s->path) lre__free(&s->alloc, s->path, strlen(s->path) + 1);
    s->path = NULL;
    s->ev_fn = fn;
    s->ev_ud = ud;
    s->ev_last = -1;
    if (fn) {
        size_t len = strlen(path);
        s->path = lre__alloc(&s->alloc, len + 1);
        if (!s->path) return lre_error_set(err, LRE_ENOMEM, "%s: out of memory for event paths", path);
        memcpy(s->path, path, len + 1);
    }
    for (size_t i = 0; i < s->nchild; i++) {
        char buf[PATH_MAX_LEN];
        child_path(buf, sizeof buf, path, i, s->nchild, s->child[i]); /* a longer path is cut: it still names the node */
        int rc = set_events(s->child[i], buf, fn, ud, err);
        if (rc) return rc;
    }
    return LRE_OK;
}

int lre_schedule_set_events(lre_schedule *s, lre_event_fn fn, void *ud, lre_error *err)
{
    char root[PATH_MAX_LEN];
    child_path(root, sizeof root, NULL, 0, 1, s);
    int rc = set_events(s, root, fn, ud, err);
    if (rc) set_events(s, root, NULL, NULL, NULL);
    return rc;
}

int lre_sched_ctx_emit(const lre_sched_ctx *ctx, const char *kind, const lre_event_field *fields, size_t nfields)
{
    if (!ctx || !ctx->event || !kind) return 0;
    lre_event ev = {kind, ctx->path ? ctx->path : "custom", ctx->step, fields, nfields};
    ctx->event(ctx->event_ud, &ev);
    return 1;
}

/* ---- walk ---- */

typedef struct walker {
    const lre__walk *w;
    lre_walk_fn fn;
    void *ud;
    size_t index;
} walker;

static int report(walker *k, lre_schedule *s, const char *path, int depth)
{
    size_t at = k->index++;
    lre_event_field st[4];
    size_t nst = 0;
    if (s->kind == K_PLATEAU) {
        st[0] = (lre_event_field){"scale", s->plateau.scale, NULL};
        st[1] = (lre_event_field){"best", s->plateau.best, NULL};
        st[2] = (lre_event_field){"num_bad_epochs", (double)s->plateau.num_bad_epochs, NULL};
        st[3] = (lre_event_field){"cooldown_counter", (double)s->plateau.cooldown_counter, NULL};
        nst = 4;
    } else if (s->kind == K_CUSTOM) {
        st[0] = (lre_event_field){"last_value", s->ctx.last_value, NULL};
        st[1] = (lre_event_field){"metric", s->ctx.metric, NULL};
        nst = 2;
    }
    lre_node_info info = {path, lre_schedule_kind(s), depth, k->w->seen[at], k->w->seen[at] ? k->w->step[at] : -1,
                          k->w->seen[at] ? k->w->value[at] : NAN, st, nst, s};
    int rc = k->fn(k->ud, &info);
    for (size_t i = 0; !rc && i < s->nchild; i++) {
        char buf[PATH_MAX_LEN];
        child_path(buf, sizeof buf, path, i, s->nchild, s->child[i]);
        rc = report(k, s->child[i], buf, depth + 1);
    }
    return rc;
}

int lre_schedule_walk(lre_schedule *s, int64_t t, lre_walk_fn fn, void *ud, lre_error *err)
{
    if (t < 0) return lre_error_set(err, LRE_EINVAL, "%s: step must be >= 0, got %lld", lre_schedule_kind(s), (long long)t);
    size_t n = lre__schedule_count(s);
    size_t each = sizeof(double) + sizeof(int64_t) + 1, bytes;
    if (!lre__mul_size(n, each, &bytes)) return lre_error_set(err, LRE_ENOMEM, "walk: %zu nodes: too many", n);
    unsigned char *mem = lre__alloc_zero(&s->alloc, 1, bytes);
    if (!mem) return lre_error_set(err, LRE_ENOMEM, "walk: out of memory");
    lre__walk w = {(double *)mem, (int64_t *)(mem + n * sizeof(double)),
                   mem + n * (sizeof(double) + sizeof(int64_t))};
    lre__evalx x = {0, &w, 0, 0};
    double v;
    int rc = lre__schedule_eval(s, t, &v, err, &x);
    if (!rc) {
        char root[PATH_MAX_LEN];
        child_path(root, sizeof root, NULL, 0, 1, s);
        walker k = {&w, fn, ud, 0};
        rc = report(&k, s, root, 0);
    }
    lre__free(&s->alloc, mem, bytes);
    return rc;
}

/* ---- parameters ---- */

int lre_schedule_param(const lre_schedule *s, const char *name, double *out)
{
    if (s->kind == K_CUSTOM || !name) return LRE_EINVAL;
    const lre_kind_def *def = &lre__kinds[s->kind];
    size_t nspec = lre__kind_nspec(def);
    for (size_t i = 0; i < nspec; i++) {
        if (strcmp(def->spec[i].name, name) || (def->spec[i].flags & LRE_P_LIST)) continue;
        *out = s->p[i];
        return LRE_OK;
    }
    return LRE_EINVAL;
}


static int put(char *buf, size_t size, size_t *len, const char *fmt, ...) LRE_PRINTF(4, 5);
static int put(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(*len < size ? buf + *len : NULL, *len < size ? size - *len : 0, fmt, ap);
    va_end(ap);
    if (k > 0) *len += (size_t)k;
    return k;
}

/* Choice number idx of "a|b|c" into out. */
static void choice_name(const char *choices, int idx, char *out, size_t size)
{
    const char *p = choices;
    for (int i = 0; i < idx && p; i++) {
        p = strchr(p, '|');
        if (p) p++;
    }
    size_t n = p ? strcspn(p, "|") : 0;
    if (n >= size) n = size - 1;
    memcpy(out, p ? p : "", n);
    out[n] = 0;
}

int lre_schedule_params_text(const lre_schedule *s, char *buf, size_t size)
{
    size_t len = 0;
    if (size) buf[0] = 0;
    if (s->kind == K_CUSTOM) return 0;
    const lre_kind_def *def = &lre__kinds[s->kind];
    size_t nspec = lre__kind_nspec(def);
    for (size_t i = 0, l = 0; i < nspec; i++) {
        const lre_pspec *ps = &def->spec[i];
        const char *sep = len ? ", " : "";
        if ((ps->flags & LRE_P_LIST) && s->dur[i] && s->unresolved) {
            put(buf, size, &len, "%s%s='%s'", sep, ps->name, s->dur[i]);
            l++;
            continue;
        }
        if (ps->flags & LRE_P_LIST) {
            put(buf, size, &len, "%s%s=%s%s%s[", sep, ps->name, s->dur[i] ? "'" : "", s->dur[i] ? s->dur[i] : "",
                s->dur[i] ? "'=" : "");
            for (size_t j = 0; j < s->nlist[l]; j++) put(buf, size, &len, "%s%.6g", j ? ", " : "", s->list[l][j]);
            put(buf, size, &len, "]");
            l++;
            continue;
        }
        double v = s->p[i];
        if (s->dur[i]) { /* the text, and its steps once planned */
            if (s->unresolved) put(buf, size, &len, "%s%s='%s'", sep, ps->name, s->dur[i]);
            else put(buf, size, &len, "%s%s='%s'=%.6g", sep, ps->name, s->dur[i], v);
            continue;
        }
        if (isnan(v)) continue; /* optional and not given (plateau's lr when it wraps a schedule) */
        if (!(ps->flags & LRE_P_REQUIRED) && (v == ps->def || (isnan(ps->def) && isnan(v)))) continue;
        if (ps->flags & LRE_P_CHOICE) {
            char name[32];
            choice_name(ps->choices, (int)v, name, sizeof name);
            put(buf, size, &len, "%s%s=%s", sep, ps->name, name);
        } else if (ps->flags & LRE_P_BOOL) {
            put(buf, size, &len, "%s%s=%s", sep, ps->name, v ? "true" : "false");
        } else {
            put(buf, size, &len, "%s%s=%.6g", sep, ps->name, v);
        }
    }
    if (s->tokens_per_step > 0) put(buf, size, &len, "%stokens_per_step=%.6g", len ? ", " : "", s->tokens_per_step);
    return (int)len;
}
