/* optim_clip.c -- gradient clipping, the gradient norm and the spike guard
 * of an optimizer: their settings, the judgement the step asks of the guard,
 * and their saved state. The scan that measures the norm and the update that
 * applies the coefficient are the step's own passes (optim.c, and GRAD in
 * optim_kernels.h): nothing here reads the gradients.
 *
 * Clipping follows PyTorch 1.13's torch.nn.utils.clip_grad_norm_ and
 * clip_grad_value_, and timm's adaptive_clip_grad (Brock et al. 2021, "High-
 * Performance Large-Scale Image Recognition Without Normalization", sec. 3).
 * The guard's z-score rule is the loss-spike check of llm.c and OPT's
 * logbook: skip a step whose value is far above the recent mean. */
#include "optim_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define INF INFINITY
#define MAX_WINDOW ((int64_t)1 << 20)

static int fail(lre_optim *o, int code, const char *fmt, ...) LRE_PRINTF(3, 4);
static int fail(lre_optim *o, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lre__error_setv(&o->err, code, fmt, ap);
    va_end(ap);
    return code;
}

static void guard_info_reset(lre_guard_info *x)
{
    memset(x, 0, sizeof *x);
    x->value = x->mean = x->std = x->limit = NAN;
    x->scale = 1;
}

void lre__clip_init(lre_optim *o)
{
    o->clip.coef = NAN;
    o->grad_norm = NAN;
    o->loss = NAN;
    guard_info_reset(&o->guard.last);
}

static void guard_free(lre_optim *o, lre_guard *g)
{
    lre__free(&o->alloc, g->ring, (size_t)g->window * sizeof *g->ring);
    lre__optim_events_drop(o, g->script); /* taken over again at the next step when still in use */
    lre_schedule_release(g->script);
}

void lre__clip_free(lre_optim *o)
{
    lre_schedule_release(o->clip.sched);
    guard_free(o, &o->guard);
}

/* ---- settings ---- */

static const char *const clip_kinds[] = {"none", "norm", "value", "agc", NULL}; /* CLIP_* order */
static const lre_pspec norm_spec[] = {{"max_norm", NAN, 0, INF, LRE_P_FINITE | LRE_P_REQUIRED, NULL},
                                      {"norm_type", 0, 0, 1, LRE_P_CHOICE | LRE_P_FIXED, "2|inf"}};
static const lre_pspec value_spec[] = {{"clip_value", NAN, 0, INF, LRE_P_FINITE | LRE_P_REQUIRED, NULL}};
static const lre_pspec agc_spec[] = {{"clip_factor", 0.01, 0, INF, LRE_P_FINITE | LRE_P_LO_OPEN, NULL},
                                     {"eps", 1e-3, 0, INF, LRE_P_FINITE, NULL}};

static int kind_index(const char *const *names, const char *name)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(names[i], name)) return i;
    return -1;
}

/* Splits params into plain ones (copied to plain, at most max) and the one
 * schedule allowed, for the parameter named `scheduled`. norm_type given as
 * a number (2, or infinity) becomes its choice's text. */
static int split_params(lre_optim *o, const char *who, const lre_pspec *spec, size_t nspec, const char *scheduled,
                        const lre_param *params, size_t nparams, lre_param *plain, size_t max, size_t *nplain,
                        lre_schedule **sched)
{
    *nplain = 0;
    *sched = NULL;
    for (size_t k = 0; k < nparams; k++) {
        lre_param p = params[k];
        if (!p.name) return fail(o, LRE_EINVAL, "%s: parameter %zu has no name", who, k + 1);
        if (p.schedule) {
            if (lre__spec_index(spec, nspec, p.name) < 0) return lre__unknown_param(who, spec, nspec, p.name, &o->err);
            if (!scheduled || strcmp(p.name, scheduled))
                return fail(o, LRE_EINVAL, "%s: %s can not be a schedule", who, p.name);
            if (*sched) return fail(o, LRE_EINVAL, "%s: %s given twice", who, p.name);
            *sched = p.schedule;
            p.schedule = NULL;
            p.value = 0; /* a stand-in until the first step */
        }
        if (!strcmp(p.name, "norm_type") && !p.str && !p.list) {
            if (p.value == 2) p.str = "2";
            else if (p.value == INF) p.str = "inf";
            else return fail(o, LRE_EINVAL, "%s: norm_type must be 2 or inf, got %.17g", who, p.value);
        }
        if (*nplain == max) return fail(o, LRE_EINVAL, "%s: too many parameters", who);
        plain[(*nplain)++] = p;
    }
    return LRE_OK;
}

