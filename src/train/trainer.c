/* trainer.c -- `lrengine train`: the epoch loop. Data order comes from (seed,
 * epoch) alone, so a run resumed from a checkpoint, even mid-epoch, sees the
 * same batches as one that never stopped. The loop reports through the
 * options' events and prints nothing. */
#include "blas.h"
#include "checkpoint.h"
#include "eventlog.h"
#include "continue.h"
#include "rng.h"
#include "train.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct run_state {
    const train_config *c;
    const train_options *o;
    train_result *r;
    lre_optim *opt;
    FILE *metrics;
    double epoch_start;
    /* the event log; a write that fails is reported at the next step boundary */
    eventlog log;
    char log_path[1100];
    int log_failed;
    long long steps_per_epoch;
    long long guard_skips; /* steps the guard skipped in this run (this process) */
} run_state;

static train_status failed(train_result *r, train_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
    return r->status = status;
}

static double current(lre_optim *opt, const char *hp)
{
    double v = NAN;
    lre_optim_get(opt, 0, hp, &v);
    return v;
}

/* ---- the metrics file: one JSON object per line, every write checked ---- */

/* Appends `"name":value` of lr and every scheduled hyper-parameter. */
static void put_hps(run_state *s)
{
    fprintf(s->metrics, ",\"lr\":%.17g", current(s->opt, "lr"));
    double d; /* Prodigy's distance estimate: the rate it really takes is d * lr */
    if (!strcmp(lre_optim_kind(s->opt), "prodigy") && lre_optim_get(s->opt, -1, "d", &d) == LRE_OK)
        fprintf(s->metrics, ",\"d\":%.17g", d);
    for (int k = 0; k < s->c->schedules.n; k++) {
        if (!strcmp(s->c->schedules.name[k], "lr")) continue;
        fprintf(s->metrics, ",\"%s\":%.17g", s->c->schedules.name[k], current(s->opt, s->c->schedules.name[k]));
    }
}

/* The step's gradient norm before clipping (when the optimizer scanned its
 * gradients: a policy that checks them, clipping or a guard). */
static void put_clip(run_state *s)
{
    double n = lre_optim_grad_norm(s->opt);
    if (isfinite(n)) fprintf(s->metrics, ",\"grad_norm\":%.17g", n);
}

/* The metrics file, opened at its first line: a run that fails before it
 * has anything to report leaves an existing file as it was. */
static FILE *metrics_file(run_state *s)
{
    if (!s->metrics && !(s->metrics = fopen(s->o->metrics, s->o->resume ? "a" : "w")))
        failed(s->r, TRAIN_FAILED, "cannot write metrics file %s: %s", s->o->metrics, strerror(errno));
    return s->metrics;
}

static int metrics_flush(run_state *s)
{
    if (!ferror(s->metrics) && fflush(s->metrics) == 0) return 0;
    failed(s->r, TRAIN_FAILED, "cannot write metrics file %s: %s", s->o->metrics, strerror(errno ? errno : EIO));
    return -1;
}

/* ---- the event log (eventlog.h) ---- */

/* Writes ev (its path replaced by node when not NULL) to the log and shows
 * it through the events; a failure stops the run at its next step boundary. */
static void log_event(run_state *s, const lre_event *ev, const char *node)
{
    lre_event shown = *ev;
    if (node) shown.path = node;
    const train_events *e = &s->o->events;
    if (e->event) e->event(e->ud, &shown);
    if (!s->log.path || s->log_failed) return;
    long long epoch = s->steps_per_epoch > 0 ? (long long)ev->step / s->steps_per_epoch + 1 : 0;
    if (eventlog_write(&s->log, &shown, NULL, epoch, s->r->msg, sizeof s->r->msg)) {
        s->log_failed = 1;
        s->r->status = TRAIN_FAILED;
    }
}

/* The run's own events (node "run"): resumes, continuations, skipped steps.
 * The hook for the job's code that changes a run's plan. */
static void run_event(run_state *s, const char *kind, long long step, const lre_event_field *f, size_t n)
{
    lre_event ev = {kind, "run", (int64_t)step, f, n};
    log_event(s, &ev, NULL);
}

/* A change of the run's plan (a resume, a continuation): shown through the
 * events and logged as {"event": kind, "node": hparam or "run", "op",
 * "value", "detail", "checkpoint"}. Every plan event goes through here. */
