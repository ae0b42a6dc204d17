/* findlr.c -- `lrengine find-lr`: the learning-rate range test (Smith 2017,
 * "Cyclical Learning Rates", section 3.3; the fast.ai variant): the rate grows
 * exponentially from lr_min to lr_max over `steps` steps on fresh weights,
 * the loss is smoothed by a bias-corrected moving average (beta 0.98), and the
 * test stops when the smoothed loss exceeds four times its best. The rules
 * that turn the curve into a rate are the ones fastai and PyTorch Lightning
 * ship, on the same smoothed curve:
 *   valley, minimum, slide: fastai 2.7's lr_find (fastai/callback/schedule.py)
 *     on points [planned/10, n-5) of the curve;
 *   steepest: Lightning 2's _LRFinder.suggestion (tuner/lr_finder.py) on points
 *     [10, n-1), the gradient taken against log10(lr) as its exponential mode
 *     does (torch.gradient with coordinates: second-order central differences
 *     inside, one-sided at the ends).
 * The result is the curve and every rule's pick; the command line shows them. */
#include "blas.h"
#include "fileio.h"
#include "rng.h"
#include "train.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const findlr_rule_names[FINDLR_NRULES + 1] = {"valley", "steepest", "minimum", "slide", NULL};

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

/* ---- the rules ---- */

/* fastai's valley: the longest strictly decreasing run of the loss (a
 * subsequence, not necessarily contiguous), first of the longest when
 * several tie, and the point 1/3 + 1/6 of the way along it. fastai computes
 * the lengths in O(n^2); this is the same lds[i] (the longest strictly
 * decreasing subsequence ending at i) by patience sorting in O(n log n).
 * Index -1 (a curve that never falls) is Python's: the last point. */
static void rule_valley(const double *loss, long long n, findlr_suggestion *out)
{
    if (n < 1) return;
    double *tails = malloc((size_t)n * sizeof *tails); /* tails[k]: the largest last loss of a run of k+1 */
    if (!tails) return;
    long long len = 0, max_end = 0, max_len = 0;
    for (long long i = 0; i < n; i++) {
        long long lo = 0, hi = len; /* the first k with tails[k] <= loss[i] */
        while (lo < hi) {
            long long mid = lo + (hi - lo) / 2;
            if (tails[mid] > loss[i]) lo = mid + 1;
            else hi = mid;
        }
        tails[lo] = loss[i];
        if (lo == len) len++;
        if (lo + 1 > max_len) max_len = lo + 1, max_end = i;
    }
    free(tails);
    long long max_start = max_end - max_len;
    double sections = (double)(max_end - max_start) / 3;
    long long idx = max_start + (long long)sections + (long long)(sections / 2);
    if (idx < 0) idx += n;
    out->ok = 1;
    out->index = idx;
}

/* numpy.gradient with unit spacing: central inside, one-sided at the ends. */
static double unit_gradient(const double *f, long long n, long long i)
{
    if (i == 0) return f[1] - f[0];
    if (i == n - 1) return f[n - 1] - f[n - 2];
    return (f[i + 1] - f[i - 1]) / 2;
}

/* fastai's slide (lr_diff 15, thresh 0.005, adjust_value 1): from the end of
 * the curve, a window of 15 points slides left while the loss's gradient
 * differs by more than the threshold between its two ends; the suggestion is
 * the left end where it stops. */
static void rule_slide(const double *loss, long long n, findlr_suggestion *out)
{
    const long long lr_diff = 15;
    const double thresh = 0.005;
    if (n < lr_diff + 1) return; /* fastai indexes lrs[-16]: an IndexError */
    long long r = n - 1, l = r - lr_diff, pick = l;
    while (l >= 0 && fabs(unit_gradient(loss, n, r) - unit_gradient(loss, n, l)) > thresh) {
        pick = l;
        r--, l--;
    }
    out->ok = 1;
    out->index = pick;
}

/* Lightning's steepest descent on points [10, n-1): the smallest gradient
 * against log10(lr) (torch.gradient(losses, spacing=[log10(lrs)])). */
