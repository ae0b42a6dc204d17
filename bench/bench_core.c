/* bench_core.c -- optimizer throughput against the machine's own bound, and
 * the cost of a built-in schedule evaluation.
 *
 *   bench_core [N [THREADS]]        every optimizer on N float32 parameters
 *   bench_core N 1 order            A/B of the chunk order of the one-thread update
 *   bench_core N T only a,b,...     only the named rows (muon: its matrix row)
 *   bench_core N 1 warm [a,b,...]   no flush: with N small enough for the caches
 *                                   (100000), each update's arithmetic alone, the
 *                                   ceiling it has whatever the memory
 *
 * The bound of an optimizer is one fused pass that moves the same bytes as
 * its update (adam reads p, g, m, v and writes p, m, v: 28 bytes per float32
 * parameter), measured in the same run, over the same chunks and threads.
 *
 * Two figures per optimizer: `step` is lre_optim_step as a user calls it by
 * default, which first scans the gradient for NaN and infinity so that a bad
 * step writes nothing (one more read of g: 4 bytes per parameter), and
 * `trusted` the same step under nonfinite = trust, no scan: one pass.
 *
 * With clipping by the global norm (adam+clip, sgd+clip) both figures scan
 * (the scan takes the norm), and the bound is the scan's read of g plus the
 * update's pass.
 *
 * adam-late and lamb-late take the step at t = 40,000, where the bias
 * corrections are 1 in float32 and the kernels leave their divisions out
 * (optim_kernels.h, BC_DIV).
 *
 * Prodigy's bound is its two passes (d is shared: the step needs a sum over
 * every group before it can write a parameter): the first moves p, g, p0,
 * s, m, v in and s, m, v out, the second p, m, v in and p out. Muon's matrix
 * row is measured against its GEMM floor instead: the fifteen sgemm of five
 * Newton-Schulz iterations on the same shape, alone (its three passes over
 * memory are small beside them). */
#include "lrengine.h"
#include "optim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>
#include <omp.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The shape of an update's memory traffic: arrays read, arrays written. */
enum shape {
    NONE,  /* no pass (a bound of one pass has no second) */
    R2W1,  /* sgd without momentum: p, g -> p */
    R3W2,  /* sgd with momentum, adagrad, rmsprop, lion: p, g, s -> p, s */
    R4W3,  /* adam, adamw, adadelta, adamax, nadam, radam, rprop: p, g, s1, s2 -> p, s1, s2 */
    R2W2,  /* asgd before t0: p, g -> p, ax (ax written without being read) */
    R5W4,  /* ademamix: p, g, m1, m2, nu -> p, m1, m2, nu */
    R6W3,  /* prodigy's first pass: p, g, p0, s, m, v -> s, m, v */
    R3W1,  /* prodigy's second pass: p, m, v -> p; lamb's; adafactor's two on a vector (p, g, v -> v; -> p) */
    R4W2,  /* lamb's first pass: p, g, m, v -> m, v (lamb's bound is its minimum traffic: the kernel
            * keeps r between the passes, 4 bytes more with the read for ownership, for less arithmetic) */
    R2W0,  /* a sum over two arrays: lars' norms of p and g; adafactor's row/column means and RMS(p) */
    R1W0   /* a sum over one: novograd's gradient norm; adafactor's RMS of the update (a matrix) */
};
static const int shape_bytes[] = {[R2W1] = 12, [R3W2] = 20, [R4W3] = 28, [R2W2] = 16, [R5W4] = 36, [R6W3] = 36,
                                  [R3W1] = 16, [NONE] = 0,  [R4W2] = 24, [R2W0] = 8,  [R1W0] = 4};
static volatile float sum_sink;
#define NBOUND 6 /* arrays of the bound's passes */

/* The bound: one vectorisable pass of the given shape over [lo, hi), built
 * for the same vector widths as the kernels (see optim_kernels.h). */
