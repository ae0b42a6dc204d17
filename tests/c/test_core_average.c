/* test_core_average.c -- weight averaging and schedule-free modes through the
 * public API: the swap of averages and parameters is exact and allocates
 * nothing (counted through lre_optim_new_with's allocator), so do steps
 * with averaging and eval/train; SWA is the plain mean of the weights after
 * the averaged steps (computed here from the parameters themselves); the
 * threaded step averages as the single-threaded one; checkpoints resume
 * bit for bit in train mode, in eval mode and with the averages swapped in;
 * loads refuse another rule and impossible values, changing nothing. The
 * golden traces (spec/support/modern/ema.lua, schedule_free.lua) pin the
 * arithmetic itself. */
#include "lrengine.h"
#include "test.h"

#include <stdlib.h>

typedef struct counting {
    long calls;
} counting;

static void *counting_realloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)osize;
    ((counting *)ud)->calls++;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, nsize);
}

#define P(name, v) {name, v, NULL, 0, NULL, NULL}
enum { N = 7 };

/* A gradient that changes with the step, so averages differ from weights. */
static void grads_at(double *g, int t)
{
    for (int i = 0; i < N; i++) g[i] = 0.3 * (i - 3) + 0.1 * ((t * 7 + i) % 5) - 0.2;
}

static void swap_is_exact_and_allocates_nothing(void)
{
    counting c = {0};
    lre_allocator a = {counting_realloc, &c};
    lre_optim *o;
    double x[N], g[N];
    for (int i = 0; i < N; i++) x[i] = 0.5 * i - 1;
    lre_param p[] = {P("lr", 0.05), P("momentum", 0.9)};
    ASSERT_EQ(lre_optim_new_with(&o, "sgd", p, 2, &a, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, x, g, N, NULL, 0, NULL), LRE_OK);
    lre_param e[] = {P("decay", 0.8)};
    ASSERT_EQ(lre_optim_set_average(o, "ema", e, 1), LRE_OK);
    ASSERT(lre_optim_average(o, 0) == NULL); /* no averaged update yet */
    grads_at(g, 0);
    ASSERT_EQ(lre_optim_step(o), LRE_OK); /* the momentum buffer is allocated at construction too */
    long before = c.calls;
    for (int t = 1; t < 6; t++) {
        grads_at(g, t);
        ASSERT_EQ(lre_optim_step(o), LRE_OK);
    }
    ASSERT_EQ(c.calls, before); /* steps with averaging allocate nothing */
    double w[N], avg[N];
    memcpy(w, x, sizeof w);
    memcpy(avg, lre_optim_average(o, 0), sizeof avg);
    ASSERT(memcmp(w, avg, sizeof w) != 0);
    ASSERT_EQ(lre_optim_swap_average(o), LRE_OK);
    ASSERT(lre_optim_average_swapped(o));
    ASSERT(memcmp(x, avg, sizeof x) == 0);                       /* the parameters are the average */
    ASSERT(memcmp(lre_optim_average(o, 0), avg, sizeof avg) == 0); /* still readable where it is */
    ASSERT_EQ(lre_optim_step(o), LRE_EINVAL);                    /* no training on the average */
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "swapped in");
    ASSERT_EQ(lre_optim_swap_average(o), LRE_OK);
    ASSERT(!lre_optim_average_swapped(o));
    ASSERT(memcmp(x, w, sizeof x) == 0); /* round trip, bit for bit */
    ASSERT(memcmp(lre_optim_average(o, 0), avg, sizeof avg) == 0);
    ASSERT_EQ(c.calls, before); /* and the swaps allocated nothing */
    ASSERT_EQ(lre_optim_average_count(o, 0), 6);
    lre_optim_free(o);
}

