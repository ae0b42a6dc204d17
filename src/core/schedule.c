/* schedule.c -- the schedule tree: construction, evaluation of combinators,
 * ReduceLROnPlateau, custom (script) nodes, and the tree's saved state.
 * The built-in kinds' formulas are in schedule_kinds.c. */
#include "schedule_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const *lre_schedule_kinds(void) { return lre__kind_names; }

const char *lre_schedule_kind(const lre_schedule *s)
{
    return s->kind == K_CUSTOM ? s->name : lre__kinds[s->kind].name;
}

static lre_schedule *node_alloc(int kind, const lre_allocator *alloc)
{
    lre_allocator a = lre__allocator(alloc);
    lre_schedule *s = lre__alloc_zero(&a, 1, sizeof *s);
    if (!s) return NULL;
    s->alloc = a;
    s->refs = 1;
    s->kind = kind;
    s->ctx.last_value = NAN;
    s->ctx.metric = NAN;
    s->ctx.d = NAN;
    s->ev_last = -1;
    s->ctx.grad_norm = NAN;
    s->ctx.loss = NAN;
    return s;
}

static void plateau_reset(lre_schedule *s)
{
    s->plateau.scale = 1;
    s->plateau.best = s->p[PL_MODE] == 0 ? INFINITY : -INFINITY;
    s->plateau.num_bad_epochs = 0;
    s->plateau.cooldown_counter = 0;
}

int lre_schedule_new(lre_schedule **out, const char *kind, const lre_param *params, size_t nparams,
                     lre_schedule *const *children, size_t nchildren, lre_error *err)
{
    return lre_schedule_new_with(out, kind, params, nparams, children, nchildren, NULL, err);
}

int lre_schedule_new_with(lre_schedule **out, const char *kind, const lre_param *params, size_t nparams,
                          lre_schedule *const *children, size_t nchildren, const lre_allocator *alloc,
                          lre_error *err)
{
    *out = NULL;
    int id = -1;
    for (int k = 0; k < K_COUNT; k++)
        if (kind && strcmp(lre__kinds[k].name, kind) == 0) id = k;
    if (id < 0) return lre_error_unknown(err, NULL, "schedule kind", kind ? kind : "(null)", lre__kind_names);
    const lre_kind_def *def = &lre__kinds[id];
    if (nchildren < def->min_children || nchildren > def->max_children) {
        if (def->max_children == 0) return lre_error_set(err, LRE_EINVAL, "%s: takes no inner schedule", def->name);
        if (def->max_children == 1)
            return lre_error_set(err, LRE_EINVAL, "%s: takes %sone inner schedule, got %zu", def->name,
                             def->min_children ? "" : "at most ", nchildren);
        if (def->min_children == def->max_children)
            return lre_error_set(err, LRE_EINVAL, "%s: takes %zu inner schedules, got %zu", def->name, def->min_children,
                                 nchildren);
        return lre_error_set(err, LRE_EINVAL, "%s: needs at least one inner schedule", def->name);
    }
    size_t child_bytes;
    if (!lre__mul_size(nchildren, sizeof *children, &child_bytes))
        return lre_error_set(err, LRE_EINVAL, "%s: %zu inner schedules: too many", def->name, nchildren);
    for (size_t i = 0; i < nchildren; i++)
        if (!children[i]) return lre_error_set(err, LRE_EINVAL, "%s: inner schedule %zu is NULL", def->name, i + 1);

    lre_schedule *s = node_alloc(id, alloc);
    if (!s) return lre_error_set(err, LRE_ENOMEM, "%s: out of memory", def->name);
    lre_plist lists[LRE_SCHED_MAXP];
    const char *texts[LRE_SCHED_MAXP];
    size_t nspec = lre__kind_nspec(def);
    /* tokens_per_step: any node's, for the durations in tokens of its subtree */
    lre_param own[64];
    size_t nown = 0;
    int rc = LRE_OK;
    for (size_t i = 0; i < nparams; i++) {
        if (!params[i].name || strcmp(params[i].name, "tokens_per_step")) continue;
        if (params[i].str || params[i].list || params[i].schedule || !(params[i].value > 0) || isinf(params[i].value)) {
            rc = lre_error_set(err, LRE_EINVAL, "%s: tokens_per_step must be a number > 0", def->name);
            goto fail;
        }
        if (s->tokens_per_step > 0) {
            rc = lre_error_set(err, LRE_EINVAL, "%s: tokens_per_step given twice", def->name);
            goto fail;
        }
        s->tokens_per_step = params[i].value;
    }
    if (s->tokens_per_step > 0) {
        if (nparams > sizeof own / sizeof own[0]) {
            rc = lre_error_set(err, LRE_EINVAL, "%s: too many parameters", def->name);
            goto fail;
        }
        for (size_t i = 0; i < nparams; i++)
            if (strcmp(params[i].name, "tokens_per_step")) own[nown++] = params[i];
        params = own;
        nparams = nown;
    }
    rc = lre__parse_params_dur(def->name, def->spec, nspec, params, nparams, s->p, lists, texts, err);
    if (rc) goto fail;
    for (size_t i = 0, l = 0; i < nspec; i++) {
        if (!(def->spec[i].flags & LRE_P_LIST)) continue;
        s->nlist[l] = lists[i].n;
        size_t bytes = (lists[i].n ? lists[i].n : 1) * sizeof(double); /* fits: lre__parse_params checked it */
        s->list[l] = lre__alloc(&s->alloc, bytes);
        if (!s->list[l]) goto nomem;
        if (lists[i].n && lists[i].v) memcpy(s->list[l], lists[i].v, bytes);
        else for (size_t k = 0; k < lists[i].n; k++) s->list[l][k] = NAN; /* durations, until planned */
        l++;
    }
    if (nchildren) {
        s->child = lre__alloc(&s->alloc, child_bytes);
        if (!s->child) goto nomem;
        for (size_t i = 0; i < nchildren; i++) s->child[i] = lre_schedule_retain(children[i]);
        s->nchild = nchildren;
    }
    rc = lre__schedule_take_durations(s, texts, err);
    if (rc) goto fail;
    rc = lre__kind_check(s, err);
    if (rc) goto fail;
    if (id == K_PLATEAU) plateau_reset(s);
    *out = s;
    return LRE_OK;
nomem:
    rc = lre_error_set(err, LRE_ENOMEM, "%s: out of memory", def->name);
fail:
    lre_schedule_release(s);
    return rc;
}

