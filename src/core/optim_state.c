/* optim_state.c -- saving and loading an optimizer: step counts,
 * hyper-parameters, state arrays and the state of the schedules that drive
 * it, in the checksummed stream of stream.c. Load validates the whole stream
 * against this optimizer before it changes anything. */
#include "optim_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Is (group i, hyper-parameter h) the first place schedule s drives? A
 * schedule shared by several groups is saved once. */
static int first_use(const lre_optim *o, int i, int h)
{
    const lre_schedule *s = o->groups[i].sched[h];
    for (int j = 0; j <= i; j++)
        for (int k = 0; k < (j == i ? h : HP_COUNT); k++)
            if (o->groups[j].sched[k] == s) return 0;
    return 1;
}

static uint32_t state_mask(const lre_group *g)
{
    uint32_t m = 0;
    for (int s = 0; s < LRE_MAX_STATE; s++) m |= (uint32_t)(g->state[s] != NULL) << s;
    return m;
}

/* Which hyper-parameters a schedule drives: bit h % 32 of word h / 32. */
static void sched_mask(const lre_group *g, uint32_t m[LRE_HP_MASK_WORDS])
{
    for (int w = 0; w < LRE_HP_MASK_WORDS; w++) m[w] = 0;
    for (int h = 0; h < HP_COUNT; h++) m[h / 32] |= (uint32_t)(g->sched[h] != NULL) << (h % 32);
}

/* The averaging rule, its counts and averages, and the modes (average.c). */
static int save_average(lre_optim *o, lre_buf *b)
{
    const lre_average *a = &o->average;
    lre__buf_u32(b, (uint32_t)o->eval_mode);
    lre__buf_u32(b, (uint32_t)a->kind);
    lre__buf_u64(b, lre__average_fingerprint(o));
    lre__buf_u32(b, (uint32_t)a->swapped);
    lre__buf_f64(b, a->last_decay);
    if (a->sched && !lre__average_sched_shared(o)) {
        int rc = lre__schedule_save_state(a->sched, b, &o->err);
        if (rc) return rc;
    }
    for (int i = 0; i < o->ngroups && a->kind != LRE_AVG_NONE; i++) {
        lre_group *g = &o->groups[i];
        lre__buf_u64(b, (uint64_t)g->avg_n);
        lre__buf_put(b, g->avg, g->n * lre__dtype_size(g->dtype));
    }
    return LRE_OK;
}

int lre_optim_save(lre_optim *o, lre_write_fn write, void *ud)
{
    o->err.code = 0;
    lre_buf b = {.alloc = &o->alloc};
    lre__buf_u32(&b, (uint32_t)o->kind);
    lre__buf_u64(&b, (uint64_t)o->step);
    lre__buf_u64(&b, (uint64_t)o->skipped);
    lre__buf_u32(&b, (uint32_t)o->ngroups);
    int rc = LRE_OK;
    for (int i = 0; i < o->ngroups && !rc; i++) {
        lre_group *g = &o->groups[i];
        lre__buf_u32(&b, (uint32_t)g->dtype);
        lre__buf_u64(&b, (uint64_t)g->n);
        lre__buf_u32(&b, (uint32_t)g->ndim);
        lre__buf_u64(&b, (uint64_t)g->rows);
        lre__buf_u64(&b, (uint64_t)g->cols);
        lre__buf_u64(&b, (uint64_t)g->t);
        for (int s = 0; s < 3; s++) lre__buf_f64(&b, g->scalar[s]);
        lre__buf_u32(&b, (uint32_t)g->momentum_started);
        for (int h = 0; h < HP_COUNT; h++) lre__buf_f64(&b, g->hp[h]);
        lre__buf_u32(&b, state_mask(g));
        for (int s = 0; s < LRE_MAX_STATE; s++)
            if (g->state[s]) lre__buf_put(&b, g->state[s], lre__slot_len(o->kind, g, s) * lre__dtype_size(g->dtype));
        uint32_t smask[LRE_HP_MASK_WORDS];
        sched_mask(g, smask);
        for (int w = 0; w < LRE_HP_MASK_WORDS; w++) lre__buf_u32(&b, smask[w]);
        for (int h = 0; h < HP_COUNT && !rc; h++) {
            if (!g->sched[h] || !first_use(o, i, h)) continue;
            lre__buf_u64(&b, lre__schedule_fingerprint(g->sched[h]));
            lre__buf_u64(&b, lre__schedule_shape_fingerprint(g->sched[h]));
            rc = lre__schedule_save_state(g->sched[h], &b, &o->err);
        }
    }
    if (!rc && o->kind == O_PRODIGY) {
        const lre_prodigy *pr = &o->prodigy;
        lre__buf_f64(&b, pr->d);
        lre__buf_f64(&b, pr->d_max);
        lre__buf_f64(&b, pr->numerator);
        lre__buf_f64(&b, pr->dlr);
        lre__buf_u64(&b, (uint64_t)pr->k);
    }
    if (!rc) rc = save_average(o, &b);
    if (!rc) rc = lre__clip_save(o, &b);
    if (!rc) rc = lre__stream_write(LRE_TAG_OPTIM, &b, write, ud, &o->err);
    lre__buf_free(&b);
    return rc;
}

