/* schedule_plan.c -- durations in a tree's parameters: a step count of a
 * built-in kind (LRE_P_DUR in its spec: t_max, warm-up steps, ...) may be
 * given as a duration text ("500", "2 epochs", "10%", "3M tokens"). The node
 * keeps the text; a plan (lre_schedule_plan, or lre_schedule_set_horizon)
 * resolves every text of the tree on the run's horizon and checks the
 * result as a constructor would, all or nothing. A node whose durations wait
 * for a horizon refuses to be evaluated, saying what it waits for.
 *
 * Tokens per step: a node may be given tokens_per_step; it holds for the
 * durations of its subtree (the nearest node's wins), else the horizon's. */
#include "schedule_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void lre__schedule_free_durations(lre_schedule *s)
{
    for (int i = 0; i < LRE_SCHED_MAXP; i++)
        if (s->dur[i]) lre__free(&s->alloc, s->dur[i], strlen(s->dur[i]) + 1);
}

/* What the duration text at slot i needs that h lacks: "the run's length
 * (total steps)", ...; NULL when h has it. */
static const char *lacks(const char *text, const lre_horizon *h)
{
    switch (lre__duration_needs(text)) {
    case 1: return h->steps_per_epoch > 0 ? NULL : "the steps per epoch";
    case 2: return h->total_steps > 0 ? NULL : "the run's length (its total steps)";
    case 3: return h->tokens_per_step > 0 ? NULL : "the tokens per step (tokens_per_step)";
    default: return NULL;
    }
}

/* The spec slot of list l of s (its l-th LIST parameter), -1 when none. */
static int list_slot(const lre_schedule *s, int l)
{
    const lre_kind_def *def = &lre__kinds[s->kind];
    size_t n = lre__kind_nspec(def);
    for (size_t i = 0; i < n; i++)
        if ((def->spec[i].flags & LRE_P_LIST) && l-- == 0) return (int)i;
    return -1;
}

const char *lre__list_duration(const lre_schedule *s, int l)
{
    int i = s->ndur ? list_slot(s, l) : -1;
    return i < 0 ? NULL : s->dur[i];
}

/* Whether some duration of s (a list's items each) needs what h lacks. */
static int node_lacks(const lre_schedule *s, const lre_horizon *h)
{
    char item[64];
    for (int i = 0; i < LRE_SCHED_MAXP; i++)
        for (const char *q = s->dur[i]; q;) {
            q = lre__duration_item(q, item, sizeof item);
            if (lacks(item, h)) return 1;
        }
    return 0;
}

/* One duration text of parameter ps (named name: "t_max", "milestones[2]")
 * in steps on h, checked against ps's range. */
static int resolve_one(const char *text, const lre_pspec *ps, const char *name, const lre_horizon *h, const char *who,
                       double *out, lre_error *err)
{
    const char *need = lacks(text, h);
    if (need) return lre_error_set(err, LRE_EINVAL, "%s: %s = '%s' needs %s", who, name, text, need);
    int64_t n;
    lre_error e;
    if (lre_duration_steps(text, h, &n, &e)) return lre_error_set(err, LRE_EINVAL, "%s: %s: %s", who, name, e.msg);
    lre_pspec item = *ps;
    item.name = name;
    if (lre__check_value(who, &item, (double)n, &e))
        return lre_error_set(err, LRE_EINVAL, "%s: %s = '%s' is %lld steps on this horizon: %s", who, name, text,
                             (long long)n, e.msg);
    *out = (double)n;
    return LRE_OK;
}

/* Buffers for the resolved lists of s that are durations (lv[l], NULL for
 * the others), through s's allocator. */
static int lists_alloc(const lre_schedule *s, double *lv[2], lre_error *err)
{
    lre_allocator a = s->alloc;
    lv[0] = lv[1] = NULL;
    for (int l = 0; l < 2; l++) {
        if (!lre__list_duration(s, l)) continue;
        lv[l] = lre__alloc(&a, (s->nlist[l] ? s->nlist[l] : 1) * sizeof(double));
        if (!lv[l]) return lre_error_set(err, LRE_ENOMEM, "%s: out of memory planning its durations", lre_schedule_kind(s));
    }
    return LRE_OK;
}

static void lists_free(const lre_schedule *s, double *lv[2])
{
    lre_allocator a = s->alloc;
    for (int l = 0; l < 2; l++)
        if (lv[l]) lre__free(&a, lv[l], (s->nlist[l] ? s->nlist[l] : 1) * sizeof(double));
}