int lre_schedule_custom(lre_schedule **out, const char *name, const lre_custom_vtable *vt, void *ud,
                        lre_error *err)
{
    return lre_schedule_custom_with(out, name, vt, ud, NULL, err);
}

int lre_schedule_custom_with(lre_schedule **out, const char *name, const lre_custom_vtable *vt, void *ud,
                             const lre_allocator *alloc, lre_error *err)
{
    *out = NULL;
    if (!vt || !vt->at) {
        if (vt && vt->release) vt->release(ud);
        return lre_error_set(err, LRE_EINVAL, "custom schedule: an 'at' callback is required");
    }
    lre_schedule *s = node_alloc(K_CUSTOM, alloc);
    size_t len = strlen(name ? name : "custom");
    char *copy = s ? lre__alloc(&s->alloc, len + 1) : NULL;
    if (!copy) {
        if (s) lre__free(&s->alloc, s, sizeof *s);
        if (vt->release) vt->release(ud);
        return lre_error_set(err, LRE_ENOMEM, "custom schedule: out of memory");
    }
    memcpy(copy, name ? name : "custom", len + 1);
    s->name = copy;
    s->vt = vt;
    s->ud = ud;
    *out = s;
    return LRE_OK;
}

lre_schedule *lre_schedule_retain(lre_schedule *s)
{
    if (s) s->refs++;
    return s;
}

void lre_schedule_release(lre_schedule *s)
{
    if (!s || --s->refs > 0) return;
    for (size_t i = 0; i < s->nchild; i++) lre_schedule_release(s->child[i]);
    lre_allocator a = s->alloc;
    lre__free(&a, s->child, s->nchild * sizeof *s->child);
    for (int l = 0; l < 2; l++) lre__free(&a, s->list[l], (s->nlist[l] ? s->nlist[l] : 1) * sizeof(double));
    if (s->kind == K_CUSTOM && s->vt->release) s->vt->release(s->ud);
    if (s->name) lre__free(&a, s->name, strlen(s->name) + 1);
    if (s->path) lre__free(&a, s->path, strlen(s->path) + 1);
    lre__schedule_free_durations(s);
    lre__free(&a, s, sizeof *s);
}

/* ---- evaluation ---- */

static int eval(lre_schedule *s, int64_t t, double *out, lre_error *err, lre__evalx *x);

size_t lre__schedule_count(const lre_schedule *s)
{
    size_t n = 1;
    for (size_t i = 0; i < s->nchild; i++) n += lre__schedule_count(s->child[i]);
    return n;
}

/* Child i of s at step t; in a walk, the child's pre-order place is set for
 * the call. */