int lre_optim_set_clip(lre_optim *o, const char *kind, const lre_param *params, size_t nparams)
{
    o->err.code = 0;
    int k = kind ? kind_index(clip_kinds, kind) : CLIP_NONE;
    if (k < 0) return lre_error_unknown(&o->err, "clip", "kind", kind, clip_kinds);
    /* their first pass sums the whole group's gradient: no unit-wise scale there */
    if (k == CLIP_AGC && (o->kind == O_LAMB || o->kind == O_LARS || o->kind == O_NOVOGRAD || o->kind == O_PRODIGY ||
                            o->kind == O_ADAFACTOR))
        return fail(o, LRE_EINVAL, "%s: clip agc: not with this optimizer (it takes norms of the whole group first)",
                    lre__optim_name(o->kind));
    const lre_pspec *spec = k == CLIP_NORM ? norm_spec : k == CLIP_VALUE ? value_spec : agc_spec;
    size_t nspec = k == CLIP_NORM ? 2 : k == CLIP_VALUE ? 1 : 2;
    const char *scheduled = spec[0].name;
    char who[32];
    snprintf(who, sizeof who, "clip %s", clip_kinds[k]);
    lre_clip c = {k, 2, 0, 0, NULL, o->clip.coef};
    if (k == CLIP_NONE) {
        if (nparams) return fail(o, LRE_EINVAL, "clip none: takes no parameters");
    } else {
        lre_param plain[8];
        size_t nplain;
        double v[2];
        int rc = split_params(o, who, spec, nspec, scheduled, params, nparams, plain, 8, &nplain, &c.sched);
        if (rc) return rc;
        lre_pspec sp[2];
        memcpy(sp, spec, nspec * sizeof *spec);
        if (c.sched) sp[0].flags &= ~(unsigned)LRE_P_REQUIRED;
        rc = lre__parse_params(who, sp, nspec, plain, nplain, v, NULL, &o->err);
        if (rc) return rc;
        c.bound = c.sched ? 0 : v[0];
        if (k == CLIP_NORM) c.norm_type = v[1] == 0 ? 2 : INF;
        if (k == CLIP_AGC) c.eps = v[1];
    }
    lre_schedule_retain(c.sched);
    lre__optim_events_drop(o, o->clip.sched); /* taken over again at the next step when still in use */
    lre_schedule_release(o->clip.sched);
    o->clip = c;
    if (c.sched) lre_schedule_set_horizon(c.sched, o->steps_per_epoch, o->total_steps);
    return LRE_OK;
}

static const char *const guard_rules[] = {"none", "zscore", "threshold", "custom", NULL}; /* GUARD_* order */
static const lre_pspec zscore_spec[] = {{"on", 0, 0, 1, LRE_P_CHOICE, "grad_norm|loss"},
                                        {"window", 100, 2, (double)MAX_WINDOW, LRE_P_INT, NULL},
                                        {"z", 6, 0, INF, LRE_P_FINITE | LRE_P_LO_OPEN, NULL},
                                        {"warmup", 10, 2, (double)MAX_WINDOW, LRE_P_INT, NULL},
                                        {"max_skips", 10, 0, (double)LRE_STEP_MAX, LRE_P_INT, NULL}};
static const lre_pspec threshold_spec[] = {{"on", 0, 0, 1, LRE_P_CHOICE, "grad_norm|loss"},
                                           {"max", NAN, -INF, INF, LRE_P_FINITE | LRE_P_REQUIRED, NULL},
                                           {"max_skips", 10, 0, (double)LRE_STEP_MAX, LRE_P_INT, NULL}};
static const lre_pspec custom_spec[] = {{"max_skips", 10, 0, (double)LRE_STEP_MAX, LRE_P_INT, NULL}};

