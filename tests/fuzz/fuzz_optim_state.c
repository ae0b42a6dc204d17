/* fuzz_optim_state.c -- libFuzzer harness for lre_optim_load.
 *
 * Builds a few optimizers of different kinds, options, dtypes and groups
 * (three with weight averaging, two schedule-free, saved in eval mode and
 * with the averages swapped in too)
 * (two driven by a plateau inside warmup + cosine; one allocating through a
 * checking allocator, so that loads free exactly what they take; four with
 * gradient clipping, three of them with a spike guard), steps them
 * a little, and
 * feeds the input to each: as given, and with its trailing CRC recomputed so
 * that the mutations reach the checks behind the checksum. Properties:
 *   - a failed load leaves a message and changes nothing (the state saved
 *     after it is the state saved before, byte for byte);
 *   - a successful load saves back exactly the bytes it loaded, then the
 *     optimizer steps (or refuses at the step limit) and saves.
 * Uses only the public header.
 *
 * Seeds (tests/fuzz/corpus/optim_state/) are streams these same optimizers
 * save; to write them again:
 *   cc -std=c11 -DLRE_FUZZ_SEEDS -Isrc/core tests/fuzz/fuzz_optim_state.c \
 *      build/liblrengine.a -lopenblas -lz -lm -fopenmp -o /tmp/seeds && /tmp/seeds tests/fuzz/corpus/optim_state */
#include "lrengine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { NFIX = 26, N64 = 5, N32 = 3 };

typedef struct fixture {
    lre_optim *o;
    double x64[N64], g64[N64];
    float x32[N32], g32[N32];
    int matrix; /* the f64 group is a 5 x 1 matrix (even fixtures), so that shapes are in the streams */
    int mode;   /* after warming: 1 schedule-free's eval mode, 2 the averages swapped in */
} fixture;

#include "fuzz_alloc.h"

#define P(name, v) {name, v, NULL, 0, NULL, NULL}
#define S(name, s) {name, 0, NULL, 0, NULL, s}

static lre_schedule *plateau_warmup_cosine(void)
{
    lre_schedule *cos = NULL, *pl = NULL, *w = NULL;
    lre_param c[] = {P("lr", 0.05), P("t_max", 50)};
    lre_param p[] = {P("patience", 1), P("factor", 0.5), P("cooldown", 1)};
    lre_param wp[] = {P("steps", 3)};
    if (!lre_schedule_new(&cos, "cosine", c, 2, NULL, 0, NULL) && !lre_schedule_new(&pl, "plateau", p, 3, &cos, 1, NULL))
        lre_schedule_new(&w, "warmup", wp, 1, &pl, 1, NULL);
    lre_schedule_release(cos);
    lre_schedule_release(pl);
    return w;
}

static int add(fixture *f, int which, const lre_param *ov, size_t nov)
{
    if (which == 0 && f->matrix) return lre_optim_add_matrix(f->o, LRE_F64, f->x64, f->g64, N64, 1, ov, nov, NULL);
    if (which == 0) return lre_optim_add_group(f->o, LRE_F64, f->x64, f->g64, N64, ov, nov, NULL);
    return lre_optim_add_group(f->o, LRE_F32, f->x32, f->g32, N32, ov, nov, NULL);
}

/* Clipping and the guard on some fixtures, so that their section is in the
 * streams: 0 by norm with a z-score guard, 3 by a scheduled max_norm with a
 * z-score guard (its window through the checking allocator), 5 by value
 * with a threshold guard, 6 adaptive. */
static int clip_and_guard(fixture *f, int k)
{
    lre_param z[] = {P("window", 4), P("warmup", 2), P("z", 3), P("max_skips", 2)};
    lre_param th[] = {P("max", 10), P("max_skips", 1)};
    if (k == 0) {
        lre_param c[] = {P("max_norm", 0.4), P("norm_type", 2)};
        return lre_optim_set_clip(f->o, "norm", c, 2) || lre_optim_set_guard(f->o, "zscore", z, 4, NULL);
    }
    if (k == 3) {
        lre_schedule *s = plateau_warmup_cosine();
        if (!s) return 1;
        lre_param c[] = {S("max_norm", s)};
        int rc = lre_optim_set_clip(f->o, "norm", c, 1) || lre_optim_set_guard(f->o, "zscore", z, 4, NULL);
        lre_schedule_release(s);
        return rc;
    }
    if (k == 5) {
        lre_param c[] = {P("clip_value", 0.1)};
        return lre_optim_set_clip(f->o, "value", c, 1) || lre_optim_set_guard(f->o, "threshold", th, 2, NULL);
    }
    if (k == 6) return lre_optim_set_clip(f->o, "agc", NULL, 0);
    return 0;
}