int lre__eval_child(lre_schedule *s, size_t i, int64_t t, double *out, lre_error *err, lre__evalx *x)
{
    int rc;
    if (!x || !x->walk) {
        rc = eval(s->child[i], t, out, err, x);
    } else {
        size_t here = x->index, at = here + 1;
        for (size_t j = 0; j < i; j++) at += lre__schedule_count(s->child[j]);
        x->index = at;
        rc = eval(s->child[i], t, out, err, x);
        x->index = here;
    }
    if (rc && x && x->unnamed) lre__schedule_under(err, s, i);
    return rc;
}

/* A landmark of a closed form (a warm-up's end, a restart), once per step. */
static int landmark(lre_schedule *s, int64_t t, const lre__evalx *x)
{
    if (!s->ev_fn || (x && !x->events) || s->ev_last == t) return 0;
    s->ev_last = t;
    return 1;
}

void lre__emit(const lre_schedule *s, const char *kind, int64_t t, const lre_event_field *f, size_t n)
{
    if (!s->ev_fn) return;
    lre_event ev = {kind, s->path ? s->path : lre_schedule_kind(s), t, f, n};
    s->ev_fn(s->ev_ud, &ev);
}

/* Reduces children by op: 0 product, 1 min, 2 max, 3 sum. */
static int fold(lre_schedule *s, int64_t t, int op, double *out, lre_error *err, lre__evalx *x)
{
    double acc = op == 0 ? 1 : op == 1 ? INFINITY : op == 2 ? -INFINITY : 0;
    for (size_t i = 0; i < s->nchild; i++) {
        double v;
        int rc = lre__eval_child(s, i, t, &v, err, x);
        if (rc) return rc;
        acc = op == 0 ? acc * v : op == 1 ? fmin(acc, v) : op == 2 ? fmax(acc, v) : acc + v;
    }
    *out = acc;
    return LRE_OK;
}

/* A plateau's value: the wrapped rate times the reductions so far, never cut
 * below min_lr by a reduction (but never raised above the wrapped rate). */
static int plateau_value(lre_schedule *s, int64_t t, double *out, lre_error *err, lre__evalx *x)
{
    double base = s->p[PL_LR];
    if (s->nchild) {
        int rc = lre__eval_child(s, 0, t, &base, err, x);
        if (rc) return rc;
    }
    double v = base * s->plateau.scale;
    if (s->plateau.scale < 1) v = fmax(v, fmin(s->p[PL_MIN_LR], base));
    *out = v;
    return LRE_OK;
}

static int custom_value(lre_schedule *s, int64_t t, double *out, lre_error *err, const lre__evalx *x)
{
    lre_error scratch; /* callbacks always get somewhere to write their message */
    if (!err) err = &scratch;
    s->ctx.step = t;
    s->ctx.event = s->ev_fn && (!x || x->events) ? s->ev_fn : NULL;
    s->ctx.event_ud = s->ev_ud;
    s->ctx.path = s->path ? s->path : s->name;
    double v = NAN;
    int rc = s->vt->at(s->ud, &s->ctx, &v, err);
    s->ctx.event = NULL;
    if (rc) return rc;
    if (!isfinite(v))
        return lre_error_set(err, LRE_ENONFINITE, "%s: step %lld: returned %g", s->name, (long long)t, v);
    s->ctx.last_value = v;
    *out = v;
    return LRE_OK;
}