static void report_plan(run_state *s, const train_plan_event *e)
{
    const train_events *ev = &s->o->events;
    if (ev->plan) ev->plan(ev->ud, e);
    lre_event_field f[4];
    size_t n = 0;
    f[n++] = (lre_event_field){"op", 0, e->op ? e->op : ""};
    f[n++] = (lre_event_field){"value", e->value, NULL};
    if (e->detail) f[n++] = (lre_event_field){"detail", 0, e->detail};
    if (s->o->resume) f[n++] = (lre_event_field){"checkpoint", 0, s->o->resume};
    lre_event le = {e->kind, e->hparam ? e->hparam : "run", (int64_t)e->step, f, n};
    log_event(s, &le, NULL);
}

/* A schedule's event, logged under "NAME/PATH" (lr/warmup/cosine) for each
 * hyper-parameter its tree drives (lre_optim_set_events: one onecycle
 * object driving lr and momentum gives lr/onecycle and momentum/onecycle);
 * the job schedules every group alike, a group of its own would read
 * "NAME:gK/PATH". The optimizer reports the schedules in force, whichever
 * tree a resumed plan gave it. */
static void on_schedule_event(void *ud, const lre_event *ev, const char *hparam, int group)
{
    char node[1200];
    if (!hparam) snprintf(node, sizeof node, "%s", ev->path);
    else if (group < 0) snprintf(node, sizeof node, "%s/%s", hparam, ev->path);
    else snprintf(node, sizeof node, "%s:g%d/%s", hparam, group + 1, ev->path);
    log_event(ud, ev, node);
}

static void plan_reported(void *ud, const train_plan_event *e) { report_plan(ud, e); }

/* ---- the run ---- */

/* What a checkpoint must match: the data's size, the model's shape, the
 * batch size, the seed and the optimizer (two CRCs make 64 bits). */
static uint64_t fingerprint(const train_config *c, const size_t *widths, int nw, size_t ntrain)
{
    uint64_t parts[4 + MLP_MAX_LAYERS + 1] = {(uint64_t)c->batch_size, (uint64_t)c->seed, (uint64_t)ntrain,
                                              (uint64_t)(nw - 1)};
    for (int l = 0; l < nw; l++) parts[4 + l] = widths[l];
    uint32_t lo = lre_crc32(0, parts, sizeof parts);
    uint32_t hi = lre_crc32(lre_crc32(lo, c->optimizer, strlen(c->optimizer)), parts, sizeof parts);
    return (uint64_t)hi << 32 | lo;
}

/* The order of epoch e: a permutation from (seed, e). */
static void epoch_order(uint32_t *idx, uint32_t n, long long seed, long long epoch)
{
    rng g;
    rng_seed(&g, (uint64_t)seed * 0x9e3779b97f4a7c15ull + (uint64_t)epoch + 1);
    for (uint32_t i = 0; i < n; i++) idx[i] = i;
    rng_shuffle(&g, idx, n);
}

/* The model's parameters as optimizer groups: one group, or for Muon each
 * layer's weights as an out x in matrix (Muon's rule) and its biases as a
 * vector (its AdamW rule), as muon.py's users split them. */
static int add_groups(lre_optim *o, mlp *m)
{
    if (strcmp(lre_optim_kind(o), "muon"))
        return lre_optim_add_group(o, LRE_F32, m->params, m->grads, m->nparams, NULL, 0, NULL);
    for (int l = 0; l < m->nlayers; l++)
        if (lre_optim_add_matrix(o, LRE_F32, m->w[l], m->gw[l], m->size[l + 1], m->size[l], NULL, 0, NULL) ||
            lre_optim_add_group(o, LRE_F32, m->b[l], m->gb[l], m->size[l + 1], NULL, 0, NULL))
            return -1;
    return 0;
}