static void eval_and_train_are_exact_and_allocate_nothing(void)
{
    counting c = {0};
    lre_allocator a = {counting_realloc, &c};
    lre_optim *o;
    float x[N], g[N];
    for (int i = 0; i < N; i++) x[i] = 0.25f * (float)i;
    lre_param p[] = {P("lr", 0.01), P("warmup_steps", 2), P("weight_decay", 0.01)};
    ASSERT_EQ(lre_optim_new_with(&o, "adamw_schedulefree", p, 3, &a, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_add_group(o, LRE_F32, x, g, N, NULL, 0, NULL), LRE_OK);
    /* before any step: nothing to move (the reference has no x yet) */
    float x0[N];
    memcpy(x0, x, sizeof x0);
    ASSERT_EQ(lre_optim_eval(o), LRE_OK);
    ASSERT(memcmp(x, x0, sizeof x) == 0);
    ASSERT_EQ(lre_optim_step(o), LRE_EINVAL);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "eval mode");
    ASSERT_EQ(lre_optim_train(o), LRE_OK);
    long before = c.calls;
    double gd[N];
    for (int t = 0; t < 5; t++) {
        grads_at(gd, t);
        for (int i = 0; i < N; i++) g[i] = (float)gd[i];
        ASSERT_EQ(lre_optim_step(o), LRE_OK);
    }
    float y[N];
    memcpy(y, x, sizeof y);
    ASSERT_EQ(lre_optim_eval(o), LRE_OK);
    ASSERT(lre_optim_is_eval(o));
    ASSERT(memcmp(x, y, sizeof x) != 0); /* x differs from y after steps */
    ASSERT_EQ(lre_optim_eval(o), LRE_OK); /* twice: no change */
    ASSERT_EQ(lre_optim_train(o), LRE_OK);
    ASSERT(memcmp(x, y, sizeof x) == 0);
    ASSERT_EQ(c.calls, before);
    lre_optim_free(o);
}

/* PyTorch's AveragedModel: after the averaged steps the average is the mean
 * of the weights they left (computed here from those weights). */
static void swa_is_the_mean_of_the_weights_after_its_steps(void)
{
    lre_optim *o;
    double x[N], g[N], sum[N] = {0};
    for (int i = 0; i < N; i++) x[i] = 1 - 0.1 * i;
    lre_param p[] = {P("lr", 0.1)};
    ASSERT_EQ(lre_optim_new(&o, "adam", p, 1, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, x, g, N, NULL, 0, NULL), LRE_OK);
    lre_param s[] = {P("start", 3), P("every", 2)};
    ASSERT_EQ(lre_optim_set_average(o, "swa", s, 2), LRE_OK);
    int taken = 0;
    for (int t = 0; t < 12; t++) {
        grads_at(g, t);
        ASSERT_EQ(lre_optim_step(o), LRE_OK);
        int n = t + 1; /* steps taken */
        if (n > 3 && (n - 3) % 2 == 0) {
            for (int i = 0; i < N; i++) sum[i] += x[i];
            taken++;
        }
        ASSERT_EQ(lre_optim_average_count(o, 0), taken);
    }
    ASSERT_EQ(taken, 4); /* after steps 5, 7, 9, 11 */
    const double *avg = lre_optim_average(o, 0);
    ASSERT(avg != NULL);
    for (int i = 0; i < N; i++) ASSERT_NEAR(avg[i], sum[i] / taken, 1e-14);
    ASSERT(isnan(lre_optim_average_decay(o)));
    lre_optim_free(o);
}

/* An EMA whose first update is not a copy (use_step = false, decay 0.8)
 * starts from the weights before the first step, whatever path updates the
 * group: the chunked kernels (adam), Muon's matrices, Prodigy's two passes.
 * The expected average is computed here from the parameters after each step:
 * ema_0 = x_0, ema_t = 0.8 ema_(t-1) + 0.2 x_t (timm's ModelEmaV3 made at the
 * start, updated after every step). */
static void ema_on_every_update_path(const char *kind, int matrix)
{
    lre_optim *o;
    double x[N + 1], g[N + 1], ema[N + 1];
    for (int i = 0; i <= N; i++) x[i] = ema[i] = 0.5 - 0.1 * i;
    lre_param p[] = {P("lr", 0.01)};
    ASSERT_EQ(lre_optim_new(&o, kind, p, 1, NULL), LRE_OK);
    if (matrix) ASSERT_EQ(lre_optim_add_matrix(o, LRE_F64, x, g, 2, 4, NULL, 0, NULL), LRE_OK);
    else ASSERT_EQ(lre_optim_add_group(o, LRE_F64, x, g, N + 1, NULL, 0, NULL), LRE_OK);
    lre_param e[] = {P("decay", 0.8), P("use_step", 0)};
    ASSERT_EQ(lre_optim_set_average(o, "ema", e, 2), LRE_OK);
    for (int t = 0; t < 5; t++) {
        grads_at(g, t);
        g[N] = 0.25;
        ASSERT_EQ(lre_optim_step(o), LRE_OK);
        for (int i = 0; i <= N; i++) ema[i] = 0.8 * ema[i] + 0.2 * x[i];
        ASSERT_EQ(lre_optim_average_count(o, 0), t + 1);
    }
    const double *avg = lre_optim_average(o, 0);
    ASSERT(avg != NULL);
    for (int i = 0; i <= N; i++) ASSERT_NEAR(avg[i], ema[i], 1e-15);
    ASSERT_EQ(lre_optim_average_decay(o), 0.8);
    lre_optim_free(o);
}
static void ema_after_the_kernels(void) { ema_on_every_update_path("adam", 0); }
static void ema_after_muon(void) { ema_on_every_update_path("muon", 1); }
static void ema_after_prodigy(void) { ema_on_every_update_path("prodigy", 0); }