static int eval_node(lre_schedule *s, int64_t t, double *out, lre_error *err, lre__evalx *x)
{
    if (s->unresolved) {
        if (x && !s->path) x->unnamed = 1; /* its parents name it */
        return lre__schedule_unresolved(s, err);
    }
    switch (s->kind) {
    case K_NOISE: {
        int rc = lre__eval_child(s, 0, t, out, err, x);
        if (!rc) *out *= lre__noise_factor(s, t);
        return rc;
    }
    case K_WARMUP: {
        int64_t inner;
        double f = lre__warmup(s, t, &inner);
        int rc = lre__eval_child(s, 0, inner, out, err, x);
        if (!rc) *out *= f;
        if (!rc && s->p[0] > 0 && (double)t == s->p[0] && landmark(s, t, x)) {
            lre_event_field fl[] = {{"steps", s->p[0], NULL}};
            lre__emit(s, "warmup_end", t, fl, 1);
        }
        return rc;
    }
    /* PyTorch SequentialLR: each part starts at its own step 0 at its milestone. */
    case K_SEQUENCE: {
        size_t k = 0;
        while (k < s->nlist[0] && (double)t >= s->list[0][k]) k++;
        int rc = lre__eval_child(s, k, k ? t - (int64_t)s->list[0][k - 1] : t, out, err, x);
        if (!rc && k && (double)t == s->list[0][k - 1] && landmark(s, t, x)) {
            lre_event_field fl[] = {{"part", (double)k + 1, NULL}, {"milestone", s->list[0][k - 1], NULL}};
            lre__emit(s, "phase", t, fl, 2);
        }
        return rc;
    }
    case K_PRODUCT: return fold(s, t, 0, out, err, x);
    case K_MIN: return fold(s, t, 1, out, err, x);
    case K_MAX: return fold(s, t, 2, out, err, x);
    case K_SUM: return fold(s, t, 3, out, err, x);
    case K_SCALE: {
        int rc = lre__eval_child(s, 0, t, out, err, x);
        if (!rc) *out *= s->p[SCALE_FACTOR];
        return rc;
    }
    case K_CLAMP: {
        int rc = lre__eval_child(s, 0, t, out, err, x);
        if (!rc) *out = fmin(fmax(*out, s->p[CLAMP_MIN]), s->p[CLAMP_MAX]);
        return rc;
    }
    case K_PLATEAU: return plateau_value(s, t, out, err, x);
    case K_CUSTOM: return custom_value(s, t, out, err, x);
    case K_EXTEND:
    case K_COOLDOWN:
    case K_REWARM:
    case K_REPLACE: return lre__continuation(s, t, out, err, x);
    case K_WSD: { /* its own warm-up's end */
        *out = lre__leaf_value(s, t);
        double w = 0;
        if (s->ev_fn && t > 0 && (!x || x->events) && !lre_schedule_param(s, "warmup_steps", &w) && (double)t == w &&
            landmark(s, t, x)) {
            lre_event_field fl[] = {{"steps", w, NULL}};
            lre__emit(s, "warmup_end", t, fl, 1);
        }
        return LRE_OK;
    }
    case K_COSINE_RESTARTS:
    case K_CYCLES:
        *out = lre__leaf_value(s, t);
        if (s->ev_fn && t > 0 && (!x || x->events)) {
            double period, ignored, cycle = lre__restart_cycle(s, t, &period);
            double before = lre__restart_cycle(s, t - 1, &ignored);
            if (cycle != before && landmark(s, t, x)) {
                lre_event_field fl[] = {{"cycle", cycle, NULL}, {"period", period, NULL}, {"peak", lre__leaf_value(s, t), NULL}};
                lre__emit(s, "restart", t, fl, 3);
            }
        }
        return LRE_OK;
    /* Its inner schedule offset steps later; before the inner's step 0, its step 0. */
    case K_SHIFT: {
        int64_t off = (int64_t)s->p[SHIFT_OFFSET]; /* |off| <= 2^53; t may be any int64_t >= 0 */
        int64_t inner = off > 0 && t > INT64_MAX - off ? INT64_MAX : t + off;
        return lre__eval_child(s, 0, inner > 0 ? inner : 0, out, err, x);
    }
    /* PyTorch SWALR: swa_lr * alpha + base * (1 - alpha), base the rate at start. */
    case K_SWA: {
        int64_t start = (int64_t)s->p[SWA_START];
        double base = s->p[SWA_LR];
        if (s->nchild) {
            int rc = lre__eval_child(s, 0, t < start ? t : start, &base, err, x);
            if (rc || t < start) {
                *out = base;
                return rc;
            }
        } else if (t < start) {
            *out = base;
            return LRE_OK;
        }
        double alpha = lre__swa_alpha(s, t);
        *out = alpha == 1 ? s->p[SWA_SWA_LR] : s->p[SWA_SWA_LR] * alpha + base * (1 - alpha);
        return LRE_OK;
    }
    default: *out = lre__leaf_value(s, t); return LRE_OK;
    }
}

/* Every evaluation goes through here: a walk records the node's value. */
static int eval(lre_schedule *s, int64_t t, double *out, lre_error *err, lre__evalx *x)
{
    int rc = eval_node(s, t, out, err, x);
    if (!rc && x && x->walk) {
        x->walk->value[x->index] = *out;
        x->walk->step[x->index] = t;
        x->walk->seen[x->index] = 1;
    }
    return rc;
}

int lre__schedule_eval(lre_schedule *s, int64_t t, double *out, lre_error *err, lre__evalx *x)
{
    return eval(s, t, out, err, x);
}