#if defined(__x86_64__) && defined(__linux__) && defined(__has_attribute) && !defined(__clang__)
#if __has_attribute(target_clones)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
static void pass(float *restrict a, float *restrict b, float *restrict c, const float *restrict d,
                 float *restrict e, const float *restrict f, enum shape sh, size_t lo, size_t hi)
{
    /* the sums: 64 interleaved lanes, so that they vectorise into four
     * independent vector additions (one chain of 16 waits on the adder's
     * latency and read 10 GB/s) */
    float acc[64] = {0};
    size_t at = lo;
    switch (sh) {
    case NONE: break;
    case R4W2:
        for (size_t i = lo; i < hi; i++) {
            float s = a[i] + b[i] + c[i] + e[i];
            c[i] = 0.3f * s;
            e[i] = 0.4f * s;
        }
        break;
    case R2W0:
        for (; at + 64 <= hi; at += 64)
            for (int j = 0; j < 64; j++) acc[j] += a[at + j] * a[at + j] + b[at + j] * b[at + j];
        break;
    case R1W0:
        for (; at + 64 <= hi; at += 64)
            for (int j = 0; j < 64; j++) acc[j] += a[at + j] * a[at + j];
        break;
    case R5W4:
        for (size_t i = lo; i < hi; i++) {
            float s = a[i] + b[i] + c[i] + d[i] + e[i];
            a[i] = 0.2f * s;
            b[i] = 0.3f * s;
            c[i] = 0.4f * s;
            e[i] = 0.1f * s;
        }
        break;
    case R6W3:
        for (size_t i = lo; i < hi; i++) {
            float s = a[i] + b[i] + c[i] + d[i] + e[i] + f[i];
            a[i] = 0.2f * s;
            b[i] = 0.3f * s;
            c[i] = 0.4f * s;
        }
        break;
    case R3W1:
        for (size_t i = lo; i < hi; i++) a[i] = 0.3f * (a[i] + b[i] + c[i]);
        break;
    case R2W1:
        for (size_t i = lo; i < hi; i++) a[i] = 0.3f * (a[i] + b[i]);
        break;
    case R3W2:
        for (size_t i = lo; i < hi; i++) {
            float s = a[i] + b[i] + c[i];
            a[i] = 0.3f * s;
            b[i] = 0.4f * s;
        }
        break;
    case R4W3:
        for (size_t i = lo; i < hi; i++) {
            float s = a[i] + b[i] + c[i] + d[i];
            a[i] = 0.2f * s;
            b[i] = 0.3f * s;
            c[i] = 0.4f * s;
        }
        break;
    case R2W2:
        for (size_t i = lo; i < hi; i++) {
            float s = a[i] + b[i];
            a[i] = 0.3f * s;
            c[i] = 0.4f * s;
        }
        break;
    }
    if (sh == R2W0 || sh == R1W0) {
        float s = 0;
        for (int j = 0; j < 64; j++) s += acc[j];
        for (; at < hi; at++) s += a[at];
        sum_sink = s;
    }
}

#define CHUNK ((size_t)1 << 16)

/* Every timing starts with the arrays out of the caches: read a buffer of
 * twice the last-level cache (64 MB at least). The buffer is written once
 * when allocated: a calloc buffer never written maps every page to the one
 * zero page, so its reads hit the same few lines and evict nothing. Reading
 * leaves clean lines, nothing to write back during the timing. */
static volatile long flush_sink;
static long *flush_buf;
static size_t flush_len;

static void flush_init(void)
{
    long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    size_t bytes = (size_t)64 << 20;
    if (l3 > 0 && 2 * (size_t)l3 > bytes) bytes = 2 * (size_t)l3;
    flush_len = bytes / sizeof(long);
    flush_buf = malloc(bytes);
    if (!flush_buf) {
        fprintf(stderr, "bench_core: no memory for the %zu MB cache flush\n", bytes >> 20);
        exit(1);
    }
    for (size_t i = 0; i < flush_len; i++) flush_buf[i] = (long)i;
}

/* The arrays a timing touches, also evicted line by line after the read: a
 * last-level cache with an adaptive policy keeps some lines of arrays used
 * over and over (the optimizer's) through one long read, and fewer of those
 * used once a round (the bound's), which would favour the former. */
static void *flush_arrays[2 + LRE_MAX_STATE + NBOUND + 1];
static size_t flush_lens[2 + LRE_MAX_STATE + NBOUND + 1]; /* bytes of each (Adafactor's state: rows, cols) */