/* Fixture k: a kind with options (7 to 22: the other kinds with their
 * defaults); every one has an f64 and an f32 group, the f64 one a matrix in
 * even fixtures. */
static int fixture_new(fixture *f, int k)
{
    memset(f, 0, sizeof *f);
    f->matrix = k % 2 == 0;
    for (int i = 0; i < N64; i++) f->x64[i] = 0.5 * i - 1, f->g64[i] = 0.3 - 0.2 * i;
    for (int i = 0; i < N32; i++) f->x32[i] = (float)i, f->g32[i] = 0.25f * (float)(i + 1);
    lre_schedule *s = NULL;
    int rc = 1;
    lre_param lr2[] = {P("lr", 0.02)};
    switch (k) {
    case 0: {
        lre_param p[] = {P("lr", 0.1), P("momentum", 0.9), P("nesterov", 1), P("weight_decay", 0.01)};
        rc = lre_optim_new(&f->o, "sgd", p, 4, NULL);
        break;
    }
    case 1: {
        s = plateau_warmup_cosine();
        if (!s) return 0;
        lre_param p[] = {S("lr", s), P("amsgrad", 1), P("betas", 0)};
        double betas[2] = {0.8, 0.99};
        p[2].list = betas, p[2].len = 2;
        rc = lre_optim_new(&f->o, "adam", p, 3, NULL);
        break;
    }
    case 2: {
        s = plateau_warmup_cosine();
        if (!s) return 0;
        lre_param p[] = {P("lr", 0.01)};
        lre_param q[] = {S("lr", s)};
        rc = lre_optim_new(&f->o, "adamw", p, 1, NULL);
        if (!rc) rc = add(f, 0, q, 1) || add(f, 1, lr2, 1);
        lre_schedule_release(s);
        return rc == 0;
    }
    case 3: {
        lre_param p[] = {P("lr", 0.01), P("centered", 1), P("momentum", 0.5)};
        rc = lre_optim_new_with(&f->o, "rmsprop", p, 3, &checked_alloc, NULL);
        break;
    }
    case 4: rc = lre_optim_new(&f->o, "nadam", NULL, 0, NULL); break;
    case 5: {
        lre_param p[] = {P("lr", 0.05), P("t0", 1)};
        rc = lre_optim_new(&f->o, "asgd", p, 2, NULL);
        break;
    }
    case 6: rc = lre_optim_new(&f->o, "rprop", NULL, 0, NULL); break;
    case 23: { /* schedule-free SGD with timm's EMA warm-up, saved in eval mode */
        lre_param p[] = {P("lr", 0.1), P("warmup_steps", 2), P("weight_decay", 0.01)};
        lre_param e[] = {P("decay", 0.9), P("warmup", 1), P("update_after_step", 1)};
        rc = lre_optim_new(&f->o, "sgd_schedulefree", p, 3, NULL);
        if (!rc) rc = add(f, 0, NULL, 0) || add(f, 1, lr2, 1) || lre_optim_set_average(f->o, "ema", e, 3);
        f->mode = 1;
        return rc == 0;
    }
    case 24: { /* schedule-free AdamW with SWA */
        lre_param p[] = {P("lr", 0.01), P("r", 0.5)};
        lre_param w[] = {P("start", 1), P("every", 2)};
        rc = lre_optim_new(&f->o, "adamw_schedulefree", p, 2, NULL);
        if (!rc) rc = add(f, 0, NULL, 0) || add(f, 1, lr2, 1) || lre_optim_set_average(f->o, "swa", w, 2);
        return rc == 0;
    }
    case 25: { /* adam with an EMA whose decay is a schedule (with a plateau), saved swapped in */
        s = plateau_warmup_cosine();
        if (!s) return 0;
        lre_param e[] = {S("decay", s)};
        rc = lre_optim_new(&f->o, "adam", lr2, 1, NULL);
        if (!rc) rc = add(f, 0, NULL, 0) || add(f, 1, lr2, 1) || lre_optim_set_average(f->o, "ema", e, 1);
        lre_schedule_release(s);
        f->mode = 2;
        return rc == 0;
    }
    default: {
        /* (muon at 12: its f64 group is a matrix, by Muon's rule; the f32 one by its AdamW rule) */
        /* (adafactor at 16: its f64 group a matrix, so factored: a row and a column vector of state) */
        const char *kinds[] = {"adagrad",  "adadelta",  "adamax", "radam", "lion",      "muon", "ademamix",    "prodigy",
                               "lamb", "adafactor", "novograd", "lars",  "adabelief", "yogi", "nadam_keras", "signum"};
        rc = lre_optim_new(&f->o, kinds[(k - 7) % 16], NULL, 0, NULL);
        double lr = 0;
        if (!rc && lre_optim_get(f->o, -1, "lr", &lr) == LRE_OK && lr != lr) /* signum: lr has no default */
            rc = lre_optim_set(f->o, -1, "lr", 0.02);
        break;
    }
    }
    /* (prodigy refuses groups of different nonzero rates, as its reference: one rate) */
    int one_rate = !rc && !strcmp(lre_optim_kind(f->o), "prodigy");
    if (!rc) rc = add(f, 0, NULL, 0) || add(f, 1, one_rate ? NULL : lr2, one_rate ? 0 : 1);
    lre_schedule_release(s);
    if (!rc) rc = clip_and_guard(f, k);
    return rc == 0;
}

