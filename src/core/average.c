/* average.c -- weight averaging inside the step, and the modes that move
 * the parameters between two points without allocating:
 *
 *   - EMA, as timm's ModelEmaV3 stepped by timm's train.py: after step t,
 *     ema = d*ema + (1-d)*x with d a constant, a schedule of t, or timm's
 *     warm-up 1 - (1 + s/gamma)^-power clamped to [min_decay, decay], where
 *     s = t - update_after_step and s <= 0 copies the weights (d = 0);
 *   - SWA, PyTorch's torch.optim.swa_utils.AveragedModel: a uniform average
 *     of the weights after the steps start+every, start+2*every, ... (the
 *     first one a copy, then avg + (x - avg)/(n + 1));
 *   - lre_optim_swap_average: the averages and the parameters exchange
 *     places, element by element;
 *   - schedule-free's eval and train (facebookresearch/schedule_free): the
 *     parameters go to x and back to y, by exchanging them with the state
 *     buffer holding x (the reference copies x in and y back: the same
 *     values, one buffer less).
 *
 * The averaging update runs per chunk right after that chunk's update
 * (optim.c's update_chunk), while the chunk's parameters are in cache: the
 * step stays one pass over memory, plus one read and one write of the
 * average itself. */
#include "optim_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define INF INFINITY

int lre__optim_schedulefree(int kind) { return kind == O_SGD_SCHEDULEFREE || kind == O_ADAMW_SCHEDULEFREE; }

static int fail(lre_optim *o, int code, const char *fmt, ...) LRE_PRINTF(3, 4);
static int fail(lre_optim *o, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lre__error_setv(&o->err, code, fmt, ap);
    va_end(ap);
    return code;
}

/* The parameters of each rule (timm's and PyTorch's defaults). */
enum { A_DECAY, A_USE_STEP, A_UPDATE_AFTER, A_WARMUP, A_GAMMA, A_POWER, A_MIN_DECAY, A_NEMA };
static const lre_pspec ema_spec[A_NEMA] = {
    {"decay", 0.9999, 0, 1, 0, NULL},
    {"use_step", 1, 0, 1, LRE_P_BOOL, NULL},
    {"update_after_step", 0, 0, 9007199254740992.0, LRE_P_INT, NULL},
    {"warmup", 0, 0, 1, LRE_P_BOOL, NULL},
    {"warmup_gamma", 1, 0, INF, LRE_P_LO_OPEN | LRE_P_FINITE, NULL},
    {"warmup_power", 2.0 / 3.0, 0, INF, LRE_P_LO_OPEN | LRE_P_FINITE, NULL},
    {"min_decay", 0, 0, 1, 0, NULL},
};
enum { S_START, S_EVERY, S_NSWA };
static const lre_pspec swa_spec[S_NSWA] = {
    {"start", 0, 0, 9007199254740992.0, LRE_P_INT, NULL},
    {"every", 1, 1, 9007199254740992.0, LRE_P_INT, NULL},
};

static size_t avg_bytes(const lre_group *g) { return (g->n ? g->n : 1) * lre__dtype_size(g->dtype); }

void lre__average_free(lre_optim *o, lre_group *g)
{
    lre__free(&o->alloc, g->avg, avg_bytes(g));
    g->avg = NULL;
    g->avg_n = 0;
}

int lre__average_alloc(lre_optim *o, lre_group *g)
{
    if (o->average.kind == LRE_AVG_NONE || g->avg) return LRE_OK;
    g->avg = lre__alloc_zero(&o->alloc, avg_bytes(g), 1);
    if (!g->avg) return fail(o, LRE_ENOMEM, "%s: out of memory for the averaged weights", lre_optim_kind(o));
    g->avg_n = 0;
    return LRE_OK;
}

