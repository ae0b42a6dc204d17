/* optim_state.c -- saving and loading an optimizer: step counts,
 * hyper-parameters, state arrays and the state of the schedules that drive
 * it, in the checksummed stream of stream.c. Load validates the whole stream
 * against this optimizer before it changes anything. */
#include "optim_internal.h"

#include <math.h>
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

static uint32_t sched_mask(const lre_group *g)
{
    uint32_t m = 0;
    for (int h = 0; h < HP_COUNT; h++) m |= (uint32_t)(g->sched[h] != NULL) << h;
    return m;
}

int lre_optim_save(lre_optim *o, lre_write_fn write, void *ud)
{
    o->err.code = 0;
    lre_buf b = {0};
    lre__buf_u32(&b, (uint32_t)o->kind);
    lre__buf_u64(&b, (uint64_t)o->step);
    lre__buf_u64(&b, (uint64_t)o->skipped);
    lre__buf_u32(&b, (uint32_t)o->ngroups);
    int rc = LRE_OK;
    for (int i = 0; i < o->ngroups && !rc; i++) {
        lre_group *g = &o->groups[i];
        lre__buf_u32(&b, (uint32_t)g->dtype);
        lre__buf_u64(&b, (uint64_t)g->n);
        lre__buf_u64(&b, (uint64_t)g->t);
        for (int s = 0; s < 3; s++) lre__buf_f64(&b, g->scalar[s]);
        lre__buf_u32(&b, (uint32_t)g->momentum_started);
        for (int h = 0; h < HP_COUNT; h++) lre__buf_f64(&b, g->hp[h]);
        lre__buf_u32(&b, state_mask(g));
        for (int s = 0; s < LRE_MAX_STATE; s++)
            if (g->state[s]) lre__buf_put(&b, g->state[s], g->n * lre__dtype_size(g->dtype));
        lre__buf_u32(&b, sched_mask(g));
        for (int h = 0; h < HP_COUNT && !rc; h++) {
            if (!g->sched[h] || !first_use(o, i, h)) continue;
            lre__buf_u64(&b, lre__schedule_fingerprint(g->sched[h]));
            rc = lre__schedule_save_state(g->sched[h], &b, &o->err);
        }
    }
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
} staged_group;

static int corrupt(lre_optim *o, const char *what)
{
    return lre_error_set(&o->err, LRE_ECORRUPT, "%s: optimizer state is corrupt: %s", lre__optim_name(o->kind), what);
}

static int mismatch(lre_optim *o, int group, const char *what)
{
    return lre_error_set(&o->err, LRE_EMISMATCH, "%s: optimizer state of another configuration: group %d %s",
                     lre__optim_name(o->kind), group + 1, what);
}

static int prepare(lre_optim *o, lre_cur *c, staged_group *st)
{
    const char *name = lre__optim_name(o->kind);
    uint32_t kind = lre__cur_u32(c);
    if (c->bad) return corrupt(o, "cut short");
    if (kind != (uint32_t)o->kind)
        return lre_error_set(&o->err, LRE_EMISMATCH, "%s: state was saved by another optimizer (%s)", name,
                         kind < O_COUNT ? lre__optim_name((int)kind) : "unknown");
    lre__cur_u64(c);
    lre__cur_u64(c);
    uint32_t ngroups = lre__cur_u32(c);
    if (c->bad) return corrupt(o, "cut short");
    if (ngroups != (uint32_t)o->ngroups)
        return lre_error_set(&o->err, LRE_EMISMATCH, "%s: state has %u parameter groups, this optimizer has %d", name,
                         (unsigned)ngroups, o->ngroups);
    for (int i = 0; i < o->ngroups; i++) {
        lre_group *g = &o->groups[i];
        staged_group *sg = &st[i];
        uint32_t dtype = lre__cur_u32(c);
        uint64_t n = lre__cur_u64(c);
        sg->t = (int64_t)lre__cur_u64(c);
        for (int s = 0; s < 3; s++) sg->scalar[s] = lre__cur_f64(c);
        sg->momentum_started = (int)lre__cur_u32(c);
        for (int h = 0; h < HP_COUNT; h++) sg->hp[h] = lre__cur_f64(c);
        uint32_t smask = lre__cur_u32(c);
        if (c->bad) return corrupt(o, "cut short");
        if (dtype != (uint32_t)g->dtype) return mismatch(o, i, "has another dtype");
        if (n != g->n) return mismatch(o, i, "has another size");
        if (smask != state_mask(g)) return mismatch(o, i, "has other state (momentum, amsgrad or centered differ)");
        for (int h = 0; h < HP_COUNT; h++)
            if (!isfinite(sg->hp[h])) return corrupt(o, "non-finite hyper-parameter");
        for (int s = 0; s < LRE_MAX_STATE; s++) {
            sg->state[s] = g->state[s] ? lre__cur_take(c, g->n * lre__dtype_size(g->dtype)) : NULL;
            if (c->bad) return corrupt(o, "state arrays cut short");
        }
        uint32_t schmask = lre__cur_u32(c);
        if (c->bad) return corrupt(o, "cut short");
        if (schmask != sched_mask(g)) return mismatch(o, i, "has other scheduled hyper-parameters");
        for (int h = 0; h < HP_COUNT; h++) {
            if (!g->sched[h] || !first_use(o, i, h)) continue;
            uint64_t fp = lre__cur_u64(c);
            if (c->bad) return corrupt(o, "cut short");
            if (fp != lre__schedule_fingerprint(g->sched[h])) return mismatch(o, i, "has another schedule");
            int rc = lre__schedule_prepare_load(g->sched[h], c, &o->err);
            if (rc) return rc;
        }
    }
    if (c->p != c->end) return corrupt(o, "trailing bytes");
    return LRE_OK;
}

static void finish(lre_optim *o, int commit)
{
    for (int i = 0; i < o->ngroups; i++)
        for (int h = 0; h < HP_COUNT; h++)
            if (o->groups[i].sched[h] && first_use(o, i, h)) lre__schedule_finish_load(o->groups[i].sched[h], commit);
}

int lre_optim_load(lre_optim *o, lre_read_fn read, void *ud)
{
    o->err.code = 0;
    unsigned char *data;
    size_t len;
    int rc = lre__stream_read(LRE_TAG_OPTIM, read, ud, &data, &len, &o->err);
    if (rc) return rc;
    staged_group *st = calloc(o->ngroups ? (size_t)o->ngroups : 1, sizeof *st);
    if (!st) {
        free(data);
        return lre_error_set(&o->err, LRE_ENOMEM, "out of memory loading optimizer state");
    }
    lre_cur c = {data, data + len, 0};
    rc = prepare(o, &c, st);
    if (!rc) {
        lre_cur head = {data, data + len, 0};
        lre__cur_u32(&head);
        o->step = (int64_t)lre__cur_u64(&head);
        o->skipped = (int64_t)lre__cur_u64(&head);
        for (int i = 0; i < o->ngroups; i++) {
            lre_group *g = &o->groups[i];
            g->t = st[i].t;
            memcpy(g->scalar, st[i].scalar, sizeof g->scalar);
            g->momentum_started = st[i].momentum_started;
            memcpy(g->hp, st[i].hp, sizeof g->hp);
            for (int s = 0; s < LRE_MAX_STATE; s++)
                if (g->state[s]) memcpy(g->state[s], st[i].state[s], g->n * lre__dtype_size(g->dtype));
        }
    }
    finish(o, rc == LRE_OK);
    free(st);
    free(data);
    return rc;
}