int lre_optim_set_guard(lre_optim *o, const char *rule, const lre_param *params, size_t nparams,
                        lre_schedule *script)
{
    o->err.code = 0;
    int r = rule ? kind_index(guard_rules, rule) : GUARD_NONE;
    if (r < 0) return lre_error_unknown(&o->err, "guard", "rule", rule, guard_rules);
    char who[32];
    snprintf(who, sizeof who, "guard %s", guard_rules[r]);
    if (r == GUARD_CUSTOM && !script) return fail(o, LRE_EINVAL, "guard custom: needs its script (a schedule)");
    if (r != GUARD_CUSTOM && script) return fail(o, LRE_EINVAL, "%s: takes no script", who);
    lre_guard g;
    memset(&g, 0, sizeof g);
    g.rule = r;
    guard_info_reset(&g.last);
    if (r == GUARD_NONE) {
        if (nparams) return fail(o, LRE_EINVAL, "guard none: takes no parameters");
    } else {
        double v[5];
        const lre_pspec *spec = r == GUARD_ZSCORE ? zscore_spec : r == GUARD_THRESHOLD ? threshold_spec : custom_spec;
        size_t nspec = r == GUARD_ZSCORE ? 5 : r == GUARD_THRESHOLD ? 3 : 1;
        for (size_t k = 0; k < nparams; k++)
            if (params[k].schedule) return fail(o, LRE_EINVAL, "%s: %s can not be a schedule", who, params[k].name ? params[k].name : "(null)");
        int rc = lre__parse_params(who, spec, nspec, params, nparams, v, NULL, &o->err);
        if (rc) return rc;
        if (r == GUARD_ZSCORE) {
            g.on_loss = v[0] == 1;
            g.window = (int64_t)v[1];
            g.z = v[2];
            g.warmup = (int64_t)v[3];
            g.max_skips = (int64_t)v[4];
            if (g.warmup > g.window)
                return fail(o, LRE_EINVAL, "%s: warmup (%lld) must be <= window (%lld)", who, (long long)g.warmup,
                            (long long)g.window);
            g.ring = lre__alloc_zero(&o->alloc, (size_t)g.window, sizeof *g.ring);
            if (!g.ring) return fail(o, LRE_ENOMEM, "%s: out of memory for a window of %lld", who, (long long)g.window);
        } else if (r == GUARD_THRESHOLD) {
            g.on_loss = v[0] == 1;
            g.max = v[1];
            g.max_skips = (int64_t)v[2];
        } else {
            g.max_skips = (int64_t)v[0];
            g.script = lre_schedule_retain(script);
            lre_schedule_set_horizon(script, o->steps_per_epoch, o->total_steps);
        }
    }
    guard_free(o, &o->guard);
    o->guard = g;
    return LRE_OK;
}

double lre_optim_grad_norm(const lre_optim *o) { return o->grad_norm; }
double lre_optim_clip_coef(const lre_optim *o) { return o->clip.kind == CLIP_NORM ? o->clip.coef : NAN; }
void lre_optim_set_loss(lre_optim *o, double loss) { o->loss = loss; }

void lre_optim_guard_info(const lre_optim *o, lre_guard_info *info)
{
    *info = o->guard.last;
    info->skips = o->guard.skips;
    info->consecutive = o->guard.run;
}

/* ---- the step ---- */

int lre__clip_scans(const lre_optim *o)
{
    return o->nonfinite != LRE_NONFINITE_TRUST || o->clip.kind != CLIP_NONE || o->guard.rule != GUARD_NONE;
}

void lre__clip_set_inputs(lre_optim *o)
{
    for (int i = 0; i < o->ngroups; i++)
        for (int x = 0; x < o->groups[i].nscheduled; x++)
            lre__schedule_set_inputs(o->groups[i].sched[o->groups[i].scheduled[x]], o->grad_norm, o->loss);
    if (o->clip.sched) lre__schedule_set_inputs(o->clip.sched, o->grad_norm, o->loss);
    if (o->guard.script) lre__schedule_set_inputs(o->guard.script, o->grad_norm, o->loss);
    if (o->average.sched) lre__schedule_set_inputs(o->average.sched, o->grad_norm, o->loss);
}

/* The window's mean and standard deviation (n - 1 in the denominator), in
 * two passes over at most `window` numbers. */
static void window_stats(const lre_guard *g, double *mean, double *std)
{
    double s = 0;
    for (int64_t i = 0; i < g->count; i++) s += g->ring[i];
    double m = s / (double)g->count, q = 0;
    for (int64_t i = 0; i < g->count; i++) q += (g->ring[i] - m) * (g->ring[i] - m);
    *mean = m;
    *std = g->count > 1 ? sqrt(q / (double)(g->count - 1)) : NAN;
}