/* Groups past 4 chunks of 65536 go to the threads, chunk by chunk: each
 * chunk's averaging follows its update, so the result cannot depend on
 * the threads. */
static void threaded_steps_average_as_one_thread_does(void)
{
    size_t n = (size_t)5 << 16;
    double *x[2], *g = malloc(n * sizeof *g);
    lre_optim *o[2];
    ASSERT(g);
    for (size_t i = 0; i < n; i++) g[i] = sin(0.001 * (double)i);
    for (int k = 0; k < 2; k++) {
        x[k] = malloc(n * sizeof *x[k]);
        ASSERT(x[k]);
        for (size_t i = 0; i < n; i++) x[k][i] = cos(0.002 * (double)i);
        lre_param p[] = {P("lr", 0.01)};
        ASSERT_EQ(lre_optim_new(&o[k], "adamw", p, 1, NULL), LRE_OK);
        ASSERT_EQ(lre_optim_add_group(o[k], LRE_F64, x[k], g, n, NULL, 0, NULL), LRE_OK);
        lre_param e[] = {P("decay", 0.9), P("warmup", 1)};
        ASSERT_EQ(lre_optim_set_average(o[k], "ema", e, 2), LRE_OK);
        lre_optim_set_threads(o[k], k == 0 ? 1 : 2);
        for (int t = 0; t < 3; t++) ASSERT_EQ(lre_optim_step(o[k]), LRE_OK);
    }
    ASSERT(memcmp(x[0], x[1], n * sizeof(double)) == 0);
    ASSERT(memcmp(lre_optim_average(o[0], 0), lre_optim_average(o[1], 0), n * sizeof(double)) == 0);
    for (int k = 0; k < 2; k++) {
        lre_optim_free(o[k]);
        free(x[k]);
    }
    free(g);
}

/* One run: sgd_schedulefree with an EMA on top, its parameters and buffers. */
typedef struct run {
    lre_optim *o;
    double x[N], g[N];
} run;

static int run_new(run *r, const char *average)
{
    for (int i = 0; i < N; i++) r->x[i] = 0.3 * i - 0.7;
    lre_param p[] = {P("lr", 0.5), P("warmup_steps", 3), P("weight_decay", 0.001)};
    if (lre_optim_new(&r->o, "sgd_schedulefree", p, 3, NULL)) return 0;
    if (lre_optim_add_group(r->o, LRE_F64, r->x, r->g, N, NULL, 0, NULL)) return 0;
    lre_param e[] = {P("decay", 0.7)};
    return !average || lre_optim_set_average(r->o, average, e, !strcmp(average, "ema")) == LRE_OK;
}

static void run_steps(run *r, int from, int to)
{
    for (int t = from; t < to; t++) {
        grads_at(r->g, t);
        lre_optim_step(r->o);
    }
}

/* Saves r in `mode` (0 train, 1 eval, 2 averages swapped in) after `at`
 * steps, with the parameters as they are then, restores both into a fresh
 * run, goes back to training in both, and compares `more` steps later. */
static void resume_in_mode(int mode)
{
    run a, b;
    ASSERT(run_new(&a, "ema") && run_new(&b, "ema"));
    run_steps(&a, 0, 5);
    if (mode == 1) ASSERT_EQ(lre_optim_eval(a.o), LRE_OK);
    if (mode == 2) ASSERT_EQ(lre_optim_swap_average(a.o), LRE_OK);
    lre_membuf m = {0};
    ASSERT_EQ(lre_optim_save(a.o, lre_membuf_write, &m), LRE_OK);
    double saved_x[N];
    memcpy(saved_x, a.x, sizeof saved_x);
    lre_memreader rd = {m.data, m.len, 0};
    ASSERT_EQ(lre_optim_load(b.o, lre_memreader_read, &rd), LRE_OK);
    memcpy(b.x, saved_x, sizeof b.x); /* the caller restores its parameters */
    ASSERT_EQ(lre_optim_is_eval(b.o), mode == 1);
    ASSERT_EQ(lre_optim_average_swapped(b.o), mode == 2);
    run *both[2] = {&a, &b};
    for (int k = 0; k < 2; k++) {
        if (mode == 1) ASSERT_EQ(lre_optim_train(both[k]->o), LRE_OK);
        if (mode == 2) ASSERT_EQ(lre_optim_swap_average(both[k]->o), LRE_OK);
        run_steps(both[k], 5, 9);
    }
    ASSERT(memcmp(a.x, b.x, sizeof a.x) == 0);
    ASSERT(memcmp(lre_optim_average(a.o, 0), lre_optim_average(b.o, 0), N * sizeof(double)) == 0);
    ASSERT_EQ(lre_optim_average_count(b.o, 0), 9);
    free(m.data);
    lre_optim_free(a.o);
    lre_optim_free(b.o);
}

