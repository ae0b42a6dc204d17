/* continue.c -- see continue.h. */
#include "continue.h"
#include "fileio.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static int find(const lre_schedule_set *set, const char *name)
{
    for (int i = 0; i < set->n; i++)
        if (!strcmp(set->name[i], name)) return i;
    return -1;
}

static int record(train_plan *p, int op, uint64_t at, long long total, const train_config *c, const train_options *o,
                  const lre_schedule_set *tree, plan_record *rec, char *msg, size_t size)
{
    rec->op = op;
    rec->at = at;
    rec->total = (uint64_t)total;
    int sourced = op == PLAN_ORIGIN || op == PLAN_REWARM || op == PLAN_REPLACE;
    if (sourced && !c->source)
        return fileio_fail(msg, size, "%s: larger than %zu bytes, too large to record in a checkpoint", c->name, TRAIN_SOURCE_MAX);
    if (sourced) {
        rec->name = (char *)c->name;
        rec->source = c->source;
        rec->source_len = c->source_len;
    }
    rec->overrides = (char *)(o->overrides ? o->overrides : "");
    rec->schedules = plan_schedules_text(tree);
    if (!rec->schedules) return fileio_fail(msg, size, "out of memory recording the plan");
    int rc = plan_add(p, rec, msg, size);
    free(rec->schedules);
    rec->schedules = NULL;
    return rc;
}

int plan_origin(train_plan *p, const train_config *c, const train_options *o, long long total, char *msg, size_t size)
{
    plan_record rec = {0};
    plan_free(p);
    return record(p, PLAN_ORIGIN, 0, total, c, o, &c->schedules, &rec, msg, size);
}

/* The first line where two texts differ: "line N: 'old' -> 'new'". */
static void first_line_diff(const char *a, size_t na, const char *b, size_t nb, char *out, size_t size)
{
    size_t i = 0, line = 1, start = 0;
    while (i < na && i < nb && a[i] == b[i]) {
        if (a[i] == '\n') line++, start = i + 1;
        i++;
    }
    size_t ea = start, eb = start;
    while (ea < na && a[ea] != '\n') ea++;
    while (eb < nb && b[eb] != '\n') eb++;
    snprintf(out, size, "line %zu: '%.*s' -> '%.*s'", line, (int)(ea - start > 80 ? 80 : ea - start), a + start,
             (int)(eb - start > 80 ? 80 : eb - start), b + start);
}

/* What differs between the schedules of the plan in force (cur, from the
 * config recorded in rec) and the config's: the node, the parameter, the
 * old and new values; "" when alike. */
static void differences(const lre_schedule_set *cur, const plan_record *rec, const train_config *c, char *out,
                        size_t size)
{
    size_t k = 0;
    out[0] = 0;
#define ADD(...) (k < size ? k += (size_t)snprintf(out + k, size - k, __VA_ARGS__) : k)
    for (int i = 0; i < cur->n; i++)
        if (find(&c->schedules, cur->name[i]) < 0) ADD("%s%s: scheduled by the checkpoint's plan, not by %s", k ? "; " : "", cur->name[i], c->name);
    for (int i = 0; i < c->schedules.n; i++) {
        int j = find(cur, c->schedules.name[i]);
        char d[512];
        if (j < 0) ADD("%s%s: scheduled by %s, not by the checkpoint's plan", k ? "; " : "", c->schedules.name[i], c->name);
        else if (lre_schedule_differ(cur->s[j], c->schedules.s[i], d, sizeof d)) ADD("%s%s: %s", k ? "; " : "", cur->name[j], d);
    }
    if (k || !c->source || (rec->source_len == c->source_len && !memcmp(rec->source, c->source, c->source_len))) return;
    /* alike as trees, but a script's code is not the tree's to compare */
    for (int i = 0; i < c->schedules.n; i++) {
        char *t = malloc(lre_schedule_text(c->schedules.s[i], NULL, 0) + 1);
        if (!t) continue;
        lre_schedule_text(c->schedules.s[i], t, lre_schedule_text(c->schedules.s[i], NULL, 0) + 1);
        const char *custom = strstr(t, "custom '");
        if (custom) {
            char line[256];
            first_line_diff(rec->source, rec->source_len, c->source, c->source_len, line, sizeof line);
            ADD("%s: %.*s: its code may differ: %s's text (hash %016llx) is not the recorded %s's (hash %016llx), %s",
                c->schedules.name[i], (int)strcspn(custom + 8, "'") + 9, custom, c->name,
                (unsigned long long)plan_hash(c->source, c->source_len), rec->name, (unsigned long long)rec->hash, line);
            free(t);
            return;
        }
        free(t);
    }
#undef ADD
}