int lre__guard_judge(lre_optim *o, int *skip, double *scale)
{
    lre_guard *g = &o->guard;
    *skip = 0;
    *scale = 1;
    if (g->rule == GUARD_NONE) return LRE_OK;
    const char *name = lre__optim_name(o->kind);
    lre_guard_info x;
    guard_info_reset(&x);
    if (g->rule == GUARD_CUSTOM) {
        lre_error e;
        double v;
        o->ev_tree = g->script;
        int rc = lre_schedule_eval(g->script, o->step, &v, &e);
        o->ev_tree = NULL;
        if (rc) return fail(o, rc, "%s: guard: %s", name, e.msg);
        x.value = g->on_loss ? o->loss : o->grad_norm;
        *skip = v <= 0;
        *scale = *skip ? 1 : v;
    } else {
        double v = g->on_loss ? o->loss : o->grad_norm;
        if (g->on_loss && isnan(v))
            return fail(o, LRE_EINVAL, "%s: guard %s on the loss: no loss reported for step %lld (lre_optim_set_loss)",
                        name, g->rule == GUARD_ZSCORE ? "zscore" : "threshold", (long long)o->step);
        x.value = v;
        if (g->rule == GUARD_THRESHOLD) {
            x.limit = g->max;
            *skip = !isfinite(v) || v > g->max;
        } else {
            if (g->count >= g->warmup) {
                window_stats(g, &x.mean, &x.std);
                x.limit = x.mean + g->z * x.std;
                *skip = !(v <= x.limit); /* a NaN, or infinity, is skipped */
            } else {
                *skip = !isfinite(v);
            }
        }
    }
    x.skipped = *skip;
    x.scale = *scale;
    if (*skip && g->run >= g->max_skips) {
        g->last = x;
        return fail(o, LRE_EGUARD,
                    "%s: guard: step %lld would be the %lld-th skipped in a row (max_skips %lld): %s %.17g above %.17g; "
                    "parameters left unchanged",
                    name, (long long)o->step, (long long)g->run + 1, (long long)g->max_skips,
                    g->on_loss ? "loss" : "grad_norm", x.value, x.limit);
    }
    g->last = x;
    return LRE_OK;
}

void lre__guard_commit(lre_optim *o, int skipped)
{
    lre_guard *g = &o->guard;
    if (g->rule == GUARD_NONE) return;
    if (skipped) {
        g->skips++;
        g->run++;
        return;
    }
    g->run = 0;
    if (g->rule != GUARD_ZSCORE) return;
    g->ring[g->pos] = g->last.value;
    g->pos = (g->pos + 1) % g->window;
    if (g->count < g->window) g->count++;
}

int lre__clip_prepare(lre_optim *o, double *bound)
{
    *bound = o->clip.bound;
    if (!o->clip.sched) return LRE_OK;
    lre_error e;
    double v;
    const char *name = lre__optim_name(o->kind);
    o->ev_tree = o->clip.sched;
    int rc = lre_schedule_eval(o->clip.sched, o->step, &v, &e);
    o->ev_tree = NULL;
    if (rc) return fail(o, rc, "%s: schedule of the clip's %s: %s", name, o->clip.kind == CLIP_NORM ? "max_norm" : o->clip.kind == CLIP_VALUE ? "clip_value" : "clip_factor", e.msg);
    const lre_pspec *ps = o->clip.kind == CLIP_NORM ? &norm_spec[0] : o->clip.kind == CLIP_VALUE ? &value_spec[0] : &agc_spec[0];
    rc = lre__check_value("clip", ps, v, &e);
    if (rc) return fail(o, LRE_ERANGE, "%s: %s (from its schedule, step %lld)", name, e.msg, (long long)o->step);
    *bound = v;
    return LRE_OK;
}

/* torch.nn.utils.clip_grad_norm_: clip_coef = max_norm / (total_norm + 1e-6),
 * clamped to at most 1 by torch.clamp, which keeps a NaN. */
double lre__clip_coef(const lre_optim *o, double bound)
{
    double c = bound / (o->grad_norm + 1e-6);
    return c > 1 ? 1 : c;
}