static void checkpoints_resume_in_train_mode(void) { resume_in_mode(0); }
static void checkpoints_resume_in_eval_mode(void) { resume_in_mode(1); }
static void checkpoints_resume_with_the_averages_swapped_in(void) { resume_in_mode(2); }

/* Loads of a stream edited at `from_end` bytes before its CRC (a u32, u64
 * or f64 there), with the CRC recomputed: refused, nothing changed. */
static int load_edited(lre_optim *o, const lre_membuf *m, size_t from_end, const void *v, size_t width, char *msg)
{
    unsigned char *b = malloc(m->len);
    if (!b) return -1;
    memcpy(b, m->data, m->len);
    memcpy(b + m->len - 4 - from_end, v, width);
    uint32_t crc = lre_crc32(0, b, m->len - 4);
    memcpy(b + m->len - 4, &crc, 4);
    lre_memreader rd = {b, m->len, 0};
    int rc = lre_optim_load(o, lre_memreader_read, &rd);
    snprintf(msg, LRE_ERRMSG_SIZE, "%s", lre_optim_errmsg(o));
    free(b);
    return rc;
}

static void loads_refuse_another_rule_and_impossible_values(void)
{
    run a, none, swa;
    ASSERT(run_new(&a, "ema") && run_new(&none, NULL) && run_new(&swa, "swa"));
    run_steps(&a, 0, 4);
    lre_membuf m = {0}, before = {0}, after = {0};
    ASSERT_EQ(lre_optim_save(a.o, lre_membuf_write, &m), LRE_OK);
    lre_memreader rd = {m.data, m.len, 0};
    ASSERT_EQ(lre_optim_load(none.o, lre_memreader_read, &rd), LRE_EMISMATCH);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(none.o), "another averaging rule");
    rd.pos = 0;
    ASSERT_EQ(lre_optim_load(swa.o, lre_memreader_read, &rd), LRE_EMISMATCH);
    /* the end of the stream: per group avg_n u64 then N doubles */
    ASSERT_EQ(lre_optim_save(a.o, lre_membuf_write, &before), LRE_OK);
    char msg[LRE_ERRMSG_SIZE];
    double nan = NAN;
    ASSERT_EQ(load_edited(a.o, &m, 8, &nan, 8, msg), LRE_ECORRUPT);
    ASSERT_STR_CONTAINS(msg, "averaged weight 6 is not finite");
    uint64_t many = 5; /* averaging updates in 4 steps */
    ASSERT_EQ(load_edited(a.o, &m, N * 8 + 8, &many, 8, msg), LRE_ECORRUPT);
    ASSERT_STR_CONTAINS(msg, "5 averaging updates in 4 steps");
    /* before the group: eval u32, kind u32, fingerprint u64, swapped u32, last decay f64 */
    size_t sect = N * 8 + 8 + 8 + 4 + 8 + 4 + 4;
    uint32_t two = 2;
    ASSERT_EQ(load_edited(a.o, &m, sect, &two, 4, msg), LRE_ECORRUPT);
    ASSERT_STR_CONTAINS(msg, "eval mode is 2");
    ASSERT_EQ(load_edited(a.o, &m, N * 8 + 8 + 8 + 4, &two, 4, msg), LRE_ECORRUPT);
    ASSERT_STR_CONTAINS(msg, "swapped in is 2");
    double big = 1.5;
    ASSERT_EQ(load_edited(a.o, &m, N * 8 + 8 + 8, &big, 8, msg), LRE_ECORRUPT);
    ASSERT_STR_CONTAINS(msg, "last averaging decay is 1.5");
    ASSERT_EQ(lre_optim_save(a.o, lre_membuf_write, &after), LRE_OK); /* the refusals changed nothing */
    ASSERT_EQ(after.len, before.len);
    ASSERT(memcmp(after.data, before.data, before.len) == 0);
    uint32_t one = 1; /* eval mode is a state a run can leave: the edit is accepted */
    ASSERT_EQ(load_edited(a.o, &m, sect, &one, 4, msg), LRE_OK);
    ASSERT(lre_optim_is_eval(a.o));
    free(m.data);
    free(before.data);
    free(after.data);
    lre_optim_free(a.o);
    lre_optim_free(none.o);
    lre_optim_free(swa.o);
}