int lre_schedule_eval(lre_schedule *s, int64_t t, double *out, lre_error *err)
{
    if (t < 0) return lre_error_set(err, LRE_EINVAL, "%s: step must be >= 0, got %lld", lre_schedule_kind(s), (long long)t);
    lre__evalx x = {1, NULL, 0, 0}; /* as NULL: events on, no walk */
    return eval(s, t, out, err, &x);
}

/* ---- metrics ---- */

/* PyTorch ReduceLROnPlateau.is_better. */
static int plateau_is_better(const lre_schedule *s, double a, double best)
{
    double th = s->p[PL_THRESHOLD];
    int rel = s->p[PL_THRESHOLD_MODE] == 0;
    if (s->p[PL_MODE] == 0) return rel ? a < best * (1 - th) : a < best - th;
    return rel ? a > best * (th + 1) : a > best + th;
}

/* PyTorch ReduceLROnPlateau.step, with the rate read from the wrapped schedule. */
static int plateau_observe(lre_schedule *s, double metric, int64_t t, lre_error *err, lre__evalx *x)
{
    lre_plateau_state *st = &s->plateau;
    if (plateau_is_better(s, metric, st->best)) {
        st->best = metric;
        st->num_bad_epochs = 0;
    } else {
        st->num_bad_epochs++;
    }
    if (st->cooldown_counter > 0) {
        st->cooldown_counter--;
        st->num_bad_epochs = 0;
    }
    if (st->num_bad_epochs > (int64_t)s->p[PL_PATIENCE]) {
        double old;
        int rc = plateau_value(s, t, &old, err, x);
        if (rc) return rc;
        double reduced = fmax(old * s->p[PL_FACTOR], s->p[PL_MIN_LR]);
        int64_t bad = st->num_bad_epochs;
        int cut = old - reduced > s->p[PL_EPS];
        if (cut) st->scale *= s->p[PL_FACTOR];
        st->cooldown_counter = (int64_t)s->p[PL_COOLDOWN];
        st->num_bad_epochs = 0;
        if (cut && s->ev_fn && x->events) {
            double now;
            rc = plateau_value(s, t, &now, err, x);
            if (rc) return rc;
            lre_event_field fl[] = {{"metric", metric, NULL},        {"best", st->best, NULL},
                                    {"num_bad_epochs", (double)bad, NULL}, {"factor", s->p[PL_FACTOR], NULL},
                                    {"scale", st->scale, NULL},      {"lr_before", old, NULL},
                                    {"lr_after", now, NULL}};
            lre__emit(s, "plateau_reduce", t, fl, sizeof fl / sizeof fl[0]);
        }
    }
    return LRE_OK;
}

static int observe(lre_schedule *s, double metric, int64_t t, lre_error *err, lre__evalx *x)
{
    for (size_t i = 0; i < s->nchild; i++) {
        int rc = observe(s->child[i], metric, t, err, x);
        if (rc) return rc;
    }
    if (s->kind == K_PLATEAU) return plateau_observe(s, metric, t, err, x);
    if (s->kind == K_CUSTOM) {
        s->ctx.metric = metric;
        s->ctx.step = t;
        if (s->vt->observe) {
            s->ctx.event = s->ev_fn && x->events ? s->ev_fn : NULL;
            s->ctx.event_ud = s->ev_ud;
            s->ctx.path = s->path ? s->path : s->name;
            int rc = s->vt->observe(s->ud, metric, &s->ctx, err);
            s->ctx.event = NULL;
            return rc;
        }
    }
    return LRE_OK;
}

static int observe_checked(lre_schedule *s, double metric, int64_t t, lre_error *err, lre__evalx *x)
{
    lre_error scratch; /* custom schedules always get somewhere to write their message */
    if (!err) err = &scratch;
    if (!isfinite(metric))
        return lre_error_set(err, LRE_ENONFINITE, "observe: metric must be a finite number, got %g", metric);
    return observe(s, metric, t, err, x);
}

int lre_schedule_observe(lre_schedule *s, double metric, int64_t t, lre_error *err)
{
    lre__evalx x = {1, NULL, 0, 0};
    return observe_checked(s, metric, t, err, &x);
}

void lre_schedule_set_d(lre_schedule *s, double d)
{
    s->ctx.d = d;
    for (size_t i = 0; i < s->nchild; i++) lre_schedule_set_d(s->child[i], d);
}


void lre__schedule_set_inputs(lre_schedule *s, double grad_norm, double loss)
{
    s->ctx.grad_norm = grad_norm;
    s->ctx.loss = loss;
    for (size_t i = 0; i < s->nchild; i++) lre__schedule_set_inputs(s->child[i], grad_norm, loss);
}

