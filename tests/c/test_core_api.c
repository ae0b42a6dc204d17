/* test_core_api.c -- the core's conventions: every failure leaves a message,
 * name lists come from the definitions, the shared checksum and random
 * generator. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */
#include "lrengine.h"
#include "test.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <zlib.h>

static void get_names_an_unknown_hyperparameter(void)
{
    double x[1] = {0}, g[1] = {1};
    lre_optim *o;
    ASSERT_EQ(lre_optim_new(&o, "adam", NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, x, g, 1, NULL, 0, NULL), LRE_OK);
    double v = 42;
    ASSERT_EQ(lre_optim_get(o, -1, "lrr", &v), LRE_EINVAL);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "adam: unknown hyper-parameter 'lrr'");
    ASSERT(v == 42);
    ASSERT_EQ(lre_optim_get(o, 3, "lr", &v), LRE_EINVAL);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "adam: no group 3");
    ASSERT_EQ(lre_optim_get(o, 0, "lr", &v), LRE_OK);
    ASSERT(v == 1e-3);
    lre_optim_free(o);
}

static void add_group_reports_its_index_through_the_out_parameter(void)
{
    double x[2] = {0}, g[2] = {1, 1};
    lre_optim *o;
    lre_param p[] = {{"lr", 0.1, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_optim_new(&o, "sgd", p, 1, NULL), LRE_OK);
    int gi = -1;
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, x, g, 1, NULL, 0, &gi), LRE_OK);
    ASSERT_EQ(gi, 0);
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, x + 1, g + 1, 1, NULL, 0, &gi), LRE_OK);
    ASSERT_EQ(gi, 1);
    gi = -7;
    ASSERT_EQ(lre_optim_add_group(o, (lre_dtype)9, x, g, 1, NULL, 0, &gi), LRE_EINVAL);
    ASSERT_EQ(gi, -7);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "sgd: unknown dtype");
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, NULL, g, 1, NULL, 0, NULL), LRE_EINVAL);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "sgd: params and grads must not be NULL");
    ASSERT_EQ(lre_optim_ngroups(o), 2);
    lre_optim_free(o);
}

static int in_list(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (strcmp(*list, name) == 0) return 1;
    return 0;
}

static void kind_lists_are_the_kinds_the_constructors_know(void)
{
    const char *const *ok = lre_optim_kinds();
    size_t n = 0;
    for (; ok[n]; n++) {
        lre_optim *o;
        lre_error err;
        lre_param p[] = {{"lr", 0.1, NULL, 0, NULL, NULL}};
        ASSERT_EQ(lre_optim_new(&o, ok[n], p, 1, &err), LRE_OK);
        ASSERT_STR_CONTAINS(lre_optim_kind(o), ok[n]);
        /* every optimizer has a schedulable lr and no schedulable switch */
        ASSERT(in_list(lre_optim_hparams(o), "lr"));
        ASSERT(!in_list(lre_optim_hparams(o), "maximize"));
        lre_optim_free(o);
    }
    ASSERT_EQ(n, 26);
    const char *const *sk = lre_schedule_kinds();
    for (n = 0; sk[n]; n++) {
        lre_schedule *s;
        lre_error err;
        int rc = lre_schedule_new(&s, sk[n], NULL, 0, NULL, 0, &err);
        /* missing parameters or children, never an unknown kind */
        if (rc) ASSERT(strstr(err.msg, "unknown schedule kind") == NULL);
        lre_schedule_release(s);
    }
    ASSERT_EQ(n, 35);
    ASSERT(in_list(sk, "plateau") && in_list(sk, "one_cycle_momentum") && in_list(sk, "constant"));
}

static void hparams_lists_only_schedulable_names(void)
{
    lre_optim *o;
    ASSERT_EQ(lre_optim_new(&o, "adam", NULL, 0, NULL), LRE_OK);
    const char *const *h = lre_optim_hparams(o);
    const char *want[] = {"lr", "betas[1]", "betas[2]", "eps", "weight_decay", NULL};
    for (int i = 0; want[i]; i++) {
        ASSERT(h[i] != NULL);
        ASSERT_STR_CONTAINS(h[i], want[i]);
    }
    ASSERT(h[5] == NULL);
    lre_optim_free(o);
}

