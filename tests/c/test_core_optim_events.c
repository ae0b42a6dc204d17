/* test_core_optim_events.c -- lre_optim_set_events (optim_events.c): a
 * schedule tree's event reported under each hyper-parameter and group it
 * drives, from steps and observations; trees the optimizer drops, and the
 * optimizer freed, report to it no more. Expected steps worked out by hand
 * in the comments from the kinds' formulas (doc/schedules.md). */
#include "lrengine.h"
#include "test.h"

#include <stdint.h>

#define MAXEV 16

typedef struct uselog {
    int n;
    char kind[MAXEV][32], path[MAXEV][64], hparam[MAXEV][32];
    int group[MAXEV];
    int64_t step[MAXEV];
    const lre_event *ev[MAXEV];
} uselog;

static void record(void *ud, const lre_event *ev, const char *hparam, int group)
{
    uselog *l = ud;
    if (l->n >= MAXEV) return;
    snprintf(l->kind[l->n], sizeof l->kind[0], "%s", ev->kind);
    snprintf(l->path[l->n], sizeof l->path[0], "%s", ev->path);
    snprintf(l->hparam[l->n], sizeof l->hparam[0], "%s", hparam ? hparam : "(none)");
    l->group[l->n] = group;
    l->step[l->n] = ev->step;
    l->ev[l->n] = ev;
    l->n++;
}

static lre_schedule *make(const char *kind, const lre_param *p, size_t np, lre_schedule *const *c, size_t nc)
{
    lre_schedule *s = NULL;
    lre_error err;
    if (lre_schedule_new(&s, kind, p, np, c, nc, &err)) fprintf(stderr, "  %s\n", err.msg);
    return s;
}

static double w[4], g[4] = {1, 1, 1, 1};

/* sgd with one plateau(lr = 0.5, patience = 0, factor = 0.5) driving lr and
 * momentum: observed 1 after step 0 (best = 1), 1 again after step 1 (one
 * bad epoch > patience 0): one cut, at step 2, for both; the tree reports it
 * once and the optimizer twice, lr first (its order of hyper-parameters),
 * each for every group (-1). */
static void a_tree_driving_two_hparams_reports_under_each(void)
{
    lre_param pp[] = {{"lr", 0.5, NULL, 0, NULL, NULL}, {"patience", 0, NULL, 0, NULL, NULL}, {"factor", 0.5, NULL, 0, NULL, NULL}};
    lre_schedule *pl = make("plateau", pp, 3, NULL, 0);
    ASSERT(pl);
    lre_param p[] = {{"lr", 0, NULL, 0, NULL, pl}, {"momentum", 0, NULL, 0, NULL, pl}};
    lre_optim *o;
    ASSERT_EQ(lre_optim_new(&o, "sgd", p, 2, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, w, g, 2, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, w + 2, g + 2, 2, NULL, 0, NULL), LRE_OK);
    uselog l = {0};
    ASSERT_EQ(lre_optim_set_events(o, record, &l), LRE_OK);
    ASSERT_EQ(lre_optim_step(o), LRE_OK);
    ASSERT_EQ(lre_optim_observe(o, 1), LRE_OK);
    ASSERT_EQ(lre_optim_step(o), LRE_OK);
    ASSERT_EQ(lre_optim_observe(o, 1), LRE_OK);
    ASSERT_EQ(l.n, 2);
    ASSERT(!strcmp(l.kind[0], "plateau_reduce") && !strcmp(l.path[0], "plateau"));
    ASSERT(!strcmp(l.hparam[0], "lr") && !strcmp(l.hparam[1], "momentum"));
    ASSERT_EQ(l.group[0], -1);
    ASSERT_EQ(l.group[1], -1);
    ASSERT_EQ(l.step[0], 2);
    ASSERT_EQ(l.step[1], 2);
    ASSERT(l.ev[0] == l.ev[1]); /* one event, two uses */
    ASSERT_EQ(lre_optim_step(o), LRE_OK);
    double v;
    ASSERT_EQ(lre_optim_get(o, 1, "momentum", &v), LRE_OK);
    ASSERT_NEAR(v, 0.25, 0);
    /* momentum made a constant: the tree drives lr alone; a second cut (one
     * more flat observation, best still 1) is lr's only, at step 4 */
    ASSERT_EQ(lre_optim_set(o, -1, "momentum", 0.9), LRE_OK);
    ASSERT_EQ(lre_optim_step(o), LRE_OK);
    ASSERT_EQ(lre_optim_observe(o, 1), LRE_OK);
    ASSERT_EQ(l.n, 3);
    ASSERT(!strcmp(l.hparam[2], "lr"));
    ASSERT_EQ(l.step[2], 4);
    lre_optim_free(o);
    /* freed, the optimizer is no receiver: the tree runs on, reporting nothing */
    double out[3], m[2] = {1, 1};
    ASSERT_EQ(lre_schedule_run(pl, out, 3, m, 2, NULL), LRE_OK);
    ASSERT_EQ(l.n, 3);
    lre_schedule_release(pl);
}

/* warmup{constant(lr = 0.1), steps = 2} given to group 2 alone (group 1 at
 * a constant 0.01): its full rate first used at step 2, reported for lr in
 * group 2 only (index 1). A tree given after lre_optim_set_events is taken
 * over at the next step. */
static void a_tree_of_one_group_reports_that_group(void)
{
    lre_param cp[] = {{"lr", 0.1, NULL, 0, NULL, NULL}};
    lre_schedule *c = make("constant", cp, 1, NULL, 0);
    lre_param wp[] = {{"steps", 2, NULL, 0, NULL, NULL}};
    lre_schedule *wu = make("warmup", wp, 1, &c, 1);
    ASSERT(c && wu);
    lre_param p[] = {{"lr", 0.01, NULL, 0, NULL, NULL}};
    lre_optim *o;
    ASSERT_EQ(lre_optim_new(&o, "sgd", p, 1, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, w, g, 2, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, w + 2, g + 2, 2, NULL, 0, NULL), LRE_OK);
    uselog l = {0};
    ASSERT_EQ(lre_optim_set_events(o, record, &l), LRE_OK);
    ASSERT_EQ(lre_optim_schedule(o, 1, "lr", wu), LRE_OK);
    for (int t = 0; t < 4; t++) ASSERT_EQ(lre_optim_step(o), LRE_OK);
    ASSERT_EQ(l.n, 1);
    ASSERT(!strcmp(l.kind[0], "warmup_end") && !strcmp(l.path[0], "warmup"));
    ASSERT(!strcmp(l.hparam[0], "lr"));
    ASSERT_EQ(l.group[0], 1);
    ASSERT_EQ(l.step[0], 2);
    /* NULL stops the reports: the tree is given up */
    ASSERT_EQ(lre_optim_set_events(o, NULL, NULL), LRE_OK);
    lre_schedule_reset(wu);
    double out[3];
    ASSERT_EQ(lre_schedule_run(wu, out, 3, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(l.n, 1);
    lre_optim_free(o);
    lre_schedule_release(wu);
    lre_schedule_release(c);
}

int main(void)
{
    static const test_case tests[] = {
        {"a tree driving two hyper-parameters reports under each", a_tree_driving_two_hparams_reports_under_each},
        {"a tree of one group reports that group", a_tree_of_one_group_reports_that_group},
        {NULL, NULL}};
    return run_tests(tests);
}