void lre_schedule_reset(lre_schedule *s)
{
    for (size_t i = 0; i < s->nchild; i++) lre_schedule_reset(s->child[i]);
    if (s->kind == K_PLATEAU) plateau_reset(s);
}

static int curve_length(const lre_schedule *s, size_t n, lre_error *err)
{
    if (n > (uint64_t)LRE_STEP_MAX)
        return lre_error_set(err, LRE_EINVAL, "%s: curve of %zu steps: at most 2^53", lre_schedule_kind(s), n);
    return LRE_OK;
}

/* The run, reporting events or not (a preview). */
static int run(lre_schedule *s, double *out, size_t n, const double *metrics, size_t nmetrics, lre_error *err,
               int events)
{
    lre__evalx x = {events, NULL, 0, 0};
    int rc = curve_length(s, n, err);
    if (rc) return rc;
    for (size_t t = 0; t < n; t++) {
        rc = eval(s, (int64_t)t, &out[t], err, &x);
        if (rc) return rc;
        if (t < nmetrics) {
            rc = observe_checked(s, metrics[t], (int64_t)t + 1, err, &x);
            if (rc) return rc;
        }
    }
    return LRE_OK;
}

int lre_schedule_run(lre_schedule *s, double *out, size_t n, const double *metrics, size_t nmetrics,
                     lre_error *err)
{
    return run(s, out, n, metrics, nmetrics, err, 1);
}

/* The run on a snapshot: the tree's state is saved and staged for a load
 * before the run, and that load committed after it, whatever the run did. */
int lre_schedule_curve(lre_schedule *s, double *out, size_t n, const double *metrics, size_t nmetrics,
                       lre_error *err)
{
    lre_error scratch; /* custom schedules always get somewhere to write their message */
    if (!err) err = &scratch;
    int rc = curve_length(s, n, err);
    if (rc) return rc;
    lre_buf snap = {.alloc = &s->alloc};
    rc = lre__schedule_save_state(s, &snap, err);
    if (!rc) {
        /* a tree without state saves nothing: its snapshot has no buffer */
        static const unsigned char nothing[1];
        const unsigned char *p = snap.data ? snap.data : nothing;
        lre_cur c = {p, p + snap.len, 0};
        rc = lre__schedule_prepare_load(s, &c, err);
        if (rc) {
            lre__schedule_finish_load(s, 0); /* nothing ran: drop what was staged */
        } else {
            rc = run(s, out, n, metrics, nmetrics, err, 0);
            lre__schedule_finish_load(s, 1); /* back to the snapshot, on success or error */
        }
    }
    lre__buf_free(&snap);
    return rc;
}

/* ---- state ---- */

uint64_t lre__schedule_fingerprint(const lre_schedule *s)
{
    uint64_t h = lre__fnv(LRE_FNV_INIT, &s->kind, sizeof s->kind);
    if (s->kind == K_CUSTOM) return lre__fnv(h, s->name, strlen(s->name));
    if (!s->ndur) {
        h = lre__fnv(h, s->p, sizeof s->p);
    } else { /* a duration by its text: the state of "90%" loads whatever the run's length */
        for (int i = 0; i < LRE_SCHED_MAXP; i++) {
            if (s->dur[i]) h = lre__fnv(h, s->dur[i], strlen(s->dur[i]) + 1);
            else h = lre__fnv(h, &s->p[i], sizeof s->p[i]);
        }
    }
    if (s->tokens_per_step > 0) h = lre__fnv(h, &s->tokens_per_step, sizeof s->tokens_per_step);
    for (int l = 0; l < 2; l++)
        if (s->nlist[l] && !lre__list_duration(s, l)) h = lre__fnv(h, s->list[l], s->nlist[l] * sizeof(double));
    for (size_t i = 0; i < s->nchild; i++) {
        uint64_t c = lre__schedule_fingerprint(s->child[i]);
        h = lre__fnv(h, &c, sizeof c);
    }
    return h;
}

/* The tree's shape: kinds, custom names, list lengths and children, not the
 * parameters' values; what must agree for a state to load under other
 * parameters (LRE_LOAD_CURRENT_HPARAMS). */
uint64_t lre__schedule_shape_fingerprint(const lre_schedule *s)
{
    uint64_t h = lre__fnv(LRE_FNV_INIT ^ 0x5ea9e, &s->kind, sizeof s->kind);
    if (s->kind == K_CUSTOM) return lre__fnv(h, s->name, strlen(s->name));
    for (int l = 0; l < 2; l++) h = lre__fnv(h, &s->nlist[l], sizeof s->nlist[l]);
    h = lre__fnv(h, &s->nchild, sizeof s->nchild);
    for (size_t i = 0; i < s->nchild; i++) {
        uint64_t c = lre__schedule_shape_fingerprint(s->child[i]);
        h = lre__fnv(h, &c, sizeof c);
    }
    return h;
}