static int warm; /* bench_core N T warm: no flush */

static void flush_caches(void)
{
    if (warm) return;
    long s = 0;
    for (size_t i = 0; i < flush_len; i += 8) s += flush_buf[i];
    flush_sink = s;
#if defined(__x86_64__) || defined(__i386__)
    for (size_t k = 0; k < sizeof flush_arrays / sizeof flush_arrays[0]; k++)
        for (size_t i = 0; flush_arrays[k] && i < flush_lens[k]; i += 64)
            _mm_clflush((const char *)flush_arrays[k] + i);
    _mm_mfence();
#endif
}

/* The optimizer's arrays and the bound's, for flush_caches. */
static void flush_set(const lre_optim *o, const lre_group *g, float **bound, size_t n)
{
    memset(flush_arrays, 0, sizeof flush_arrays);
    for (size_t k = 0; k < sizeof flush_lens / sizeof flush_lens[0]; k++) flush_lens[k] = n * sizeof(float);
    flush_arrays[0] = g->params;
    flush_arrays[1] = (void *)g->grads;
    for (int s = 0; s < LRE_MAX_STATE; s++) {
        flush_arrays[2 + s] = g->state[s];
        flush_lens[2 + s] = lre__slot_len(o->kind, g, s) * sizeof(float);
    }
    for (int k = 0; k < NBOUND; k++) flush_arrays[2 + LRE_MAX_STATE + k] = bound[k];
}

/* One pass of shape sh, then one of sh2, then sh3 (NONE: none) over every chunk. */
static double time_bound(float **a, enum shape sh, enum shape sh2, enum shape sh3, size_t n, int threads)
{
    long nchunks = (long)((n + CHUNK - 1) / CHUNK);
    flush_caches();
    double t = now();
    for (int k = 0; k < 3; k++) {
        enum shape h = k == 0 ? sh : k == 1 ? sh2 : sh3;
        if (h == NONE) continue;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
        for (long c = 0; c < nchunks; c++) {
            size_t lo = (size_t)c * CHUNK, hi = lo + CHUNK < n ? lo + CHUNK : n;
            pass(a[0], a[1], a[2], a[3], a[4], a[5], h, lo, hi);
        }
    }
    return now() - t;
}

static double time_step(lre_optim *o, lre_nonfinite policy)
{
    lre_optim_set_nonfinite(o, policy);
    flush_caches();
    double t = now();
    int rc = lre_optim_step(o);
    t = now() - t;
    if (rc) {
        fprintf(stderr, "bench_core: %s\n", lre_optim_errmsg(o));
        exit(1);
    }
    return t;
}

typedef struct bench_case {
    const char *name, *kind;
    enum shape shape;
    double momentum; /* sgd's; 0 for the others */
    enum shape shape2; /* a second pass of the bound (prodigy's), or NONE */
} bench_case;

static const bench_case cases[] = {
    {"sgd-plain", "sgd", R2W1, 0, NONE},  {"sgd", "sgd", R3W2, 0.9, NONE},   {"adam", "adam", R4W3, 0, NONE},
    {"adamw", "adamw", R4W3, 0, NONE},    {"adagrad", "adagrad", R3W2, 0, NONE}, {"rmsprop", "rmsprop", R3W2, 0, NONE},
    {"adadelta", "adadelta", R4W3, 0, NONE}, {"adamax", "adamax", R4W3, 0, NONE}, {"nadam", "nadam", R4W3, 0, NONE},
    {"radam", "radam", R4W3, 0, NONE},    {"rprop", "rprop", R4W3, 0, NONE}, {"asgd", "asgd", R2W2, 0, NONE},
    {"lion", "lion", R3W2, 0, NONE},
    {"ademamix", "ademamix", R5W4, 0, NONE}, {"prodigy", "prodigy", R6W3, 0, R3W1},
    /* the peers' optimizers (issue 13): one pass, or the passes each makes */
    {"nadam_k", "nadam_keras", R4W3, 0, NONE}, {"signsgd", "signsgd", R2W1, 0, NONE},
    {"signum", "signum", R3W2, 0, NONE},       {"adabelief", "adabelief", R4W3, 0, NONE},
    {"yogi", "yogi", R4W3, 0, NONE},           {"lamb", "lamb", R4W2, 0, R3W1},
    {"lars", "lars", R2W0, 0.9, R3W2},         {"novograd", "novograd", R1W0, 0, R3W2},
    {"adafac-v", "adafactor", R3W1, 0, R3W1},  {"adafac-m", "adafactor", R2W0, 0, R1W0},
    /* clipping by the global norm (issue 12): against exactly two reads of g
     * and the update's pass, the scan's read (which takes the norm) and the
     * update's (which applies the coefficient) */
    {"adam+clip", "adam", R1W0, 0, R4W3},      {"sgd+clip", "sgd", R1W0, 0.9, R3W2},
    /* late in a run: the bias corrections are 1 in float32 (step 40,000 of
     * betas 0.9, 0.999), and their divisions are left out */
    {"adam-late", "adam", R4W3, 0, NONE},      {"lamb-late", "lamb", R4W2, 0, R3W1},
};
#define NCASES (sizeof cases / sizeof cases[0])

