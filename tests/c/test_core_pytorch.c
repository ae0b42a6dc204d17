/* test_core_pytorch.c -- input PyTorch 1.13 accepts is accepted, with its
 * values. The expected numbers were printed by torch 1.13.1 (Debian's
 * python3-torch): OneCycleLR over SGD(lr=0.1, momentum=0.9), max_lr = 1,
 * total_steps = 10, the rate and momentum read before each step. */
#include "lrengine.h"
#include "test.h"

#include <stdlib.h>

#define P(name, v) {name, v, NULL, 0, NULL, NULL}

static const double pct15_lr[] = {0.040000000000000036, 0.9914865838957516, 0.9251088674305357, 0.8013181129203555, 0.6368329477100614, 0.45386800480506795, 0.27713371358844247, 0.13049901940750497, 0.03376775024228096, 4e-06};
static const double pct15_mom[] = {0.95, 0.8508513450158048, 0.8574891432135192, 0.8698682681810371, 0.8863168504963959, 0.9046134179731651, 0.9222869177888269, 0.9369504458610329, 0.9466236114702178, 0.95};
static const double pct15_three_lr[] = {0.040000000000000036, 0.04, 0.03847774289116071, 0.034142721410168574, 0.02765490328043707, 0.020002000000000002, 0.012349096719562937, 0.005861278589831424, 0.001526257108839288, 4e-06};
static const double pct15_three_mom[] = {0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95};
static const double pct05_lr[] = {0.9931806789787544, 0.9397371166557421, 0.8386414312497273, 0.7008489089356355, 0.5412915075774754, 0.3772597474005747, 0.2265290148351029, 0.10543332358282206, 0.027095270784166084, 4e-06};
static const double pct0_lr[] = {0.9755283560345442, 0.904508879153485, 0.793893450575732, 0.654509879153485, 0.500002, 0.3454941208465151, 0.20611054942426807, 0.09549512084651508, 0.024475643965455825, 4e-06};
static const double mom22_lr[] = {0.040000000000000036, 0.52, 1.0, 0.9504846320134737, 0.8117456539497631, 0.6112620219362893, 0.38874197806371075, 0.18825834605023697, 0.049519367986526286, 4e-06};
static const double mom22_mom[] = {22.0, 21.0, 20.0, 20.09903113209758, 20.376510198141265, 20.777479066043686, 21.222520933956314, 21.623489801858735, 21.90096886790242, 22.0};
static const double nocycle_lr[] = {0.040000000000000036, 0.52, 1.0, 0.9504846320134737, 0.8117456539497631, 0.6112620219362893, 0.38874197806371075, 0.18825834605023697, 0.049519367986526286, 4e-06};

static lre_schedule *one_cycle(const char *kind, const lre_param *extra, size_t nextra, lre_error *err)
{
    lre_param p[8] = {P("max_lr", 1), P("total_steps", 10)};
    for (size_t i = 0; i < nextra; i++) p[2 + i] = extra[i];
    lre_schedule *s = NULL;
    lre_schedule_new(&s, kind, p, 2 + nextra, NULL, 0, err);
    return s;
}

static int curve_near(lre_schedule *s, const double *want)
{
    double got[10];
    if (!s || lre_schedule_curve(s, got, 10, NULL, 0, NULL)) return 0;
    for (int i = 0; i < 10; i++)
        if (!(fabs(got[i] - want[i]) <= 1e-12 * fabs(want[i]) + 1e-15)) {
            fprintf(stderr, "  step %d: %.17g, PyTorch %.17g\n", i, got[i], want[i]);
            return 0;
        }
    return 1;
}

/* PyTorch: SGD([{'params': [p], 'lr': 0.1}], momentum=0.9) is valid; a group
 * without lr then raises "parameter group didn't specify a value of required
 * optimization parameter lr". */
static void a_required_rate_may_be_given_by_every_group_instead(void)
{
    double x[2] = {1, 1}, g[2] = {0.5, 0.5};
    lre_optim *o;
    lre_error err;
    lre_param top[] = {P("momentum", 0.9)};
    ASSERT_EQ(lre_optim_new(&o, "sgd", top, 1, &err), LRE_OK);
    lre_param lr[] = {P("lr", 0.1)};
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, x, g, 1, lr, 1, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, x + 1, g + 1, 1, NULL, 0, NULL), LRE_EINVAL);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "sgd: missing required parameter 'lr' (given neither to this group nor as a default)");
    ASSERT_EQ(lre_optim_ngroups(o), 1);
    ASSERT_EQ(lre_optim_step(o), LRE_OK);
    ASSERT(x[0] == 0.95 && x[1] == 1); /* PyTorch: 0.95 */
    /* a default given later serves the groups added after it */
    ASSERT_EQ(lre_optim_set(o, -1, "lr", 0.2), LRE_OK);
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, x + 1, g + 1, 1, NULL, 0, NULL), LRE_OK);
    lre_optim_free(o);
    /* a schedule for it in the group is a value too */
    lre_schedule *s = one_cycle("one_cycle", NULL, 0, NULL);
    ASSERT(s);
    ASSERT_EQ(lre_optim_new(&o, "sgd", NULL, 0, &err), LRE_OK);
    lre_param sl[] = {{"lr", 0, NULL, 0, NULL, s}};
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, x, g, 2, sl, 1, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_step(o), LRE_OK);
    lre_optim_free(o);
    lre_schedule_release(s);
}