/* Gives the optimizer the schedules of set, and drops the config's others. */
static int install(lre_optim *opt, const lre_schedule_set *set, const train_config *c, char *msg, size_t size)
{
    for (int i = 0; i < set->n; i++)
        if (lre_optim_schedule(opt, -1, set->name[i], set->s[i]))
            return fileio_fail(msg, size, "%s: %s", set->name[i], lre_optim_errmsg(opt));
    for (int i = 0; i < c->schedules.n; i++)
        if (find(set, c->schedules.name[i]) < 0 && lre_optim_schedule(opt, -1, c->schedules.name[i], NULL))
            return fileio_fail(msg, size, "%s: %s", c->schedules.name[i], lre_optim_errmsg(opt));
    return 0;
}

/* The last record that brought a config: the one the plan in force comes from. */
static const plan_record *current_record(const train_plan *p)
{
    for (int i = p->n - 1; i > 0; i--)
        if (p->r[i].op == PLAN_REWARM || p->r[i].op == PLAN_REPLACE) return &p->r[i];
    return &p->r[0];
}

int plan_resume_prepare(plan_resume *r, lre_optim *opt, const train_config *c, const train_options *o,
                        const ckpt_counters *want, size_t nparams, long long total, char *msg, size_t size)
{
    memset(r, 0, sizeof *r);
    if (ckpt_read_plan(o->resume, want, nparams, &r->plan, msg, size)) return -1;
    int op = o->cont.op;
    if (r->plan.n == 0) { /* format 2: the config must be the one that wrote it, as before */
        if (op || o->plan != TRAIN_PLAN_REFUSE)
            return fileio_fail(msg, size, "checkpoint %s records no plan (an older lrengine wrote it): --continue and --plan "
                        "need one; resume it as it is and continue from the checkpoint that run writes", o->resume);
        return plan_origin(&r->plan, c, o, total, msg, size);
    }
    lre_script_limits lim = {0};
    lim.stop = o->stop;
    char why[TRAIN_MSG_SIZE];
    if (plan_build(&r->plan, &lim, &r->tree, &r->current, why, sizeof why))
        return fileio_fail(msg, size, "checkpoint %s: rebuilding its recorded plan: %s", o->resume, why);
    const plan_record *from = current_record(&r->plan);
    differences(&r->current, from, c, r->differs, sizeof r->differs);
    int takes_config = op == PLAN_REPLACE || op == PLAN_REWARM;
    if (takes_config && o->plan == TRAIN_PLAN_CHECKPOINT)
        return fileio_fail(msg, size, "--plan checkpoint keeps the checkpoint's plan, --continue %s takes %s's: give one of them",
                    plan_op_names[op], c->name);
    if (r->differs[0] && !takes_config && o->plan == TRAIN_PLAN_REFUSE)
        return fileio_fail(msg, size,
                    "checkpoint %s was written under another plan than %s's: %s (recorded from %s%s%s). "
                    "Say which plan wins: --plan checkpoint (the checkpoint's, as recorded), --plan config or "
                    "--continue replace (%s's schedules from the resume step on, with the state of the nodes that "
                    "match by path), or --continue extend|cooldown|rewarm (see lrengine train --help)",
                    o->resume, c->name, r->differs, from->name, from->overrides[0] ? " " : "", from->overrides, c->name);
    const plan_record *last = &r->plan.r[r->plan.n - 1];
    /* --plan config takes the config's plan when its schedules or its length differ (an extended run) */
    int length_differs = last->total != (uint64_t)total;
    r->op = op ? op : (r->differs[0] || length_differs) && o->plan == TRAIN_PLAN_CONFIG ? PLAN_REPLACE : 0;
    if (!op && o->plan != TRAIN_PLAN_CONFIG && last->total != (uint64_t)total && o->events.warning) {
        /* --epochs gave another length (plan_length applies the plan's otherwise) */
        char w[TRAIN_MSG_SIZE];
        snprintf(w, sizeof w, "the checkpoint's plan runs %llu steps (%s%s), --epochs makes this run %lld: schedules "
                 "planned in steps do not follow (--continue extend stretches them)",
                 (unsigned long long)last->total, last->overrides[0] ? "recorded with " : "the config's epochs",
                 last->overrides, total);
        o->events.warning(o->events.ud, w);
    }
    return install(opt, &r->tree, c, msg, size);
}