static int build_optimizer(run_state *s, mlp *m, size_t steps_per_epoch)
{
    const train_config *c = s->c;
    lre_error err;
    if (lre_optim_new(&s->opt, c->optimizer, c->hps, (size_t)c->nhps, &err))
        return failed(s->r, TRAIN_FAILED, "%s", err.msg), -1;
    lre_optim_set_horizon(s->opt, (int64_t)steps_per_epoch, (int64_t)steps_per_epoch * c->epochs);
    if (add_groups(s->opt, m)) return failed(s->r, TRAIN_FAILED, "%s", lre_optim_errmsg(s->opt)), -1;
    for (int k = 0; k < c->schedules.n; k++)
        if (lre_optim_schedule(s->opt, -1, c->schedules.name[k], c->schedules.s[k]))
            return failed(s->r, TRAIN_FAILED, "%s", lre_optim_errmsg(s->opt)), -1;
    if (c->average[0] && lre_optim_set_average(s->opt, c->average, c->avg_params, (size_t)c->navg))
        return failed(s->r, TRAIN_FAILED, "%s", lre_optim_errmsg(s->opt)), -1;
    if (train_clip_apply(c, s->opt)) return failed(s->r, TRAIN_FAILED, "%s", lre_optim_errmsg(s->opt)), -1;
    lre_optim_set_threads(s->opt, (int)c->threads);
    lre_optim_set_nonfinite(s->opt, (lre_nonfinite)c->nonfinite);
    return 0;
}

/* ---- evaluation and checkpoints: schedule-free's eval mode, averages ---- */

/* Schedule-free optimizers train at y and evaluate at x: the job moves the
 * parameters to x (lre_optim_eval) for every evaluation and checkpoint, and
 * back after; for other optimizers both calls do nothing. */
static int eval_mode(run_state *s, int eval)
{
    if (eval ? lre_optim_eval(s->opt) : lre_optim_train(s->opt))
        return failed(s->r, TRAIN_FAILED, "%s", lre_optim_errmsg(s->opt)), -1;
    return 0;
}

/* Loss (summed) and correct count of the model on n rows; with `averaged`,
 * of the averaged weights, swapped in and back (nothing allocated). The
 * average follows the training weights, so a schedule-free optimizer in
 * eval mode goes back to y for the swap, and to x after. */
static int evaluate(run_state *s, mlp *m, const dataset *d, int averaged, double *loss, size_t *correct)
{
    *loss = 0, *correct = 0;
    int at_x = averaged && lre_optim_is_eval(s->opt);
    if (at_x && eval_mode(s, 0)) return -1;
    if (averaged && lre_optim_swap_average(s->opt)) return failed(s->r, TRAIN_FAILED, "%s", lre_optim_errmsg(s->opt)), -1;
    if (d->n) mlp_evaluate(m, d->x, d->y, d->n, loss, correct);
    if (averaged && lre_optim_swap_average(s->opt)) return failed(s->r, TRAIN_FAILED, "%s", lre_optim_errmsg(s->opt)), -1;
    if (at_x && eval_mode(s, 1)) return -1;
    return 0;
}

/* A checkpoint written in eval mode (the reference's advice for
 * schedule-free: the saved weights are x); training goes on at y. */
static int checkpoint(run_state *s, const ckpt_counters *cc, mlp *m, const train_plan *plan, char *msg, size_t size)
{
    if (eval_mode(s, 1)) return snprintf(msg, size, "%s", s->r->msg), -1;
    int rc = ckpt_write(s->o->checkpoint, cc, m->params, m->nparams, s->opt, plan, msg, size);
    if (eval_mode(s, 0)) return snprintf(msg, size, "%s", s->r->msg), -1;
    return rc;
}

/* Ctrl-C (o->stop) seen at a step boundary: the run stops there, with a
 * checkpoint when it keeps them. */
static void interrupted(run_state *s, const ckpt_counters *cc, mlp *m, const train_plan *plan, char *msg, size_t size)
{
    long long at = (long long)lre_optim_step_count(s->opt);
    if (s->o->checkpoint && checkpoint(s, cc, m, plan, msg, size))
        failed(s->r, TRAIN_STOPPED, "interrupted at step %lld, and %s", at, msg);
    else
        failed(s->r, TRAIN_STOPPED, "interrupted at step %lld%s", at,
               s->o->checkpoint ? "; checkpoint written, continue with --resume" : "");
}

/* --resume-hparams config: the checkpoint's model, state buffers, counters
 * and step, under this config's hyper-parameters. An optimizer shaped like
 * the one that wrote the checkpoint reads it (the run's own, or one built
 * from o->resume_from when its schedules or buffers differ); it then takes
 * the config's constants (lre_optim_set) and schedules (lre_optim_schedule);
 * when it is not the run's optimizer, its state moves there through a save
 * and a load, which checks that nothing else differs (a switch such as
 * amsgrad). The config's schedules start from their own state unless they
 * are the ones that wrote the checkpoint. */