static void rule_steepest(const double *lrs, const double *loss, long long n, findlr_suggestion *out, double *slope)
{
    const long long begin = 10, end = n - 1;
    if (end - begin < 2) return;
    long long best = -1;
    double bestg = INFINITY;
    for (long long i = begin; i < end; i++) {
        double g;
        if (i == begin) {
            g = (loss[i + 1] - loss[i]) / (log10(lrs[i + 1]) - log10(lrs[i]));
        } else if (i == end - 1) {
            g = (loss[i] - loss[i - 1]) / (log10(lrs[i]) - log10(lrs[i - 1]));
        } else {
            double hl = log10(lrs[i]) - log10(lrs[i - 1]), hr = log10(lrs[i + 1]) - log10(lrs[i]);
            g = (hl * hl * loss[i + 1] - hr * hr * loss[i - 1] + (hr * hr - hl * hl) * loss[i]) / (hl * hr * (hl + hr));
        }
        if (g < bestg || best < 0) bestg = g, best = i;
    }
    out->ok = 1;
    out->index = best;
    *slope = bestg;
}

static void suggest_all(const double *lrs, const double *losses, long long n, long long planned,
                        findlr_suggestion out[FINDLR_NRULES], double *slope)
{
    memset(out, 0, FINDLR_NRULES * sizeof *out);
    *slope = NAN;
    rule_steepest(lrs, losses, n, &out[FINDLR_STEEPEST], slope);
    /* fastai's window: recorder.lrs[num_it//10:-5] */
    long long lo = planned / 10, hi = n - 5;
    if (hi > lo) {
        rule_valley(losses + lo, hi - lo, &out[FINDLR_VALLEY]);
        rule_slide(losses + lo, hi - lo, &out[FINDLR_SLIDE]);
        long long imin = 0;
        for (long long i = 1; i < hi - lo; i++)
            if (losses[lo + i] < losses[lo + imin]) imin = i;
        out[FINDLR_MINIMUM].ok = 1;
        out[FINDLR_MINIMUM].index = imin;
        for (int k = 0; k < FINDLR_NRULES; k++)
            if (k != FINDLR_STEEPEST && out[k].ok) out[k].index += lo;
    }
    for (int k = 0; k < FINDLR_NRULES; k++)
        if (out[k].ok) out[k].lr = lrs[out[k].index] / (k == FINDLR_MINIMUM ? 10 : 1);
}

void findlr_suggest(const double *lrs, const double *losses, long long n, long long planned,
                    findlr_suggestion out[FINDLR_NRULES])
{
    double slope;
    suggest_all(lrs, losses, n, planned, out, &slope);
}

/* The figures around the rules: the lowest point, the steepest slope. */
static void summarise(findlr_result *r, long long planned)
{
    long long imin = 0;
    for (long long i = 1; i < r->n; i++)
        if (r->losses[i] < r->losses[imin]) imin = i;
    r->lowest_loss = r->losses[imin];
    r->lowest_lr = r->lrs[imin];
    suggest_all(r->lrs, r->losses, r->n, planned, r->rules, &r->steepest_slope);
    r->chosen = FINDLR_VALLEY;
    for (int k = 0; k < FINDLR_NRULES && !r->rules[r->chosen].ok; k++)
        if (r->rules[k].ok) r->chosen = k;
    r->suggestion = r->rules[r->chosen].ok ? r->rules[r->chosen].lr : r->lowest_lr / 10;
}

