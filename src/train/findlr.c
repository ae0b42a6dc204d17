/* findlr.c -- `lrengine find-lr`: the learning-rate range test (Smith 2017,
 * "Cyclical Learning Rates", section 3.3; the fast.ai variant): the rate grows
 * exponentially from lr_min to lr_max over `steps` steps on fresh weights,
 * the loss is smoothed by a bias-corrected moving average, and the test
 * stops when the smoothed loss exceeds four times its best. The suggestion
 * is the rate where the smoothed loss falls fastest (per decade of rate).
 * The result is the curve and the suggestion; the command line shows them. */
#include "rng.h"
#include "train.h"

#include <cblas.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static train_status failed(findlr_result *r, train_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
    return r->status = status;
}

void findlr_result_free(findlr_result *r)
{
    free(r->lrs);
    free(r->losses);
    r->lrs = r->losses = NULL;
}

/* Steepest descent of the smoothed loss per decade, over a 5-step window,
 * before the minimum; the first tenth is left out: the moving average is
 * still settling there. */
static void suggest(findlr_result *r)
{
    long long n = r->n, imin = 0, isteep = 0;
    const double *lrs = r->lrs, *losses = r->losses;
    for (long long i = 0; i < n; i++)
        if (losses[i] < losses[imin]) imin = i;
    double steepest = INFINITY;
    for (long long i = n / 10 > 2 ? n / 10 : 2; i + 2 < n && i <= imin; i++) {
        double slope = (losses[i + 2] - losses[i - 2]) / (log10(lrs[i + 2]) - log10(lrs[i - 2]));
        if (slope < steepest) steepest = slope, isteep = i;
    }
    r->lowest_loss = losses[imin];
    r->lowest_lr = lrs[imin];
    r->steepest_slope = steepest;
    r->suggestion = lrs[isteep];
}

train_status train_find_lr(train_config *c, const findlr_options *o, findlr_result *r)
{
    memset(r, 0, sizeof *r);
    char msg[TRAIN_MSG_SIZE];
    openblas_set_num_threads((int)c->threads);
    dataset train, val, test;
    if (train_load_data(c, &train, &val, &test, msg, sizeof msg)) return failed(r, TRAIN_FAILED, "%s", msg);
    size_t widths[MLP_MAX_LAYERS + 1];
    int nw = train_model_widths(c, &train, widths);
    size_t batch = (size_t)c->batch_size, steps = (size_t)o->steps;
    mlp m;
    memset(&m, 0, sizeof m);
    float *xb = NULL;
    int32_t *yb = NULL;
    lre_optim *opt = NULL;
    lre_schedule *ramp = NULL;
    lre_error err;
    if (batch > SIZE_MAX / sizeof(float) / (train.dim ? train.dim : 1)) {
        failed(r, TRAIN_FAILED, "a batch of %zu rows of %zu features is too large", batch, train.dim);
        goto done;
    }
    r->lrs = malloc(steps * sizeof *r->lrs);
    r->losses = malloc(steps * sizeof *r->losses);
    xb = malloc(batch * train.dim * sizeof(float));
    yb = malloc(batch * sizeof(int32_t));
    if (!r->lrs || !r->losses || !xb || !yb || mlp_init(&m, widths, nw, batch, (uint64_t)c->seed)) {
        failed(r, TRAIN_FAILED, "out of memory");
        goto done;
    }
    /* the ramp: lr_min * (lr_max/lr_min)^(t/(steps-1)) */
    lre_param rp[] = {{"lr", o->lr_min, NULL, 0, NULL, NULL},
                      {"gamma", o->lr_max / o->lr_min, NULL, 0, NULL, NULL},
                      {"decay_steps", (double)(steps > 1 ? steps - 1 : 1), NULL, 0, NULL, NULL}};
    if (lre_schedule_new(&ramp, "exponential", rp, 3, NULL, 0, &err) ||
        lre_optim_new(&opt, c->optimizer, c->hps, (size_t)c->nhps, &err)) {
        failed(r, TRAIN_FAILED, "%s", err.msg);
        goto done;
    }
    if (lre_optim_add_group(opt, LRE_F32, m.params, m.grads, m.nparams, NULL, 0, NULL) ||
        lre_optim_schedule(opt, -1, "lr", ramp)) {
        failed(r, TRAIN_FAILED, "%s", lre_optim_errmsg(opt));
        goto done;
    }
    rng g;
    rng_seed(&g, (uint64_t)c->seed);
    double avg = 0, best = INFINITY, beta = 0.98;
    for (size_t t = 0; t < steps; t++) {
        if (o->stop && *o->stop) {
            failed(r, TRAIN_STOPPED, "interrupted after %lld of %zu steps", r->n, steps);
            goto done;
        }
        for (size_t i = 0; i < batch; i++) {
            size_t k = (size_t)(rng_next(&g) % train.n);
            memcpy(xb + i * train.dim, train.x + k * train.dim, train.dim * sizeof(float));
            yb[i] = train.y[k];
        }
        double loss = mlp_forward_backward(&m, xb, yb, batch, 1);
        if (lre_optim_step(opt)) { /* a non-finite gradient: diverged */
            r->diverged = 1;
            break;
        }
        lre_optim_get(opt, 0, "lr", &r->lrs[r->n]);
        avg = beta * avg + (1 - beta) * loss;
        double smoothed = avg / (1 - pow(beta, (double)(t + 1)));
        if (!isfinite(smoothed)) {
            r->diverged = 1;
            break;
        }
        r->losses[r->n++] = smoothed;
        if (smoothed < best) best = smoothed;
        if (smoothed > 4 * best) {
            r->diverged = 1;
            break;
        }
    }
    if (r->n < 5) {
        failed(r, TRAIN_FAILED, "the loss diverged within %lld steps: try a smaller --min", r->n);
        goto done;
    }
    suggest(r);
done:
    lre_schedule_release(ramp);
    lre_optim_free(opt);
    if (m.params) mlp_free(&m);
    free(xb), free(yb);
    data_free(&train), data_free(&val), data_free(&test);
    return r->status;
}
