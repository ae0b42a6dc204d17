/* test_core_continue.c -- continuations through the C API (the same nodes
 * spec/continue_spec.lua checks from Lua) and lre_schedule_carry_state's all
 * or nothing: a custom schedule that refuses the carried state leaves the
 * whole tree as it was, plateau counters staged before it included. */
#include "lrengine.h"
#include "test.h"

#include <stdlib.h>

static lre_schedule *cosine(double lr, double t_max)
{
    lre_param p[] = {{"lr", lr, NULL, 0, NULL, NULL}, {"t_max", t_max, NULL, 0, NULL, NULL}};
    lre_schedule *s = NULL;
    lre_schedule_new(&s, "cosine", p, 2, NULL, 0, NULL);
    return s;
}

static double at(lre_schedule *s, int64_t t)
{
    double v = NAN;
    lre_schedule_eval(s, t, &v, NULL);
    return v;
}

/* cooldown of cosine{lr = 1, t_max = 100} at 40 over 8 steps, cosine shape, to 0:
 * v0 = (3 + sqrt 5) / 8 (cos(0.4 pi) = (sqrt 5 - 1) / 4); at x = 1/2, v0 / 2. */
static void a_cooldown_from_c(void)
{
    lre_schedule *plan = cosine(1, 100), *c = NULL;
    lre_param p[] = {{"at", 40, NULL, 0, NULL, NULL}, {"steps", 8, NULL, 0, NULL, NULL},
                     {"shape", 0, NULL, 0, "cosine", NULL}};
    lre_error err;
    ASSERT_EQ(lre_schedule_new(&c, "cooldown", p, 3, &plan, 1, &err), LRE_OK);
    double v0 = (3 + sqrt(5)) / 8;
    ASSERT_NEAR(at(c, 39), at(plan, 39), 0);
    ASSERT_NEAR(at(c, 40), v0, 1e-15);
    ASSERT_NEAR(at(c, 44), v0 / 2, 1e-15);
    ASSERT_NEAR(at(c, 48), 0, 0);
    lre_param bad[] = {{"at", 40, NULL, 0, NULL, NULL}};
    lre_schedule *d = NULL;
    ASSERT(lre_schedule_new(&d, "cooldown", bad, 1, &plan, 1, &err) == LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "cooldown: missing required parameter 'steps'");
    ASSERT(lre_schedule_new(&d, "replace", bad, 1, &plan, 1, &err) == LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "replace: takes");
    lre_schedule_release(c);
    lre_schedule_release(plan);
}

static int refusing_at(void *ud, const lre_sched_ctx *ctx, double *out, lre_error *err)
{
    (void)ud, (void)ctx, (void)err;
    *out = 1;
    return LRE_OK;
}
static int refusing_save(void *ud, lre_write_fn write, void *wud, lre_error *err)
{
    (void)ud, (void)err;
    return write(wud, "xy", 2);
}
static int refusing_prepare(void *ud, const void *data, size_t len, void **token, lre_error *err)
{
    (void)ud, (void)data, (void)len, (void)token;
    return lre_error_set(err, LRE_ECORRUPT, "refused");
}
static const lre_custom_vtable refusing = {refusing_at, NULL, refusing_save, refusing_prepare, NULL, NULL, NULL};

static lre_schedule *tree(int observe)
{
    lre_param pl[] = {{"lr", 1, NULL, 0, NULL, NULL}, {"patience", 0, NULL, 0, NULL, NULL}};
    lre_schedule *kids[2] = {NULL, NULL}, *s = NULL;
    lre_schedule_new(&kids[0], "plateau", pl, 2, NULL, 0, NULL);
    lre_schedule_custom(&kids[1], "s", &refusing, NULL, NULL);
    lre_schedule_new(&s, "min", NULL, 0, kids, 2, NULL);
    lre_schedule_release(kids[0]);
    lre_schedule_release(kids[1]);
    for (int i = 0; i < observe; i++) lre_schedule_observe(s, i, i + 1, NULL);
    return s;
}