/* What some cases need besides: a third pass (Adafactor on a matrix: the row
 * and column means with RMS(p), the update's RMS, the update), a matrix
 * group of n / cols rows, a weight decay (LARS adapts its rate only with one). */
typedef struct case_extra {
    const char *name;
    enum shape shape3;
    size_t cols;
    double weight_decay;
    double max_norm; /* clipping by the global 2-norm (binding: the gradients' norm is far above it) */
    int64_t late;    /* updates taken before, as if (the group's count set: its state stays the first steps') */
} case_extra;
static const case_extra extras[] = {{"lars", NONE, 0, 1e-4, 0, 0},      {"adafac-m", R2W1, 1000, 0, 0, 0},
                                    {"adam+clip", NONE, 0, 0, 1, 0},    {"sgd+clip", NONE, 0, 0, 1, 0},
                                    {"adam-late", NONE, 0, 0, 0, 40000}, {"lamb-late", NONE, 0, 0, 0, 40000}};

static const case_extra *extra_of(const bench_case *c)
{
    static const case_extra none = {NULL, NONE, 0, 0, 0, 0};
    for (size_t i = 0; i < sizeof extras / sizeof extras[0]; i++)
        if (!strcmp(extras[i].name, c->name)) return &extras[i];
    return &none;
}

static lre_optim *make(const bench_case *c, float *p, const float *g, size_t n, int threads)
{
    lre_optim *o;
    const case_extra *x = extra_of(c);
    lre_param ps[] = {{"lr", 1e-4, NULL, 0, NULL, NULL}, {"momentum", c->momentum, NULL, 0, NULL, NULL},
                      {"weight_decay", x->weight_decay, NULL, 0, NULL, NULL}};
    lre_error err;
    if (lre_optim_new(&o, c->kind, ps, x->weight_decay != 0 ? 3 : c->momentum != 0 ? 2 : 1, &err)) {
        fprintf(stderr, "bench_core: %s\n", err.msg);
        exit(1);
    }
    if (x->cols ? lre_optim_add_matrix(o, LRE_F32, p, g, n / x->cols, x->cols, NULL, 0, NULL)
                : lre_optim_add_group(o, LRE_F32, p, g, n, NULL, 0, NULL)) {
        fprintf(stderr, "bench_core: %s\n", lre_optim_errmsg(o));
        exit(1);
    }
    lre_optim_set_threads(o, threads);
    lre_param clip[] = {{"max_norm", x->max_norm, NULL, 0, NULL, NULL}};
    if (x->max_norm > 0 && lre_optim_set_clip(o, "norm", clip, 1)) {
        fprintf(stderr, "bench_core: %s\n", lre_optim_errmsg(o));
        exit(1);
    }
    /* past the first steps' special cases (sgd's first buffer, radam's
     * unrectified start), so that every timed step runs the same kernel */
    lre_optim_set_nonfinite(o, LRE_NONFINITE_TRUST);
    for (int i = 0; i < 8; i++) lre_optim_step(o);
    o->groups[0].t += x->late;
    return o;
}