/* The tree's value of hparam at step t. */
static int value_at(lre_schedule_set *tree, const char *hparam, int64_t t, double *v, char *msg, size_t size)
{
    int i = find(tree, hparam);
    lre_error err;
    if (i < 0) return fileio_fail(msg, size, "the run's plan does not schedule %s", hparam);
    if (lre_schedule_eval(tree->s[i], t, v, &err)) return fileio_fail(msg, size, "%s at step %lld: %s", hparam, (long long)t, err.msg);
    return 0;
}

typedef struct reporter {
    void (*fn)(void *ud, const train_plan_event *e);
    void *ud;
} reporter;

/* hparam: the one the change ramps, NULL for all (extend, replace) */
static void report(const reporter *rp, const char *op, const char *hparam, long long step, double value,
                   const char *detail)
{
    if (!rp->fn) return;
    train_plan_event e = {"continue", op, hparam, step, value, detail};
    rp->fn(rp->ud, &e);
}

/* One continuation op at step k. */
static int continue_at(plan_resume *r, lre_optim *opt, const train_config *c, const train_options *o, int op,
                       long long k, long long spe, long long total, long long *end, const reporter *rp, char *msg,
                       size_t size)
{
    static const char *const shapes[] = {"linear", "cosine", "sqrt"};
    plan_record rec = {0};
    char detail[TRAIN_MSG_SIZE] = "";
    int sourced = op == PLAN_REPLACE || op == PLAN_REWARM;
    double v = NAN;
    if (op != PLAN_COOLDOWN && total <= k)
        return fileio_fail(msg, size, "--continue %s at step %lld: the run's %lld steps end there: give more --epochs",
                    plan_op_names[op], k, total);
    if (op == PLAN_COOLDOWN || op == PLAN_REWARM) {
        lre_horizon h = {spe, total, o->cont.tokens_per_step};
        int64_t n;
        lre_error err;
        if (lre_duration_steps(o->cont.steps, &h, &n, &err)) return fileio_fail(msg, size, "--continue %s: %s", plan_op_names[op], err.msg);
        if (n < 1) return fileio_fail(msg, size, "--continue %s: steps=%s is no step at all", plan_op_names[op], o->cont.steps);
        const char *hp = o->cont.hparam ? o->cont.hparam : "lr";
        char why[TRAIN_MSG_SIZE];
        if (value_at(&r->tree, hp, k, &v, why, sizeof why))
            return fileio_fail(msg, size, "--continue %s: %s", plan_op_names[op], why);
        rec.value = v, rec.steps = (double)n, rec.target = o->cont.target, rec.shape = o->cont.shape;
        rec.hparam = (char *)hp;
        snprintf(detail, sizeof detail, "%s from %.6g to %.6g over %lld steps (%s)", !strcmp(hp, "lr") ? "the rate" : hp, v,
                 o->cont.target, (long long)n, shapes[o->cont.shape]);
        if (op == PLAN_COOLDOWN && o->epochs < 0) *end = k + n;
    } else if (op == PLAN_EXTEND) {
        uint64_t old_total = r->plan.r[r->plan.n - 1].total;
        if ((uint64_t)total == old_total)
            return fileio_fail(msg, size, "--continue extend: the run's %lld steps are the plan's already: give --epochs", total);
        rec.old_total = (double)(old_total > (uint64_t)k ? old_total : (uint64_t)k);
        snprintf(detail, sizeof detail, "the rest of the plan stretched from step %.0f to %lld", rec.old_total, total);
    }
    lre_schedule_set next = {0};
    if (sourced) {
        next = c->schedules; /* the config's: retained below, carried state into */
        for (int i = 0; i < next.n; i++) lre_schedule_retain(next.s[i]);
        size_t carried = 0;
        for (int i = 0; i < next.n; i++) {
            int j = find(&r->current, next.name[i]);
            size_t n = 0;
            lre_error err;
            if (j >= 0 && lre_schedule_carry_state(next.s[i], r->current.s[j], &n, &err)) {
                lre_schedule_set_free(&next);
                return fileio_fail(msg, size, "--continue %s: carrying the state of %s: %s", plan_op_names[op], next.name[i], err.msg);
            }
            carried += n;
        }
        size_t dl = strlen(detail);
        snprintf(detail + dl, sizeof detail - dl, "%s%s's schedules from step %lld%s, the state of %zu node%s carried by path",
                 dl ? "; then " : "", c->name, op == PLAN_REWARM ? k + (long long)rec.steps : k,
                 op == PLAN_REWARM ? " (from their step 0)" : "", carried, carried == 1 ? "" : "s");
    }
    rec.op = op;
    rec.at = (uint64_t)k;
    rec.total = (uint64_t)total;
    if (plan_apply(&r->tree, &rec, sourced ? &next : NULL, msg, size) || install(opt, &r->tree, c, msg, size)) {
        lre_schedule_set_free(&next);
        return -1;
    }
    if (record(&r->plan, op, (uint64_t)k, total, c, o, &r->tree, &rec, msg, size)) {
        lre_schedule_set_free(&next);
        return -1;
    }
    if (sourced) {
        lre_schedule_set_free(&r->current);
        r->current = next;
    }
    report(rp, plan_op_names[op], rec.hparam && rec.hparam[0] ? rec.hparam : NULL, k, v, detail);
    return 0;
}

