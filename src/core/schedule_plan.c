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

/* Resolves node s's durations on h into p (a copy of s->p, s's other
 * parameters as they are) and checks them as the constructor checks its
 * parameters. Messages name the node by who (its path). */
static int resolve_node(const lre_schedule *s, const lre_horizon *h, const char *who, double *p, lre_error *err)
{
    const lre_kind_def *def = &lre__kinds[s->kind];
    memcpy(p, s->p, sizeof s->p);
    for (int i = 0; i < LRE_SCHED_MAXP; i++) {
        const char *text = s->dur[i];
        if (!text) continue;
        const char *name = def->spec[i].name;
        const char *need = lacks(text, h);
        if (need) return lre_error_set(err, LRE_EINVAL, "%s: %s = '%s' needs %s", who, name, text, need);
        int64_t n;
        lre_error e;
        if (lre_duration_steps(text, h, &n, &e)) return lre_error_set(err, LRE_EINVAL, "%s: %s: %s", who, name, e.msg);
        if (lre__check_value(who, &def->spec[i], (double)n, &e))
            return lre_error_set(err, LRE_EINVAL, "%s: %s = '%s' is %lld steps on this horizon: %s", who, name, text,
                                 (long long)n, e.msg);
        p[i] = (double)n;
    }
    lre_schedule tmp = *s; /* kind_check reads p, the lists and the children */
    memcpy(tmp.p, p, sizeof tmp.p);
    lre_error e;
    if (lre__kind_check(&tmp, &e)) return lre_error_set(err, LRE_EINVAL, "%s: on this horizon: %s", who, e.msg);
    return LRE_OK;
}

int lre__schedule_take_durations(lre_schedule *s, const char *const *texts, lre_error *err)
{
    int need = 0;
    for (int i = 0; i < LRE_SCHED_MAXP && i < (int)lre__kind_nspec(&lre__kinds[s->kind]); i++) {
        if (!texts[i]) continue;
        size_t len = strlen(texts[i]);
        s->dur[i] = lre__alloc(&s->alloc, len + 1);
        if (!s->dur[i]) return lre_error_set(err, LRE_ENOMEM, "%s: out of memory", lre__kinds[s->kind].name);
        memcpy(s->dur[i], texts[i], len + 1);
        s->ndur++;
        if (lre__duration_needs(texts[i]) != 0 && !(lre__duration_needs(texts[i]) == 3 && s->tokens_per_step > 0))
            need = 1;
    }
    if (!s->ndur) return LRE_OK;
    s->plan_tps = s->tokens_per_step;
    if (need) { /* waits for a plan; what it can say now, it checks now */
        s->unresolved = 1;
        return LRE_OK;
    }
    lre_horizon h = {0, 0, s->tokens_per_step};
    double p[LRE_SCHED_MAXP];
    int rc = resolve_node(s, &h, lre__kinds[s->kind].name, p, err);
    if (!rc) memcpy(s->p, p, sizeof p);
    return rc;
}

int lre__schedule_unresolved(const lre_schedule *s, lre_error *err)
{
    const char *who = s->path ? s->path : lre_schedule_kind(s);
    lre_horizon h = {s->ctx.steps_per_epoch, s->ctx.total_steps, s->plan_tps};
    double p[LRE_SCHED_MAXP];
    int rc = resolve_node(s, &h, who, p, err);
    if (rc) return rc;
    return lre_error_set(err, LRE_EINVAL, "%s: its durations are not resolved: the tree's plan failed at another node "
                         "(lre_schedule_plan names it)", who);
}

/* An error of s's child i named by its path from s: "kind/" or, under a
 * node with several, "kind/i:" before the child's message (which starts
 * with its own path), as schedule_walk.c names nodes. Built on the way up,
 * so a deep tree costs no path buffer a level. */
static void under(lre_error *err, const lre_schedule *s, size_t i)
{
    if (!err) return;
    char msg[sizeof err->msg];
    memcpy(msg, err->msg, sizeof msg);
    if (s->nchild > 1) snprintf(err->msg, sizeof err->msg, "%s/%zu:%s", lre_schedule_kind(s), i + 1, msg);
    else snprintf(err->msg, sizeof err->msg, "%s/%s", lre_schedule_kind(s), msg);
}

/* The horizon of s's child i: an extension's plan (child 1) is the plan as it
 * was, on the run's old length (its durations as they resolved then). */
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
        double p[LRE_SCHED_MAXP];
        int rc = resolve_node(s, &mine, lre_schedule_kind(s), p, err);
        if (rc) return rc;
        if (write) {
            memcpy(s->p, p, sizeof p);
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
            under(err, s, i);
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