int lre_optim_set_average(lre_optim *o, const char *kind, const lre_param *params, size_t nparams)
{
    o->err.code = 0;
    const char *name = lre_optim_kind(o);
    static const char *const kinds[] = {"none", "ema", "swa", NULL};
    int id = -1;
    for (int i = 0; kinds[i]; i++)
        if (kind && !strcmp(kind, kinds[i])) id = i;
    if (!kind) id = LRE_AVG_NONE;
    if (id < 0) return lre_error_unknown(&o->err, name, "averaging rule", kind, kinds);
    if (o->average.swapped)
        return fail(o, LRE_EINVAL, "%s: set_average: the averaged weights are swapped in: swap them back first", name);
    lre_average a = {0};
    a.kind = id;
    a.last_decay = NAN;
    char who[64];
    snprintf(who, sizeof who, "%s: average '%s'", name, kinds[id]);
    lre_param plain[16];
    size_t nplain = 0;
    for (size_t i = 0; i < nparams; i++) {
        if (id == LRE_AVG_EMA && params[i].schedule && params[i].name && !strcmp(params[i].name, "decay")) {
            a.sched = params[i].schedule;
            continue;
        }
        if (params[i].schedule)
            return fail(o, LRE_EINVAL, "%s: %s can not be a schedule (only an EMA's decay can)", who,
                        params[i].name ? params[i].name : "(null)");
        if (nplain == sizeof plain / sizeof plain[0]) return fail(o, LRE_EINVAL, "%s: too many parameters", who);
        plain[nplain++] = params[i];
    }
    if (id == LRE_AVG_EMA) {
        double v[A_NEMA];
        int rc = lre__parse_params(who, ema_spec, A_NEMA, plain, nplain, v, NULL, &o->err);
        if (rc) return rc;
        a.decay = v[A_DECAY];
        a.use_step = v[A_USE_STEP] != 0;
        a.update_after_step = (int64_t)v[A_UPDATE_AFTER];
        a.warmup = v[A_WARMUP] != 0;
        a.warmup_gamma = v[A_GAMMA];
        a.warmup_power = v[A_POWER];
        a.min_decay = v[A_MIN_DECAY];
        if (a.sched && a.warmup)
            return fail(o, LRE_EINVAL, "%s: warmup is a rule for a constant decay; a scheduled decay has its own", who);
        if (!a.use_step && (a.warmup || a.update_after_step))
            return fail(o, LRE_EINVAL, "%s: warmup and update_after_step count steps: they need use_step = true", who);
    } else if (id == LRE_AVG_SWA) {
        double v[S_NSWA];
        int rc = lre__parse_params(who, swa_spec, S_NSWA, plain, nplain, v, NULL, &o->err);
        if (rc) return rc;
        a.start = (int64_t)v[S_START];
        a.every = (int64_t)v[S_EVERY];
    } else if (nplain) {
        return fail(o, LRE_EINVAL, "%s: no averaging takes no parameters", who);
    }
    /* All-or-nothing: the buffers first, then the rule. */
    if (id != LRE_AVG_NONE) {
        int old = o->average.kind;
        o->average.kind = id;
        for (int i = 0; i < o->ngroups; i++) {
            if (o->groups[i].avg) continue;
            int rc = lre__average_alloc(o, &o->groups[i]);
            if (rc) {
                o->average.kind = old;
                if (old == LRE_AVG_NONE)
                    for (int j = 0; j < i; j++) lre__average_free(o, &o->groups[j]);
                return rc;
            }
        }
    } else {
        for (int i = 0; i < o->ngroups; i++) lre__average_free(o, &o->groups[i]);
    }
    for (int i = 0; i < o->ngroups; i++) o->groups[i].avg_n = 0;
    lre_schedule_retain(a.sched);
    lre__optim_events_drop(o, o->average.sched);
    lre_schedule_release(o->average.sched);
    if (a.sched) lre_schedule_set_horizon(a.sched, o->steps_per_epoch, o->total_steps);
    o->average = a;
    return LRE_OK;
}

