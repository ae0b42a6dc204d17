/* fuzz_schedule_state.c -- libFuzzer harness for lre_schedule_load.
 *
 * Builds composed schedule trees (warmup + cosine, a plateau inside warmup,
 * a sequence with a plateau and a cyclic part, min/max/product of plateaus,
 * a custom node with its own saved state, a plateau the tree holds twice,
 * nodes allocating through a checking allocator, durations planned on a
 * horizon), observes a few metrics,
 * previews them (which must change nothing), and feeds
 * the input to each: as given, and with its trailing CRC recomputed so that
 * the mutations reach the checks behind the checksum. Properties:
 *   - a failed load leaves a message and changes nothing (the state saved
 *     after it is the state saved before, byte for byte);
 *   - a successful load saves back exactly the bytes it loaded, then the
 *     tree evaluates, observes and saves.
 * Uses only the public header.
 *
 * Seeds (tests/fuzz/corpus/schedule_state/) are streams these same trees
 * save; to write them again:
 *   cc -std=c11 -DLRE_FUZZ_SEEDS -Isrc/core tests/fuzz/fuzz_schedule_state.c \
 *      build/liblrengine.a -lopenblas -lz -lm -fopenmp -o /tmp/seeds && /tmp/seeds tests/fuzz/corpus/schedule_state */
#include "lrengine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_alloc.h"

#define P(name, v) {name, v, NULL, 0, NULL, NULL}

/* ---- a custom node: counts its evaluations, saves the count (8 bytes) ---- */

static int counter_at(void *ud, const lre_sched_ctx *ctx, double *out, lre_error *err)
{
    (void)err;
    int64_t *n = ud;
    (*n)++;
    *out = 0.1 / (1.0 + (double)(*n % 7)) + 0.001 * (double)(ctx->step % 3);
    return LRE_OK;
}

static int counter_save(void *ud, lre_write_fn write, void *wud, lre_error *err)
{
    if (write(wud, ud, sizeof(int64_t))) return lre_error_set(err, LRE_EIO, "counter: write failed");
    return LRE_OK;
}

static int counter_prepare(void *ud, const void *data, size_t len, void **token, lre_error *err)
{
    (void)ud;
    int64_t v;
    if (len != sizeof v) return lre_error_set(err, LRE_ECORRUPT, "counter: state of %zu bytes, not 8", len);
    memcpy(&v, data, sizeof v);
    if (v < 0) return lre_error_set(err, LRE_ECORRUPT, "counter: negative count");
    int64_t *t = malloc(sizeof *t);
    if (!t) return lre_error_set(err, LRE_ENOMEM, "counter: out of memory");
    *t = v;
    *token = t;
    return LRE_OK;
}

static void counter_commit(void *ud, void *token)
{
    *(int64_t *)ud = *(int64_t *)token;
    free(token);
}

static void counter_abort(void *ud, void *token)
{
    (void)ud;
    free(token);
}

static void counter_release(void *ud) { free(ud); }

static const lre_custom_vtable counter_vt = {counter_at,      NULL,          counter_save, counter_prepare,
                                             counter_commit, counter_abort, counter_release};

/* ---- the trees ---- */

static lre_schedule *node(const char *kind, const lre_param *p, size_t np, lre_schedule **kids, size_t nk)
{
    lre_schedule *s = NULL;
    for (size_t i = 0; i < nk; i++)
        if (!kids[i]) goto done;
    lre_schedule_new(&s, kind, p, np, kids, nk, NULL);
done:
    for (size_t i = 0; i < nk; i++) lre_schedule_release(kids[i]);
    return s;
}

static lre_schedule *cosine(double lr)
{
    lre_param c[] = {P("lr", lr), P("t_max", 40)};
    return node("cosine", c, 2, NULL, 0);
}

static lre_schedule *plateau(lre_schedule *inner, double patience, double cooldown, int max_mode)
{
    lre_param p[] = {P("patience", patience), P("cooldown", cooldown), P("factor", 0.5), {"mode", 0, NULL, 0, max_mode ? "max" : "min", NULL}};
    return node("plateau", p, 4, &inner, 1);
}

static lre_schedule *warmup(lre_schedule *inner, double steps)
{
    lre_param p[] = {P("steps", steps)};
    return node("warmup", p, 1, &inner, 1);
}

static lre_schedule *custom(void)
{
    int64_t *n = calloc(1, sizeof *n);
    lre_schedule *s = NULL;
    if (n) lre_schedule_custom(&s, "counter", &counter_vt, n, NULL);
    return s;
}

enum { NTREE = 8 };

