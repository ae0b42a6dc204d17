/* findlr.c -- `lrengine find-lr`: the learning-rate range test (Smith 2017,
 * "Cyclical Learning Rates", section 3.3; the fast.ai variant): the rate grows
 * exponentially from --min to --max over --steps steps on fresh weights, the
 * loss is smoothed by a bias-corrected moving average, and the test stops
 * when the smoothed loss exceeds four times its best. The suggestion is the
 * rate where the smoothed loss falls fastest (per decade of rate). */
#include "train.h"
#include "rng.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int train_find_lr(train_config *c, double lr_min, double lr_max, long long steps, const char *format,
                  const char *output)
{
    char msg[1024];
    openblas_set_num_threads((int)c->threads);
    dataset train, val, test;
    if (train_load_data(c, &train, &val, &test, msg, sizeof msg)) return cli_error(LRE_EXIT_FAIL, "%s", msg);
    size_t widths[MLP_MAX_LAYERS + 1];
    int nw = train_model_widths(c, &train, widths);
    size_t batch = (size_t)c->batch_size;
    mlp m;
    memset(&m, 0, sizeof m);
    int rc = LRE_EXIT_OK;
    double *lrs = malloc((size_t)steps * sizeof *lrs), *losses = malloc((size_t)steps * sizeof *losses);
    float *xb = malloc(batch * train.dim * sizeof(float));
    int32_t *yb = malloc(batch * sizeof(int32_t));
    lre_optim *opt = NULL;
    lre_schedule *ramp = NULL;
    lre_error err;
    if (!lrs || !losses || !xb || !yb || mlp_init(&m, widths, nw, batch, (uint64_t)c->seed)) {
        rc = cli_error(LRE_EXIT_FAIL, "out of memory");
        goto done;
    }
    /* the ramp: lr_min * (lr_max/lr_min)^(t/(steps-1)) */
    lre_param rp[] = {{"lr", lr_min, NULL, 0, NULL, NULL},
                      {"gamma", lr_max / lr_min, NULL, 0, NULL, NULL},
                      {"decay_steps", (double)(steps > 1 ? steps - 1 : 1), NULL, 0, NULL, NULL}};
    if (lre_schedule_new(&ramp, "exponential", rp, 3, NULL, 0, &err) ||
        lre_optim_new(&opt, c->optimizer, c->hps, (size_t)c->nhps, &err)) {
        rc = cli_error(LRE_EXIT_FAIL, "%s", err.msg);
        goto done;
    }
    if (lre_optim_add_group(opt, LRE_F32, m.params, m.grads, m.nparams, NULL, 0, NULL) ||
        lre_optim_schedule(opt, -1, "lr", ramp)) {
        rc = cli_error(LRE_EXIT_FAIL, "%s", lre_optim_errmsg(opt));
        goto done;
    }
    rng g;
    rng_seed(&g, (uint64_t)c->seed);
    double avg = 0, best = INFINITY, beta = 0.98;
    long long n = 0;
    for (long long t = 0; t < steps && !cli_interrupted; t++) {
        for (size_t i = 0; i < batch; i++) {
            size_t k = (size_t)(rng_next(&g) % train.n);
            memcpy(xb + i * train.dim, train.x + k * train.dim, train.dim * sizeof(float));
            yb[i] = train.y[k];
        }
        double loss = mlp_forward_backward(&m, xb, yb, batch, 1);
        if (lre_optim_step(opt)) break; /* a non-finite gradient: diverged */
        lre_optim_get(opt, 0, "lr", &lrs[n]);
        avg = beta * avg + (1 - beta) * loss;
        losses[n] = avg / (1 - pow(beta, (double)(t + 1)));
        if (!isfinite(losses[n])) break;
        if (losses[n] < best) best = losses[n];
        n++;
        if (losses[n - 1] > 4 * best) break;
    }
    if (n < 5) {
        rc = cli_error(LRE_EXIT_FAIL, "the loss diverged within %lld steps: try a smaller --min", n);
        goto done;
    }
    /* steepest descent of the smoothed loss per decade, over a 5-step window,
     * before the minimum */
    long long imin = 0;
    for (long long i = 0; i < n; i++)
        if (losses[i] < losses[imin]) imin = i;
    long long isteep = 0;
    double steepest = INFINITY;
    /* the first tenth is left out: the moving average is still settling there */
    for (long long i = n / 10 > 2 ? n / 10 : 2; i + 2 < n && i <= imin; i++) {
        double slope = (losses[i + 2] - losses[i - 2]) / (log10(lrs[i + 2]) - log10(lrs[i - 2]));
        if (slope < steepest) steepest = slope, isteep = i;
    }
    printf("lr range test: %lld steps from %.3g to %.3g%s\n", n, lrs[0], lrs[n - 1],
           n < steps ? " (stopped: the loss diverged)" : "");
    printf("  lowest smoothed loss %.4f at lr %.3g; a rate ten times smaller is %.3g\n", losses[imin], lrs[imin],
           lrs[imin] / 10);
    printf("  steepest descent %.3f per decade at lr %.3g\n", steepest, lrs[isteep]);
    printf("suggested lr=%.3g (where the loss falls fastest)\n", lrs[isteep]);
    if (format) {
        FILE *out = stdout;
        if (output && !(out = fopen(output, "w"))) {
            rc = cli_error(LRE_EXIT_FAIL, "cannot write %s", output);
            goto done;
        }
        const char *names[] = {"loss"};
        const double *vals[] = {losses};
        rc = cli_render(out, format, "lr range test: smoothed loss by learning rate", "lr", lrs, (size_t)n, 1, names,
                        vals, 1, 0);
        if (out != stdout) fclose(out);
    }
done:
    lre_schedule_release(ramp);
    lre_optim_free(opt);
    if (m.params) mlp_free(&m);
    free(lrs), free(losses), free(xb), free(yb);
    data_free(&train), data_free(&val), data_free(&test);
    return rc;
}