const char *lre_optim_average_kind(const lre_optim *o)
{
    static const char *const kinds[] = {"none", "ema", "swa"};
    return kinds[o->average.kind];
}

/* timm's ModelEmaV3.get_decay(step) with step = t + 1 (train.py passes
 * num_updates after incrementing it); *eval: the schedule is due. */
static double ema_decay(const lre_average *a, int64_t t, int *eval)
{
    *eval = 0;
    if (a->use_step) {
        double s = (double)t - (double)a->update_after_step; /* max(0, step - update_after_step - 1) */
        if (s <= 0) return 0;
        if (a->sched) return *eval = 1, 0;
        if (a->warmup) {
            double d = 1 - pow(1 + s / a->warmup_gamma, -a->warmup_power);
            return fmax(fmin(d, a->decay), a->min_decay);
        }
        return a->decay;
    }
    if (a->sched) return *eval = 1, 0;
    return a->decay;
}

int lre__average_prepare(lre_optim *o)
{
    lre_average *a = &o->average;
    a->next_on = 0;
    a->next_decay = NAN;
    if (a->kind == LRE_AVG_SWA) {
        int64_t n = o->step + 1; /* steps taken after this one */
        a->next_on = n > a->start && (n - a->start) % a->every == 0;
    } else if (a->kind == LRE_AVG_EMA) {
        int due;
        double d = ema_decay(a, o->step, &due);
        if (due) {
            lre_error e;
            o->ev_tree = a->sched;
            int rc = lre_schedule_eval(a->sched, o->step, &d, &e);
            o->ev_tree = NULL;
            if (rc) return fail(o, rc, "%s: schedule of the average's decay: %s", lre_optim_kind(o), e.msg);
            if (!(d >= 0 && d <= 1))
                return fail(o, LRE_ERANGE, "%s: the average's decay from its schedule is %.17g at step %lld, not in [0, 1]",
                            lre_optim_kind(o), d, (long long)o->step);
        }
        a->next_on = 1;
        a->next_decay = d;
    }
    return LRE_OK;
}

void lre__average_group(const lre_optim *o, const lre_group *g, lre_step_scalars *k)
{
    const lre_average *a = &o->average;
    k->avg = a->next_on && g->avg;
    k->avg_first = g->avg_n == 0;
    if (!k->avg) return;
    if (a->kind == LRE_AVG_EMA) {
        k->avg_keep = a->next_decay;
        k->avg_take = 1 - a->next_decay;
    } else if (g->avg_n == 0) { /* AveragedModel copies the first time */
        k->avg_keep = 0;
        k->avg_take = 1;
    } else {
        k->avg_keep = -1;
        k->avg_take = (double)g->avg_n + 1;
    }
}

void lre__average_begin(lre_group *g, const lre_step_scalars *k, size_t lo, size_t hi)
{
    size_t es = lre__dtype_size(g->dtype);
    if (k->avg && k->avg_first) memcpy((char *)g->avg + lo * es, (const char *)g->params + lo * es, (hi - lo) * es);
}

void lre__average_chunk(lre_group *g, const lre_step_scalars *k, size_t lo, size_t hi)
{
    if (!k->avg) return;
    if (g->dtype == LRE_F32) lre__average_f32(g, k, lo, hi);
    else lre__average_f64(g, k, lo, hi);
}

void lre__average_commit(lre_optim *o, lre_group *g, const lre_step_scalars *k)
{
    if (!k->avg) return;
    g->avg_n++;
    o->average.last_decay = o->average.next_decay;
}

static void swap_buffers(lre_group *g, void *other)
{
    if (g->dtype == LRE_F32) lre__swap_f32(g->params, other, g->n);
    else lre__swap_f64(g->params, other, g->n);
}

