/* bench_core.c -- optimizer throughput against the machine's own bound, and
 * the cost of a built-in schedule evaluation. The bound is a fused pass that
 * moves the same bytes as the optimizer (adam reads p, g, m, v and writes p,
 * m, v: 28 bytes per float32 parameter), measured in the same run.
 *
 * Two figures per optimizer: `update` is the fused pass alone (the kernel,
 * called through the internal header), `step` is lre_optim_step as a user
 * calls it, which first scans the gradient for NaN and infinity so that a bad
 * step writes nothing: one more read of g (4 bytes per parameter). */
#include "lrengine.h"
#include "optim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <omp.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The bound: one vectorisable pass reading `nread` arrays and writing `nwrite`
 * of them (sgd, adagrad and rmsprop here: 3 and 2; adam and adamw: 4 and 3),
 * over the same chunks and threads the optimizer uses. */
static void pass(float *restrict a, float *restrict b, float *restrict c, const float *restrict d, int nread,
                 size_t lo, size_t hi)
{
    if (nread == 3) {
        for (size_t i = lo; i < hi; i++) {
            float s = a[i] + b[i] + c[i];
            a[i] = 0.3f * s;
            b[i] = 0.4f * s;
        }
    } else {
        for (size_t i = lo; i < hi; i++) {
            float s = a[i] + b[i] + c[i] + d[i];
            a[i] = 0.2f * s;
            b[i] = 0.3f * s;
            c[i] = 0.4f * s;
        }
    }
}

#define CHUNK ((size_t)1 << 16)

/* Every timing starts with the arrays out of the caches: read 64 MB, twice
 * the L3 here (reading leaves clean lines, nothing to write back later). */
static volatile long flush_sink;

static void flush_caches(void)
{
    static long *junk;
    size_t n = ((size_t)64 << 20) / sizeof(long);
    if (!junk) junk = calloc(n, sizeof(long));
    long s = 0;
    for (size_t i = 0; i < n; i += 8) s += junk[i];
    flush_sink = s;
}

static double bound(float **a, int nread, size_t n, int threads, int reps)
{
    double best = 1e30;
    long nchunks = (long)((n + CHUNK - 1) / CHUNK);
    for (int r = 0; r < reps; r++) {
        flush_caches();
        double t = now();
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
        for (long c = 0; c < nchunks; c++) {
            size_t lo = (size_t)c * CHUNK, hi = lo + CHUNK < n ? lo + CHUNK : n;
            pass(a[0], a[1], a[2], a[3], nread, lo, hi);
        }
        t = now() - t;
        if (t < best) best = t;
    }
    return n / best / 1e6;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 10000000;
    int threads = argc > 2 ? atoi(argv[2]) : 1, reps = 10;
    if (threads == 0) threads = omp_get_num_procs();
    float *arr[6]; /* params, grads, and four arrays for the bound */
    for (int k = 0; k < 6; k++) {
        arr[k] = malloc(n * sizeof(float));
        for (size_t i = 0; i < n; i++) arr[k][i] = (float)(i % 13) * 0.01f;
    }
    struct { const char *kind; int nread; lre_param p[2]; int np; } cases[] = {
        {"sgd", 3, {{"lr", 0.01, NULL, 0, NULL, NULL}, {"momentum", 0.9, NULL, 0, NULL, NULL}}, 2},
        {"adam", 4, {{"lr", 0.001, NULL, 0, NULL, NULL}}, 1},
        {"adamw", 4, {{"lr", 0.001, NULL, 0, NULL, NULL}}, 1},
        {"adagrad", 3, {{"lr", 0.01, NULL, 0, NULL, NULL}}, 1},
        {"rmsprop", 3, {{"lr", 0.01, NULL, 0, NULL, NULL}}, 1},
    };
    printf("optimizer step on %zu float32 parameters, %d thread(s), best of %d\n", n, threads, reps);
    printf("%-9s %10s %10s %10s %13s %11s\n", "optimizer", "update", "step", "bound", "update/bound",
           "step/bound");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        lre_optim *o;
        lre_optim_new(&o, cases[c].kind, cases[c].p, (size_t)cases[c].np, NULL);
        lre_optim_add_group(o, LRE_F32, arr[0], arr[1], n, NULL, 0, NULL);
        lre_optim_set_threads(o, threads);
        lre_optim_step(o);
        lre_group *g = &o->groups[0];
        double best_step = 1e30, best_update = 1e30;
        for (int r = 0; r < reps; r++) {
            flush_caches();
            double t = now();
            lre_optim_step(o);
            t = now() - t;
            if (t < best_step) best_step = t;
            flush_caches();
            t = now();
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
            for (long ch = 0; ch < (long)((n + CHUNK - 1) / CHUNK); ch++) {
                size_t lo = (size_t)ch * CHUNK, hi = lo + CHUNK < n ? lo + CHUNK : n;
                lre__update_f32(o->kind, g, &g->next, lo, hi);
            }
            t = now() - t;
            if (t < best_update) best_update = t;
        }
        double update = n / best_update / 1e6, step = n / best_step / 1e6;
        double b = bound(arr + 2, cases[c].nread, n, threads, reps);
        printf("%-9s %10.0f %10.0f %10.0f %13.2f %11.2f\n", cases[c].kind, update, step, b, update / b, step / b);
        lre_optim_free(o);
    }
    /* schedules: ns per evaluation */
    lre_schedule *cos, *w;
    lre_param cp[] = {{"lr", 0.1, NULL, 0, NULL, NULL}, {"t_max", 100000, NULL, 0, NULL, NULL}};
    lre_schedule_new(&cos, "cosine", cp, 2, NULL, 0, NULL);
    lre_param wp[] = {{"steps", 1000, NULL, 0, NULL, NULL}};
    lre_schedule_new(&w, "warmup", wp, 1, &cos, 1, NULL);
    lre_schedule *which[] = {cos, w};
    const char *names[] = {"cosine", "warmup+cosine"};
    for (int k = 0; k < 2; k++) {
        int iters = 10000000;
        double sum = 0, v, t = now();
        for (int i = 0; i < iters; i++) lre_schedule_eval(which[k], i, &v, NULL), sum += v;
        t = now() - t;
        printf("schedule %-14s %6.1f ns per at(t)   (checksum %.3f)\n", names[k], t / iters * 1e9, sum);
    }
    lre_schedule_release(w);
    lre_schedule_release(cos);
    return 0;
}