static int resume_with_config(run_state *s, mlp *m, size_t steps_per_epoch, ckpt_counters *cc, char *msg, size_t size)
{
    const char *const *names = lre_optim_hparams(s->opt);
    double values[64];
    int n = 0;
    while (names[n] && n < 64) {
        values[n] = NAN; /* scheduled: the schedule gives it */
        if (!lre_optim_get_schedule(s->opt, 0, names[n])) lre_optim_get(s->opt, 0, names[n], &values[n]);
        n++;
    }
    run_state loader = *s;
    if (s->o->resume_from) {
        loader.c = s->o->resume_from;
        loader.opt = NULL;
        if (strcmp(s->o->resume_from->optimizer, s->c->optimizer)) {
            snprintf(msg, size, "--resume-config %s has optimizer %s, this config %s", s->o->resume_from->name,
                     s->o->resume_from->optimizer, s->c->optimizer);
            return -1;
        }
        if (build_optimizer(&loader, m, steps_per_epoch)) {
            snprintf(msg, size, "--resume-config %.200s: %.700s", s->o->resume_from->name, s->r->msg);
            return -1;
        }
    }
    int rc = ckpt_read(s->o->resume, cc, m->params, m->nparams, loader.opt, NULL, msg, size);
    if (rc && !s->o->resume_from && strstr(msg, "schedule")) {
        size_t k = strlen(msg);
        snprintf(msg + k, size - k, " (with --resume-hparams config, --resume-config names the config that wrote it)");
    }
    for (int k = 0; k < n && !rc; k++) {
        lre_schedule *sched = lre_optim_get_schedule(s->opt, 0, names[k]);
        if (sched ? lre_optim_schedule(loader.opt, -1, names[k], sched) : lre_optim_set(loader.opt, -1, names[k], values[k])) {
            snprintf(msg, size, "resuming %s with the config's %s: %s", s->o->resume, names[k], lre_optim_errmsg(loader.opt));
            rc = -1;
        }
    }
    if (!rc && loader.opt != s->opt) {
        lre_membuf b = {0};
        if (lre_optim_save(loader.opt, lre_membuf_write, &b)) {
            snprintf(msg, size, "resuming %s: %s", s->o->resume, lre_optim_errmsg(loader.opt));
            rc = -1;
        } else {
            lre_memreader r = {b.data, b.len, 0};
            if (lre_optim_load(s->opt, lre_memreader_read, &r)) {
                snprintf(msg, size, "cannot continue %s under %s's hyper-parameters: %s", s->o->resume, s->c->name,
                         lre_optim_errmsg(s->opt));
                rc = -1;
            }
        }
        free(b.data);
    }
    if (loader.opt != s->opt) lre_optim_free(loader.opt);
    return rc;
}

static void progress(run_state *s, long long epoch, size_t batch, size_t nbatches, double loss)
{
    const train_events *ev = &s->o->events;
    if (!ev->progress) return;
    train_progress_info info = {epoch, s->c->epochs, batch, nbatches, loss, current(s->opt, "lr"),
                                train_now() - s->epoch_start};
    ev->progress(ev->ud, &info);
}

/* The epoch's end: validation, the report, the metrics line, the metric
 * the schedules observe. */
