/* bench_train.c -- the training job's epoch against its floor: the five
 * cblas_sgemm calls of each step alone (forward Z1 = X W1^T, Z2 = A1 W2^T;
 * backward dW2 = D2^T A1, dA1 = D2 W2, dW1 = D1^T X), on the same shapes and
 * batches, measured in the same run, taking turns.
 *
 *   bench_train [CONFIG [ROUNDS [EPOCHS]]]   (default examples/fashion_mlp.lua 3 3)
 *
 * Both are timed over the batches 2..N of an epoch (the job reports its
 * progress after batch 1 and after the last), in CPU time of the process
 * (CLOCK_PROCESS_CPUTIME_ID) beside wall time: on a shared machine a
 * process that waits for a core loses wall time, not CPU time. The job runs
 * with the config's own --threads (OPENBLAS_NUM_THREADS is set from it);
 * run it with 1 thread. A one-hidden-layer model only (the floor's shapes). */
#include "train.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double clock_of(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct times {
    double cpu, wall;
} times;

static times stamp(void) { return (times){clock_of(CLOCK_PROCESS_CPUTIME_ID), clock_of(CLOCK_MONOTONIC)}; }

typedef struct epochs {
    times mark, best;
} epochs;

static void keep(times *best, times t)
{
    if (t.cpu < best->cpu) best->cpu = t.cpu;
    if (t.wall < best->wall) best->wall = t.wall;
}

static void on_progress(void *ud, const train_progress_info *info)
{
    epochs *e = ud;
    if (info->batch == 1) e->mark = stamp();
    else if (info->batch == info->nbatches) {
        times t = stamp();
        keep(&e->best, (times){t.cpu - e->mark.cpu, t.wall - e->mark.wall});
    }
}

static float *filled(size_t n, float scale)
{
    float *a = malloc(n * sizeof *a);
    if (!a) exit(1);
    for (size_t i = 0; i < n; i++) a[i] = scale * ((float)((i * 7919) % 1000) / 1000.0f - 0.5f);
    return a;
}

/* The floor: the job's five sgemm calls per step over batches 2..N of an
 * epoch of ntrain rows, on one batch buffer (in cache, as the job's freshly
 * gathered batch is). */
static times gemm_floor(size_t ntrain, size_t batch, int in, int hid, int out, int epochs_n)
{
    float *xb = filled(batch * in, 1), *w1 = filled((size_t)hid * in, 0.07f), *w2 = filled((size_t)out * hid, 0.12f);
    float *gw1 = filled((size_t)hid * in, 0), *gw2 = filled((size_t)out * hid, 0), *a1 = filled(batch * hid, 1),
          *z2 = filled(batch * out, 1), *d1 = filled(batch * hid, 0.01f), *d2 = filled(batch * out, 0.01f);
    times best = {1e30, 1e30};
    double sink = 0;
    for (int e = 0; e < epochs_n; e++) {
        times t0 = stamp();
        for (size_t lo = batch; lo < ntrain; lo += batch) {
            int nb = (int)(ntrain - lo < batch ? ntrain - lo : batch);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, hid, in, 1.0f, xb, in, w1, in, 1.0f, a1, hid);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, out, hid, 1.0f, a1, hid, w2, hid, 1.0f, z2, out);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, hid, nb, 1.0f, d2, out, a1, hid, 0.0f, gw2, hid);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nb, hid, out, 1.0f, d2, out, w2, hid, 0.0f, d1, hid);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, hid, in, nb, 1.0f, d1, hid, xb, in, 0.0f, gw1, in);
            sink += gw1[0] + gw2[0];
        }
        times t = stamp();
        keep(&best, (times){t.cpu - t0.cpu, t.wall - t0.wall});
    }
    free(xb), free(w1), free(w2), free(gw1), free(gw2), free(a1), free(z2), free(d1), free(d2);
    if (sink != sink) best.cpu = -1;
    return best;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "examples/fashion_mlp.lua";
    int rounds = argc > 2 ? atoi(argv[2]) : 3, nepochs = argc > 3 ? atoi(argv[3]) : 3;
    char msg[TRAIN_MSG_SIZE];
    train_config c;
    if (train_config_load(&c, path, NULL, msg, sizeof msg)) {
        fprintf(stderr, "bench_train: %s\n", msg);
        return 1;
    }
    dataset tr, va, te;
    if (train_load_data(&c, &tr, &va, &te, msg, sizeof msg)) {
        fprintf(stderr, "bench_train: %s\n", msg);
        return 1;
    }
    size_t widths[MLP_MAX_LAYERS + 1];
    int nw = train_model_widths(&c, &tr, widths, msg, sizeof msg);
    if (nw != 3) {
        fprintf(stderr, "bench_train: %s\n", nw < 0 ? msg : "the floor is written for one hidden layer");
        return 1;
    }
    size_t ntrain = tr.n, batch = (size_t)c.batch_size;
    data_free(&tr), data_free(&va), data_free(&te);
    printf("%s: %zu-%zu-%zu, batch %zu, %zu rows; best epoch of %d, batches 2..%zu, seconds (CPU / wall)\n", path,
           widths[0], widths[1], widths[2], batch, ntrain, nepochs, (ntrain + batch - 1) / batch);
    double lo = 1e30, hi = 0;
    for (int r = 0; r < rounds; r++) {
        epochs e = {{0, 0}, {1e30, 1e30}};
        train_options o = {.epochs = nepochs, .seed = -1, .threads = 1};
        o.events.ud = &e;
        o.events.progress = on_progress;
        train_result res;
        if (train_run(&c, &o, &res) != TRAIN_OK) {
            fprintf(stderr, "bench_train: %s\n", res.msg);
            return 1;
        }
        times f = gemm_floor(ntrain, batch, (int)widths[0], (int)widths[1], (int)widths[2], nepochs);
        double ratio = e.best.cpu / f.cpu;
        if (ratio < lo) lo = ratio;
        if (ratio > hi) hi = ratio;
        printf("round %d: epoch %.3f / %.3f s, gemm floor %.3f / %.3f s, epoch / floor %.3f (wall %.3f), test_acc %.4f\n",
               r + 1, e.best.cpu, e.best.wall, f.cpu, f.wall, ratio, e.best.wall / f.wall, res.test_acc);
    }
    printf("epoch / gemm floor (CPU time): %.3f to %.3f over %d rounds\n", lo, hi, rounds);
    train_config_free(&c);
    return 0;
}
