/* bench_core.c -- optimizer throughput against the machine's own bound, and
 * the cost of a built-in schedule evaluation. The bound is a fused pass that
 * moves the same bytes as the optimizer (adam reads p, g, m, v and writes p,
 * m, v: 28 bytes per float32 parameter), measured in the same run. */
#include "lrengine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* reads `nread` arrays, writes the first `nwrite` of them: the bytes an update moves */
static double bound(float **a, int nread, int nwrite, size_t n, int reps)
{
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t = now();
        for (size_t i = 0; i < n; i++) {
            float s = 0;
            for (int k = 0; k < nread; k++) s += a[k][i];
            for (int k = 0; k < nwrite; k++) a[k][i] = s * 0.5f;
        }
        t = now() - t;
        if (t < best) best = t;
    }
    return n / best / 1e6;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 10000000;
    int threads = argc > 2 ? atoi(argv[2]) : 1, reps = 5;
    float *arr[5];
    for (int k = 0; k < 5; k++) {
        arr[k] = malloc(n * sizeof(float));
        for (size_t i = 0; i < n; i++) arr[k][i] = (float)(i % 13) * 0.01f;
    }
    struct { const char *kind; int nread, nwrite; lre_param p[2]; int np; } cases[] = {
        {"sgd", 3, 2, {{"lr", 0.01, NULL, 0, NULL, NULL}, {"momentum", 0.9, NULL, 0, NULL, NULL}}, 2},
        {"adam", 4, 3, {{"lr", 0.001, NULL, 0, NULL, NULL}}, 1},
        {"adamw", 4, 3, {{"lr", 0.001, NULL, 0, NULL, NULL}}, 1},
        {"adagrad", 3, 2, {{"lr", 0.01, NULL, 0, NULL, NULL}}, 1},
        {"rmsprop", 3, 2, {{"lr", 0.01, NULL, 0, NULL, NULL}}, 1},
    };
    printf("optimizer step on %zu float32 parameters, %d thread(s)\n", n, threads);
    printf("%-9s %12s %12s %8s\n", "optimizer", "Mparam/s", "bound", "ratio");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        lre_optim *o;
        lre_optim_new(&o, cases[c].kind, cases[c].p, (size_t)cases[c].np, NULL);
        lre_optim_add_group(o, LRE_F32, arr[0], arr[1], n, NULL, 0);
        lre_optim_set_threads(o, threads);
        lre_optim_step(o);
        double best = 1e30;
        for (int r = 0; r < reps; r++) {
            double t = now();
            lre_optim_step(o);
            t = now() - t;
            if (t < best) best = t;
        }
        double rate = n / best / 1e6, b = bound(arr, cases[c].nread, cases[c].nwrite, n, reps);
        printf("%-9s %12.0f %12.0f %8.2f\n", cases[c].kind, rate, b, rate / b);
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
