/* test_core_events.c -- what a schedule tree reports (schedule_walk.c,
 * schedule.c): plateau reductions with their counters, warm-up ends,
 * restarts and sequence phases at the steps the formulas put them, once per
 * step, never from a preview; custom nodes' own events; the walk's values
 * per node; parameters in words. Expected steps and values are worked out
 * by hand in the comments, from the kinds' formulas (doc/schedules.md). */
#include "lrengine.h"
#include "test.h"

#include <stdint.h>

#define MAXEV 16

typedef struct evlog {
    int n;
    char kind[MAXEV][32], path[MAXEV][64];
    int64_t step[MAXEV];
    double field[MAXEV][8];
    size_t nfields[MAXEV];
} evlog;

static void record(void *ud, const lre_event *ev)
{
    evlog *l = ud;
    if (l->n >= MAXEV) return;
    snprintf(l->kind[l->n], sizeof l->kind[0], "%s", ev->kind);
    snprintf(l->path[l->n], sizeof l->path[0], "%s", ev->path);
    l->step[l->n] = ev->step;
    l->nfields[l->n] = ev->nfields;
    for (size_t i = 0; i < ev->nfields && i < 8; i++) l->field[l->n][i] = ev->fields[i].value;
    l->n++;
}

static lre_schedule *make(const char *kind, const lre_param *p, size_t np, lre_schedule *const *c, size_t nc)
{
    lre_schedule *s = NULL;
    lre_error err;
    if (lre_schedule_new(&s, kind, p, np, c, nc, &err)) fprintf(stderr, "  %s\n", err.msg);
    return s;
}

/* plateau(lr = 1, patience = 1, factor = 0.5) fed a flat metric 1 after
 * every step: the first observation (t = 1) sets best = 1; t = 2 counts one
 * bad epoch, t = 3 two (> patience): cut to 0.5 at step 3; t = 4 one, t = 5
 * two: cut to 0.25 at step 5. */
static void reports_each_plateau_reduction_with_its_counters(void)
{
    lre_param p[] = {{"lr", 1, NULL, 0, NULL, NULL}, {"patience", 1, NULL, 0, NULL, NULL}, {"factor", 0.5, NULL, 0, NULL, NULL}};
    lre_schedule *s = make("plateau", p, 3, NULL, 0);
    ASSERT(s);
    evlog l = {0};
    ASSERT_EQ(lre_schedule_set_events(s, record, &l, NULL), LRE_OK);
    double out[6], m[5] = {1, 1, 1, 1, 1};
    ASSERT_EQ(lre_schedule_curve(s, out, 6, m, 5, NULL), LRE_OK);
    ASSERT_EQ(l.n, 0); /* a preview reports nothing */
    ASSERT_EQ(lre_schedule_run(s, out, 6, m, 5, NULL), LRE_OK);
    ASSERT_EQ(l.n, 2);
    ASSERT(!strcmp(l.kind[0], "plateau_reduce") && !strcmp(l.path[0], "plateau"));
    ASSERT_EQ(l.step[0], 3);
    ASSERT_EQ(l.nfields[0], 7);
    /* metric, best, num_bad_epochs, factor, scale, lr_before, lr_after */
    ASSERT_NEAR(l.field[0][0], 1, 0);
    ASSERT_NEAR(l.field[0][1], 1, 0);
    ASSERT_NEAR(l.field[0][2], 2, 0);
    ASSERT_NEAR(l.field[0][4], 0.5, 0);
    ASSERT_NEAR(l.field[0][5], 1, 0);
    ASSERT_NEAR(l.field[0][6], 0.5, 0);
    ASSERT_EQ(l.step[1], 5);
    ASSERT_NEAR(l.field[1][5], 0.5, 0);
    ASSERT_NEAR(l.field[1][6], 0.25, 0);
    ASSERT_NEAR(out[5], 0.25, 0);
    lre_schedule_release(s);
}

/* warmup(steps = 3) reaches its full rate at step 3; cosine_restarts(t_0 =
 * 4, t_mult = 2) restarts at 4 (period 8) and at 4 + 8 = 12 (period 16);
 * sequence(milestones = {5}) hands over to its second part at 5. */