static void set_average_refuses_what_it_can_not_do(void)
{
    lre_optim *o;
    double x[N], g[N] = {0};
    memset(x, 0, sizeof x);
    ASSERT_EQ(lre_optim_new(&o, "sgd", (lre_param[]){P("lr", 0.1)}, 1, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_add_group(o, LRE_F64, x, g, N, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(lre_optim_set_average(o, "emma", NULL, 0), LRE_EINVAL);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "did you mean 'ema'");
    ASSERT_EQ(lre_optim_set_average(o, "ema", (lre_param[]){P("decay", 1.5)}, 1), LRE_EINVAL);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "decay");
    ASSERT_EQ(lre_optim_set_average(o, "ema", (lre_param[]){P("use_step", 0), P("warmup", 1)}, 2), LRE_EINVAL);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "need use_step");
    ASSERT_EQ(lre_optim_set_average(o, "swa", (lre_param[]){P("every", 0)}, 1), LRE_EINVAL);
    ASSERT_EQ(lre_optim_set_average(o, "swa", (lre_param[]){P("decay", 0.9)}, 1), LRE_EINVAL);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "unknown parameter 'decay'");
    lre_schedule *s;
    ASSERT_EQ(lre_schedule_new(&s, "constant", (lre_param[]){P("lr", 0.5)}, 1, NULL, 0, NULL), LRE_OK);
    lre_param sw[] = {{"decay", 0, NULL, 0, NULL, s}, P("warmup", 1)};
    ASSERT_EQ(lre_optim_set_average(o, "ema", sw, 2), LRE_EINVAL);
    ASSERT_STR_CONTAINS(lre_optim_errmsg(o), "scheduled decay");
    ASSERT_EQ(strcmp(lre_optim_average_kind(o), "none"), 0); /* nothing set by the refusals */
    ASSERT_EQ(lre_optim_swap_average(o), LRE_EINVAL);
    ASSERT_EQ(lre_optim_set_average(o, "ema", sw, 1), LRE_OK); /* the decay from a schedule */
    lre_schedule_release(s);
    ASSERT_EQ(lre_optim_step(o), LRE_OK);
    ASSERT_EQ(lre_optim_step(o), LRE_OK);
    ASSERT(lre_optim_average_decay(o) == 0.5);
    double lr, c;
    ASSERT_EQ(lre_optim_scheduled_lr(o, 0, &lr, &c), LRE_EINVAL); /* not schedule-free */
    ASSERT_EQ(lre_optim_set_average(o, NULL, NULL, 0), LRE_OK);
    ASSERT(lre_optim_average(o, 0) == NULL);
    lre_optim_free(o);
}

int main(void)
{
    static const test_case tests[] = {
        {"swap_average is exact and allocates nothing, nor do averaged steps", swap_is_exact_and_allocates_nothing},
        {"eval and train are exact and allocate nothing", eval_and_train_are_exact_and_allocate_nothing},
        {"SWA is the mean of the weights after its steps", swa_is_the_mean_of_the_weights_after_its_steps},
        {"threaded steps average as one thread does", threaded_steps_average_as_one_thread_does},
        {"checkpoints resume in train mode", checkpoints_resume_in_train_mode},
        {"checkpoints resume in eval mode", checkpoints_resume_in_eval_mode},
        {"checkpoints resume with the averages swapped in", checkpoints_resume_with_the_averages_swapped_in},
        {"loads refuse another rule and impossible values", loads_refuse_another_rule_and_impossible_values},
        {"set_average refuses what it can not do", set_average_refuses_what_it_can_not_do},
        {"an EMA starts from the weights before the first step: chunked kernels", ema_after_the_kernels},
        {"an EMA starts from the weights before the first step: Muon's matrices", ema_after_muon},
        {"an EMA starts from the weights before the first step (and updates at all): Prodigy", ema_after_prodigy},
        {NULL, NULL}};
    return run_tests(tests);
}