/* The single-thread update's chunk order, A/B: the guarded step's scan
 * (forwards) then the update, and the update alone, with the chunks walked
 * first-to-last and last-to-first, taking turns. */
static void order_ab(float **arr, size_t n, int reps)
{
    printf("chunk order of the one-thread update on %zu float32 parameters, best of %d, Mparam/s\n", n, reps);
    printf("%-9s %12s %12s %12s %12s\n", "optimizer", "scan+fwd", "scan+bwd", "fwd", "bwd");
    for (size_t c = 0; c < NCASES; c++) {
        if (strcmp(cases[c].name, "sgd-plain") && strcmp(cases[c].name, "sgd") && strcmp(cases[c].name, "adam"))
            continue;
        lre_optim *o = make(&cases[c], arr[0], arr[1], n, 1);
        lre_group *g = &o->groups[0];
        flush_set(o, g, arr + 2, n);
        double best[4] = {1e30, 1e30, 1e30, 1e30};
        for (int r = 0; r < reps; r++) {
            for (int v = 0; v < 4; v++) {
                flush_caches();
                double t = now();
                if (v < 2 && !lre__all_finite_f32(g->grads, n)) exit(1);
                if (v % 2 == 0) {
                    for (size_t lo = 0; lo < n; lo += CHUNK)
                        lre__update_f32(o->kind, g, &g->next, lo, lo + CHUNK < n ? lo + CHUNK : n);
                } else {
                    for (size_t hi = n; hi > 0;) {
                        size_t lo = hi > CHUNK ? hi - CHUNK : 0;
                        lre__update_f32(o->kind, g, &g->next, lo, hi);
                        hi = lo;
                    }
                }
                t = now() - t;
                if (t < best[v]) best[v] = t;
            }
        }
        printf("%-9s %12.0f %12.0f %12.0f %12.0f\n", cases[c].name, n / best[0] / 1e6, n / best[1] / 1e6,
               n / best[2] / 1e6, n / best[3] / 1e6);
        lre_optim_free(o);
    }
}

/* Muon on one rows x cols float32 matrix group (rows <= cols: the wide
 * case, k = rows) against the fifteen sgemm of its Newton-Schulz alone, the
 * same calls on buffers of the same sizes. */
static void muon_row(size_t rows, size_t cols, int threads, int reps)
{
    openblas_set_num_threads(threads);
    size_t n = rows * cols, k = rows;
    float *p = malloc(n * sizeof *p), *g = malloc(n * sizeof *g), *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    float *a = malloc(k * k * sizeof *a), *b = malloc(k * k * sizeof *b);
    if (!p || !g || !x || !y || !a || !b) exit(1);
    for (size_t i = 0; i < n; i++) p[i] = (float)(i % 13) * 0.01f, g[i] = (float)(i % 7) * 0.01f - 0.03f;
    lre_optim *o;
    lre_param ps[] = {{"lr", 0.02, NULL, 0, NULL, NULL}};
    if (lre_optim_new(&o, "muon", ps, 1, NULL) || lre_optim_add_matrix(o, LRE_F32, p, g, rows, cols, NULL, 0, NULL)) exit(1);
    lre_optim_set_nonfinite(o, LRE_NONFINITE_TRUST);
    lre_optim_step(o);
    memset(flush_arrays, 0, sizeof flush_arrays);
    double best_step = 1e30, best_floor = 1e30;
    for (int r = 0; r < reps; r++) {
        double t = time_step(o, LRE_NONFINITE_TRUST);
        if (t < best_step) best_step = t;
        memcpy(x, g, n * sizeof *x);
        flush_caches();
        t = now();
        for (int s = 0; s < 5; s++) { /* optim_muon.c's calls, wide case */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)k, (int)k, (int)cols, 1, x, (int)cols, x,
                        (int)cols, 0, a, (int)k);
            memcpy(b, a, k * k * sizeof *b);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)k, (int)k, (int)k, 2.0315f, a, (int)k, a,
                        (int)k, -4.7750f, b, (int)k);
            memcpy(y, x, n * sizeof *y);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)k, (int)cols, (int)k, 1, b, (int)k, x,
                        (int)cols, 3.4445f, y, (int)cols);
            float *tmp = x;
            x = y, y = tmp;
        }
        t = now() - t;
        if (t < best_floor) best_floor = t;
    }
    double flops = 5 * (4.0 * k * k * cols + 2.0 * k * k * k);
    printf("%-9s %5zux%-5zu step %8.1f Mparam/s, GEMM floor %8.1f Mparam/s (%.1f GFLOP/s), step/floor %.2f\n",
           "muon", rows, cols, n / best_step / 1e6, n / best_floor / 1e6, flops / best_floor / 1e9,
           best_floor / best_step);
    lre_optim_free(o);
    free(p), free(g), free(x), free(y), free(a), free(b);
}