static lre_schedule *tree_new(int k)
{
    switch (k) {
    case 0: return warmup(cosine(0.1), 5); /* no state: the stream is its fingerprint */
    case 1: return warmup(plateau(cosine(0.1), 1, 1, 0), 3);
    case 2: {
        lre_param cyc[] = {P("base_lr", 0.01), P("max_lr", 0.1), P("step_size_up", 4), {"mode", 0, NULL, 0, "triangular2", NULL}};
        double ms[] = {5, 12};
        lre_param seq[] = {{"milestones", 0, ms, 2, NULL, NULL}};
        lre_param lin[] = {P("lr", 0.1), P("total_iters", 5)};
        lre_schedule *parts[] = {node("linear", lin, 2, NULL, 0), plateau(cosine(0.1), 0, 2, 1),
                                 node("cyclic", cyc, 4, NULL, 0)};
        return node("sequence", seq, 1, parts, 3);
    }
    case 3: {
        lre_schedule *parts[] = {plateau(cosine(0.1), 2, 0, 0), plateau(cosine(0.2), 0, 0, 1)};
        lre_schedule *m = node("min", NULL, 0, parts, 2);
        lre_param lo[] = {P("min", 1e-4), P("max", 0.5)};
        return node("clamp", lo, 2, &m, 1);
    }
    case 4: {
        lre_param pl[] = {P("lr", 0.05), P("patience", 0)};
        lre_schedule *parts[] = {node("plateau", pl, 2, NULL, 0), custom(), warmup(cosine(1), 2)};
        return node("product", NULL, 0, parts, 3);
    }
    case 5: {
        lre_schedule *parts[] = {custom(), plateau(custom(), 1, 3, 0)};
        return node("max", NULL, 0, parts, 2);
    }
    case 7: { /* durations, resolved when the tree is planned: the stream holds their text */
        lre_param c[] = {P("lr", 0.1), {"t_max", 0, NULL, 0, "2 epochs", NULL}};
        lre_param w[] = {{"steps", 0, NULL, 0, "10%", NULL}};
        lre_schedule *inner = plateau(node("cosine", c, 2, NULL, 0), 1, 0, 0);
        lre_schedule *s = node("warmup", w, 1, &inner, 1);
        lre_horizon h = {10, 50, 0};
        if (s && lre_schedule_plan(s, &h, NULL)) {
            lre_schedule_release(s);
            return NULL;
        }
        return s;
    }
    default: { /* one plateau under two combinators, through the checking allocator */
        lre_schedule *cos = NULL, *pl = NULL, *sc = NULL, *mx = NULL;
        lre_param c[] = {P("lr", 0.1), P("t_max", 40)}, p[] = {P("patience", 1)}, f[] = {P("factor", 0.5)};
        if (!lre_schedule_new_with(&cos, "cosine", c, 2, NULL, 0, &checked_alloc, NULL) &&
            !lre_schedule_new_with(&pl, "plateau", p, 1, &cos, 1, &checked_alloc, NULL) &&
            !lre_schedule_new_with(&sc, "scale", f, 1, &pl, 1, &checked_alloc, NULL)) {
            lre_schedule *parts[] = {pl, sc};
            lre_schedule_new_with(&mx, "max", NULL, 0, parts, 2, &checked_alloc, NULL);
        }
        lre_schedule_release(cos);
        lre_schedule_release(pl);
        lre_schedule_release(sc);
        return mx;
    }
    }
}

/* A few evaluations and metrics: counters and custom state not at zero. */
static void tree_warm(lre_schedule *s, int steps)
{
    for (int t = 0; t < steps; t++) {
        double v;
        lre_schedule_eval(s, t, &v, NULL);
        lre_schedule_observe(s, t % 3 ? 1.0 : 2.0 - 0.1 * t, t + 1, NULL);
    }
}

static void save(lre_schedule *s, lre_membuf *m)
{
    m->len = 0;
    if (lre_schedule_save(s, lre_membuf_write, m, NULL)) abort();
}

static void try_load(lre_schedule *s, const uint8_t *data, size_t size)
{
    lre_membuf before = {0}, after = {0};
    save(s, &before);
    double preview[8];
    const double metrics[8] = {3, 2, 2, 2, 1, 1, 1, 1};
    if (lre_schedule_curve(s, preview, 8, metrics, 8, NULL)) abort();
    save(s, &after);
    if (after.len != before.len || memcmp(after.data, before.data, after.len)) abort(); /* a preview is pure */
    lre_memreader r = {data, size, 0};
    lre_error err = {0, ""};
    int rc = lre_schedule_load(s, lre_memreader_read, &r, &err);
    if (rc) {
        if (err.code != rc || !err.msg[0]) abort(); /* every failure leaves a message */
        save(s, &after);
        if (after.len != before.len || memcmp(after.data, before.data, after.len)) abort(); /* nothing changed */
    } else {
        save(s, &after);
        /* what loaded (the stream: bytes after it are the reader's) is what saves */
        if (after.len != r.pos || memcmp(after.data, data, r.pos)) abort();
        for (int t = 0; t < 3; t++) {
            double v;
            if (lre_schedule_eval(s, 1000 + t, &v, &err)) abort();
            if (lre_schedule_observe(s, 0.5, 1001 + t, &err)) abort();
        }
        save(s, &after);
    }
    free(before.data);
    free(after.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *fixed = NULL;
    if (size >= 48) { /* the same bytes with a valid CRC */
        fixed = malloc(size);
        if (!fixed) return 0;
        memcpy(fixed, data, size);
        uint32_t c = lre_crc32(0, fixed, size - 4);
        memcpy(fixed + size - 4, &c, 4);
    }
    for (int k = 0; k < NTREE; k++) {
        lre_schedule *s = tree_new(k);
        if (!s) abort();
        tree_warm(s, 6);
        try_load(s, data, size);
        if (fixed) try_load(s, fixed, size);
        lre_schedule_release(s);
        if (arena.out || arena.blocks) abort(); /* all returned */
    }
    free(fixed);
    return 0;
}

#ifdef LRE_FUZZ_SEEDS
/* Writes the seeds: each tree's stream after 0, 2 and 6 steps. */
int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    for (int k = 0; k < NTREE; k++) {
        const int steps[] = {0, 2, 6};
        for (int i = 0; i < 3; i++) {
            lre_schedule *s = tree_new(k);
            if (!s) return 1;
            tree_warm(s, steps[i]);
            lre_membuf m = {0};
            save(s, &m);
            char path[4096];
            snprintf(path, sizeof path, "%s/tree%d-%d", argv[1], k, steps[i]);
            FILE *out = fopen(path, "wb");
            if (!out || fwrite(m.data, 1, m.len, out) != m.len || fclose(out)) return 1;
            free(m.data);
            lre_schedule_release(s);
        }
    }
    return 0;
}
#endif