static int end_epoch(run_state *s, mlp *m, const dataset *val, long long epoch, const ckpt_counters *cc)
{
    double vloss = 0, vacc = 0, aloss = NAN, aacc = NAN, secs = train_now() - s->epoch_start;
    size_t correct = 0;
    int averaged = s->c->average[0] != 0;
    if (eval_mode(s, 1) || evaluate(s, m, val, 0, &vloss, &correct)) return -1;
    if (val->n) {
        vloss /= (double)val->n;
        vacc = (double)correct / (double)val->n;
    }
    if (averaged) {
        if (evaluate(s, m, val, 1, &aloss, &correct)) return -1;
        aloss = val->n ? aloss / (double)val->n : 0;
        aacc = val->n ? (double)correct / (double)val->n : 0;
    }
    if (eval_mode(s, 0)) return -1;
    double train_loss = cc->loss_count ? cc->loss_sum / (double)cc->loss_count : NAN;
    const train_events *ev = &s->o->events;
    train_epoch_info info = {epoch + 1, s->c->epochs, (long long)lre_optim_step_count(s->opt), train_loss, vloss, vacc,
                             current(s->opt, "lr"), secs, averaged, aloss, aacc};
    if (ev->epoch) ev->epoch(ev->ud, &info);
    if (s->o->metrics) {
        if (!metrics_file(s)) return -1;
        fprintf(s->metrics, "{\"epoch\":%lld,\"step\":%lld,\"train_loss\":%.17g,\"val_loss\":%.17g,\"val_acc\":%.17g",
                epoch + 1, info.step, train_loss, vloss, vacc);
        if (averaged) fprintf(s->metrics, ",\"avg_val_loss\":%.17g,\"avg_val_acc\":%.17g", aloss, aacc);
        put_hps(s);
        if (s->c->guard[0]) {
            lre_guard_info gi;
            lre_optim_guard_info(s->opt, &gi);
            fprintf(s->metrics, ",\"guard_skips\":%lld", (long long)gi.skips);
        }
        fprintf(s->metrics, ",\"seconds\":%.3f}\n", secs);
        if (metrics_flush(s)) return -1;
    }
    if (s->c->observe != OBSERVE_NONE && val->n &&
        lre_optim_observe(s->opt, s->c->observe == OBSERVE_VAL_LOSS ? vloss : vacc))
        return failed(s->r, TRAIN_FAILED, "%s", lre_optim_errmsg(s->opt)), -1;
    return 0;
}