int plan_resume_finish(plan_resume *r, lre_optim *opt, const train_config *c, const train_options *o,
                       long long steps_per_epoch, long long total, long long *end,
                       void (*report_fn)(void *ud, const train_plan_event *e), void *ud, char *msg, size_t size)
{
    reporter rp = {report_fn, ud};
    if (!r->tree.n && !r->op) return 0; /* a checkpoint without a plan, resumed as before */
    long long k = (long long)lre_optim_step_count(opt);
    int first = r->differs[0] && o->plan == TRAIN_PLAN_CONFIG && (r->op == PLAN_EXTEND || r->op == PLAN_COOLDOWN);
    if (first && continue_at(r, opt, c, o, PLAN_REPLACE, k, steps_per_epoch, total, end, &rp, msg, size)) return -1;
    if (r->op && continue_at(r, opt, c, o, r->op, k, steps_per_epoch, total, end, &rp, msg, size)) return -1;
    return 0;
}

int plan_length(train_config *c, const train_options *o, const ckpt_counters *want, size_t nparams,
                long long steps_per_epoch, char *notice, size_t nsize, char *msg, size_t size)
{
    notice[0] = 0;
    if (!o->resume || o->resume_hparams == TRAIN_RESUME_CONFIG || o->epochs >= 0) return 0; /* --epochs says it */
    train_plan p = {0};
    if (ckpt_read_plan(o->resume, want, nparams, &p, msg, size)) return -1;
    if (p.n == 0) return 0; /* format 2: no recorded length, the config's as before */
    const plan_record *last = &p.r[p.n - 1];
    unsigned long long recorded = last->total, config = (unsigned long long)(steps_per_epoch * c->epochs);
    char how[300];
    snprintf(how, sizeof how, "%s%s", last->overrides[0] ? "recorded with " : "the config's epochs", last->overrides);
    plan_free(&p);
    if (recorded == config) return 0;
    int takes_config = o->plan == TRAIN_PLAN_CONFIG || o->cont.op == PLAN_REPLACE || o->cont.op == PLAN_REWARM;
    if (takes_config) {
        snprintf(notice, nsize, "%llu steps (%lld epochs), the config's: --%s takes its plan; the checkpoint's ran %llu (%s)",
                 config, c->epochs, o->plan == TRAIN_PLAN_CONFIG ? "plan config" : o->cont.op == PLAN_REPLACE ?
                 "continue replace" : "continue rewarm", recorded, how);
        return 0;
    }
    if (steps_per_epoch <= 0 || recorded % (unsigned long long)steps_per_epoch)
        return fileio_fail(msg, size, "checkpoint %s: its plan runs %llu steps, not whole epochs of %lld: give --epochs",
                           o->resume, recorded, steps_per_epoch);
    long long config_epochs = c->epochs;
    c->epochs = (long long)(recorded / (unsigned long long)steps_per_epoch);
    snprintf(notice, nsize, "%llu steps (%lld epochs), the checkpoint's plan's (%s), not the config's %lld epochs: "
             "--epochs or --plan config to run another", recorded, c->epochs, how, config_epochs);
    return 0;
}

void plan_resume_free(plan_resume *r)
{
    plan_free(&r->plan);
    lre_schedule_set_free(&r->tree);
    lre_schedule_set_free(&r->current);
}