static void a_refused_carry_changes_nothing(void)
{
    lre_schedule *from = tree(3), *to = tree(0);
    ASSERT_NEAR(at(from, 0), 0.01, 1e-15); /* 0, 1, 2 rising, patience 0: two reductions by 0.1 */
    lre_membuf before = {0}, after = {0};
    lre_schedule_save(to, lre_membuf_write, &before, NULL);
    lre_error err;
    size_t n = 7;
    ASSERT(lre_schedule_carry_state(to, from, &n, &err) == LRE_ECORRUPT);
    ASSERT_STR_CONTAINS(err.msg, "refused");
    ASSERT_EQ(n, 0);
    lre_schedule_save(to, lre_membuf_write, &after, NULL);
    ASSERT(before.len == after.len && !memcmp(before.data, after.data, before.len));
    ASSERT_NEAR(at(to, 0), 1, 0);
    free(before.data), free(after.data);
    lre_schedule_release(from);
    lre_schedule_release(to);
}

/* durations: 10% of 1000 = 100; 2.5 epochs of 40 = 100; 3M tokens at 20000 per step = 150; 0.3% of 1000 = 3 (rounded) */
static void durations_in_every_unit(void)
{
    lre_horizon h = {40, 1000, 20000};
    int64_t n = -1;
    lre_error err;
    ASSERT_EQ(lre_duration_steps("500", &h, &n, &err), LRE_OK);
    ASSERT_EQ(n, 500);
    ASSERT_EQ(lre_duration_steps(" 500 steps ", &h, &n, &err), LRE_OK);
    ASSERT_EQ(n, 500);
    ASSERT_EQ(lre_duration_steps("1 step", &h, &n, &err), LRE_OK);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(lre_duration_steps("10%", &h, &n, &err), LRE_OK);
    ASSERT_EQ(n, 100);
    ASSERT_EQ(lre_duration_steps("0.3%", &h, &n, &err), LRE_OK);
    ASSERT_EQ(n, 3);
    ASSERT_EQ(lre_duration_steps("2.5 epochs", &h, &n, &err), LRE_OK);
    ASSERT_EQ(n, 100);
    ASSERT_EQ(lre_duration_steps("1epoch", &h, &n, &err), LRE_OK);
    ASSERT_EQ(n, 40);
    ASSERT_EQ(lre_duration_steps("3M tokens", &h, &n, &err), LRE_OK);
    ASSERT_EQ(n, 150);
    ASSERT_EQ(lre_duration_steps("3Mtokens", &h, &n, &err), LRE_OK);
    ASSERT_EQ(n, 150);
    ASSERT_EQ(lre_duration_steps("40000 tokens", &h, &n, &err), LRE_OK);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(lre_duration_steps("2 weeks", &h, &n, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "duration '2 weeks': unknown unit 'weeks'");
    ASSERT_EQ(lre_duration_steps("-5", &h, &n, &err), LRE_EINVAL);
    ASSERT_EQ(lre_duration_steps("nan", &h, &n, &err), LRE_EINVAL);
    ASSERT_EQ(lre_duration_steps("1e300 epochs", &h, &n, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "more than 2^53");
    ASSERT_EQ(lre_duration_steps("10%", NULL, &n, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "a fraction of the run needs its total steps");
    lre_horizon none = {0, 0, 0};
    ASSERT_EQ(lre_duration_steps("1 epoch", &none, &n, &err), LRE_EINVAL);
    ASSERT_EQ(lre_duration_steps("5 tokens", &none, &n, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "tokens need the tokens per step");
}

int main(void)
{
    static const test_case tests[] = {
        {"a cooldown built from C", a_cooldown_from_c},
        {"a refused carry changes nothing", a_refused_carry_changes_nothing},
        {"durations in every unit", durations_in_every_unit},
        {NULL, NULL}};
    return run_tests(tests);
}