train_status train_run(train_config *c, const train_options *o, train_result *r)
{
    memset(r, 0, sizeof *r);
    char msg[TRAIN_MSG_SIZE];
    if (o->epochs >= 0 && o->epochs != c->epochs && c->schedules.n && !o->cont.op) {
        /* a schedule planned in steps (a cosine's t_max) does not stretch with the run */
        r->warned = 1;
        snprintf(r->msg, sizeof r->msg,
                 "--epochs %lld changes the run from the config's %lld epochs; schedules that read the run's "
                 "length (ctx.total_steps, ctx.steps_per_epoch) follow it, schedules planned in steps do not",
                 o->epochs, c->epochs);
        if (o->events.warning) o->events.warning(o->events.ud, r->msg);
    }
    if (o->epochs >= 0) c->epochs = o->epochs;
    if (o->seed >= 0) c->seed = o->seed;
    if (o->threads >= 0) c->threads = o->threads;
    if (lre__blas_ready((int)c->threads, msg, sizeof msg)) return failed(r, TRAIN_FAILED, "%s", msg);
    dataset train, val, test;
    if (train_load_data(c, &train, &val, &test, msg, sizeof msg)) return failed(r, TRAIN_FAILED, "%s", msg);
    size_t widths[MLP_MAX_LAYERS + 1];
    int nw = train_model_widths(c, &train, widths, msg, sizeof msg);
    if (nw < 0) {
        data_free(&train), data_free(&val), data_free(&test);
        return failed(r, TRAIN_FAILED, "%s", msg);
    }
    mlp m;
    memset(&m, 0, sizeof m);
    size_t batch = (size_t)c->batch_size;
    run_state s;
    memset(&s, 0, sizeof s);
    s.c = c, s.o = o, s.r = r;
    plan_resume pr;
    memset(&pr, 0, sizeof pr);
    uint32_t *order = NULL;
    float *xb = NULL;
    int32_t *yb = NULL;
    if (train.n > UINT32_MAX || batch > SIZE_MAX / sizeof(float) / (train.dim ? train.dim : 1)) {
        failed(r, TRAIN_FAILED, "a batch of %zu rows of %zu features is too large", batch, train.dim);
        goto done;
    }
    order = malloc(train.n * sizeof *order);
    xb = malloc(batch * train.dim * sizeof(float));
    yb = malloc(batch * sizeof(int32_t));
    if (!order || !xb || !yb || mlp_init(&m, widths, nw, batch > 1000 ? batch : 1000, (uint64_t)c->seed)) {
        failed(r, TRAIN_FAILED, "out of memory for the model (%zu rows of %zu features per batch)", batch, train.dim);
        goto done;
    }
    size_t nbatches = (train.n + batch - 1) / batch;
    ckpt_counters cc = {fingerprint(c, widths, nw, train.n), 0, 0, 0, 0};
    s.steps_per_epoch = (long long)nbatches;
    if (o->event_log || o->metrics) {
        if (o->event_log) snprintf(s.log_path, sizeof s.log_path, "%s", o->event_log);
        else if (eventlog_path_for(o->metrics, s.log_path, sizeof s.log_path)) {
            failed(r, TRAIN_FAILED, "metrics file name too long for its event log: %.200s", o->metrics);
            goto done;
        }
        s.log = (eventlog){s.log_path, NULL, o->resume != NULL};
    }
    /* an exact resume runs the checkpoint's plan's length unless a flag says otherwise */
    char length[TRAIN_MSG_SIZE];
    if (plan_length(c, o, &cc, m.nparams, (long long)nbatches, length, sizeof length, msg, sizeof msg)) {
        failed(r, TRAIN_FAILED, "%s", msg);
        goto done;
    }
    if (build_optimizer(&s, &m, nbatches)) goto done;
    if (lre_optim_set_events(s.opt, on_schedule_event, &s)) {
        failed(r, TRAIN_FAILED, "%s", lre_optim_errmsg(s.opt));
        goto done;
    }
    long long total = (long long)nbatches * c->epochs, end_step = -1;
    /* the run's plan: recorded in every checkpoint; a resume rebuilds it, and may change it (--plan, --continue) */
    int exact = o->resume && o->resume_hparams != TRAIN_RESUME_CONFIG;
    if (exact ? plan_resume_prepare(&pr, s.opt, c, o, &cc, m.nparams, total, msg, sizeof msg)
              : plan_origin(&pr.plan, c, o, total, msg, sizeof msg)) {
        failed(r, TRAIN_FAILED, "%s", msg);
        goto done;
    }
    if (o->resume && (o->resume_hparams == TRAIN_RESUME_CONFIG
                          ? resume_with_config(&s, &m, nbatches, &cc, msg, sizeof msg)
                          : ckpt_read(o->resume, &cc, m.params, m.nparams, s.opt, NULL, msg, sizeof msg))) {
        failed(r, TRAIN_FAILED, "%s", msg);
        goto done;
    }
    if (o->resume && eval_mode(&s, 0)) goto done; /* written in eval mode: training resumes at y */
    if (o->resume) {
        int kept = exact && pr.differs[0] && o->plan == TRAIN_PLAN_CHECKPOINT;
        char detail[TRAIN_MSG_SIZE + 128];
        snprintf(detail, sizeof detail, "%s%s%s",
                 o->resume_hparams == TRAIN_RESUME_CONFIG ? "the checkpoint's state under the config's hyper-parameters"
                 : kept ? "the checkpoint's plan, as recorded; the config's schedules differ: "
                        : "the checkpoint's plan",
                 kept ? pr.differs : "", "");
        train_plan_event e = {"resume", o->resume_hparams == TRAIN_RESUME_CONFIG ? "config" : kept ? "checkpoint" : "exact",
                              NULL, (long long)lre_optim_step_count(s.opt), current(s.opt, "lr"), detail};
        report_plan(&s, &e);
        if (length[0]) {
            train_plan_event le = {"length", strstr(length, "the config's:") ? "config" : "checkpoint",
                                   NULL, e.step, e.value, length};
            report_plan(&s, &le);
        }
        if (s.log_failed) goto done;
    }
    if (exact && plan_resume_finish(&pr, s.opt, c, o, (long long)nbatches, total, &end_step, plan_reported, &s, msg,
                                    sizeof msg)) {
        failed(r, TRAIN_FAILED, "%s", msg);
        goto done;
    }
    if (s.log_failed) goto done;
    long long last_epoch = o->until > 0 && o->until < c->epochs ? o->until : c->epochs;
    if (end_step >= 0) /* a cooldown ends the run where it ends, within the epoch it ends in */
        last_epoch = (end_step + (long long)nbatches - 1) / (long long)nbatches;
    if (o->events.start) {
        train_start_info info = {c->csv ? c->train_path : "fashion-mnist", train.n, val.n, test.n, m.nparams,
                                 (long long)cc.epoch, c->epochs};
        o->events.start(o->events.ud, &info);
    }
    double first_loss = NAN;
    for (long long epoch = (long long)cc.epoch; epoch < last_epoch; epoch++) {
        epoch_order(order, (uint32_t)train.n, c->seed, epoch);
        s.epoch_start = train_now();
        for (size_t b = cc.batch; b < nbatches; b++) {
            size_t lo = b * batch, nb = lo + batch <= train.n ? batch : train.n - lo;
            data_rows(&train, order + lo, 0, nb, xb, yb); /* the batch's rows, in the epoch's order */
            if (b + 1 < nbatches) /* the next batch's rows come in while this step computes */
                data_prefetch(&train, order + lo + nb, train.n - lo - nb < batch ? train.n - lo - nb : batch);
            double loss = mlp_forward_backward(&m, xb, yb, nb, 1);
            if (isnan(first_loss)) first_loss = loss;
            if (!isfinite(loss) || loss > 50 * (first_loss > 1 ? first_loss : 1)) {
                failed(r, TRAIN_FAILED, "loss %s (%g) at step %lld (lr %g); stopping%s",
                       isfinite(loss) ? "exploded" : "is not finite", loss, (long long)lre_optim_step_count(s.opt),
                       current(s.opt, "lr"), o->checkpoint ? ", the last good checkpoint is kept" : "");
                goto done;
            }
            int64_t skipped = lre_optim_skipped(s.opt);
            lre_optim_set_loss(s.opt, loss); /* for the guard and scripts' ctx.loss */
            if (lre_optim_step(s.opt)) {
                /* Ctrl-C inside a schedule script stops the script (the host's
                 * stop flag); the step, all or nothing, was not taken, so the
                 * run stops at the boundary before it, as at any other */
                if (o->stop && *o->stop) {
                    interrupted(&s, &cc, &m, &pr.plan, msg, sizeof msg);
                    goto done;
                }
                failed(r, TRAIN_FAILED, "%s", lre_optim_errmsg(s.opt));
                goto done;
            }
            if (lre_optim_skipped(s.opt) != skipped) {
                /* the values that made the guard skip it (a non-finite gradient otherwise) */
                lre_guard_info gi;
                lre_optim_guard_info(s.opt, &gi);
                lre_event_field f[] = {{"skipped", (double)lre_optim_skipped(s.opt), NULL},
                                       {"grad_norm", lre_optim_grad_norm(s.opt), NULL},
                                       {"loss", loss, NULL},
                                       {"guard", gi.skipped ? 1 : 0, NULL},
                                       {"value", gi.value, NULL},
                                       {"limit", gi.limit, NULL},
                                       {"mean", gi.mean, NULL},
                                       {"std", gi.std, NULL}};
                run_event(&s, "skipped_step", (long long)lre_optim_step_count(s.opt), f, gi.skipped ? 8 : 3);
                s.guard_skips += gi.skipped;
            }
            if (s.log_failed) goto done;
            cc.batch = b + 1;
            cc.loss_sum += loss;
            cc.loss_count++;
            long long step = (long long)lre_optim_step_count(s.opt);
            if (o->metrics && (step % c->log_every == 0 || step == end_step)) {
                if (!metrics_file(&s)) goto done;
                fprintf(s.metrics, "{\"step\":%lld,\"epoch\":%lld,\"loss\":%.17g", step, epoch + 1, loss);
                put_hps(&s);
                put_clip(&s);
                fputs("}\n", s.metrics);
                if (ferror(s.metrics) && metrics_flush(&s)) goto done;
            }
            if (b % 10 == 0 || b + 1 == nbatches)
                progress(&s, epoch + 1, b + 1, nbatches, cc.loss_sum / (double)cc.loss_count);
            if (step == end_step && b + 1 < nbatches) { /* a cooldown's end within an epoch: checkpoint, test */
                if (o->checkpoint && checkpoint(&s, &cc, &m, &pr.plan, msg, sizeof msg)) {
                    failed(r, TRAIN_FAILED, "%s", msg);
                    goto done;
                }
                goto finished;
            }
            if (o->stop && *o->stop) {
                interrupted(&s, &cc, &m, &pr.plan, msg, sizeof msg);
                goto done;
            }
        }
        if (end_epoch(&s, &m, &val, epoch, &cc) || s.log_failed) goto done; /* a cooldown ending with the epoch ends the loop too */
        cc.epoch = (uint64_t)epoch + 1;
        cc.batch = 0;
        cc.loss_sum = 0;
        cc.loss_count = 0;
        if (o->checkpoint && checkpoint(&s, &cc, &m, &pr.plan, msg, sizeof msg)) {
            failed(r, TRAIN_FAILED, "%s", msg);
            goto done;
        }
    }
finished: {
        double tloss;
        size_t correct;
        if (eval_mode(&s, 1) || evaluate(&s, &m, &test, 0, &tloss, &correct)) goto done;
        r->test_acc = (double)correct / (double)test.n;
        r->test_loss = tloss / (double)test.n;
        if (c->average[0]) {
            if (evaluate(&s, &m, &test, 1, &tloss, &correct)) goto done;
            r->averaged = 1;
            r->avg_test_acc = (double)correct / (double)test.n;
            r->avg_test_loss = tloss / (double)test.n;
        }
        if (eval_mode(&s, 0)) goto done;
        r->steps = (long long)lre_optim_step_count(s.opt);
    }
done:
    if (s.metrics && fclose(s.metrics) && r->status == TRAIN_OK)
        failed(r, TRAIN_FAILED, "cannot write metrics file %s: %s", o->metrics, strerror(errno));
    if (eventlog_close(&s.log, msg, sizeof msg) && r->status == TRAIN_OK) failed(r, TRAIN_FAILED, "%s", msg);
    lre_optim_free(s.opt);
    plan_resume_free(&pr);
    if (m.params) mlp_free(&m);
    free(order), free(xb), free(yb);
    data_free(&train), data_free(&val), data_free(&test);
    return r->status;
}

