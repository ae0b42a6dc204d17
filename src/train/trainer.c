/* trainer.c -- `lrengine train`: the epoch loop. Data order comes from (seed,
 * epoch) alone, so a run resumed from a checkpoint, even mid-epoch, sees the
 * same batches as one that never stopped. */
#include "train.h"
#include "checkpoint.h"
#include "rng.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double train_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int train_load_data(const train_config *c, dataset *train, dataset *val, dataset *test, char *msg, size_t size)
{
    memset(val, 0, sizeof *val);
    if (c->csv) {
        if (data_load_csv(train, c->train_path, msg, size)) return -1;
        if (data_load_csv(test, c->test_path, msg, size)) return data_free(train), -1;
    } else {
        char img[1100], lab[1100];
        snprintf(img, sizeof img, "%s/train-images-idx3-ubyte.gz", c->data_dir);
        if (access(img, R_OK) != 0) {
            snprintf(msg, size, "Fashion-MNIST not found at %s: install it with 'apt-get install dataset-fashion-mnist' "
                     "(or set data.dir in the config)", c->data_dir);
            return -1;
        }
        snprintf(lab, sizeof lab, "%s/train-labels-idx1-ubyte.gz", c->data_dir);
        if (data_load_idx(train, img, lab, msg, size)) return -1;
        snprintf(img, sizeof img, "%s/t10k-images-idx3-ubyte.gz", c->data_dir);
        snprintf(lab, sizeof lab, "%s/t10k-labels-idx1-ubyte.gz", c->data_dir);
        if (data_load_idx(test, img, lab, msg, size)) return data_free(train), -1;
    }
    if (test->dim != train->dim) {
        snprintf(msg, size, "the test set has %zu features, the training set %zu", test->dim, train->dim);
        return data_free(train), data_free(test), -1;
    }
    if (c->validation && (size_t)c->validation >= train->n) {
        snprintf(msg, size, "config: data.validation (%lld) must be smaller than the training set (%zu)",
                 c->validation, train->n);
        return data_free(train), data_free(test), -1;
    }
    if (data_split(train, val, (size_t)c->validation)) {
        snprintf(msg, size, "out of memory splitting the validation set");
        return data_free(train), data_free(test), -1;
    }
    if (c->limit) data_truncate(train, (size_t)c->limit);
    if (c->test_limit) data_truncate(test, (size_t)c->test_limit);
    size_t classes = train->classes > test->classes ? train->classes : test->classes;
    train->classes = test->classes = val->classes = classes;
    return 0;
}

int train_model_widths(const train_config *c, const dataset *d, size_t *widths)
{
    int nw = 0;
    widths[nw++] = d->dim;
    for (int i = 0; i < c->nhidden; i++) widths[nw++] = c->hidden[i];
    widths[nw++] = d->classes;
    return nw;
}

/* ---- progress and metrics ---- */

typedef struct run_state {
    train_config *c;
    const train_options *o;
    lre_optim *opt;
    FILE *metrics;
    int tty;
    double epoch_start;
} run_state;

/* Appends `"name":value` of lr and every scheduled hyper-parameter. */
static void put_hps(FILE *f, run_state *r)
{
    double v;
    lre_optim_get(r->opt, 0, "lr", &v);
    fprintf(f, ",\"lr\":%.17g", v);
    for (int k = 0; k < r->c->schedules.n; k++) {
        if (!strcmp(r->c->schedules.name[k], "lr")) continue;
        lre_optim_get(r->opt, 0, r->c->schedules.name[k], &v);
        fprintf(f, ",\"%s\":%.17g", r->c->schedules.name[k], v);
    }
}

static void progress(run_state *r, long long epoch, size_t batch, size_t nbatches, double loss)
{
    if (!r->tty || r->o->quiet) return;
    double el = train_now() - r->epoch_start, rate = batch / (el > 0 ? el : 1e-9);
    double eta = (double)(nbatches - batch) / (rate > 0 ? rate : 1);
    int width = 30, fill = (int)((double)batch / (double)nbatches * width);
    double lr;
    lre_optim_get(r->opt, 0, "lr", &lr);
    fprintf(stderr, "\repoch %lld/%lld [%.*s%*s] %zu/%zu  %.0f steps/s  loss %.4f  lr %.3g  ETA %.0fs ", epoch,
            r->c->epochs, fill, "##############################", width - fill, "", batch, nbatches, rate, loss, lr,
            eta);
    fflush(stderr);
}

/* ---- the run ---- */