static int buf_writer(void *ud, const void *p, size_t n)
{
    lre_buf *b = ud;
    lre__buf_put(b, p, n);
    return b->failed;
}

int lre__schedule_save_state(lre_schedule *s, lre_buf *b, lre_error *err)
{
    for (size_t i = 0; i < s->nchild; i++) {
        int rc = lre__schedule_save_state(s->child[i], b, err);
        if (rc) return rc;
    }
    if (s->kind == K_PLATEAU) {
        lre__buf_f64(b, s->plateau.scale);
        lre__buf_f64(b, s->plateau.best);
        lre__buf_u64(b, (uint64_t)s->plateau.num_bad_epochs);
        lre__buf_u64(b, (uint64_t)s->plateau.cooldown_counter);
    } else if (s->kind == K_CUSTOM) {
        /* length, then the blob: the length slot is filled in afterwards */
        lre__buf_f64(b, s->ctx.last_value);
        lre__buf_f64(b, s->ctx.metric);
        size_t at = b->len;
        lre__buf_u64(b, 0);
        if (s->vt->save) {
            int rc = s->vt->save(s->ud, buf_writer, b, err);
            if (rc) return rc;
        }
        if (!b->failed) {
            uint64_t len = b->len - at - sizeof(uint64_t);
            memcpy(b->data + at, &len, sizeof len);
        }
    }
    return b->failed ? lre_error_set(err, LRE_ENOMEM, "out of memory while saving schedule state") : LRE_OK;
}

/* Loaded plateau counters must be what plateau_observe can leave: a scale
 * that is a product of factors in [0, 1), a best that is a metric or the
 * initial infinity of the mode, num_bad_epochs <= patience, cooldown_counter
 * <= cooldown, and no bad epoch counted during a cooldown. */
static int plateau_check(const lre_schedule *s, const lre_plateau_state *st, lre_error *err)
{
    const char *what = NULL;
    char buf[160];
    if (!(st->scale >= 0 && st->scale <= 1)) {
        snprintf(buf, sizeof buf, "scale %.17g outside [0, 1]", st->scale);
        what = buf;
    } else if (isnan(st->best) || st->best == (s->p[PL_MODE] == 0 ? -INFINITY : INFINITY)) {
        snprintf(buf, sizeof buf, "best %.17g impossible in mode '%s'", st->best, s->p[PL_MODE] == 0 ? "min" : "max");
        what = buf;
    } else if (st->num_bad_epochs < 0 || (double)st->num_bad_epochs > s->p[PL_PATIENCE]) {
        snprintf(buf, sizeof buf, "num_bad_epochs %lld outside [0, patience = %.17g]", (long long)st->num_bad_epochs,
                 s->p[PL_PATIENCE]);
        what = buf;
    } else if (st->cooldown_counter < 0 || (double)st->cooldown_counter > s->p[PL_COOLDOWN]) {
        snprintf(buf, sizeof buf, "cooldown_counter %lld outside [0, cooldown = %.17g]", (long long)st->cooldown_counter,
                 s->p[PL_COOLDOWN]);
        what = buf;
    } else if (st->cooldown_counter > 0 && st->num_bad_epochs > 0) {
        what = "num_bad_epochs counted during a cooldown";
    }
    if (what) return lre_error_set(err, LRE_ECORRUPT, "schedule state is corrupt: plateau: %s", what);
    return LRE_OK;
}