/* lre_optim_set on a scheduled hyper-parameter: the constant replaces the
 * schedule (of one group, or of every group and the defaults). */
static void set_replaces_a_schedule_with_the_constant(void)
{
    double x[2] = {1, 1}, g[2] = {1, 1};
    lre_schedule *s;
    lre_param sp[] = {{"lr", 0.5, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_schedule_new(&s, "constant", sp, 1, NULL, 0, NULL), LRE_OK);
    lre_optim *o;
    lre_param p[] = {{"lr", 0, NULL, 0, NULL, s}};
    ASSERT_EQ(lre_optim_new(&o, "sgd", p, 1, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, x, g, 1, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, x + 1, g + 1, 1, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_set(o, 1, "lr", 0.25), LRE_OK); /* group 1 only */
    ASSERT(lre_optim_get_schedule(o, 0, "lr") == s);
    ASSERT(lre_optim_get_schedule(o, 1, "lr") == NULL);
    ASSERT_EQ(lre_optim_step(o), LRE_OK);
    ASSERT(x[0] == 0.5 && x[1] == 0.75);
    ASSERT_EQ(lre_optim_set(o, -1, "lr", 0.125), LRE_OK); /* every group and the defaults */
    ASSERT(lre_optim_get_schedule(o, 0, "lr") == NULL);
    double x3 = 1, g3 = 1, v;
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, &x3, &g3, 1, NULL, 0, NULL), LRE_OK);
    ASSERT(lre_optim_get_schedule(o, 2, "lr") == NULL);
    ASSERT_EQ(lre_optim_step(o), LRE_OK);
    ASSERT(x[0] == 0.375 && x3 == 0.875);
    ASSERT_EQ(lre_optim_get(o, 2, "lr", &v), LRE_OK);
    ASSERT(v == 0.125);
    /* refused: a switch, a bad value, a broken relation; nothing changes */
    ASSERT_EQ(lre_optim_set(o, -1, "nesterov", 1), LRE_EINVAL);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "sgd: nesterov is fixed at construction");
    ASSERT_EQ(lre_optim_set(o, -1, "lr", -1), LRE_EINVAL);
    ASSERT_EQ(lre_optim_get(o, 0, "lr", &v), LRE_OK);
    ASSERT(v == 0.125);
    /* and a schedule set again is evaluated again (the step walks the
     * groups' lists of scheduled hyper-parameters) */
    ASSERT_EQ(lre_optim_schedule(o, 2, "lr", s), LRE_OK);
    ASSERT_EQ(lre_optim_step(o), LRE_OK);
    ASSERT(x[0] == 0.25 && x3 == 0.375);
    lre_optim_free(o);
    lre_param q[] = {{"lr", 0.1, NULL, 0, NULL, NULL}, {"momentum", 0.9, NULL, 0, NULL, NULL},
                     {"nesterov", 1, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_optim_new(&o, "sgd", q, 3, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, x, g, 1, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_set(o, -1, "dampening", 0.5), LRE_EINVAL);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "nesterov requires momentum > 0 and dampening = 0");
    ASSERT_EQ(lre_optim_get(o, 0, "dampening", &v), LRE_OK);
    ASSERT(v == 0);
    lre_optim_free(o);
    lre_schedule_release(s);
}

static void crc32_matches_zlib_and_continues(void)
{
    const char *s = "123456789";
    ASSERT_EQ(lre_crc32(0, s, 9), 0xCBF43926u); /* the CRC-32 check value */
    ASSERT_EQ(lre_crc32(lre_crc32(0, s, 4), s + 4, 5), 0xCBF43926u);
    ASSERT_EQ(lre_crc32(0, NULL, 0), 0);
    ASSERT_EQ(lre_crc32(0x1234, s, 0), 0x1234);
}

/* A length above 4 GiB: zlib's crc32 would see it modulo 2^32. The buffer is
 * a private anonymous mapping of zero pages (no memory is committed); the
 * expected value comes from zlib's crc32_combine, independent of chunking. */
