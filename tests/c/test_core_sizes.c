/* test_core_sizes.c -- sizes computed from input that would overflow are
 * refused with a message before anything is read past what exists, or
 * allocated, or written. The huge lengths below come with tiny arrays: a
 * check that came after the first read or write would be caught by the
 * sanitizers (or crash). */
#include "lrengine.h"
#include "test.h"

#include <stdint.h>

static void a_list_longer_than_memory_is_refused_before_reading(void)
{
    double ms[1] = {3};
    lre_param p[] = {{"lr", 0.1, NULL, 0, NULL, NULL}, {"milestones", 0, ms, SIZE_MAX / 4, NULL, NULL}};
    lre_schedule *s;
    lre_error err;
    ASSERT_EQ(lre_schedule_new(&s, "multistep", p, 2, NULL, 0, &err), LRE_EINVAL);
    ASSERT(s == NULL);
    ASSERT_STR_CONTAINS(err.msg, "multistep: milestones has");
    ASSERT_STR_CONTAINS(err.msg, "entries: too many");
}

static void too_many_children_are_refused_before_reading(void)
{
    lre_schedule *c, *s;
    lre_error err;
    lre_param p[] = {{"lr", 0.1, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_schedule_new(&c, "constant", p, 1, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(lre_schedule_new(&s, "product", NULL, 0, &c, SIZE_MAX / 2, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "inner schedules: too many");
    lre_schedule_release(c);
}

static void a_group_larger_than_memory_is_refused(void)
{
    float x[1] = {0}, g[1] = {0};
    lre_optim *o;
    ASSERT_EQ(lre_optim_new(&o, "adam", NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_add_group(o, LRE_F32, x, g, SIZE_MAX / 2, NULL, 0, NULL), LRE_EINVAL);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "is larger than memory");
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, x, g, SIZE_MAX / 8 + 1, NULL, 0, NULL), LRE_EINVAL);
    ASSERT_EQ(lre_optim_ngroups(o), 0);
    lre_optim_free(o);
}

static void a_curve_beyond_the_step_limit_is_refused_before_writing(void)
{
    lre_schedule *s;
    lre_error err;
    lre_param p[] = {{"lr", 0.1, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_schedule_new(&s, "constant", p, 1, NULL, 0, NULL), LRE_OK);
    double out[2] = {-1, -1};
    ASSERT_EQ(lre_schedule_curve(s, out, SIZE_MAX, NULL, 0, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "constant: curve of");
    ASSERT(out[0] == -1);
    lre_schedule_release(s);
}

int main(void)
{
    static const test_case tests[] = {
        {"a list longer than memory is refused before reading", a_list_longer_than_memory_is_refused_before_reading},
        {"too many children are refused before reading", too_many_children_are_refused_before_reading},
        {"a group larger than memory is refused", a_group_larger_than_memory_is_refused},
        {"a curve beyond the step limit is refused before writing", a_curve_beyond_the_step_limit_is_refused_before_writing},
        {NULL, NULL}};
    return run_tests(tests);
}