train_status train_find_lr(train_config *c, const findlr_options *o, findlr_result *r)
{
    memset(r, 0, sizeof *r);
    char msg[TRAIN_MSG_SIZE];
    if (lre__blas_ready((int)c->threads, msg, sizeof msg)) return failed(r, TRAIN_FAILED, "%s", msg);
    dataset train, val, test;
    if (train_load_data(c, &train, &val, &test, msg, sizeof msg)) return failed(r, TRAIN_FAILED, "%s", msg);
    size_t widths[MLP_MAX_LAYERS + 1];
    int nw = train_model_widths(c, &train, widths, msg, sizeof msg);
    if (nw < 0) {
        data_free(&train), data_free(&val), data_free(&test);
        return failed(r, TRAIN_FAILED, "%s", msg);
    }
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
    /* The config's clipping changes how far a rate moves the weights, so the
     * test runs with it, as fastai's and Lightning's finders run the
     * trainer's; its guard is left out: it would skip the very steps whose
     * loss blows up, which the test looks for. */
    snprintf(r->clip, sizeof r->clip, "%s", c->clip);
    snprintf(r->guard, sizeof r->guard, "%s", c->guard);
    if (lre_optim_add_group(opt, LRE_F32, m.params, m.grads, m.nparams, NULL, 0, NULL) ||
        lre_optim_schedule(opt, -1, "lr", ramp) ||
        (c->clip[0] && lre_optim_set_clip(opt, c->clip, c->clip_params, (size_t)c->nclip))) {
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
            data_rows(&train, NULL, k, 1, xb + i * train.dim, yb + i);
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
    r->steps_per_epoch = (long long)((train.n + batch - 1) / batch);
    summarise(r, o->steps);
done:
    lre_schedule_release(ramp);
    lre_optim_free(opt);
    if (m.params) mlp_free(&m);
    free(xb), free(yb);
    data_free(&train), data_free(&val), data_free(&test);
    return r->status;
}

/* ---- a saved curve ---- */

train_status findlr_read_curve(const char *path, long long planned, findlr_result *r)
{
    memset(r, 0, sizeof *r);
    FILE *f = fileio_fopen_read(path);
    if (!f) return failed(r, TRAIN_FAILED, "cannot read %s: %s", path, strerror(errno));
    char line[256];
    long long cap = 0, lineno = 0;
    size_t len;
    int got;
    while ((got = fileio_getline(f, line, sizeof line, &len)) != 0 && got != FILEIO_LINE_ERROR) { /* (its errno below) */
        lineno++;
        if (got < 0) {
            fclose(f);
            return failed(r, TRAIN_FAILED, "%s:%lld: %s: expected 'lr,loss'", path, lineno,
                          got == FILEIO_LINE_LONG ? "a line longer than 255 bytes" : "a NUL byte");
        }
        if (lineno == 1 && !strncmp(line, "lr,", 3)) continue; /* the header */
        char *end;
        double lr = strtod(line, &end), loss = NAN;
        if (end != line && *end == ',') loss = strtod(end + 1, &end);
        while (*end == '\r' || *end == '\n' || *end == ' ') end++;
        if (*end || !(lr > 0) || !isfinite(lr) || !isfinite(loss)) {
            fclose(f);
            return failed(r, TRAIN_FAILED, "%s:%lld: expected 'lr,loss' with a positive rate and a finite loss", path,
                          lineno);
        }
        if (r->n && !(lr > r->lrs[r->n - 1])) { /* the rules read slopes per decade of a rising ramp */
            fclose(f);
            return failed(r, TRAIN_FAILED, "%s:%lld: the rate %g does not rise (the line before: %g): a range test's rates increase",
                          path, lineno, lr, r->lrs[r->n - 1]);
        }
        if (r->n == FINDLR_MAX_POINTS) {
            fclose(f);
            return failed(r, TRAIN_FAILED, "%s:%lld: more than %d points (a range test takes at most --steps 1e6)", path,
                          lineno, FINDLR_MAX_POINTS);
        }
        if (r->n == cap) {
            cap = cap ? 2 * cap : 256;
            double *a = realloc(r->lrs, (size_t)cap * sizeof *a), *b = a ? realloc(r->losses, (size_t)cap * sizeof *b) : NULL;
            if (a) r->lrs = a;
            if (b) r->losses = b;
            if (!a || !b) {
                fclose(f);
                return failed(r, TRAIN_FAILED, "out of memory reading %s", path);
            }
        }
        r->lrs[r->n] = lr;
        r->losses[r->n++] = loss;
    }
    int e = errno;
    fclose(f);
    if (got == FILEIO_LINE_ERROR) return failed(r, TRAIN_FAILED, "reading %s: %s", path, strerror(e));
    if (r->n < 2) return failed(r, TRAIN_FAILED, "%s: a curve needs at least 2 points, it has %lld", path, r->n);
    summarise(r, planned > 0 ? planned : r->n);
    return r->status = TRAIN_OK;
}

/* ---- the config at the rate found ---- */

/* The highest rate of the config's lr schedule over its planned run (a
 * preview: the schedule's state is left as it was), or NaN. */
static double schedule_peak(const train_config *c, long long steps, char *msg, size_t size)
{
    for (int k = 0; k < c->schedules.n; k++) {
        if (strcmp(c->schedules.name[k], "lr")) continue;
        size_t n = steps > 0 && steps < 100000000 ? (size_t)steps : 1;
        double *v = malloc(n * sizeof *v), peak = NAN;
        lre_error err;
        if (!v) snprintf(msg, size, "out of memory");
        else if (lre_schedule_curve(c->schedules.s[k], v, n, NULL, 0, &err)) snprintf(msg, size, "%s", err.msg);
        else
            for (size_t i = 0; i < n; i++)
                if (isfinite(v[i]) && !(v[i] <= peak)) peak = v[i];
        free(v);
        return peak;
    }
    return 0; /* no lr schedule */
}

int findlr_write_config(const train_config *c, const char *config_path, double lr, long long steps_per_epoch,
                        const char *why, const char *out_path, char *msg, size_t size)
{
    msg[0] = 0;
    double peak = schedule_peak(c, steps_per_epoch * c->epochs, msg, size);
    if (!(peak >= 0)) {
        if (!msg[0]) snprintf(msg, size, "the config's lr schedule has no positive rate to scale");
        return -1;
    }
    char tmp[4200];
    int len = snprintf(tmp, sizeof tmp, "%s.tmp", out_path);
    if (len < 0 || (size_t)len >= sizeof tmp) /* a cut name would be another file's */
        return snprintf(msg, size, "%.60s...: a path of more than %zu bytes", out_path, sizeof tmp - 5), -1;
    FILE *in = fopen(config_path, "rb");
    if (!in) return snprintf(msg, size, "cannot read %s: %s", config_path, strerror(errno)), -1;
    FILE *out = fopen(tmp, "w");
    if (!out) {
        snprintf(msg, size, "cannot write %s: %s", tmp, strerror(errno));
        fclose(in);
        return -1;
    }
    /* the config's source as the body of a function, its first line on the
     * wrapper's line so that error messages keep their line numbers */
    fputs("local lre_config = (function(...) ", out);
    int ch, last = '\n';
    if ((ch = fgetc(in)) == '#') fputs("-- ", out); /* a #! line is a comment there */
    for (; ch != EOF; ch = fgetc(in)) {
        if (ch == 0) {
            snprintf(msg, size, "%s holds a NUL byte", config_path);
            break;
        }
        fputc(ch, out);
        last = ch;
    }
    int bad = ferror(in) || msg[0];
    fclose(in);
    fprintf(out, "%send)(...)\n", last == '\n' ? "" : "\n");
    fprintf(out, "-- Written by lrengine find-lr from %s: lr = %.17g (%s).\n", c->name, lr, why);
    fprintf(out, "local lr = %.17g\n", lr);
    fputs("lre_config.optimizer = lre_config.optimizer or {}\n"
          "lre_config.optimizer.lr = lr\n", out);
    if (peak > 0) {
        fprintf(out, "-- The config's lr schedule peaks at %.17g in its planned run: scaled to peak at lr.\n", peak);
        fprintf(out, "local factor = lr / %.17g\n", peak);
        fputs("local S = require(\"lrengine\").schedule\n"
              "local s = lre_config.schedule\n"
              "if type(s) == \"table\" and s.at == nil then -- schedules by hyper-parameter\n"
              "  s.lr = S.scale{s.lr, factor = factor}\n"
              "else\n"
              "  lre_config.schedule = S.scale{s, factor = factor}\n"
              "end\n", out);
    }
    fputs("return lre_config\n", out);
    bad |= ferror(out);
    if (fclose(out) || bad || rename(tmp, out_path)) {
        if (!msg[0]) snprintf(msg, size, "cannot write %s: %s", out_path, strerror(errno ? errno : EIO));
        remove(tmp);
        return -1;
    }
    return 0;
}