int lre_optim_swap_average(lre_optim *o)
{
    o->err.code = 0;
    const char *name = lre_optim_kind(o);
    if (o->average.kind == LRE_AVG_NONE) return fail(o, LRE_EINVAL, "%s: swap_average: no averaging is set", name);
    if (o->eval_mode)
        return fail(o, LRE_EINVAL, "%s: swap_average: the optimizer is in eval mode: call train first", name);
    for (int i = 0; i < o->ngroups; i++) {
        lre_group *g = &o->groups[i];
        /* no average yet: it is the parameters, so the swap changes nothing */
        if (g->avg_n == 0 && !o->average.swapped) memcpy(g->avg, g->params, g->n * lre__dtype_size(g->dtype));
        swap_buffers(g, g->avg);
    }
    o->average.swapped = !o->average.swapped;
    return LRE_OK;
}

int lre_optim_average_swapped(const lre_optim *o) { return o->average.swapped; }

const void *lre_optim_average(const lre_optim *o, int group)
{
    if (group < 0 || group >= o->ngroups || !o->groups[group].avg || o->groups[group].avg_n == 0) return NULL;
    return o->average.swapped ? o->groups[group].params : o->groups[group].avg;
}

int64_t lre_optim_average_count(const lre_optim *o, int group)
{
    return group < 0 || group >= o->ngroups ? 0 : o->groups[group].avg_n;
}

double lre_optim_average_decay(const lre_optim *o) { return o->average.last_decay; }

/* ---- schedule-free modes ---- */

static int sf_mode(lre_optim *o, int eval)
{
    o->err.code = 0;
    if (!lre__optim_schedulefree(o->kind) || o->eval_mode == eval) return LRE_OK;
    if (o->average.swapped)
        return fail(o, LRE_EINVAL, "%s: %s: the averaged weights are swapped in: swap them back first",
                    lre_optim_kind(o), eval ? "eval" : "train");
    /* a group not yet updated has no x: the reference leaves it as it is */
    for (int i = 0; i < o->ngroups; i++)
        if (o->groups[i].t > 0) swap_buffers(&o->groups[i], o->groups[i].state[1]);
    o->eval_mode = eval;
    return LRE_OK;
}

int lre_optim_eval(lre_optim *o) { return sf_mode(o, 1); }
int lre_optim_train(lre_optim *o) { return sf_mode(o, 0); }
int lre_optim_is_eval(const lre_optim *o) { return o->eval_mode; }

int lre_optim_scheduled_lr(const lre_optim *o, int group, double *lr, double *c)
{
    *lr = *c = NAN;
    if (group < 0 || group >= o->ngroups || !lre__optim_schedulefree(o->kind)) return LRE_EINVAL;
    const lre_group *g = &o->groups[group];
    if (g->t == 0) return LRE_OK;
    /* recomputed from the state the last update left (optim.c's prepare) */
    double t = (double)g->t, warm = g->hp[HP_WARMUP_STEPS];
    double weight = pow(t, g->hp[HP_R]) * pow(g->scalar[0], g->hp[HP_WEIGHT_LR_POWER]);
    *lr = g->hp[HP_LR] * (t - 1 < warm ? t / warm : 1.0);
    *c = g->scalar[2] != 0 ? weight / g->scalar[2] : 0;
    return LRE_OK;
}

/* ---- saved state ---- */

uint64_t lre__average_fingerprint(const lre_optim *o)
{
    const lre_average *a = &o->average;
    double v[] = {(double)a->kind,        a->sched ? -1 : a->decay,   a->use_step,
                  a->warmup,              a->min_decay,               a->warmup_gamma,
                  a->warmup_power,        (double)a->update_after_step, (double)a->start,
                  (double)a->every};
    uint64_t h = lre__fnv(LRE_FNV_INIT, v, sizeof v);
    if (a->sched) {
        uint64_t s = lre__schedule_fingerprint(a->sched);
        h = lre__fnv(h, &s, sizeof s);
    }
    return h;
}

int lre__average_sched_shared(const lre_optim *o) { return lre__optim_groups_hold(o, o->average.sched); }