int lre__schedule_prepare_load(lre_schedule *s, lre_cur *c, lre_error *err)
{
    for (size_t i = 0; i < s->nchild; i++) {
        int rc = lre__schedule_prepare_load(s->child[i], c, err);
        if (rc) return rc;
    }
    /* A node the tree holds twice (a schedule given to two combinators) is
     * saved twice: the first copy is staged, the second must be the same. */
    if (s->kind == K_PLATEAU) {
        lre_plateau_state st;
        st.scale = lre__cur_f64(c);
        st.best = lre__cur_f64(c);
        st.num_bad_epochs = (int64_t)lre__cur_u64(c);
        st.cooldown_counter = (int64_t)lre__cur_u64(c);
        if (c->bad) return lre_error_set(err, LRE_ECORRUPT, "schedule state is corrupt: plateau state cut short");
        int rc = plateau_check(s, &st, err);
        if (rc) return rc;
        if (s->staged && memcmp(&st, &s->plateau_staged, sizeof st) != 0)
            return lre_error_set(err, LRE_ECORRUPT, "schedule state is corrupt: a plateau used twice holds two states");
        s->plateau_staged = st;
        s->staged = 1;
    } else if (s->kind == K_CUSTOM) {
        double last = lre__cur_f64(c), metric = lre__cur_f64(c);
        uint64_t len = lre__cur_u64(c);
        const void *blob = lre__cur_take(c, (size_t)len);
        if (c->bad || len > SIZE_MAX) return lre_error_set(err, LRE_ECORRUPT, "schedule state is corrupt: %s state cut short", s->name);
        /* what custom_value and observe can leave: NaN before any, else finite */
        if (isinf(last) || isinf(metric))
            return lre_error_set(err, LRE_ECORRUPT, "schedule state is corrupt: %s: %s is infinite", s->name,
                                 isinf(last) ? "last_value" : "metric");
        if (s->staged) return LRE_OK; /* the first copy is staged */
        s->token = NULL;
        if (s->vt->prepare_load) {
            int rc = s->vt->prepare_load(s->ud, blob, (size_t)len, &s->token, err);
            if (rc) return rc;
        }
        s->ctx_staged.last_value = last;
        s->ctx_staged.metric = metric;
        s->staged = 1;
    }
    return LRE_OK;
}

void lre__schedule_finish_load(lre_schedule *s, int commit)
{
    for (size_t i = 0; i < s->nchild; i++) lre__schedule_finish_load(s->child[i], commit);
    if (!s->staged) return;
    s->staged = 0;
    if (s->kind == K_PLATEAU) {
        if (commit) s->plateau = s->plateau_staged;
    } else if (s->kind == K_CUSTOM) {
        if (commit) {
            s->ctx.last_value = s->ctx_staged.last_value;
            s->ctx.metric = s->ctx_staged.metric;
            if (s->vt->commit_load) s->vt->commit_load(s->ud, s->token);
        } else if (s->vt->abort_load) {
            s->vt->abort_load(s->ud, s->token);
        }
        s->token = NULL;
    }
}

int lre_schedule_save(lre_schedule *s, lre_write_fn write, void *ud, lre_error *err)
{
    lre_error scratch; /* custom schedules always get somewhere to write their message */
    if (!err) err = &scratch;
    lre_buf b = {.alloc = &s->alloc};
    lre__buf_u64(&b, lre__schedule_fingerprint(s));
    lre__buf_u64(&b, lre__schedule_shape_fingerprint(s));
    int rc = lre__schedule_save_state(s, &b, err);
    if (!rc) rc = lre__stream_write(LRE_TAG_SCHEDULE, &b, write, ud, err);
    lre__buf_free(&b);
    return rc;
}

int lre_schedule_load(lre_schedule *s, lre_read_fn read, void *ud, lre_error *err)
{
    return lre_schedule_load_with(s, read, ud, LRE_LOAD_SAVED_HPARAMS, err);
}

int lre_schedule_load_with(lre_schedule *s, lre_read_fn read, void *ud, unsigned flags, lre_error *err)
{
    lre_error scratch; /* custom schedules always get somewhere to write their message */
    if (!err) err = &scratch;
    unsigned char *data;
    size_t len, size;
    int rc = lre__stream_read(LRE_TAG_SCHEDULE, read, ud, &s->alloc, &data, &len, &size, err);
    if (rc) return rc;
    lre_cur c = {data, data + len, 0};
    uint64_t fp = lre__cur_u64(&c), shape = lre__cur_u64(&c);
    if (shape != lre__schedule_shape_fingerprint(s)) {
        rc = lre_error_set(err, LRE_EMISMATCH, "schedule state belongs to another schedule (its kinds or structure differ)");
    } else if (!(flags & LRE_LOAD_CURRENT_HPARAMS) && fp != lre__schedule_fingerprint(s)) {
        rc = lre_error_set(err, LRE_EMISMATCH,
                           "schedule state belongs to another schedule (parameters differ; a state stream does not "
                           "carry them: LRE_LOAD_CURRENT_HPARAMS loads it under this schedule's)");
    } else {
        rc = lre__schedule_prepare_load(s, &c, err);
        if (!rc && c.p != c.end) rc = lre_error_set(err, LRE_ECORRUPT, "schedule state is corrupt: trailing bytes");
    }
    lre__schedule_finish_load(s, rc == LRE_OK);
    lre__free(&s->alloc, data, size);
    return rc;
}