/* Resolves node s's durations on h into p (a copy of s->p, s's other
 * parameters as they are) and lv (lists_alloc's), and checks them as the
 * constructor checks its parameters. Messages name the node by who (its
 * path). */
static int resolve_node(const lre_schedule *s, const lre_horizon *h, const char *who, double *p, double *lv[2],
                        lre_error *err)
{
    const lre_kind_def *def = &lre__kinds[s->kind];
    memcpy(p, s->p, sizeof s->p);
    for (int i = 0, l = -1; i < LRE_SCHED_MAXP && i < (int)lre__kind_nspec(def); i++) {
        const lre_pspec *ps = &def->spec[i];
        if (ps->flags & LRE_P_LIST) l++;
        const char *text = s->dur[i];
        if (!text) continue;
        if (!(ps->flags & LRE_P_LIST)) {
            int rc = resolve_one(text, ps, ps->name, h, who, &p[i], err);
            if (rc) return rc;
            continue;
        }
        char item[64], name[64];
        size_t k = 0;
        for (const char *q = text; q; k++) {
            q = lre__duration_item(q, item, sizeof item);
            snprintf(name, sizeof name, "%s[%zu]", ps->name, k + 1);
            int rc = resolve_one(item, ps, name, h, who, &lv[l][k], err);
            if (rc) return rc;
        }
    }
    lre_schedule tmp = *s; /* kind_check reads p, the lists and the children */
    memcpy(tmp.p, p, sizeof tmp.p);
    for (int l = 0; l < 2; l++)
        if (lv[l]) tmp.list[l] = lv[l];
    lre_error e;
    if (lre__kind_check(&tmp, &e)) { /* "kind: why" of the node: its path instead */
        const char *k = lre_schedule_kind(s), *why = e.msg;
        if (!strncmp(why, k, strlen(k)) && !strncmp(why + strlen(k), ": ", 2)) why += strlen(k) + 2;
        return lre_error_set(err, LRE_EINVAL, "%s: on this horizon, %s", who, why);
    }
    return LRE_OK;
}

/* resolve_node, and on success (write) its result into s. A write
 * resolves lists in place, allocating nothing: it comes after a check of
 * the same horizon (plan's pass 0), or on a node being built. */
static int resolve_into(lre_schedule *s, const lre_horizon *h, const char *who, int write, lre_error *err)
{
    double p[LRE_SCHED_MAXP], *lv[2];
    if (write) {
        for (int l = 0; l < 2; l++) lv[l] = lre__list_duration(s, l) ? s->list[l] : NULL;
        int rc = resolve_node(s, h, who, p, lv, err);
        if (!rc) memcpy(s->p, p, sizeof p);
        return rc;
    }
    int rc = lists_alloc(s, lv, err);
    if (!rc) rc = resolve_node(s, h, who, p, lv, err);
    lists_free(s, lv);
    return rc;
}

int lre__schedule_take_durations(lre_schedule *s, const char *const *texts, lre_error *err)
{
    for (int i = 0; i < LRE_SCHED_MAXP && i < (int)lre__kind_nspec(&lre__kinds[s->kind]); i++) {
        if (!texts[i]) continue;
        size_t len = strlen(texts[i]);
        s->dur[i] = lre__alloc(&s->alloc, len + 1);
        if (!s->dur[i]) return lre_error_set(err, LRE_ENOMEM, "%s: out of memory", lre__kinds[s->kind].name);
        memcpy(s->dur[i], texts[i], len + 1);
        s->ndur++;
    }
    if (!s->ndur) return LRE_OK;
    s->plan_tps = s->tokens_per_step;
    lre_horizon h = {0, 0, s->tokens_per_step};
    if (node_lacks(s, &h)) { /* waits for a plan */
        s->unresolved = 1;
        return LRE_OK;
    }
    return resolve_into(s, &h, lre__kinds[s->kind].name, 1, err);
}

int lre__schedule_unresolved(const lre_schedule *s, lre_error *err)
{
    const char *who = s->path ? s->path : lre_schedule_kind(s);
    lre_horizon h = {s->ctx.steps_per_epoch, s->ctx.total_steps, s->plan_tps};
    int rc = resolve_into((lre_schedule *)s, &h, who, 0, err); /* writes nothing */
    if (rc) return rc;
    return lre_error_set(err, LRE_EINVAL, "%s: its durations are not resolved: the tree's plan failed at another node "
                         "(lre_schedule_plan names it)", who);
}

