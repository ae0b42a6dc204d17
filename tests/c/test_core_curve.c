/* test_core_curve.c -- lre_schedule_curve previews without changing the
 * schedule (also when it fails); lre_schedule_run advances it as training
 * does. */
#include "lrengine.h"
#include "test.h"

#include <stdlib.h>

#define P(name, v) {name, v, NULL, 0, NULL, NULL}

static lre_schedule *plateau(void)
{
    lre_schedule *s = NULL;
    lre_param p[] = {P("lr", 0.1), P("patience", 0), P("factor", 0.5)};
    lre_schedule_new(&s, "plateau", p, 3, NULL, 0, NULL);
    return s;
}

static int same_state(lre_schedule *s, const lre_membuf *before)
{
    lre_membuf now = {0};
    int same = lre_schedule_save(s, lre_membuf_write, &now, NULL) == LRE_OK && now.len == before->len &&
               memcmp(now.data, before->data, now.len) == 0;
    free(now.data);
    return same;
}

static const double metrics[4] = {1, 1, 1, 1};

static void curve_previews_a_plateau_without_reducing_it(void)
{
    lre_schedule *s = plateau();
    ASSERT(s);
    lre_membuf before = {0};
    ASSERT_EQ(lre_schedule_save(s, lre_membuf_write, &before, NULL), LRE_OK);
    double a[5], b[5], v;
    ASSERT_EQ(lre_schedule_curve(s, a, 5, metrics, 4, NULL), LRE_OK);
    ASSERT(a[0] == 0.1 && a[1] == 0.1 && a[2] == 0.05 && a[4] == 0.0125); /* PyTorch: the first metric sets best */
    ASSERT(same_state(s, &before));
    ASSERT_EQ(lre_schedule_eval(s, 5, &v, NULL), LRE_OK);
    ASSERT(v == 0.1);
    ASSERT_EQ(lre_schedule_curve(s, b, 5, metrics, 4, NULL), LRE_OK); /* the same preview again */
    ASSERT(memcmp(a, b, sizeof a) == 0);
    free(before.data);
    lre_schedule_release(s);
}

static void run_advances_the_plateau_as_training_does(void)
{
    lre_schedule *s = plateau();
    ASSERT(s);
    double a[5], v;
    ASSERT_EQ(lre_schedule_run(s, a, 5, metrics, 4, NULL), LRE_OK);
    ASSERT(a[4] == 0.0125);
    ASSERT_EQ(lre_schedule_eval(s, 5, &v, NULL), LRE_OK);
    ASSERT(v == 0.0125);
    lre_schedule_release(s);
}

/* A custom node that counts its calls, keeps the count in its saved state and
 * fails at step `fail_at`. */
typedef struct counter {
    long calls;
    long fail_at;
} counter;

static int c_at(void *ud, const lre_sched_ctx *ctx, double *out, lre_error *err)
{
    counter *c = ud;
    c->calls++;
    if (ctx->step == c->fail_at) return lre_error_set(err, LRE_ECALLBACK, "counter: step %lld", (long long)ctx->step);
    *out = 1.0 / (double)c->calls;
    return LRE_OK;
}
static int c_save(void *ud, lre_write_fn w, void *wud, lre_error *err)
{
    return w(wud, &((counter *)ud)->calls, sizeof(long)) ? lre_error_set(err, LRE_EIO, "write") : LRE_OK;
}
static int c_prepare(void *ud, const void *data, size_t len, void **token, lre_error *err)
{
    (void)ud;
    if (len != sizeof(long)) return lre_error_set(err, LRE_ECORRUPT, "counter: bad state");
    long *t = malloc(sizeof *t);
    if (!t) return lre_error_set(err, LRE_ENOMEM, "counter: out of memory");
    memcpy(t, data, sizeof *t);
    *token = t;
    return LRE_OK;
}
static void c_commit(void *ud, void *token)
{
    ((counter *)ud)->calls = *(long *)token;
    free(token);
}
static void c_abort(void *ud, void *token)
{
    (void)ud;
    free(token);
}
static const lre_custom_vtable counter_vt = {c_at, NULL, c_save, c_prepare, c_commit, c_abort, NULL};