/* A group as read from the stream, checked but not yet applied. */
typedef struct staged_group {
    int64_t t;
    double scalar[3];
    int momentum_started;
    double hp[HP_COUNT];
    const void *state[LRE_MAX_STATE];
    int64_t avg_n;
    const void *avg;
} staged_group;

/* The counts as read from the stream. */
typedef struct staged_counts {
    int64_t step, skipped;
    lre_prodigy prodigy;
    int eval_mode, swapped;
    double last_decay;
} staged_counts;

static int corrupt(lre_optim *o, const char *fmt, ...) LRE_PRINTF(2, 3);
static int corrupt(lre_optim *o, const char *fmt, ...)
{
    char what[LRE_ERRMSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return lre_error_set(&o->err, LRE_ECORRUPT, "%s: optimizer state is corrupt: %s", lre__optim_name(o->kind), what);
}

static int mismatch(lre_optim *o, int group, const char *what)
{
    return lre_error_set(&o->err, LRE_EMISMATCH, "%s: optimizer state of another configuration: group %d %s",
                         lre__optim_name(o->kind), group + 1, what);
}

/* Every element finite, and not negative where the buffer never is. */
static int check_buffer(const lre_optim *o, const lre_group *g, int slot, const void *data, size_t *bad)
{
    int nonneg = lre__optim_nonneg_slot(o->kind, slot);
    for (size_t i = 0; i < lre__slot_len(o->kind, g, slot); i++) {
        double v;
        if (g->dtype == LRE_F32) {
            float f;
            memcpy(&f, (const char *)data + i * sizeof f, sizeof f);
            v = f;
        } else {
            memcpy(&v, (const char *)data + i * sizeof v, sizeof v);
        }
        if (!isfinite(v) || (nonneg && v < 0)) {
            *bad = i;
            return 0;
        }
    }
    return 1;
}

/* Reads one group into sg and checks it as add_group, set and step would. */
static int prepare_group(lre_optim *o, lre_cur *c, int i, const staged_counts *counts, staged_group *sg)
{
    lre_group *g = &o->groups[i];
    uint32_t dtype = lre__cur_u32(c);
    uint64_t n = lre__cur_u64(c);
    uint32_t ndim = lre__cur_u32(c);
    uint64_t rows = lre__cur_u64(c), cols = lre__cur_u64(c);
    uint64_t t = lre__cur_u64(c);
    for (int s = 0; s < 3; s++) sg->scalar[s] = lre__cur_f64(c);
    uint32_t started = lre__cur_u32(c);
    for (int h = 0; h < HP_COUNT; h++) sg->hp[h] = lre__cur_f64(c);
    uint32_t smask = lre__cur_u32(c);
    if (c->bad) return corrupt(o, "group %d cut short", i + 1);
    if (dtype != (uint32_t)g->dtype) return mismatch(o, i, "has another dtype");
    if (n != g->n) return mismatch(o, i, "has another size");
    if (ndim != (uint32_t)g->ndim || rows != g->rows || cols != g->cols) {
        char what[160];
        snprintf(what, sizeof what, "has another shape (%s %llu x %llu, this group is a %s %zu x %zu)",
                 ndim == 2 ? "matrix" : ndim == 1 ? "vector" : "unknown kind", (unsigned long long)rows,
                 (unsigned long long)cols, g->ndim == 2 ? "matrix" : "vector", g->rows, g->cols);
        return mismatch(o, i, what);
    }
    if (smask != state_mask(g)) return mismatch(o, i, "has other state (momentum, amsgrad or centered differ)");
    /* a group is updated at most once per step: 0 <= t <= step */
    if (t > (uint64_t)counts->step)
        return corrupt(o, "group %d has %llu updates in %lld steps", i + 1, (unsigned long long)t, (long long)counts->step);
    sg->t = (int64_t)t;
    if (started > 1 || (started && ((o->kind != O_SGD && o->kind != O_LARS) || sg->t == 0)))
        return corrupt(o, "group %d: momentum_started is %u after %lld updates", i + 1, (unsigned)started, (long long)sg->t);
    sg->momentum_started = (int)started;
    if (!lre__optim_check_scalars(o->kind, sg->t, sg->scalar))
        return corrupt(o, "group %d: per-group scalars (%.17g, %.17g, %.17g) impossible after %lld updates", i + 1,
                       sg->scalar[0], sg->scalar[1], sg->scalar[2], (long long)sg->t);
    char who[64];
    snprintf(who, sizeof who, "%s: optimizer state, group %d", lre__optim_name(o->kind), i + 1);
    /* the stream's hyper-parameters, when they are to replace ours (under
     * LRE_LOAD_CURRENT_HPARAMS they are not used: ours stay) */
    int rc = o->load_flags & LRE_LOAD_CURRENT_HPARAMS ? LRE_OK : lre__optim_check_hps(o, i, sg->hp, who, &o->err);
    if (rc) return rc;
    for (int s = 0; s < LRE_MAX_STATE; s++) {
        size_t bytes = lre__slot_len(o->kind, g, s) * lre__dtype_size(g->dtype); /* fits: the buffers exist */
        sg->state[s] = g->state[s] ? lre__cur_take(c, bytes) : NULL;
        if (c->bad) return corrupt(o, "group %d: state arrays cut short", i + 1);
        size_t at;
        if (sg->state[s] && !check_buffer(o, g, s, sg->state[s], &at))
            return corrupt(o, "group %d: state buffer %d element %zu is %s", i + 1, s + 1, at,
                           lre__optim_nonneg_slot(o->kind, s) ? "negative or not finite" : "not finite");
    }
    uint32_t schmask[LRE_HP_MASK_WORDS], ours[LRE_HP_MASK_WORDS];
    for (int w = 0; w < LRE_HP_MASK_WORDS; w++) schmask[w] = lre__cur_u32(c);
    if (c->bad) return corrupt(o, "group %d cut short", i + 1);
    sched_mask(g, ours);
    if (memcmp(schmask, ours, sizeof ours) != 0) return mismatch(o, i, "has other scheduled hyper-parameters");
    for (int h = 0; h < HP_COUNT; h++) {
        if (!g->sched[h] || !first_use(o, i, h)) continue;
        uint64_t fp = lre__cur_u64(c), shape = lre__cur_u64(c);
        if (c->bad) return corrupt(o, "group %d cut short", i + 1);
        if (shape != lre__schedule_shape_fingerprint(g->sched[h])) return mismatch(o, i, "has another schedule");
        if (!(o->load_flags & LRE_LOAD_CURRENT_HPARAMS) && fp != lre__schedule_fingerprint(g->sched[h]))
            return mismatch(o, i, "has another schedule (the same tree with other parameters: LRE_LOAD_CURRENT_HPARAMS "
                                    "loads it under this one's)");
        rc = lre__schedule_prepare_load(g->sched[h], c, &o->err);
        if (rc) return rc;
    }
    return LRE_OK;
}

static int all_finite(const lre_group *g, const void *data, size_t *bad)
{
    for (size_t i = 0; i < g->n; i++) {
        double v;
        if (g->dtype == LRE_F32) {
            float f;
            memcpy(&f, (const char *)data + i * sizeof f, sizeof f);
            v = f;
        } else {
            memcpy(&v, (const char *)data + i * sizeof v, sizeof v);
        }
        if (!isfinite(v)) {
            *bad = i;
            return 0;
        }
    }
    return 1;
}

/* The averaging section, checked against this optimizer's rule. */
static int prepare_average(lre_optim *o, lre_cur *c, staged_counts *counts, staged_group *st)
{
    const lre_average *a = &o->average;
    uint32_t eval = lre__cur_u32(c), kind = lre__cur_u32(c);
    uint64_t fp = lre__cur_u64(c);
    uint32_t swapped = lre__cur_u32(c);
    double last = lre__cur_f64(c);
    if (c->bad) return corrupt(o, "averaging section cut short");
    if (eval > 1 || (eval && !lre__optim_schedulefree(o->kind)))
        return corrupt(o, "eval mode is %u, for an optimizer %s", (unsigned)eval,
                       lre__optim_schedulefree(o->kind) ? "with two modes" : "without modes");
    if (kind != (uint32_t)a->kind || fp != lre__average_fingerprint(o))
        return lre_error_set(&o->err, LRE_EMISMATCH, "%s: state was saved with another averaging rule (%s)",
                             lre__optim_name(o->kind), kind > LRE_AVG_SWA ? "unknown" : kind == 0 ? "none" : kind == 1 ? "ema" : "swa");
    if (swapped > 1 || (swapped && (a->kind == LRE_AVG_NONE || eval)))
        return corrupt(o, "averages swapped in is %u (rule %s, eval mode %u)", (unsigned)swapped,
                       lre_optim_average_kind(o), (unsigned)eval);
    if (!(isnan(last) || (last >= 0 && last <= 1)) || (!isnan(last) && a->kind != LRE_AVG_EMA))
        return corrupt(o, "the last averaging decay is %.17g", last);
    counts->eval_mode = (int)eval;
    counts->swapped = (int)swapped;
    counts->last_decay = last;
    if (a->sched && !lre__average_sched_shared(o)) {
        int rc = lre__schedule_prepare_load(a->sched, c, &o->err);
        if (rc) return rc;
    }
    for (int i = 0; i < o->ngroups && a->kind != LRE_AVG_NONE; i++) {
        const lre_group *g = &o->groups[i];
        uint64_t n = lre__cur_u64(c);
        st[i].avg = lre__cur_take(c, g->n * lre__dtype_size(g->dtype));
        if (c->bad) return corrupt(o, "group %d: averaged weights cut short", i + 1);
        /* at most one averaging update per step */
        if (n > (uint64_t)counts->step)
            return corrupt(o, "group %d has %llu averaging updates in %lld steps", i + 1, (unsigned long long)n,
                           (long long)counts->step);
        st[i].avg_n = (int64_t)n;
        size_t at;
        if (!all_finite(g, st[i].avg, &at))
            return corrupt(o, "group %d: averaged weight %zu is not finite", i + 1, at);
    }
    return LRE_OK;
}

/* A loaded group's lr as the next step would read it: the stream's unless
 * this optimizer keeps its own (LRE_LOAD_CURRENT_HPARAMS); a scheduled lr
 * is its schedule's, checked by the step (NaN). */
typedef struct loaded_lrs {
    const lre_optim *o;
    const staged_group *st;
} loaded_lrs;
static double loaded_lr(const void *ctx, int i)
{
    const loaded_lrs *l = ctx;
    const lre_group *g = &l->o->groups[i];
    if (g->sched[HP_LR]) return NAN;
    return l->o->load_flags & LRE_LOAD_CURRENT_HPARAMS ? g->hp[HP_LR] : l->st[i].hp[HP_LR];
}

/* Prodigy's d, d_max, N, dlr and k, as its steps leave them: d starts at
 * the first group's d0 and never decreases, d <= d_max, k <= steps. */
static int prepare_prodigy(lre_optim *o, lre_cur *c, staged_counts *counts, const staged_group *st)
{
    lre_prodigy *pr = &counts->prodigy;
    pr->d = lre__cur_f64(c);
    pr->d_max = lre__cur_f64(c);
    pr->numerator = lre__cur_f64(c);
    pr->dlr = lre__cur_f64(c);
    uint64_t k = lre__cur_u64(c);
    if (c->bad) return corrupt(o, "prodigy's d cut short");
    /* what the step refuses, the load refuses: the groups' rates (the
     * reference raises on a state_dict whose groups' lr differ too) */
    loaded_lrs l = {o, st};
    if (lre__prodigy_check_lr(o->ngroups, loaded_lr, &l, "prodigy: optimizer state is corrupt", &o->err))
        return o->err.code = LRE_ECORRUPT;
    double d0 = o->ngroups ? st[0].hp[HP_D0] : 0;
    if (!isfinite(pr->d) || !isfinite(pr->d_max) || !(pr->d >= d0) || !(pr->d_max >= pr->d) || (o->ngroups && pr->d <= 0))
        return corrupt(o, "prodigy's d %.17g and d_max %.17g (d0 %.17g): not what steps leave", pr->d, pr->d_max, d0);
    if (!isfinite(pr->numerator)) return corrupt(o, "prodigy's numerator N is %.17g", pr->numerator);
    if (!isfinite(pr->dlr) || pr->dlr < 0) return corrupt(o, "prodigy's dlr is %.17g", pr->dlr);
    if (k > (uint64_t)counts->step)
        return corrupt(o, "prodigy's step count %llu beyond the %lld steps taken", (unsigned long long)k,
                       (long long)counts->step);
    pr->k = (int64_t)k;
    return LRE_OK;
}

static int prepare(lre_optim *o, lre_cur *c, staged_counts *counts, staged_group *st, lre_clip_staged *cs)
{
    const char *name = lre__optim_name(o->kind);
    uint32_t kind = lre__cur_u32(c);
    if (c->bad) return corrupt(o, "cut short");
    if (kind != (uint32_t)o->kind)
        return lre_error_set(&o->err, LRE_EMISMATCH, "%s: state was saved by another optimizer (%s)", name,
                             kind < O_COUNT ? lre__optim_name((int)kind) : "unknown");
    uint64_t step = lre__cur_u64(c), skipped = lre__cur_u64(c);
    uint32_t ngroups = lre__cur_u32(c);
    if (c->bad) return corrupt(o, "cut short");
    if (step > (uint64_t)LRE_STEP_MAX) return corrupt(o, "step count %llu beyond 2^53", (unsigned long long)step);
    if (skipped > (uint64_t)LRE_STEP_MAX)
        return corrupt(o, "skipped count %llu beyond 2^53", (unsigned long long)skipped);
    counts->step = (int64_t)step;
    counts->skipped = (int64_t)skipped;
    if (ngroups != (uint32_t)o->ngroups)
        return lre_error_set(&o->err, LRE_EMISMATCH, "%s: state has %u parameter groups, this optimizer has %d", name,
                             (unsigned)ngroups, o->ngroups);
    for (int i = 0; i < o->ngroups; i++) {
        int rc = prepare_group(o, c, i, counts, &st[i]);
        if (rc) return rc;
    }
    int rc = o->kind == O_PRODIGY ? prepare_prodigy(o, c, counts, st) : LRE_OK;
    if (rc) return rc;
    rc = prepare_average(o, c, counts, st);
    if (!rc) rc = lre__clip_prepare_load(o, c, cs, counts->step, counts->skipped);
    if (rc) return rc;
    if (c->p != c->end) return corrupt(o, "trailing bytes");
    return LRE_OK;
}

static void finish(lre_optim *o, int commit)
{
    if (o->average.sched && !lre__average_sched_shared(o)) lre__schedule_finish_load(o->average.sched, commit);
    for (int i = 0; i < o->ngroups; i++)
        for (int h = 0; h < HP_COUNT; h++)
            if (o->groups[i].sched[h] && first_use(o, i, h)) lre__schedule_finish_load(o->groups[i].sched[h], commit);
}

int lre_optim_load(lre_optim *o, lre_read_fn read, void *ud)
{
    return lre_optim_load_with(o, read, ud, LRE_LOAD_SAVED_HPARAMS);
}

int lre_optim_load_with(lre_optim *o, lre_read_fn read, void *ud, unsigned flags)
{
    o->err.code = 0;
    if (flags & ~(unsigned)LRE_LOAD_CURRENT_HPARAMS)
        return lre_error_set(&o->err, LRE_EINVAL, "%s: load: unknown flags %#x", lre__optim_name(o->kind), flags);
    o->load_flags = flags;
    unsigned char *data;
    size_t len, size;
    int rc = lre__stream_read(LRE_TAG_OPTIM, read, ud, &o->alloc, &data, &len, &size, &o->err);
    if (rc) return rc;
    size_t nst = o->ngroups ? (size_t)o->ngroups : 1;
    staged_group *st = lre__alloc_zero(&o->alloc, nst, sizeof *st);
    if (!st) {
        lre__free(&o->alloc, data, size);
        return lre_error_set(&o->err, LRE_ENOMEM, "out of memory loading optimizer state");
    }
    lre_cur c = {data, data + len, 0};
    staged_counts counts = {0};
    lre_clip_staged cs;
    memset(&cs, 0, sizeof cs);
    rc = prepare(o, &c, &counts, st, &cs);
    if (!rc) {
        o->step = counts.step;
        o->skipped = counts.skipped;
        for (int i = 0; i < o->ngroups; i++) {
            lre_group *g = &o->groups[i];
            g->t = st[i].t;
            memcpy(g->scalar, st[i].scalar, sizeof g->scalar);
            g->momentum_started = st[i].momentum_started;
            if (!(flags & LRE_LOAD_CURRENT_HPARAMS)) memcpy(g->hp, st[i].hp, sizeof g->hp);
            for (int s = 0; s < LRE_MAX_STATE; s++)
                if (g->state[s])
                    memcpy(g->state[s], st[i].state[s], lre__slot_len(o->kind, g, s) * lre__dtype_size(g->dtype));
            if (g->avg) {
                g->avg_n = st[i].avg_n;
                memcpy(g->avg, st[i].avg, g->n * lre__dtype_size(g->dtype));
            }
        }
        if (o->kind == O_PRODIGY) o->prodigy = counts.prodigy;
        o->eval_mode = counts.eval_mode;
        o->average.swapped = counts.swapped;
        o->average.last_decay = counts.last_decay;
    }
    finish(o, rc == LRE_OK);
    lre__clip_finish_load(o, &cs, rc == LRE_OK);
    lre__free(&o->alloc, st, nst * sizeof *st);
    lre__free(&o->alloc, data, size);
    return rc;
}