/* A few steps, with metrics for the plateau: the state is not all zeros. */
static void fixture_warm(fixture *f, int steps)
{
    for (int t = 0; t < steps; t++) {
        lre_optim_step(f->o);
        lre_optim_observe(f->o, t % 3 ? 1.0 : 2.0);
    }
    if (f->mode == 1 && lre_optim_eval(f->o)) abort();
    if (f->mode == 2 && lre_optim_swap_average(f->o)) abort();
}

static void save(lre_optim *o, lre_membuf *m)
{
    m->len = 0;
    if (lre_optim_save(o, lre_membuf_write, m)) abort();
}

static void try_load(fixture *f, const uint8_t *data, size_t size)
{
    lre_membuf before = {0}, after = {0};
    save(f->o, &before);
    lre_memreader r = {data, size, 0};
    int rc = lre_optim_load(f->o, lre_memreader_read, &r);
    if (rc) {
        if (!lre_optim_errmsg(f->o)[0]) abort(); /* every failure leaves a message */
        save(f->o, &after);
        if (after.len != before.len || memcmp(after.data, before.data, after.len)) abort(); /* nothing changed */
    } else {
        save(f->o, &after);
        /* what loaded (the stream: bytes after it are the reader's) is what saves */
        if (after.len != r.pos || memcmp(after.data, data, r.pos)) abort();
        /* a stream saved in eval mode or swapped in loads so: back to training */
        if (lre_optim_train(f->o)) abort();
        if (lre_optim_average_swapped(f->o) && lre_optim_swap_average(f->o)) abort();
        rc = lre_optim_step(f->o);
        if (rc != LRE_OK && rc != LRE_ERANGE && rc != LRE_ENONFINITE && rc != LRE_EGUARD) abort();
        lre_optim_observe(f->o, 0.5);
        save(f->o, &after);
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
    for (int k = 0; k < NFIX; k++) {
        fixture f;
        if (!fixture_new(&f, k)) abort();
        fixture_warm(&f, 4);
        try_load(&f, data, size);
        if (fixed) try_load(&f, fixed, size);
        lre_optim_free(f.o);
        if (arena.out || arena.blocks) abort(); /* all returned */
    }
    free(fixed);
    return 0;
}

#ifdef LRE_FUZZ_SEEDS
/* Writes the seeds: each fixture's stream after 0, 1 and 4 steps. */
int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    for (int k = 0; k < NFIX; k++) {
        const int steps[] = {0, 1, 4};
        for (int i = 0; i < 3; i++) {
            fixture f;
            if (!fixture_new(&f, k)) return 1;
            fixture_warm(&f, steps[i]);
            lre_membuf m = {0};
            save(f.o, &m);
            char path[4096];
            snprintf(path, sizeof path, "%s/%s-%d-%d", argv[1], lre_optim_kind(f.o), k, steps[i]);
            FILE *out = fopen(path, "wb");
            if (!out || fwrite(m.data, 1, m.len, out) != m.len || fclose(out)) return 1;
            free(m.data);
            lre_optim_free(f.o);
        }
    }
    return 0;
}
#endif