static void curve_restores_custom_and_plateau_state_also_on_error(void)
{
    counter c = {0, 3};
    lre_schedule *custom, *pl, *parts[2], *prod;
    ASSERT_EQ(lre_schedule_custom(&custom, "counter", &counter_vt, &c, NULL), LRE_OK);
    pl = plateau();
    ASSERT(pl);
    parts[0] = custom, parts[1] = pl;
    ASSERT_EQ(lre_schedule_new(&prod, "product", NULL, 0, parts, 2, NULL), LRE_OK);
    double v, out[5];
    ASSERT_EQ(lre_schedule_eval(prod, 0, &v, NULL), LRE_OK);
    ASSERT_EQ(c.calls, 1);
    lre_membuf before = {0};
    ASSERT_EQ(lre_schedule_save(prod, lre_membuf_write, &before, NULL), LRE_OK);
    lre_error err;
    ASSERT_EQ(lre_schedule_curve(prod, out, 5, metrics, 4, &err), LRE_ECALLBACK); /* fails at step 3 */
    ASSERT_STR_CONTAINS(err.msg, "counter: step 3");
    ASSERT_EQ(c.calls, 1);
    ASSERT(same_state(prod, &before));
    c.fail_at = -1;
    ASSERT_EQ(lre_schedule_curve(prod, out, 5, metrics, 4, &err), LRE_OK);
    ASSERT_EQ(c.calls, 1);
    ASSERT(same_state(prod, &before));
    ASSERT_EQ(lre_schedule_run(prod, out, 5, metrics, 4, &err), LRE_OK);
    ASSERT_EQ(c.calls, 6);
    free(before.data);
    lre_schedule_release(custom);
    lre_schedule_release(pl);
    lre_schedule_release(prod);
}

/* The same plateau under two combinators: saved twice, restored once. */
static void curve_restores_a_node_the_tree_holds_twice(void)
{
    lre_schedule *pl = plateau(), *sc, *parts[2], *mx;
    ASSERT(pl);
    lre_param f[] = {P("factor", 2)};
    ASSERT_EQ(lre_schedule_new(&sc, "scale", f, 1, &pl, 1, NULL), LRE_OK);
    parts[0] = pl, parts[1] = sc;
    ASSERT_EQ(lre_schedule_new(&mx, "max", NULL, 0, parts, 2, NULL), LRE_OK);
    lre_membuf before = {0};
    ASSERT_EQ(lre_schedule_save(mx, lre_membuf_write, &before, NULL), LRE_OK);
    double out[5];
    ASSERT_EQ(lre_schedule_curve(mx, out, 5, metrics, 4, NULL), LRE_OK);
    ASSERT(same_state(mx, &before));
    lre_memreader r = {before.data, before.len, 0};
    ASSERT_EQ(lre_schedule_load(mx, lre_memreader_read, &r, NULL), LRE_OK);
    free(before.data);
    lre_schedule_release(pl);
    lre_schedule_release(sc);
    lre_schedule_release(mx);
}

/* Found by fuzz_schedule_state: previewing a tree without state (warmup +
 * cosine saves no bytes) did pointer arithmetic on the empty snapshot's NULL
 * buffer (UBSan: "applying zero offset to null pointer"); the input is the
 * fuzzer's, loaded into that tree after the preview. */
static const unsigned char fuzz_input[] = {
    0x1b, 0x4c, 0x52, 0x45, 0x4e, 0x47, 0x49, 0x4e, 0x01, 0x00, 0x00, 0x00, 0x53, 0x43, 0x48, 0x44,
    0x08, 0x08, 0x04, 0x00, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x28, 0x77, 0x40, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x59, 0xd2, 0xe1, 0x4b,
    0x21, 0x18, 0xa1, 0x32, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xf0, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xbc, 0xcc, 0xba, 0x16, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5,
    0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5,
    0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5,
    0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5, 0xb5,
};

static void curve_of_a_tree_without_state(void)
{
    lre_schedule *cos, *w;
    lre_param c[] = {P("lr", 0.1), P("t_max", 40)}, wp[] = {P("steps", 5)};
    ASSERT_EQ(lre_schedule_new(&cos, "cosine", c, 2, NULL, 0, NULL), LRE_OK);
    ASSERT_EQ(lre_schedule_new(&w, "warmup", wp, 1, &cos, 1, NULL), LRE_OK);
    double out[8], ms[8] = {3, 2, 2, 2, 1, 1, 1, 1};
    ASSERT_EQ(lre_schedule_curve(w, out, 8, ms, 8, NULL), LRE_OK);
    ASSERT(out[0] == 0 && out[5] == 0.1);
    lre_memreader r = {fuzz_input, sizeof fuzz_input, 0};
    lre_error err;
    ASSERT(lre_schedule_load(w, lre_memreader_read, &r, &err) != LRE_OK); /* not this tree's */
    ASSERT(err.msg[0] != 0);
    ASSERT_EQ(lre_schedule_curve(w, out, 8, ms, 8, NULL), LRE_OK);
    lre_schedule_release(cos);
    lre_schedule_release(w);
}

int main(void)
{
    static const test_case tests[] = {
        {"curve previews a plateau without reducing it", curve_previews_a_plateau_without_reducing_it},
        {"run advances the plateau as training does", run_advances_the_plateau_as_training_does},
        {"curve restores custom and plateau state, also on error", curve_restores_custom_and_plateau_state_also_on_error},
        {"curve restores a node the tree holds twice", curve_restores_a_node_the_tree_holds_twice},
        {"curve of a tree without state (fuzz regression)", curve_of_a_tree_without_state},
        {NULL, NULL}};
    return run_tests(tests);
}
