/* test_core_plan.c -- durations in a schedule's parameters, from C: given
 * as text in lre_param.str, kept by the node, resolved by lre_schedule_plan
 * (and lre_schedule_set_horizon) all or nothing, re-resolved on another
 * horizon, refused with what is missing while unresolved, shown as text,
 * and saved with the tree so a resumed run continues exactly. */
#include "lrengine.h"
#include "test.h"

#include <stdlib.h>

static lre_schedule *cosine(const char *t_max)
{
    lre_param p[] = {{"lr", 1, NULL, 0, NULL, NULL}, {"t_max", 0, NULL, 0, t_max, NULL}};
    lre_schedule *s = NULL;
    lre_error err;
    if (lre_schedule_new(&s, "cosine", p, 2, NULL, 0, &err)) fprintf(stderr, "  cosine: %s\n", err.msg);
    return s;
}

static double at(lre_schedule *s, int64_t t)
{
    double v = NAN;
    lre_error err;
    if (lre_schedule_eval(s, t, &v, &err)) fprintf(stderr, "  eval %lld: %s\n", (long long)t, err.msg);
    return v;
}

/* cosine t_max = "50%": unresolved until planned; on 200 steps t_max = 100,
 * so step 50 is (1 + cos(pi/2))/2 = 0.5; on 400 steps t_max = 200 and step
 * 100 is 0.5, step 50 (1 + cos(pi/4))/2. */