static void reports_landmarks_once_at_their_steps(void)
{
    lre_param cp[] = {{"lr", 1, NULL, 0, NULL, NULL}, {"t_max", 10, NULL, 0, NULL, NULL}};
    lre_schedule *cs = make("cosine", cp, 2, NULL, 0);
    lre_param wp[] = {{"steps", 3, NULL, 0, NULL, NULL}};
    lre_schedule *w = make("warmup", wp, 1, &cs, 1);
    ASSERT(cs && w);
    evlog l = {0};
    ASSERT_EQ(lre_schedule_set_events(w, record, &l, NULL), LRE_OK);
    double v;
    for (int64_t t = 0; t < 6; t++) ASSERT_EQ(lre_schedule_eval(w, t, &v, NULL), LRE_OK);
    ASSERT_EQ(lre_schedule_eval(w, 3, &v, NULL), LRE_OK); /* a step evaluated again (a skipped step) */
    ASSERT_EQ(l.n, 1);
    ASSERT(!strcmp(l.kind[0], "warmup_end") && !strcmp(l.path[0], "warmup"));
    ASSERT_EQ(l.step[0], 3);
    ASSERT_EQ(lre_schedule_set_events(w, NULL, NULL, NULL), LRE_OK);
    ASSERT_EQ(lre_schedule_eval(w, 3, &v, NULL), LRE_OK);
    ASSERT_EQ(l.n, 1);
    lre_schedule_release(w);
    lre_schedule_release(cs);

    lre_param rp[] = {{"lr", 1, NULL, 0, NULL, NULL}, {"t_0", 4, NULL, 0, NULL, NULL}, {"t_mult", 2, NULL, 0, NULL, NULL}};
    lre_schedule *r = make("cosine_restarts", rp, 3, NULL, 0);
    ASSERT(r);
    evlog lr = {0};
    ASSERT_EQ(lre_schedule_set_events(r, record, &lr, NULL), LRE_OK);
    double out[20];
    ASSERT_EQ(lre_schedule_run(r, out, 20, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(lr.n, 2);
    ASSERT(!strcmp(lr.kind[0], "restart"));
    ASSERT_EQ(lr.step[0], 4);
    ASSERT_NEAR(lr.field[0][0], 1, 0); /* cycle */
    ASSERT_NEAR(lr.field[0][1], 8, 0); /* its period */
    ASSERT_EQ(lr.step[1], 12);
    ASSERT_NEAR(lr.field[1][1], 16, 0);
    lre_schedule_release(r);

    /* timm's cycles(t_0 = 4, cycle_limit = 3): restarts at 4 and 8; at 12
     * the limit is reached and the rate stays at eta_min, no restart */
    lre_param yp[] = {{"lr", 1, NULL, 0, NULL, NULL}, {"t_0", 4, NULL, 0, NULL, NULL}, {"cycle_limit", 3, NULL, 0, NULL, NULL}};
    lre_schedule *y = make("cycles", yp, 3, NULL, 0);
    ASSERT(y);
    evlog ly = {0};
    ASSERT_EQ(lre_schedule_set_events(y, record, &ly, NULL), LRE_OK);
    ASSERT_EQ(lre_schedule_run(y, out, 20, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(ly.n, 2);
    ASSERT(!strcmp(ly.kind[0], "restart") && !strcmp(ly.path[0], "cycles"));
    ASSERT_EQ(ly.step[0], 4);
    ASSERT_EQ(ly.step[1], 8);
    ASSERT_NEAR(ly.field[1][0], 2, 0);
    lre_schedule_release(y);

    /* wsd(warmup_steps = 5): its own warm-up ends at step 5 */
    lre_param dp[] = {{"lr", 1, NULL, 0, NULL, NULL}, {"warmup_steps", 5, NULL, 0, NULL, NULL},
                      {"decay_steps", 10, NULL, 0, NULL, NULL}};
    lre_schedule *d = make("wsd", dp, 3, NULL, 0);
    ASSERT(d);
    evlog ld = {0};
    ASSERT_EQ(lre_schedule_set_events(d, record, &ld, NULL), LRE_OK);
    ASSERT_EQ(lre_schedule_run(d, out, 20, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(ld.n, 1);
    ASSERT(!strcmp(ld.kind[0], "warmup_end"));
    ASSERT_EQ(ld.step[0], 5);
    lre_schedule_release(d);

    lre_param kp[] = {{"lr", 2, NULL, 0, NULL, NULL}};
    lre_schedule *parts[2] = {make("constant", kp, 1, NULL, 0), make("cosine", cp, 2, NULL, 0)};
    double ms[] = {5};
    lre_param sp[] = {{"milestones", 0, ms, 1, NULL, NULL}};
    lre_schedule *seq = make("sequence", sp, 1, parts, 2);
    ASSERT(parts[0] && parts[1] && seq);
    evlog ls = {0};
    ASSERT_EQ(lre_schedule_set_events(seq, record, &ls, NULL), LRE_OK);
    ASSERT_EQ(lre_schedule_run(seq, out, 8, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(ls.n, 1);
    ASSERT(!strcmp(ls.kind[0], "phase") && !strcmp(ls.path[0], "sequence"));
    ASSERT_EQ(ls.step[0], 5);
    ASSERT_NEAR(ls.field[0][0], 2, 0);
    lre_schedule_release(seq);
    lre_schedule_release(parts[0]);
    lre_schedule_release(parts[1]);
}

static int custom_at(void *ud, const lre_sched_ctx *ctx, double *out, lre_error *err)
{
    (void)ud, (void)err;
    if (ctx->step == 2) {
        lre_event_field f[] = {{"x", 7, NULL}, {"why", 0, "because"}};
        lre_sched_ctx_emit(ctx, "mine", f, 2);
    }
    *out = 1;
    return LRE_OK;
}

static const lre_custom_vtable custom_vt = {custom_at, NULL, NULL, NULL, NULL, NULL, NULL};

/* A custom node inside scale reports under its path, at its context's step. */
static void a_custom_node_reports_its_own_events(void)
{
    lre_schedule *c = NULL, *s;
    ASSERT_EQ(lre_schedule_custom(&c, "mine", &custom_vt, NULL, NULL), LRE_OK);
    lre_param fp[] = {{"factor", 2, NULL, 0, NULL, NULL}};
    s = make("scale", fp, 1, &c, 1);
    ASSERT(s);
    evlog l = {0};
    double out[4];
    ASSERT_EQ(lre_schedule_run(s, out, 4, NULL, 0, NULL), LRE_OK); /* no receiver yet */
    ASSERT_EQ(l.n, 0);
    ASSERT_EQ(lre_schedule_set_events(s, record, &l, NULL), LRE_OK);
    ASSERT_EQ(lre_schedule_curve(s, out, 4, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(l.n, 0);
    ASSERT_EQ(lre_schedule_run(s, out, 4, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(l.n, 1);
    ASSERT(!strcmp(l.kind[0], "mine") && !strcmp(l.path[0], "scale/mine"));
    ASSERT_EQ(l.step[0], 2);
    ASSERT_NEAR(l.field[0][0], 7, 0);
    lre_schedule_release(s);
    lre_schedule_release(c);
}

typedef struct nodes {
    int n;
    char path[8][64];
    int active[8], depth[8];
    int64_t step[8];
    double value[8];
} nodes;

static int collect(void *ud, const lre_node_info *info)
{
    nodes *k = ud;
    if (k->n >= 8) return 1;
    snprintf(k->path[k->n], sizeof k->path[0], "%s", info->path);
    k->active[k->n] = info->active;
    k->depth[k->n] = info->depth;
    k->step[k->n] = info->step;
    k->value[k->n] = info->value;
    k->n++;
    return 0;
}

/* warmup(steps = 4){cosine(lr = 1, t_max = 8)}: at step 6 the factor is 1
 * and the cosine sees step 6 - 4 = 2: (1 + cos(pi * 2 / 8)) / 2 =
 * (1 + sqrt(2)/2) / 2; at step 2 the factor is 2/4 and the cosine sees 0
 * (value 1). sequence(milestones = {5}){constant(2), cosine(1, 10)} at step
 * 7: the constant is not in force, the cosine sees 2: (1 + cos(pi/5)) / 2. */
static void walks_every_node_with_the_step_it_sees(void)
{
    lre_param cp[] = {{"lr", 1, NULL, 0, NULL, NULL}, {"t_max", 8, NULL, 0, NULL, NULL}};
    lre_schedule *cs = make("cosine", cp, 2, NULL, 0);
    lre_param wp[] = {{"steps", 4, NULL, 0, NULL, NULL}};
    lre_schedule *w = make("warmup", wp, 1, &cs, 1);
    ASSERT(cs && w);
    nodes k = {0};
    ASSERT_EQ(lre_schedule_walk(w, 6, collect, &k, NULL), LRE_OK);
    ASSERT_EQ(k.n, 2);
    double at2 = (1 + sqrt(2) / 2) / 2;
    ASSERT(!strcmp(k.path[0], "warmup") && !strcmp(k.path[1], "warmup/cosine"));
    ASSERT_EQ(k.depth[1], 1);
    ASSERT_EQ(k.step[0], 6);
    ASSERT_EQ(k.step[1], 2);
    ASSERT_NEAR(k.value[0], at2, 1e-15);
    ASSERT_NEAR(k.value[1], at2, 1e-15);
    k.n = 0;
    ASSERT_EQ(lre_schedule_walk(w, 2, collect, &k, NULL), LRE_OK);
    ASSERT_NEAR(k.value[0], 0.5, 1e-15);
    ASSERT_EQ(k.step[1], 0);
    ASSERT_NEAR(k.value[1], 1, 1e-15);
    lre_schedule_release(w);
    lre_schedule_release(cs);

    lre_param kp[] = {{"lr", 2, NULL, 0, NULL, NULL}};
    lre_param cp10[] = {{"lr", 1, NULL, 0, NULL, NULL}, {"t_max", 10, NULL, 0, NULL, NULL}};
    lre_schedule *parts[2] = {make("constant", kp, 1, NULL, 0), make("cosine", cp10, 2, NULL, 0)};
    double ms[] = {5};
    lre_param sp[] = {{"milestones", 0, ms, 1, NULL, NULL}};
    lre_schedule *seq = make("sequence", sp, 1, parts, 2);
    ASSERT(seq);
    k.n = 0;
    ASSERT_EQ(lre_schedule_walk(seq, 7, collect, &k, NULL), LRE_OK);
    ASSERT_EQ(k.n, 3);
    ASSERT(!strcmp(k.path[1], "sequence/1:constant") && !strcmp(k.path[2], "sequence/2:cosine"));
    ASSERT_EQ(k.active[1], 0);
    ASSERT_EQ(k.active[2], 1);
    ASSERT_EQ(k.step[2], 2);
    double c = (1 + cos(3.14159265358979323846 / 5)) / 2;
    ASSERT_NEAR(k.value[2], c, 1e-15);
    ASSERT_NEAR(k.value[0], c, 1e-15);
    ASSERT_EQ(lre_schedule_walk(seq, -1, collect, &k, NULL), LRE_EINVAL);
    lre_schedule_release(seq);
    lre_schedule_release(parts[0]);
    lre_schedule_release(parts[1]);
}

static void gives_parameters_in_words(void)
{
    lre_param cp[] = {{"lr", 0.1, NULL, 0, NULL, NULL}, {"t_max", 900, NULL, 0, NULL, NULL}};
    lre_schedule *cs = make("cosine", cp, 2, NULL, 0);
    lre_param yp[] = {{"base_lr", 0.01, NULL, 0, NULL, NULL}, {"max_lr", 0.1, NULL, 0, NULL, NULL},
                      {"mode", 0, NULL, 0, "triangular2", NULL}};
    lre_schedule *cyc = make("cyclic", yp, 3, NULL, 0);
    double ms[] = {10, 20};
    lre_param mp[] = {{"lr", 1, NULL, 0, NULL, NULL}, {"milestones", 0, ms, 2, NULL, NULL}};
    lre_schedule *multi = make("multistep", mp, 2, NULL, 0);
    ASSERT(cs && cyc && multi);
    char buf[256];
    lre_schedule_params_text(cs, buf, sizeof buf);
    ASSERT(!strcmp(buf, "lr=0.1, t_max=900"));
    lre_schedule_params_text(cyc, buf, sizeof buf);
    ASSERT(!strcmp(buf, "base_lr=0.01, max_lr=0.1, mode=triangular2"));
    lre_schedule_params_text(multi, buf, sizeof buf);
    ASSERT(!strcmp(buf, "lr=1, milestones=[10, 20]"));
    ASSERT_EQ(lre_schedule_params_text(cs, buf, 4), 17); /* as snprintf: the length it needed */
    ASSERT(!strcmp(buf, "lr="));
    double v;
    ASSERT_EQ(lre_schedule_param(cs, "t_max", &v), LRE_OK);
    ASSERT_NEAR(v, 900, 0);
    ASSERT_EQ(lre_schedule_param(cyc, "mode", &v), LRE_OK);
    ASSERT_NEAR(v, 1, 0); /* triangular|triangular2|exp_range */
    ASSERT_EQ(lre_schedule_param(cs, "t_maxx", &v), LRE_EINVAL);
    ASSERT_EQ(lre_schedule_param(multi, "milestones", &v), LRE_EINVAL);
    lre_schedule_release(cs);
    lre_schedule_release(cyc);
    lre_schedule_release(multi);
}

int main(void)
{
    static const test_case tests[] = {
        {"reports each plateau reduction with its counters", reports_each_plateau_reduction_with_its_counters},
        {"reports landmarks once at their steps", reports_landmarks_once_at_their_steps},
        {"a custom node reports its own events", a_custom_node_reports_its_own_events},
        {"walks every node with the step it sees", walks_every_node_with_the_step_it_sees},
        {"gives parameters in words", gives_parameters_in_words},
        {NULL, NULL}};
    return run_tests(tests);
}