static void crc32_is_right_above_4_gib(void)
{
    size_t len = ((size_t)1 << 32) + 3;
    void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        printf("# skipped: no 4 GiB mapping\n");
        return;
    }
    static const unsigned char zeros[1 << 16];
    uLong c = crc32(0, zeros, sizeof zeros); /* 2^16 zeros */
    z_off_t n = sizeof zeros;
    for (int i = 16; i < 32; i++, n *= 2) c = crc32_combine(c, c, n);
    c = crc32_combine(c, crc32(0, zeros, 3), 3);
    uint32_t got = lre_crc32(0, p, len);
    munmap(p, len);
    ASSERT_EQ(got, (uint32_t)c);
}

/* Shapes: a matrix group keeps rows x cols, a vector group is 1 x n; the
 * shape is part of the saved state, and state of another shape (same size)
 * is refused. */
static void groups_keep_their_shape_through_save_and_load(void)
{
    double x[6] = {0}, g[6] = {1, 1, 1, 1, 1, 1};
    lre_optim *a, *b;
    lre_param p[] = {{"lr", 0.1, NULL, 0, NULL, NULL}, {"momentum", 0.9, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_optim_new(&a, "sgd", p, 2, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_new(&b, "sgd", p, 2, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_add_matrix(a, LRE_F64, x, g, 2, 3, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_add_matrix(b, LRE_F64, x, g, 3, 2, NULL, 0, NULL), LRE_OK);
    size_t r = 0, c = 0;
    ASSERT_EQ(lre_optim_shape(a, 0, &r, &c), 2);
    ASSERT(r == 2 && c == 3);
    ASSERT_EQ(lre_optim_shape(a, 1, &r, &c), -1);
    ASSERT(r == 2 && c == 3);
    ASSERT_EQ(lre_optim_add_group(a, LRE_F64, x, g, 4, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_shape(a, 1, &r, &c), 1);
    ASSERT(r == 1 && c == 4);
    ASSERT_EQ(lre_optim_add_matrix(a, LRE_F64, x, g, SIZE_MAX / 2, 3, NULL, 0, NULL), LRE_EINVAL);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(a), "larger than memory");
    ASSERT_EQ(lre_optim_ngroups(a), 2);
    ASSERT_EQ(lre_optim_add_group(b, LRE_F64, x, g, 4, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_step(a), LRE_OK);
    lre_membuf m = {0};
    ASSERT_EQ(lre_optim_save(a, lre_membuf_write, &m), LRE_OK);
    lre_memreader rd = {m.data, m.len, 0};
    ASSERT_EQ(lre_optim_load(b, lre_memreader_read, &rd), LRE_EMISMATCH);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(b), "group 1 has another shape (matrix 2 x 3, this group is a matrix 3 x 2)");
    ASSERT_EQ(lre_optim_step_count(b), 0);
    rd.pos = 0;
    ASSERT_EQ(lre_optim_load(a, lre_memreader_read, &rd), LRE_OK);
    free(m.data);
    lre_optim_free(a);
    lre_optim_free(b);
}

static void splitmix64_gives_the_reference_sequence(void)
{
    uint64_t s = 0;
    /* Vigna's splitmix64.c seeded with 0 */
    ASSERT(lre_splitmix64(&s) == 0xe220a8397b1dcdafull);
    ASSERT(lre_splitmix64(&s) == 0x6e789e6aa1b965f4ull);
    ASSERT(s == 2 * 0x9e3779b97f4a7c15ull);
}

int main(void)
{
    static const test_case tests[] = {
        {"get names an unknown hyper-parameter and a missing group", get_names_an_unknown_hyperparameter},
        {"add_group reports its index through the out-parameter", add_group_reports_its_index_through_the_out_parameter},
        {"kind lists are the kinds the constructors know", kind_lists_are_the_kinds_the_constructors_know},
        {"hparams lists only schedulable names", hparams_lists_only_schedulable_names},
        {"set replaces a schedule with the constant", set_replaces_a_schedule_with_the_constant},
        {"crc32 matches zlib and continues", crc32_matches_zlib_and_continues},
        {"crc32 is right above 4 GiB", crc32_is_right_above_4_gib},
        {"splitmix64 gives the reference sequence", splitmix64_gives_the_reference_sequence},
        {"groups keep their shape through save and load", groups_keep_their_shape_through_save_and_load},
        {NULL, NULL}};
    return run_tests(tests);
}