static void resolves_and_re_resolves(void)
{
    lre_schedule *s = cosine("50%");
    ASSERT(s != NULL);
    double v;
    lre_error err;
    ASSERT_EQ(lre_schedule_eval(s, 3, &v, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "cosine: t_max = '50%' needs the run's length");
    char text[256];
    lre_schedule_text(s, text, sizeof text);
    ASSERT_STR_CONTAINS(text, "t_max='50%', eta_min=0");
    lre_horizon h = {0, 200, 0};
    ASSERT_EQ(lre_schedule_plan(s, &h, &err), LRE_OK);
    ASSERT_NEAR(at(s, 50), 0.5, 1e-15);
    double tmax = 0;
    ASSERT_EQ(lre_schedule_param(s, "t_max", &tmax), LRE_OK);
    ASSERT_EQ(tmax, 100);
    lre_schedule_text(s, text, sizeof text);
    ASSERT_STR_CONTAINS(text, "t_max='50%'=100");
    lre_schedule_params_text(s, text, sizeof text);
    ASSERT_STR_CONTAINS(text, "t_max='50%'=100");
    /* a longer run re-resolves (set_horizon too: an optimizer's horizon) */
    lre_schedule_set_horizon(s, 0, 400);
    ASSERT_NEAR(at(s, 100), 0.5, 1e-15);
    ASSERT_NEAR(at(s, 50), (1 + cos(3.14159265358979323846 / 4)) / 2, 1e-15);
    /* a horizon wholly unknown keeps the plan made before */
    lre_schedule_set_horizon(s, 0, 0);
    ASSERT_NEAR(at(s, 100), 0.5, 1e-15);
    lre_schedule_release(s);
}

/* warmup{plateau{lr = 1}, steps = "1 epoch"} and a tokens duration given its
 * tokens_per_step at an outer node. */
static void epochs_tokens_and_inheritance(void)
{
    lre_param pp[] = {{"lr", 1, NULL, 0, NULL, NULL}, {"patience", 0, NULL, 0, NULL, NULL}};
    lre_schedule *pl = NULL, *wu = NULL, *lin = NULL, *sc = NULL;
    lre_error err;
    ASSERT_EQ(lre_schedule_new(&pl, "plateau", pp, 2, NULL, 0, &err), LRE_OK);
    lre_param wp[] = {{"steps", 0, NULL, 0, "1 epoch", NULL}};
    ASSERT_EQ(lre_schedule_new(&wu, "warmup", wp, 1, &pl, 1, &err), LRE_OK);
    double v;
    ASSERT_EQ(lre_schedule_eval(wu, 0, &v, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "warmup: steps = '1 epoch' needs the steps per epoch");
    lre_schedule_set_horizon(wu, 8, 80);
    ASSERT_NEAR(at(wu, 4), 0.5, 1e-15); /* linear from 0 over 8 steps */
    ASSERT_NEAR(at(wu, 8), 1, 1e-15);
    /* 2k tokens at 500 a step, tokens_per_step given one node up: 4 steps */
    lre_param lp[] = {{"lr", 1, NULL, 0, NULL, NULL}, {"start_factor", 0, NULL, 0, NULL, NULL},
                      {"end_factor", 1, NULL, 0, NULL, NULL}, {"total_iters", 0, NULL, 0, "2k tokens", NULL}};
    ASSERT_EQ(lre_schedule_new(&lin, "linear", lp, 4, NULL, 0, &err), LRE_OK);
    lre_param sp[] = {{"factor", 2, NULL, 0, NULL, NULL}, {"tokens_per_step", 500, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_schedule_new(&sc, "scale", sp, 2, &lin, 1, &err), LRE_OK);
    ASSERT_EQ(lre_schedule_eval(sc, 1, &v, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "scale/linear: total_iters = '2k tokens' needs the tokens per step");
    ASSERT_EQ(lre_schedule_plan(sc, NULL, &err), LRE_OK);
    ASSERT_NEAR(at(sc, 1), 2 * 0.25, 1e-15);
    char text[256];
    lre_schedule_text(sc, text, sizeof text);
    ASSERT_STR_CONTAINS(text, "scale{factor=2, tokens_per_step=500}(linear{");
    ASSERT_STR_CONTAINS(text, "total_iters='2k tokens'=4");
    lre_schedule_release(sc);
    lre_schedule_release(lin);
    lre_schedule_release(wu);
    lre_schedule_release(pl);
}

/* A plan that fails changes nothing, and names the node's path. */
static void all_or_nothing(void)
{
    lre_schedule *a = cosine("10%"), *b = cosine("1%"), *seq = NULL;
    ASSERT(a && b);
    lre_param mp[] = {{"milestones", 0, (const double[]){5}, 1, NULL, NULL}};
    lre_schedule *kids[] = {a, b};
    lre_error err;
    ASSERT_EQ(lre_schedule_new(&seq, "sequence", mp, 1, kids, 2, &err), LRE_OK);
    lre_horizon h = {0, 1000, 0};
    ASSERT_EQ(lre_schedule_plan(seq, &h, &err), LRE_OK);
    ASSERT_NEAR(at(seq, 50), 0.5, 1e-15); /* b at its step 45 of t_max 10: (1 + cos(4.5 pi)) / 2 */
    /* on 40 steps b's 1% is 0 steps: t_max must be > 0; a resolved first stays as it was */
    h.total_steps = 40;
    ASSERT_EQ(lre_schedule_plan(seq, &h, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "sequence/2:cosine: t_max = '1%' is 0 steps on this horizon");
    double tmax;
    lre_schedule_param(a, "t_max", &tmax);
    ASSERT_EQ(tmax, 100);
    lre_schedule_param(b, "t_max", &tmax);
    ASSERT_EQ(tmax, 10);
    /* set_horizon can not report it: the tree waits, and evaluation says why */
    lre_schedule_set_horizon(seq, 0, 40);
    double v;
    ASSERT_EQ(lre_schedule_eval(seq, 10, &v, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "sequence/2:cosine: t_max = '1%' is 0 steps on this horizon");
    ASSERT_EQ(lre_schedule_eval(seq, 1, &v, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "sequence/1:cosine: its durations are not resolved: the tree's plan failed at another node");
    lre_schedule_set_horizon(seq, 0, 1000);
    ASSERT_NEAR(at(seq, 50), 0.5, 1e-15);
    lre_schedule_release(seq);
    lre_schedule_release(a);
    lre_schedule_release(b);
}

/* Bad texts fail at construction, naming the parameter; a number given as
 * a string is refused where no duration is taken. */
static void refused_at_construction(void)
{
    lre_schedule *s = NULL;
    lre_error err;
    lre_param bad[] = {{"lr", 1, NULL, 0, NULL, NULL}, {"t_max", 0, NULL, 0, "2 weeks", NULL}};
    ASSERT_EQ(lre_schedule_new(&s, "cosine", bad, 2, NULL, 0, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "cosine: t_max: duration '2 weeks': unknown unit 'weeks'");
    lre_param zero[] = {{"lr", 1, NULL, 0, NULL, NULL}, {"t_max", 0, NULL, 0, "0 steps", NULL}};
    ASSERT_EQ(lre_schedule_new(&s, "cosine", zero, 2, NULL, 0, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "t_max = '0 steps' is 0 steps");
    lre_param notdur[] = {{"lr", 0, NULL, 0, "10%", NULL}, {"t_max", 5, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_schedule_new(&s, "cosine", notdur, 2, NULL, 0, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "cosine: lr must be a number");
    lre_param tps[] = {{"lr", 1, NULL, 0, NULL, NULL}, {"t_max", 5, NULL, 0, NULL, NULL}, {"tokens_per_step", -1, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_schedule_new(&s, "cosine", tps, 3, NULL, 0, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "tokens_per_step must be a number > 0");
    lre_param_info info;
    ASSERT_EQ(lre_schedule_param_info("cosine", 1, &info), LRE_OK);
    ASSERT_EQ(info.duration, 1);
    ASSERT_EQ(lre_schedule_param_info("cosine", 0, &info), LRE_OK);
    ASSERT_EQ(info.duration, 0);
    ASSERT(s == NULL);
}

/* The state of a plateau inside a warm-up of "1 epoch" saves and loads:
 * a run that stops at step 12 and resumes from its saved state gives the
 * uninterrupted run's values, bit for bit. Fingerprints follow the text, so
 * the state loads under the same text planned on another horizon too. */
static lre_schedule *warm_plateau(void)
{
    lre_param pp[] = {{"lr", 1, NULL, 0, NULL, NULL}, {"patience", 1, NULL, 0, NULL, NULL}, {"factor", 0.5, NULL, 0, NULL, NULL}};
    lre_schedule *pl = NULL, *wu = NULL;
    lre_error err;
    if (lre_schedule_new(&pl, "plateau", pp, 3, NULL, 0, &err)) return NULL;
    lre_param wp[] = {{"steps", 0, NULL, 0, "1 epoch", NULL}};
    if (lre_schedule_new(&wu, "warmup", wp, 1, &pl, 1, &err)) wu = NULL;
    lre_schedule_release(pl);
    return wu;
}

static void saved_state_resumes_exactly(void)
{
    lre_schedule *whole = warm_plateau(), *first = warm_plateau(), *second = warm_plateau();
    ASSERT(whole && first && second);
    lre_horizon h = {5, 30, 0};
    lre_error err;
    ASSERT_EQ(lre_schedule_plan(whole, &h, &err), LRE_OK);
    ASSERT_EQ(lre_schedule_plan(first, &h, &err), LRE_OK);
    double want[30], got[30];
    /* a metric that stops improving after step 3: reductions follow */
    for (int t = 0; t < 30; t++) {
        want[t] = at(whole, t);
        ASSERT_EQ(lre_schedule_observe(whole, t < 4 ? 10.0 - t : 7, t + 1, &err), LRE_OK);
    }
    for (int t = 0; t < 12; t++) {
        got[t] = at(first, t);
        ASSERT_EQ(lre_schedule_observe(first, t < 4 ? 10.0 - t : 7, t + 1, &err), LRE_OK);
    }
    lre_membuf b = {0};
    ASSERT_EQ(lre_schedule_save(first, lre_membuf_write, &b, &err), LRE_OK);
    /* loaded before its plan (the order a checkpoint's reader may take) */
    lre_memreader r = {b.data, b.len, 0};
    ASSERT_EQ(lre_schedule_load(second, lre_memreader_read, &r, &err), LRE_OK);
    lre_schedule_set_horizon(second, 5, 30);
    for (int t = 12; t < 30; t++) {
        got[t] = at(second, t);
        ASSERT_EQ(lre_schedule_observe(second, t < 4 ? 10.0 - t : 7, t + 1, &err), LRE_OK);
    }
    ASSERT(memcmp(want, got, sizeof want) == 0);
    ASSERT(want[29] < 0.01); /* the plateau did reduce */
    /* a differ by text */
    char d[256];
    ASSERT_EQ(lre_schedule_differ(whole, second, d, sizeof d), 0);
    lre_schedule *x = cosine("50%"), *y = cosine("60%");
    int differ = lre_schedule_differ(x, y, d, sizeof d);
    lre_schedule_release(x);
    lre_schedule_release(y);
    free(b.data);
    ASSERT_EQ(differ, 1);
    ASSERT_STR_CONTAINS(d, "cosine: t_max '50%' -> '60%'");
    lre_schedule_release(whole);
    lre_schedule_release(first);
    lre_schedule_release(second);
}

/* An extension's plan is the plan as it was: its durations resolve on the
 * old total (t_max = "100%" of 100), not on the extended run's 200. */
static void an_extended_plan_keeps_its_old_total(void)
{
    lre_schedule *c = cosine("100%"), *ex = NULL;
    ASSERT(c != NULL);
    lre_param ep[] = {{"at", 50, NULL, 0, NULL, NULL}, {"old_total", 100, NULL, 0, NULL, NULL},
                      {"total", 200, NULL, 0, NULL, NULL}};
    lre_error err;
    ASSERT_EQ(lre_schedule_new(&ex, "extend", ep, 3, &c, 1, &err), LRE_OK);
    lre_horizon h = {0, 200, 0};
    ASSERT_EQ(lre_schedule_plan(ex, &h, &err), LRE_OK);
    double tmax = 0;
    lre_schedule_param(c, "t_max", &tmax);
    ASSERT_EQ(tmax, 100);
    /* step 200 maps to the plan's step 100, its end: 0 */
    ASSERT_NEAR(at(ex, 200), 0, 1e-15);
    lre_schedule_release(ex);
    lre_schedule_release(c);
}

/* Lists of durations: one text, items separated by commas. multistep on
 * 10 steps an epoch of 100: milestones "1 epoch,50%,90" = [10, 50, 90]; an
 * order the horizon breaks (1 epoch of 60 > 50% of 100) is refused whole. */
static void lists_of_durations(void)
{
    lre_param mp[] = {{"lr", 1, NULL, 0, NULL, NULL}, {"milestones", 0, NULL, 0, "1 epoch,50%,90", NULL},
                      {"gamma", 0.5, NULL, 0, NULL, NULL}};
    lre_schedule *m = NULL;
    lre_error err;
    ASSERT_EQ(lre_schedule_new(&m, "multistep", mp, 3, NULL, 0, &err), LRE_OK);
    double v;
    ASSERT_EQ(lre_schedule_eval(m, 0, &v, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "multistep: milestones[1] = '1 epoch' needs the steps per epoch");
    lre_horizon h = {10, 100, 0};
    ASSERT_EQ(lre_schedule_plan(m, &h, &err), LRE_OK);
    ASSERT_NEAR(at(m, 9), 1, 0);
    ASSERT_NEAR(at(m, 10), 0.5, 0);
    ASSERT_NEAR(at(m, 50), 0.25, 0);
    ASSERT_NEAR(at(m, 90), 0.125, 0);
    char text[256];
    lre_schedule_text(m, text, sizeof text);
    ASSERT_STR_CONTAINS(text, "milestones='1 epoch,50%,90'=[10, 50, 90]");
    h.steps_per_epoch = 60;
    ASSERT_EQ(lre_schedule_plan(m, &h, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "multistep: on this horizon, milestones must be in increasing order");
    ASSERT_NEAR(at(m, 50), 0.25, 0); /* unchanged */
    lre_param bad[] = {{"lr", 1, NULL, 0, NULL, NULL}, {"milestones", 0, NULL, 0, "1 epoch,,2", NULL}};
    lre_schedule *b = NULL;
    ASSERT_EQ(lre_schedule_new(&b, "multistep", bad, 2, NULL, 0, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "expected durations separated by commas");
    lre_schedule_release(m);
}

int main(void)
{
    static const test_case tests[] = {
        {"durations resolve and re-resolve", resolves_and_re_resolves},
        {"epochs, tokens and tokens_per_step inherited", epochs_tokens_and_inheritance},
        {"a plan is all or nothing", all_or_nothing},
        {"bad durations are refused at construction", refused_at_construction},
        {"saved state resumes exactly", saved_state_resumes_exactly},
        {"an extended plan keeps its old total", an_extended_plan_keeps_its_old_total},
        {"lists of durations", lists_of_durations},
        {NULL, NULL}};
    return run_tests(tests);
}
