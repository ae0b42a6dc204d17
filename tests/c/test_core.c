/* test_core.c -- the core library from C: validation messages, the step's
 * all-or-nothing behaviour, state streams (round trip, corruption,
 * truncation, mismatch), schedules' composition and custom schedules. */
#include "lrengine.h"
#include "test.h"

#include <stdlib.h>

static void rejects_bad_hyperparameters_with_a_clear_message(void)
{
    lre_optim *o;
    lre_error err;
    double betas[2] = {0.9, 1.5};
    lre_param p[] = {{"betas", 0, betas, 2, NULL, NULL}};
    ASSERT_EQ(lre_optim_new(&o, "adam", p, 1, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "adam: betas[2] must be in [0, 1), got 1.5");
    lre_param q[] = {{"lr", -1, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_optim_new(&o, "sgd", q, 1, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "sgd: lr must be >= 0, got -1");
    lre_param r[] = {{"lr", 0.1, NULL, 0, NULL, NULL}, {"nesterov", 1, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_optim_new(&o, "sgd", r, 2, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "nesterov requires momentum > 0");
    lre_param s[] = {{"lrr", 0.1, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_optim_new(&o, "adam", s, 1, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "unknown parameter 'lrr'");
    ASSERT_EQ(lre_optim_new(&o, "adamz", NULL, 0, &err), LRE_EINVAL);
    lre_param nan_lr[] = {{"lr", NAN, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_optim_new(&o, "adam", nan_lr, 1, &err), LRE_ENONFINITE);
}

static void refuses_a_nonfinite_gradient_and_changes_nothing(void)
{
    float x[4] = {1, 2, 3, 4}, g[4] = {0.1f, 0.2f, NAN, 0.4f};
    lre_optim *o;
    lre_param p[] = {{"lr", 0.01, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_optim_new(&o, "adam", p, 1, NULL), LRE_OK);
    ASSERT(lre_optim_add_group(o, LRE_F32, x, g, 4, NULL, 0, NULL) == 0);
    ASSERT_EQ(lre_optim_step(o), LRE_ENONFINITE);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "non-finite gradient");
    ASSERT(x[0] == 1 && x[2] == 3);
    ASSERT_EQ(lre_optim_step_count(o), 0);
    lre_optim_set_nonfinite(o, LRE_NONFINITE_SKIP);
    ASSERT_EQ(lre_optim_step(o), LRE_OK);
    ASSERT_EQ(lre_optim_skipped(o), 1);
    ASSERT(x[0] == 1);
    g[2] = 0.3f;
    ASSERT_EQ(lre_optim_step(o), LRE_OK);
    ASSERT(x[0] < 1);
    ASSERT_EQ(lre_optim_step_count(o), 1);
    lre_optim_free(o);
}

/* nonfinite = trust: no scan, PyTorch's behaviour; a NaN goes into the
 * parameters and the state. The default still refuses. */
static void a_trusted_step_lets_a_nan_gradient_through(void)
{
    float x[4] = {1, 2, 3, 4}, g[4] = {0.1f, 0.2f, NAN, 0.4f};
    lre_optim *o;
    lre_param p[] = {{"lr", 0.01, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_optim_new(&o, "adam", p, 1, NULL), LRE_OK);
    ASSERT(lre_optim_add_group(o, LRE_F32, x, g, 4, NULL, 0, NULL) == 0);
    ASSERT_EQ(lre_optim_step(o), LRE_ENONFINITE); /* the default */
    ASSERT(x[2] == 3);
    lre_optim_set_nonfinite(o, (lre_nonfinite)7); /* not a policy: ignored */
    ASSERT_EQ(lre_optim_step(o), LRE_ENONFINITE);
    lre_optim_set_nonfinite(o, LRE_NONFINITE_TRUST);
    ASSERT_EQ(lre_optim_step(o), LRE_OK);
    ASSERT_EQ(lre_optim_step_count(o), 1);
    ASSERT_EQ(lre_optim_skipped(o), 0);
    ASSERT(isnan(x[2]));
    ASSERT(x[0] < 1 && x[1] < 2 && x[3] < 4); /* the others updated as usual */
    g[2] = 0.3f;                              /* the NaN stays in the state */
    ASSERT_EQ(lre_optim_step(o), LRE_OK);
    ASSERT(isnan(x[2]));
    lre_optim_free(o);

    /* every optimizer, both dtypes, large enough for the threaded path */
    size_t n = (size_t)1 << 19;
    double *y = malloc(n * sizeof *y), *gy = malloc(n * sizeof *gy);
    ASSERT(y && gy);
    for (const char *const *kind = lre_optim_kinds(); *kind; kind++) {
        for (size_t i = 0; i < n; i++) y[i] = 1, gy[i] = 0.5;
        gy[n - 3] = NAN;
        ASSERT_EQ(lre_optim_new(&o, *kind, p, 1, NULL), LRE_OK);
        ASSERT(lre_optim_add_group(o, LRE_F64, y, gy, n, NULL, 0, NULL) == 0);
        lre_optim_set_threads(o, 2);
        ASSERT_EQ(lre_optim_step(o), LRE_ENONFINITE);
        ASSERT(y[n - 3] == 1);
        lre_optim_set_nonfinite(o, LRE_NONFINITE_TRUST);
        ASSERT_EQ(lre_optim_step(o), LRE_OK);
        /* rprop and lion step by a sign, 0 for NaN: the NaN goes into their state only */
        int by_sign = !strcmp(*kind, "rprop") || !strcmp(*kind, "lion") || !strncmp(*kind, "sign", 4);
        if (!isnan(y[n - 3]) && !by_sign) fprintf(stderr, "  %s: the NaN did not reach the parameter\n", *kind);
        ASSERT(isnan(y[n - 3]) || (by_sign && y[n - 3] == 1));
        /* novograd's and adafactor's step divides by a norm of the whole gradient: NaN everywhere */
        int by_norm = !strcmp(*kind, "novograd") || !strcmp(*kind, "adafactor");
        ASSERT(by_norm ? isnan(y[0]) : y[0] != 1 && !isnan(y[0]));
        lre_optim_free(o);
    }
    free(y);
    free(gy);
}

static void steps_in_one_pass_on_large_groups_with_threads(void)
{
    size_t n = 1 << 20;
    float *x = malloc(n * sizeof *x), *g = malloc(n * sizeof *g), *y = malloc(n * sizeof *y);
    ASSERT(x && g && y);
    for (size_t i = 0; i < n; i++) x[i] = y[i] = (float)i / (float)n, g[i] = (float)((i % 7) - 3);
    lre_optim *a, *b;
    lre_param p[] = {{"lr", 0.01, NULL, 0, NULL, NULL}};
    lre_optim_new(&a, "adamw", p, 1, NULL);
    lre_optim_new(&b, "adamw", p, 1, NULL);
    lre_optim_add_group(a, LRE_F32, x, g, n, NULL, 0, NULL);
    lre_optim_add_group(b, LRE_F32, y, g, n, NULL, 0, NULL);
    lre_optim_set_threads(b, 2);
    for (int t = 0; t < 3; t++) lre_optim_step(a), lre_optim_step(b);
    ASSERT(memcmp(x, y, n * sizeof *x) == 0); /* elementwise: threads give the same bits */
    lre_optim_free(a);
    lre_optim_free(b);
    free(x), free(g), free(y);
}

/* The two-pass optimizers sum over the whole group on one thread in a fixed
 * order, then update on several: the thread count changes no bit. */
static void two_pass_optimizers_give_the_same_bits_on_any_thread_count(void)
{
    size_t n = (1 << 19) + 77;
    float *x = malloc(n * sizeof *x), *g = malloc(n * sizeof *g), *y = malloc(n * sizeof *y);
    ASSERT(x && g && y);
    const char *kinds[] = {"lamb", "lars", "novograd"};
    for (int c = 0; c < 3; c++) {
        for (size_t i = 0; i < n; i++) x[i] = y[i] = (float)i / (float)n - 0.5f, g[i] = (float)((i % 7) - 3) / 8;
        lre_optim *a, *b;
        lre_param p[] = {{"lr", 0.01, NULL, 0, NULL, NULL}, {"weight_decay", 0.01, NULL, 0, NULL, NULL}};
        ASSERT_EQ(lre_optim_new(&a, kinds[c], p, 2, NULL), LRE_OK);
        ASSERT_EQ(lre_optim_new(&b, kinds[c], p, 2, NULL), LRE_OK);
        lre_optim_add_group(a, LRE_F32, x, g, n, NULL, 0, NULL);
        lre_optim_add_group(b, LRE_F32, y, g, n, NULL, 0, NULL);
        lre_optim_set_threads(b, 2);
        for (int t = 0; t < 3; t++) lre_optim_step(a), lre_optim_step(b);
        ASSERT(memcmp(x, y, n * sizeof *x) == 0);
        ASSERT(x[0] != -0.5f);
        lre_optim_free(a);
        lre_optim_free(b);
    }
    free(x), free(g), free(y);
}

/* The kernels are specialised per option combination and split into chunks
 * (in reverse order on one thread, in parallel on several): whatever the
 * path, each element must get the bits a small group gives it. */
static void large_groups_match_small_ones_bit_for_bit(void)
{
    struct { const char *kind; lre_param p[5]; size_t np; } cases[] = {
        {"adam", {{"lr", 0.01, NULL, 0, NULL, NULL}, {"amsgrad", 1, NULL, 0, NULL, NULL},
                  {"weight_decay", 0.1, NULL, 0, NULL, NULL}, {"maximize", 1, NULL, 0, NULL, NULL}}, 4},
        {"adam", {{"lr", 0.01, NULL, 0, NULL, NULL}, {"epsilon_hat", 1, NULL, 0, NULL, NULL}}, 2},
        {"sgd", {{"lr", 0.01, NULL, 0, NULL, NULL}, {"momentum", 0.9, NULL, 0, NULL, NULL},
                 {"nesterov", 1, NULL, 0, NULL, NULL}, {"weight_decay", 0.01, NULL, 0, NULL, NULL}}, 4},
        {"rmsprop", {{"lr", 0.01, NULL, 0, NULL, NULL}, {"centered", 1, NULL, 0, NULL, NULL},
                     {"momentum", 0.5, NULL, 0, NULL, NULL}}, 3},
        {"lion", {{"lr", 0.01, NULL, 0, NULL, NULL}, {"weight_decay", 0.1, NULL, 0, NULL, NULL}}, 2},
        {"rprop", {{"lr", 0.01, NULL, 0, NULL, NULL}}, 1},
    };
    size_t n = 5 * ((size_t)1 << 16) + 123, m = 1000;
    double *x1 = malloc(n * sizeof *x1), *x2 = malloc(n * sizeof *x2), *g = malloc(n * sizeof *g);
    double head[1000], tail[1000];
    ASSERT(x1 && x2 && g);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (size_t i = 0; i < n; i++) x1[i] = x2[i] = sin((double)i), g[i] = cos(0.37 * (double)i);
        memcpy(head, x1, sizeof head);
        memcpy(tail, x1 + n - m, sizeof tail);
        lre_optim *o[4];
        for (int k = 0; k < 4; k++) ASSERT_EQ(lre_optim_new(&o[k], cases[c].kind, cases[c].p, cases[c].np, NULL), 0);
        lre_optim_add_group(o[0], LRE_F64, x1, g, n, NULL, 0, NULL);
        lre_optim_add_group(o[1], LRE_F64, x2, g, n, NULL, 0, NULL);
        lre_optim_set_threads(o[1], 2);
        lre_optim_add_group(o[2], LRE_F64, head, g, m, NULL, 0, NULL);
        lre_optim_add_group(o[3], LRE_F64, tail, g + n - m, m, NULL, 0, NULL);
        for (int t = 0; t < 3; t++)
            for (int k = 0; k < 4; k++) ASSERT_EQ(lre_optim_step(o[k]), 0);
        ASSERT(memcmp(x1, x2, n * sizeof *x1) == 0);
        ASSERT(memcmp(x1, head, sizeof head) == 0);
        ASSERT(memcmp(x1 + n - m, tail, sizeof tail) == 0);
        for (int k = 0; k < 4; k++) lre_optim_free(o[k]);
    }
    free(x1), free(x2), free(g);
}

static void refuses_a_nonfinite_gradient_in_the_last_chunk_with_threads(void)
{
    size_t n = 6 * ((size_t)1 << 16);
    float *x = malloc(n * sizeof *x), *g = malloc(n * sizeof *g);
    ASSERT(x && g);
    for (size_t i = 0; i < n; i++) x[i] = 1, g[i] = 0.5f;
    g[n - 1] = INFINITY;
    lre_optim *o;
    lre_param p[] = {{"lr", 0.1, NULL, 0, NULL, NULL}};
    lre_optim_new(&o, "sgd", p, 1, NULL);
    lre_optim_add_group(o, LRE_F32, x, g, n, NULL, 0, NULL);
    for (int threads = 1; threads <= 2; threads++) {
        lre_optim_set_threads(o, threads);
        ASSERT_EQ(lre_optim_step(o), LRE_ENONFINITE);
        for (size_t i = 0; i < n; i++) ASSERT(x[i] == 1);
    }
    lre_optim_free(o);
    free(x), free(g);
}

static lre_schedule *plateau_cosine(void)
{
    lre_schedule *cos, *pl;
    lre_param c[] = {{"lr", 0.1, NULL, 0, NULL, NULL}, {"t_max", 100, NULL, 0, NULL, NULL}};
    lre_schedule_new(&cos, "cosine", c, 2, NULL, 0, NULL);
    lre_param w[] = {{"patience", 0, NULL, 0, NULL, NULL}, {"factor", 0.5, NULL, 0, NULL, NULL}};
    lre_schedule_new(&pl, "plateau", w, 2, &cos, 1, NULL);
    lre_schedule_release(cos);
    return pl;
}

static void restores_state_exactly_and_refuses_damaged_streams(void)
{
    double x[3] = {1, -1, 0.5}, g[3] = {0.3, -0.2, 0.1};
    lre_schedule *s = plateau_cosine();
    lre_optim *o;
    lre_param p[] = {{"lr", 0, NULL, 0, NULL, s}, {"momentum", 0.9, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_optim_new(&o, "sgd", p, 2, NULL), LRE_OK);
    lre_optim_add_group(o, LRE_F64, x, g, 3, NULL, 0, NULL);
    for (int t = 0; t < 5; t++) lre_optim_step(o), lre_optim_observe(o, 1.0);
    lre_membuf m = {0};
    ASSERT_EQ(lre_optim_save(o, lre_membuf_write, &m), LRE_OK);
    double x_saved[3];
    memcpy(x_saved, x, sizeof x);
    for (int t = 0; t < 5; t++) lre_optim_step(o), lre_optim_observe(o, 1.0);
    double x_straight[3];
    memcpy(x_straight, x, sizeof x);

    /* a flipped byte, a truncation, a foreign stream: refused, nothing changes */
    unsigned char *bad = malloc(m.len);
    ASSERT(bad);
    memcpy(bad, m.data, m.len);
    bad[m.len / 2] ^= 0x40;
    lre_memreader r = {bad, m.len, 0};
    int64_t steps = lre_optim_step_count(o);
    ASSERT_EQ(lre_optim_load(o, lre_memreader_read, &r), LRE_ECORRUPT);
    ASSERT_EQ(lre_optim_step_count(o), steps);
    r = (lre_memreader){m.data, m.len - 9, 0};
    ASSERT_EQ(lre_optim_load(o, lre_memreader_read, &r), LRE_ETRUNCATED);
    memcpy(bad, m.data, m.len);
    bad[0] = 'X';
    r = (lre_memreader){bad, m.len, 0};
    ASSERT_EQ(lre_optim_load(o, lre_memreader_read, &r), LRE_EFORMAT);
    ASSERT_EQ(lre_optim_step_count(o), steps);
    free(bad);

    /* another optimizer refuses it */
    lre_optim *other;
    lre_param q[] = {{"lr", 0.1, NULL, 0, NULL, NULL}};
    lre_optim_new(&other, "adam", q, 1, NULL);
    lre_optim_add_group(other, LRE_F64, x, g, 3, NULL, 0, NULL);
    r = (lre_memreader){m.data, m.len, 0};
    ASSERT_EQ(lre_optim_load(other, lre_memreader_read, &r), LRE_EMISMATCH);
    lre_optim_free(other);

    /* the good stream: resumes bit for bit */
    memcpy(x, x_saved, sizeof x);
    r = (lre_memreader){m.data, m.len, 0};
    ASSERT_EQ(lre_optim_load(o, lre_memreader_read, &r), LRE_OK);
    ASSERT_EQ(lre_optim_step_count(o), 5);
    for (int t = 0; t < 5; t++) lre_optim_step(o), lre_optim_observe(o, 1.0);
    ASSERT(memcmp(x, x_straight, sizeof x) == 0);
    free(m.data);
    lre_optim_free(o);
    lre_schedule_release(s);
}

static void refuses_a_schedule_value_out_of_range(void)
{
    lre_schedule *s;
    lre_param c[] = {{"lr", 1.5, NULL, 0, NULL, NULL}};
    lre_schedule_new(&s, "constant", c, 1, NULL, 0, NULL);
    double x[1] = {1}, g[1] = {1};
    lre_optim *o;
    lre_param p[] = {{"lr", 0.1, NULL, 0, NULL, NULL}, {"betas[1]", 0, NULL, 0, NULL, s}};
    ASSERT_EQ(lre_optim_new(&o, "adam", p, 2, NULL), LRE_OK);
    lre_optim_add_group(o, LRE_F64, x, g, 1, NULL, 0, NULL);
    ASSERT_EQ(lre_optim_step(o), LRE_ERANGE);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "betas[1] must be in [0, 1), got 1.5");
    ASSERT(x[0] == 1);
    lre_optim_free(o);
    lre_schedule_release(s);
}

static void composes_schedules(void)
{
    lre_schedule *cos, *w, *seq, *parts[2];
    lre_param c[] = {{"lr", 1, NULL, 0, NULL, NULL}, {"t_max", 10, NULL, 0, NULL, NULL}};
    lre_schedule_new(&cos, "cosine", c, 2, NULL, 0, NULL);
    lre_param wp[] = {{"steps", 4, NULL, 0, NULL, NULL}};
    ASSERT_EQ(lre_schedule_new(&w, "warmup", wp, 1, &cos, 1, NULL), LRE_OK);
    double v;
    lre_schedule_eval(w, 2, &v, NULL);
    ASSERT_NEAR(v, 0.5, 1e-15);
    lre_schedule_eval(w, 4, &v, NULL);
    ASSERT_NEAR(v, 1.0, 1e-15);
    lre_schedule_eval(w, 14, &v, NULL);
    ASSERT_NEAR(v, 0.0, 1e-15);
    parts[0] = w, parts[1] = cos;
    double ms[] = {14};
    lre_param sp[] = {{"milestones", 0, ms, 1, NULL, NULL}};
    ASSERT_EQ(lre_schedule_new(&seq, "sequence", sp, 1, parts, 2, NULL), LRE_OK);
    lre_schedule_eval(seq, 14, &v, NULL);
    ASSERT_NEAR(v, 1.0, 1e-15);
    lre_schedule_release(seq);
    lre_error err;
    lre_param bad[] = {{"milestones", 0, ms, 1, NULL, NULL}};
    ASSERT_EQ(lre_schedule_new(&seq, "sequence", bad, 1, parts, 1, &err), LRE_EINVAL);
    ASSERT_STR_CONTAINS(err.msg, "sequence: 1 schedules need 0 milestones, got 1");
    lre_schedule_release(w);
    lre_schedule_release(cos);
    lre_schedule_release(seq);
}

static void random_schedules_depend_only_on_seed_and_step(void)
{
    lre_schedule *a, *b;
    lre_param p[] = {{"min_lr", 0.1, NULL, 0, NULL, NULL}, {"max_lr", 0.2, NULL, 0, NULL, NULL},
                     {"seed", 7, NULL, 0, NULL, NULL}};
    lre_schedule_new(&a, "random", p, 3, NULL, 0, NULL);
    lre_schedule_new(&b, "random", p, 3, NULL, 0, NULL);
    double va, vb, first;
    lre_schedule_eval(a, 1000, &va, NULL);
    for (int t = 0; t < 5; t++) lre_schedule_eval(b, t, &vb, NULL);
    lre_schedule_eval(b, 1000, &vb, NULL);
    ASSERT(va == vb);
    ASSERT(va >= 0.1 && va < 0.2);
    lre_schedule_eval(a, 0, &first, NULL);
    ASSERT(first != va);
    lre_schedule_release(a);
    lre_schedule_release(b);
}

static int calls;
static int failing_at(void *ud, const lre_sched_ctx *ctx, double *out, lre_error *err)
{
    (void)ud;
    calls++;
    if (ctx->step == 3) {
        snprintf(err->msg, sizeof err->msg, "custom: no value at step 3");
        return err->code = LRE_ECALLBACK;
    }
    *out = 0.01;
    return LRE_OK;
}

static void a_failing_custom_schedule_leaves_parameters_untouched(void)
{
    static const lre_custom_vtable vt = {failing_at, NULL, NULL, NULL, NULL, NULL, NULL};
    lre_schedule *s;
    ASSERT_EQ(lre_schedule_custom(&s, "custom", &vt, NULL, NULL), LRE_OK);
    double x[2] = {1, 1}, g[2] = {1, 1};
    lre_optim *o;
    lre_param p[] = {{"lr", 0, NULL, 0, NULL, s}};
    lre_optim_new(&o, "sgd", p, 1, NULL);
    lre_optim_add_group(o, LRE_F64, x, g, 2, NULL, 0, NULL);
    for (int t = 0; t < 3; t++) ASSERT_EQ(lre_optim_step(o), LRE_OK);
    double before = x[0];
    ASSERT_EQ(lre_optim_step(o), LRE_ECALLBACK);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "no value at step 3");
    ASSERT(x[0] == before);
    lre_optim_free(o);
    lre_schedule_release(s);
}

static void reports_strerror_and_version(void)
{
    ASSERT_STR_CONTAINS(lre_strerror(LRE_ECORRUPT), "corrupt");
    ASSERT_STR_CONTAINS(lre_strerror(12345), "unknown");
    ASSERT_EQ(lre_version_number(), LRE_VERSION_NUMBER);
    lre_error e = {0};
    ASSERT_EQ(lre_error_set(&e, LRE_EIO, "cannot read %s", "x.ckpt"), LRE_EIO);
    ASSERT_EQ(e.code, LRE_EIO);
    ASSERT_STR_CONTAINS(e.msg, "cannot read x.ckpt");
    ASSERT_EQ(lre_error_set(NULL, LRE_EINVAL, "ignored"), LRE_EINVAL);
}

int main(void)
{
    static const test_case tests[] = {
        {"rejects bad hyper-parameters with a clear message", rejects_bad_hyperparameters_with_a_clear_message},
        {"refuses a non-finite gradient and changes nothing", refuses_a_nonfinite_gradient_and_changes_nothing},
        {"a trusted step lets a NaN gradient through", a_trusted_step_lets_a_nan_gradient_through},
        {"threads give the same bits as one thread", steps_in_one_pass_on_large_groups_with_threads},
        {"two-pass optimizers give the same bits on any thread count",
         two_pass_optimizers_give_the_same_bits_on_any_thread_count},
        {"large groups match small ones bit for bit", large_groups_match_small_ones_bit_for_bit},
        {"refuses a non-finite gradient in the last chunk, with threads",
         refuses_a_nonfinite_gradient_in_the_last_chunk_with_threads},
        {"restores state exactly and refuses damaged streams", restores_state_exactly_and_refuses_damaged_streams},
        {"refuses a schedule value out of range", refuses_a_schedule_value_out_of_range},
        {"composes warmup, cosine and sequence", composes_schedules},
        {"random schedules depend only on seed and step", random_schedules_depend_only_on_seed_and_step},
        {"a failing custom schedule leaves parameters untouched", a_failing_custom_schedule_leaves_parameters_untouched},
        {"reports strerror and version, fills error records", reports_strerror_and_version},
        {NULL, NULL}};
    return run_tests(tests);
}