static void one_cycle_takes_any_momenta_and_the_optimizer_checks_them(void)
{
    lre_param m[] = {P("pct_start", 0.3), P("base_momentum", 20), P("max_momentum", 22)};
    lre_error err;
    lre_schedule *lr = one_cycle("one_cycle", m, 3, &err), *mom = one_cycle("one_cycle_momentum", m, 3, &err);
    ASSERT(curve_near(lr, mom22_lr));
    ASSERT(curve_near(mom, mom22_mom));
    /* SGD accepts momentum 22 (PyTorch checks only momentum >= 0) */
    double x[1] = {1}, g[1] = {0.5};
    lre_optim *o;
    lre_param p[] = {{"lr", 0, NULL, 0, NULL, lr}, {"momentum", 0, NULL, 0, NULL, mom}};
    ASSERT_EQ(lre_optim_new(&o, "sgd", p, 2, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, x, g, 1, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_step(o), LRE_OK);
    lre_optim_free(o);
    lre_schedule_release(lr);
    lre_schedule_release(mom);
    /* a negative momentum: the schedule builds, the optimizer refuses the value */
    lre_param neg[] = {P("base_momentum", -1)};
    mom = one_cycle("one_cycle_momentum", neg, 1, &err);
    ASSERT(mom != NULL);
    lre_param q[] = {P("lr", 0.1), {"momentum", 0, NULL, 0, NULL, mom}};
    ASSERT_EQ(lre_optim_new(&o, "sgd", q, 2, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, x, g, 1, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_step(o), LRE_OK); /* 0.95 */
    ASSERT_EQ(lre_optim_step(o), LRE_ERANGE);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "sgd: momentum must be >= 0, got -0.025");
    lre_optim_free(o);
    lre_schedule_release(mom);
    /* NaN is no number */
    lre_param nan_m[] = {P("max_momentum", NAN)};
    ASSERT(one_cycle("one_cycle", nan_m, 1, &err) == NULL);
    ASSERT_STR_CONTAINS(err.msg, "max_momentum must be a number, got nan");
}

static void one_cycle_accepts_cycle_momentum_false(void)
{
    lre_param p[] = {P("pct_start", 0.3), P("cycle_momentum", 0)};
    lre_error err;
    lre_schedule *lr = one_cycle("one_cycle", p, 2, &err);
    ASSERT(curve_near(lr, nocycle_lr));
    lre_schedule_release(lr);
    /* the momentum is then the optimizer's own: nothing to schedule */
    ASSERT(one_cycle("one_cycle_momentum", p, 2, &err) == NULL);
    ASSERT_STR_CONTAINS(err.msg, "one_cycle_momentum: cycle_momentum is false");
}

static void one_cycle_accepts_a_warmup_ending_before_step_1(void)
{
    lre_error err;
    lre_param p15[] = {P("pct_start", 0.15)}; /* pct_start * total_steps = 1.5 */
    lre_schedule *s = one_cycle("one_cycle", p15, 1, &err), *m = one_cycle("one_cycle_momentum", p15, 1, &err);
    ASSERT(curve_near(s, pct15_lr));
    ASSERT(curve_near(m, pct15_mom));
    lre_schedule_release(s);
    lre_schedule_release(m);
    lre_param three[] = {P("pct_start", 0.15), P("three_phase", 1)};
    s = one_cycle("one_cycle", three, 2, &err), m = one_cycle("one_cycle_momentum", three, 2, &err);
    ASSERT(curve_near(s, pct15_three_lr));
    ASSERT(curve_near(m, pct15_three_mom));
    lre_schedule_release(s);
    lre_schedule_release(m);
    /* below 1 the second phase starts before step 0, as in PyTorch */
    lre_param p05[] = {P("pct_start", 0.05)};
    s = one_cycle("one_cycle", p05, 1, &err);
    ASSERT(curve_near(s, pct05_lr));
    lre_schedule_release(s);
    lre_param p0[] = {P("pct_start", 0)}; /* PyTorch's range is [0, 1] */
    s = one_cycle("one_cycle", p0, 1, &err);
    ASSERT(curve_near(s, pct0_lr));
    lre_schedule_release(s);
    /* exactly 1: PyTorch divides by zero */
    lre_param p1[] = {P("pct_start", 0.1)};
    ASSERT(one_cycle("one_cycle", p1, 1, &err) == NULL);
    ASSERT_STR_CONTAINS(err.msg, "pct_start * total_steps must not be 1");
}

static void optimizer_hyperparameters_are_finite(void)
{
    lre_optim *o;
    lre_error err;
    lre_param p[] = {P("lr", INFINITY)};
    ASSERT_EQ(lre_optim_new(&o, "adam", p, 1, &err), LRE_ENONFINITE);
    ASSERT_STR_CONTAINS(err.msg, "adam: lr must be finite, got inf");
    lre_param q[] = {P("lr", 0.1), P("momentum", INFINITY)};
    ASSERT_EQ(lre_optim_new(&o, "sgd", q, 2, &err), LRE_ENONFINITE);
}

int main(void)
{
    static const test_case tests[] = {
        {"a required rate may be given by every group instead", a_required_rate_may_be_given_by_every_group_instead},
        {"one_cycle takes any momenta; the optimizer checks them", one_cycle_takes_any_momenta_and_the_optimizer_checks_them},
        {"one_cycle accepts cycle_momentum = false", one_cycle_accepts_cycle_momentum_false},
        {"one_cycle accepts a warm-up ending before step 1", one_cycle_accepts_a_warmup_ending_before_step_1},
        {"optimizer hyper-parameters are finite", optimizer_hyperparameters_are_finite},
        {NULL, NULL}};
    return run_tests(tests);
}