static uint64_t fingerprint(const train_config *c, const mlp *m, size_t ntrain)
{
    uint64_t h = 1469598103934665603ull;
    uint64_t parts[] = {(uint64_t)c->batch_size, (uint64_t)c->seed, (uint64_t)ntrain, m->nparams,
                        (uint64_t)m->nlayers};
    const unsigned char *p = (const unsigned char *)parts;
    for (size_t i = 0; i < sizeof parts; i++) h = (h ^ p[i]) * 1099511628211ull;
    for (int l = 0; l <= m->nlayers; l++) h = (h ^ m->size[l]) * 1099511628211ull;
    for (const char *s = c->optimizer; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The order of epoch e: a permutation from (seed, e). */
static void epoch_order(uint32_t *idx, uint32_t n, long long seed, long long epoch)
{
    rng g;
    rng_seed(&g, (uint64_t)seed * 0x9e3779b97f4a7c15ull + (uint64_t)epoch + 1);
    for (uint32_t i = 0; i < n; i++) idx[i] = i;
    rng_shuffle(&g, idx, n);
}

static int build_optimizer(run_state *r, mlp *m, size_t steps_per_epoch, char *msg, size_t size)
{
    train_config *c = r->c;
    lre_error err;
    if (lre_optim_new(&r->opt, c->optimizer, c->hps, (size_t)c->nhps, &err))
        return snprintf(msg, size, "%s", err.msg), -1;
    lre_optim_set_horizon(r->opt, (int64_t)steps_per_epoch, (int64_t)steps_per_epoch * c->epochs);
    if (lre_optim_add_group(r->opt, LRE_F32, m->params, m->grads, m->nparams, NULL, 0, NULL))
        return snprintf(msg, size, "%s", lre_optim_errmsg(r->opt)), -1;
    for (int k = 0; k < c->schedules.n; k++)
        if (lre_optim_schedule(r->opt, -1, c->schedules.name[k], c->schedules.s[k]))
            return snprintf(msg, size, "%s", lre_optim_errmsg(r->opt)), -1;
    lre_optim_set_threads(r->opt, (int)c->threads);
    return 0;
}

int train_run(train_config *c, const train_options *o)
{
    char msg[1024];
    if (o->epochs >= 0) c->epochs = o->epochs;
    if (o->seed >= 0) c->seed = o->seed;
    if (o->threads >= 0) c->threads = o->threads;
    openblas_set_num_threads((int)c->threads);
    dataset train, val, test;
    if (train_load_data(c, &train, &val, &test, msg, sizeof msg)) return cli_error(LRE_EXIT_FAIL, "%s", msg);
    size_t widths[MLP_MAX_LAYERS + 1];
    int nw = train_model_widths(c, &train, widths);
    mlp m;
    size_t batch = (size_t)c->batch_size;
    int rc = LRE_EXIT_OK;
    uint32_t *order = malloc(train.n * sizeof *order);
    float *xb = malloc(batch * train.dim * sizeof(float));
    int32_t *yb = malloc(batch * sizeof(int32_t));
    if (mlp_init(&m, widths, nw, batch > 1000 ? batch : 1000, (uint64_t)c->seed) || !order || !xb || !yb) {
        free(order), free(xb), free(yb);
        data_free(&train), data_free(&val), data_free(&test);
        return cli_error(LRE_EXIT_FAIL, "out of memory for the model");
    }
    size_t nbatches = (train.n + batch - 1) / batch;
    run_state r = {c, o, NULL, NULL, isatty(STDERR_FILENO), 0};
    ckpt_counters cc = {fingerprint(c, &m, train.n), 0, 0, 0, 0};
    if (build_optimizer(&r, &m, nbatches, msg, sizeof msg)) {
        rc = cli_error(LRE_EXIT_FAIL, "%s", msg);
        goto done;
    }
    if (o->resume && ckpt_read(o->resume, &cc, m.params, m.nparams, r.opt, msg, sizeof msg)) {
        rc = cli_error(LRE_EXIT_FAIL, "%s", msg);
        goto done;
    }
    if (o->metrics && !(r.metrics = fopen(o->metrics, o->resume ? "a" : "w"))) {
        rc = cli_error(LRE_EXIT_FAIL, "cannot write metrics file %s", o->metrics);
        goto done;
    }
    if (!o->quiet)
        printf("%s: %zu train, %zu validation, %zu test examples; %zu parameters; %s, batch %lld, %lld epochs%s\n",
               c->csv ? c->train_path : "fashion-mnist", train.n, val.n, test.n, m.nparams, c->optimizer,
               c->batch_size, c->epochs, o->resume ? " (resumed)" : "");
    double first_loss = NAN;
    for (long long epoch = (long long)cc.epoch; epoch < c->epochs; epoch++) {
        epoch_order(order, (uint32_t)train.n, c->seed, epoch);
        r.epoch_start = train_now();
        for (size_t b = cc.batch; b < nbatches; b++) {
            size_t lo = b * batch, nb = lo + batch <= train.n ? batch : train.n - lo;
            for (size_t i = 0; i < nb; i++) {
                memcpy(xb + i * train.dim, train.x + (size_t)order[lo + i] * train.dim, train.dim * sizeof(float));
                yb[i] = train.y[order[lo + i]];
            }
            double loss = mlp_forward_backward(&m, xb, yb, nb, 1);
            if (isnan(first_loss)) first_loss = loss;
            if (!isfinite(loss) || loss > 50 * (first_loss > 1 ? first_loss : 1)) {
                double lr;
                lre_optim_get(r.opt, 0, "lr", &lr);
                if (r.tty && !o->quiet) fputc('\n', stderr);
                rc = cli_error(LRE_EXIT_FAIL, "loss %s (%g) at step %lld (lr %g); stopping%s",
                               isfinite(loss) ? "exploded" : "is not finite", loss,
                               (long long)lre_optim_step_count(r.opt), lr,
                               o->checkpoint ? ", the last good checkpoint is kept" : "");
                goto done;
            }
            if (lre_optim_step(r.opt)) {
                rc = cli_error(LRE_EXIT_FAIL, "%s", lre_optim_errmsg(r.opt));
                goto done;
            }
            cc.batch = b + 1;
            cc.loss_sum += loss;
            cc.loss_count++;
            long long step = (long long)lre_optim_step_count(r.opt);
            if (r.metrics && step % c->log_every == 0) {
                fprintf(r.metrics, "{\"step\":%lld,\"epoch\":%lld,\"loss\":%.17g", step, epoch + 1, loss);
                put_hps(r.metrics, &r);
                fputs("}\n", r.metrics);
            }
            if (b % 10 == 0 || b + 1 == nbatches) progress(&r, epoch + 1, b + 1, nbatches, cc.loss_sum / (double)cc.loss_count);
            if (cli_interrupted) {
                if (r.tty && !o->quiet) fputc('\n', stderr);
                if (o->checkpoint && ckpt_write(o->checkpoint, &cc, m.params, m.nparams, r.opt, msg, sizeof msg))
                    cli_error(LRE_EXIT_FAIL, "%s", msg);
                cli_error(LRE_EXIT_FAIL, "interrupted at step %lld%s", step,
                          o->checkpoint ? "; checkpoint written, continue with --resume" : "");
                rc = 130;
                goto done;
            }
        }
        if (r.tty && !o->quiet) fputc('\n', stderr);
        double vloss = 0, vacc = 0, secs = train_now() - r.epoch_start;
        size_t correct = 0;
        if (val.n) {
            mlp_evaluate(&m, val.x, val.y, val.n, &vloss, &correct);
            vloss /= (double)val.n;
            vacc = (double)correct / (double)val.n;
        }
        double train_loss = cc.loss_count ? cc.loss_sum / (double)cc.loss_count : NAN;
        double lr;
        lre_optim_get(r.opt, 0, "lr", &lr);
        if (!o->quiet)
            printf("epoch %lld/%lld  train_loss=%.4f  val_loss=%.4f  val_acc=%.4f  lr=%.4g  (%.2f s)\n", epoch + 1,
                   c->epochs, train_loss, vloss, vacc, lr, secs);
        fflush(stdout);
        if (r.metrics) {
            fprintf(r.metrics, "{\"epoch\":%lld,\"step\":%lld,\"train_loss\":%.17g,\"val_loss\":%.17g,\"val_acc\":%.17g",
                    epoch + 1, (long long)lre_optim_step_count(r.opt), train_loss, vloss, vacc);
            put_hps(r.metrics, &r);
            fprintf(r.metrics, ",\"seconds\":%.3f}\n", secs);
            fflush(r.metrics);
        }
        if (c->observe != OBSERVE_NONE && val.n &&
            lre_optim_observe(r.opt, c->observe == OBSERVE_VAL_LOSS ? vloss : vacc)) {
            rc = cli_error(LRE_EXIT_FAIL, "%s", lre_optim_errmsg(r.opt));
            goto done;
        }
        cc.epoch = (uint64_t)epoch + 1;
        cc.batch = 0;
        cc.loss_sum = 0;
        cc.loss_count = 0;
        if (o->checkpoint && ckpt_write(o->checkpoint, &cc, m.params, m.nparams, r.opt, msg, sizeof msg)) {
            rc = cli_error(LRE_EXIT_FAIL, "%s", msg);
            goto done;
        }
    }
    {
        double tloss;
        size_t correct;
        mlp_evaluate(&m, test.x, test.y, test.n, &tloss, &correct);
        printf("final test_acc=%.4f test_loss=%.4f\n", (double)correct / (double)test.n, tloss / (double)test.n);
    }
done:
    if (r.metrics) fclose(r.metrics);
    lre_optim_free(r.opt);
    mlp_free(&m);
    free(order), free(xb), free(yb);
    data_free(&train), data_free(&val), data_free(&test);
    return rc;
}