/* ---- saved state ---- */

#define CLIP_TAG 0x50494C43u /* "CLIP" */

/* The settings, then the state: the schedules' (by fingerprint), the
 * guard's window and counters. */
int lre__clip_save(lre_optim *o, lre_buf *b)
{
    const lre_clip *c = &o->clip;
    const lre_guard *g = &o->guard;
    if (c->kind == CLIP_NONE && g->rule == GUARD_NONE) return LRE_OK;
    lre__buf_u32(b, CLIP_TAG);
    lre__buf_u32(b, (uint32_t)c->kind);
    lre__buf_f64(b, c->norm_type);
    lre__buf_f64(b, c->bound);
    lre__buf_f64(b, c->eps);
    lre__buf_f64(b, c->coef);
    lre__buf_u64(b, c->sched ? lre__schedule_fingerprint(c->sched) : 0);
    int rc = c->sched ? lre__schedule_save_state(c->sched, b, &o->err) : LRE_OK;
    if (rc) return rc;
    lre__buf_u32(b, (uint32_t)g->rule);
    lre__buf_u32(b, (uint32_t)g->on_loss);
    lre__buf_f64(b, g->z);
    lre__buf_f64(b, g->max);
    lre__buf_u64(b, (uint64_t)g->window);
    lre__buf_u64(b, (uint64_t)g->warmup);
    lre__buf_u64(b, (uint64_t)g->max_skips);
    lre__buf_u64(b, (uint64_t)g->count);
    lre__buf_u64(b, (uint64_t)g->pos);
    lre__buf_u64(b, (uint64_t)g->skips);
    lre__buf_u64(b, (uint64_t)g->run);
    for (int64_t i = 0; i < g->count; i++) lre__buf_f64(b, g->ring[i]);
    lre__buf_u64(b, g->script ? lre__schedule_fingerprint(g->script) : 0);
    return g->script ? lre__schedule_save_state(g->script, b, &o->err) : LRE_OK;
}

static int corrupt(lre_optim *o, const char *what, ...) LRE_PRINTF(2, 3);
static int corrupt(lre_optim *o, const char *what, ...)
{
    char buf[LRE_ERRMSG_SIZE];
    va_list ap;
    va_start(ap, what);
    vsnprintf(buf, sizeof buf, what, ap);
    va_end(ap);
    return fail(o, LRE_ECORRUPT, "%s: optimizer state is corrupt: %s", lre__optim_name(o->kind), buf);
}

static int mismatch(lre_optim *o, const char *what)
{
    return fail(o, LRE_EMISMATCH, "%s: optimizer state of another configuration: %s", lre__optim_name(o->kind), what);
}

/* Reads and checks the section (the cursor is past the groups) into st:
 * the guard's numbers, the window (pointing into the stream's buffer), and
 * the schedules' state staged in the schedules themselves. */