/* Is row `name` selected by the comma-separated list (NULL: every row)? */
static int selected(const char *only, const char *name)
{
    if (!only) return 1;
    size_t len = strlen(name);
    for (const char *q = only; q && *q; q = strchr(q, ',') ? strchr(q, ',') + 1 : NULL)
        if (!strncmp(q, name, len) && (q[len] == ',' || q[len] == 0)) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 10000000;
    int threads = argc > 2 ? atoi(argv[2]) : 1, reps = 10;
    if (threads == 0) threads = omp_get_num_procs();
    flush_init();
    float *arr[2 + NBOUND]; /* params, grads, and the bound's arrays */
    for (int k = 0; k < 2 + NBOUND; k++) {
        /* staggered by 1 KB: arrays at the same offset in their pages slow
         * a pass that reads one and writes another (4K aliasing) */
        float *base = malloc((n + 256 * (2 + NBOUND)) * sizeof(float));
        if (!base) return 1;
        arr[k] = base + 256 * k;
        for (size_t i = 0; i < n; i++) arr[k][i] = (float)(i % 13) * 0.01f + 0.01f;
    }
    warm = argc > 3 && !strcmp(argv[3], "warm");
    if (warm) reps = 200;
    if (argc > 3 && !strcmp(argv[3], "order")) {
        order_ab(arr, n, 2 * reps);
        return 0;
    }
    const char *only = argc > 4 && (warm || !strcmp(argv[3], "only")) ? argv[4] : NULL;
    if (warm)
        printf("optimizer step on %zu float32 parameters, %d thread(s), best of %d, warm caches (no flush)\n", n, threads,
               reps);
    else
        printf("optimizer step on %zu float32 parameters, %d thread(s), best of %d, cold caches (%zu MB read before each)\n",
               n, threads, reps, flush_len * sizeof(long) >> 20);
    printf("%-9s %6s %10s %10s %10s %11s %14s\n", "optimizer", "bytes", "step", "trusted", "bound", "step/bound",
           "trusted/bound");
    for (size_t c = 0; c < NCASES; c++) {
        if (!selected(only, cases[c].name)) continue;
        lre_optim *o = make(&cases[c], arr[0], arr[1], n, threads);
        flush_set(o, &o->groups[0], arr + 2, n);
        enum shape sh3 = extra_of(&cases[c])->shape3;
        double best_step = 1e30, best_trusted = 1e30, best_bound = 1e30;
        for (int r = 0; r < reps; r++) { /* taking turns, so that a busy moment hits all three */
            double t = time_step(o, LRE_NONFINITE_ERROR);
            if (t < best_step) best_step = t;
            t = time_step(o, LRE_NONFINITE_TRUST);
            if (t < best_trusted) best_trusted = t;
            t = time_bound(arr + 2, cases[c].shape, cases[c].shape2, sh3, n, threads);
            if (t < best_bound) best_bound = t;
        }
        double step = n / best_step / 1e6, trusted = n / best_trusted / 1e6, b = n / best_bound / 1e6;
        printf("%-9s %6d %10.0f %10.0f %10.0f %11.2f %14.2f\n", cases[c].name,
               shape_bytes[cases[c].shape] + shape_bytes[cases[c].shape2] + shape_bytes[sh3], step,
               trusted, b, step / b, trusted / b);
        lre_optim_free(o);
    }
    if (selected(only, "muon")) muon_row(512, 2048, threads, 3);
    if (only) return 0;
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