/* An error of s's child i named by its path from s: "kind/" or, under a
 * node with several, "kind/i:" before the child's message (which starts
 * with its own path), as schedule_walk.c names nodes. Built on the way up,
 * so a deep tree costs no path buffer a level. */
void lre__schedule_under(lre_error *err, const lre_schedule *s, size_t i)
{
    if (!err) return;
    char msg[sizeof err->msg];
    memcpy(msg, err->msg, sizeof msg);
    if (s->nchild > 1) snprintf(err->msg, sizeof err->msg, "%s/%zu:%s", lre_schedule_kind(s), i + 1, msg);
    else snprintf(err->msg, sizeof err->msg, "%s/%s", lre_schedule_kind(s), msg);
}

/* The horizon of s's child i: an extension's plan (its inner schedule) is
 * the plan as it was, on the run's old length (its durations as they
 * resolved then, its scripts' ctx.total_steps). */
static lre_horizon child_horizon(const lre_schedule *s, size_t i, const lre_horizon *h)
{
    lre_horizon c = *h;
    if (s->kind == K_EXTEND && i == 0 && !s->unresolved) c.total_steps = (int64_t)s->p[EX_OLD_TOTAL];
    return c;
}

/* Pass 0 checks the whole tree on h; pass 1 (which can not fail: resolving
 * is a function of the text and the horizon) writes it. tps: the tokens per
 * step given above s (0: the horizon's). */
static int plan(lre_schedule *s, const lre_horizon *h, double tps, int write, lre_error *err)
{
    if (s->tokens_per_step > 0) tps = s->tokens_per_step;
    if (s->ndur) {
        lre_horizon mine = *h;
        if (tps > 0) mine.tokens_per_step = tps;
        int rc = resolve_into(s, &mine, lre_schedule_kind(s), write, err);
        if (rc) return rc;
        if (write) {
            s->unresolved = 0;
            s->plan_tps = mine.tokens_per_step;
        }
    }
    if (write) {
        s->ctx.steps_per_epoch = h->steps_per_epoch > 0 ? h->steps_per_epoch : 0;
        s->ctx.total_steps = h->total_steps > 0 ? h->total_steps : 0;
    }
    for (size_t i = 0; i < s->nchild; i++) {
        lre_horizon ch = child_horizon(s, i, h);
        int rc = plan(s->child[i], &ch, tps, write, err);
        if (rc) {
            lre__schedule_under(err, s, i);
            return rc;
        }
    }
    return LRE_OK;
}

int lre_schedule_plan(lre_schedule *s, const lre_horizon *h, lre_error *err)
{
    static const lre_horizon none = {0, 0, 0};
    if (!h) h = &none;
    int rc = plan(s, h, 0, 0, err);
    if (!rc) plan(s, h, 0, 1, NULL);
    return rc;
}

/* After a failed plan on a known horizon: every duration waits again, for
 * the error its evaluation then gives. */
static void unplan(lre_schedule *s, const lre_horizon *h, double tps)
{
    if (s->tokens_per_step > 0) tps = s->tokens_per_step;
    s->ctx.steps_per_epoch = h->steps_per_epoch > 0 ? h->steps_per_epoch : 0;
    s->ctx.total_steps = h->total_steps > 0 ? h->total_steps : 0;
    if (s->ndur) {
        s->unresolved = 1;
        s->plan_tps = tps > 0 ? tps : h->tokens_per_step;
    }
    for (size_t i = 0; i < s->nchild; i++) {
        lre_horizon ch = child_horizon(s, i, h);
        unplan(s->child[i], &ch, tps);
    }
}

static void set_ctx(lre_schedule *s, int64_t steps_per_epoch, int64_t total_steps)
{
    s->ctx.steps_per_epoch = steps_per_epoch;
    s->ctx.total_steps = total_steps;
    for (size_t i = 0; i < s->nchild; i++) set_ctx(s->child[i], steps_per_epoch, total_steps);
}

/* A failed plan on a horizon both unknown leaves the plan made before (a
 * tree planned by its caller, then given to an optimizer that does not know
 * the run) alone; on a known one, the durations wait again (unplan). */
void lre_schedule_set_horizon(lre_schedule *s, int64_t steps_per_epoch, int64_t total_steps)
{
    lre_horizon h = {steps_per_epoch, total_steps, 0};
    if (lre_schedule_plan(s, &h, NULL) == LRE_OK) return;
    if (steps_per_epoch > 0 || total_steps > 0) unplan(s, &h, 0);
    else set_ctx(s, steps_per_epoch, total_steps);
}