static int read_section(lre_optim *o, lre_cur *cur, lre_clip_staged *st, int64_t step, int64_t skipped)
{
    const lre_clip *c = &o->clip;
    const lre_guard *g = &o->guard;
    uint32_t kind = lre__cur_u32(cur);
    double norm_type = lre__cur_f64(cur), bound = lre__cur_f64(cur), eps = lre__cur_f64(cur), coef = lre__cur_f64(cur);
    uint64_t fp = lre__cur_u64(cur);
    if (cur->bad) return corrupt(o, "clip settings cut short");
    if (kind != (uint32_t)c->kind) return mismatch(o, "another kind of clipping");
    if (norm_type != c->norm_type || eps != c->eps) return mismatch(o, "clipping with other settings");
    if (fp != (c->sched ? lre__schedule_fingerprint(c->sched) : 0)) return mismatch(o, "the clip has another schedule");
    if (!c->sched && bound != c->bound) return mismatch(o, "clipping with another bound");
    if (c->sched && !(isfinite(bound) && bound >= 0)) return corrupt(o, "clip bound %.17g", bound);
    if (!isnan(coef) && !(coef >= 0 && coef <= 1)) return corrupt(o, "clip coefficient %.17g outside [0, 1]", coef);
    st->bound = bound;
    st->coef = coef;
    if (c->sched) {
        st->staged_clip = 1;
        int rc = lre__schedule_prepare_load(c->sched, cur, &o->err);
        if (rc) return rc;
    }
    uint32_t rule = lre__cur_u32(cur), on_loss = lre__cur_u32(cur);
    double z = lre__cur_f64(cur), max = lre__cur_f64(cur);
    uint64_t window = lre__cur_u64(cur), warmup = lre__cur_u64(cur), max_skips = lre__cur_u64(cur);
    uint64_t count = lre__cur_u64(cur), pos = lre__cur_u64(cur), skips = lre__cur_u64(cur), run = lre__cur_u64(cur);
    if (cur->bad) return corrupt(o, "guard settings cut short");
    if (rule != (uint32_t)g->rule) return mismatch(o, "another guard rule");
    if (on_loss != (uint32_t)g->on_loss || z != g->z || max != g->max || window != (uint64_t)g->window ||
        warmup != (uint64_t)g->warmup || max_skips != (uint64_t)g->max_skips)
        return mismatch(o, "a guard with other settings");
    /* what the guard can leave: a window filled in order, then wrapping */
    if (count > window || (window ? pos >= window : pos != 0) || (count < window && pos != count))
        return corrupt(o, "guard window: %llu values, next slot %llu, of %llu", (unsigned long long)count,
                       (unsigned long long)pos, (unsigned long long)window);
    if (count > (uint64_t)step)
        return corrupt(o, "guard window holds %llu values after %lld steps", (unsigned long long)count, (long long)step);
    if (skips > (uint64_t)skipped || run > skips || run > max_skips)
        return corrupt(o, "guard counts: %llu skipped (%llu in a row, max_skips %llu) of %lld skipped steps",
                       (unsigned long long)skips, (unsigned long long)run, (unsigned long long)max_skips,
                       (long long)skipped);
    const unsigned char *ring = lre__cur_take(cur, (size_t)count * sizeof(double));
    if (cur->bad) return corrupt(o, "guard window cut short");
    for (uint64_t i = 0; i < count; i++) {
        double v;
        memcpy(&v, ring + i * sizeof v, sizeof v);
        if (!isfinite(v)) return corrupt(o, "guard window value %llu is %.17g", (unsigned long long)i, v);
    }
    st->count = (int64_t)count;
    st->pos = (int64_t)pos;
    st->skips = (int64_t)skips;
    st->run = (int64_t)run;
    st->ring = ring;
    fp = lre__cur_u64(cur);
    if (cur->bad) return corrupt(o, "guard cut short");
    if (fp != (g->script ? lre__schedule_fingerprint(g->script) : 0)) return mismatch(o, "a guard with another script");
    if (g->script) {
        st->staged_guard = 1;
        int rc = lre__schedule_prepare_load(g->script, cur, &o->err);
        if (rc) return rc;
    }
    return LRE_OK;
}

int lre__clip_prepare_load(lre_optim *o, lre_cur *cur, lre_clip_staged *st, int64_t step, int64_t skipped)
{
    memset(st, 0, sizeof *st);
    int configured = o->clip.kind != CLIP_NONE || o->guard.rule != GUARD_NONE;
    int present = 0;
    if ((size_t)(cur->end - cur->p) >= sizeof(uint32_t)) {
        uint32_t tag;
        memcpy(&tag, cur->p, sizeof tag);
        present = tag == CLIP_TAG;
    }
    if (!present && !configured) return LRE_OK;
    if (!present) return mismatch(o, "saved without clipping or a guard, this optimizer has one");
    if (!configured) return mismatch(o, "saved with clipping or a guard, this optimizer has neither");
    lre__cur_u32(cur);
    st->present = 1;
    return read_section(o, cur, st, step, skipped);
}

void lre__clip_finish_load(lre_optim *o, const lre_clip_staged *st, int commit)
{
    if (st->staged_clip) lre__schedule_finish_load(o->clip.sched, commit);
    if (st->staged_guard) lre__schedule_finish_load(o->guard.script, commit);
    if (!commit || !st->present) return;
    lre_guard *g = &o->guard;
    o->clip.bound = st->bound;
    o->clip.coef = st->coef;
    g->count = st->count;
    g->pos = st->pos;
    g->skips = st->skips;
    g->run = st->run;
    if (st->count) memcpy(g->ring, st->ring, (size_t)st->count * sizeof *g->ring);
    guard_info_reset(&g->last);
}