int train_where_is(train_config *c, const char *ckpt, train_where *w, char *msg, size_t size)
{
    memset(w, 0, sizeof *w);
    dataset train, val, test;
    if (train_load_data(c, &train, &val, &test, msg, size)) return -1;
    size_t widths[MLP_MAX_LAYERS + 1];
    int nw = train_model_widths(c, &train, widths, msg, size);
    if (nw < 0) return data_free(&train), data_free(&val), data_free(&test), -1;
    size_t batch = (size_t)c->batch_size, nbatches = (train.n + batch - 1) / batch;
    w->steps_per_epoch = (long long)nbatches;
    w->total_steps = (long long)nbatches * c->epochs;
    for (int k = 0; k < c->schedules.n; k++)
        lre_schedule_set_horizon(c->schedules.s[k], (int64_t)nbatches, (int64_t)w->total_steps);
    int rc = 0;
    if (ckpt) {
        mlp m;
        memset(&m, 0, sizeof m);
        train_result r;
        memset(&r, 0, sizeof r);
        train_options o;
        memset(&o, 0, sizeof o);
        run_state s;
        memset(&s, 0, sizeof s);
        s.c = c, s.o = &o, s.r = &r;
        ckpt_counters cc = {fingerprint(c, widths, nw, train.n), 0, 0, 0, 0};
        size_t nparams = 0;
        for (int l = 0; l + 1 < nw; l++) nparams += (widths[l] + 1) * widths[l + 1];
        /* a checkpoint of another configuration is refused before its model is built */
        if (ckpt_check(ckpt, &cc, nparams, msg, size)) {
            rc = -1;
        } else if (mlp_init(&m, widths, nw, 1, (uint64_t)c->seed)) {
            snprintf(msg, size, "out of memory for the model of %s", c->name);
            rc = -1;
        } else {
            /* the tree the checkpoint's plan describes (continuations included), whatever the config's is now */
            plan_resume pr;
            memset(&pr, 0, sizeof pr);
            o.resume = ckpt;
            o.plan = TRAIN_PLAN_CHECKPOINT;
            if (build_optimizer(&s, &m, nbatches)) {
                snprintf(msg, size, "%s", r.msg);
                rc = -1;
            } else if (plan_resume_prepare(&pr, s.opt, c, &o, &cc, m.nparams, w->total_steps, msg, size) ||
                       ckpt_read(ckpt, &cc, m.params, m.nparams, s.opt, NULL, msg, size)) {
                rc = -1;
            } else {
                w->step = (long long)lre_optim_step_count(s.opt);
                w->epoch = (long long)cc.epoch;
                w->batch = (long long)cc.batch;
                if (pr.tree.n) { /* the config's schedules become the plan's tree, which holds the state */
                    lre_schedule_set_free(&c->schedules);
                    c->schedules = pr.tree;
                    pr.tree.n = 0;
                }
            }
            plan_resume_free(&pr);
            lre_optim_free(s.opt);
            mlp_free(&m);
        }
    }
    data_free(&train), data_free(&val), data_free(&test);
    return rc;
}
