/* train.h -- the training job behind `lrengine train` and `lrengine
 * find-lr`: a config (a Lua script returning a table, read through
 * lrengine_script.h) into train_config; its data, a model, an optimizer
 * driven by the config's schedules, checkpoints. The job prints nothing: it
 * reports through the events of its options and returns a status with a
 * message; the command line (src/cli) shows them and picks exit codes. */
#ifndef LRE_TRAIN_H
#define LRE_TRAIN_H

#include "data.h"
#include "lrengine_script.h"
#include "mlp.h"
#include "plan.h"

#define TRAIN_MAX_HPS 16
#define TRAIN_MSG_SIZE 1024

typedef enum { OBSERVE_NONE, OBSERVE_VAL_LOSS, OBSERVE_VAL_ACC } observe_kind;

typedef struct train_config {
    /* data: paths relative to the config's directory */
    int csv;                  /* 0: Fashion-MNIST IDX files in data_dir */
    char data_dir[1024], train_path[1024], test_path[1024];
    long long validation, limit, test_limit;
    /* model */
    size_t hidden[MLP_MAX_LAYERS - 1];
    int nhidden;
    /* optimizer: kind, constant hyper-parameters, schedules */
    char optimizer[32];
    lre_param hps[TRAIN_MAX_HPS];
    double hp_lists[TRAIN_MAX_HPS][2];
    char hp_names[TRAIN_MAX_HPS][32];
    int nhps;
    int nonfinite;               /* lre_nonfinite: optimizer.nonfinite = "error" (default), "skip" or "trust" */
    lre_schedule_set schedules;
    /* weight averaging: average = {kind = "ema", decay = 0.999, ...}; the
     * job evaluates with the averaged weights too */
    char average[8];             /* "ema", "swa", or "" for none */
    lre_param avg_params[8];
    char avg_names[8][24];
    int navg;
    lre_schedule *avg_decay;     /* an EMA's decay as a schedule (held), or NULL */
    /* gradient clipping and the spike guard (config_clip.c): clip = 1.0 or
     * {max_norm = ..., ...}, guard = "zscore", {...} or a function */
    char clip[8], guard[16];     /* kind and rule, "" for none */
#define TRAIN_MAX_CLIP 4
#define TRAIN_MAX_GUARD 8
    lre_param clip_params[TRAIN_MAX_CLIP], guard_params[TRAIN_MAX_GUARD];
    char clip_names[TRAIN_MAX_CLIP][16], clip_strs[TRAIN_MAX_CLIP][16];
    char guard_names[TRAIN_MAX_GUARD][16], guard_strs[TRAIN_MAX_GUARD][16];
    int nclip, nguard;
    lre_schedule *clip_sched;    /* the clip's scheduled bound (held), or NULL */
    lre_schedule *guard_script;  /* a guard function (held), or NULL */
    /* the run */
    long long epochs, batch_size, seed, log_every, threads;
    observe_kind observe;
    char name[256]; /* the config's file name, for messages */
    char *source;   /* its text, as it ran (NULL when larger than TRAIN_SOURCE_MAX): checkpoints record it */
    size_t source_len;
} train_config;

#define TRAIN_SOURCE_MAX ((size_t)16 << 20)

typedef enum { TRAIN_OK = 0, TRAIN_FAILED = 1, TRAIN_STOPPED = 2 } train_status;

/* What the job reports while it runs (every callback may be NULL). */
typedef struct train_start_info {
    const char *data;            /* "fashion-mnist" or the training CSV */
    size_t ntrain, nval, ntest, nparams;
    long long first_epoch, epochs; /* first_epoch > 0 when resumed */
} train_start_info;

typedef struct train_progress_info {
    long long epoch, epochs; /* 1-based */
    size_t batch, nbatches;
    double loss, lr, seconds; /* mean loss of the epoch so far; seconds since it began */
} train_progress_info;

typedef struct train_epoch_info {
    long long epoch, epochs, step;
    double train_loss, val_loss, val_acc, lr, seconds;
    int averaged;                 /* the config averages weights: the next two are set */
    double avg_val_loss, avg_val_acc; /* with the averaged weights */
} train_epoch_info;

/* A change of the run's plan: a resume (exactly, or with another config's
 * hyper-parameters) and each continuation (extend, cooldown, rewarm,
 * replace). Reported once, after the checkpoint is read and before the first
 * step of the resumed run; for the event log (`lrengine explain`). */
typedef struct train_plan_event {
    const char *kind;   /* "resume", "continue", or "length": the run's length on a resume when the
                           checkpoint's plan and the config's differ (op "checkpoint" or "config": whose) */
    const char *op;     /* resume: "exact", "config" (--resume-hparams config), "checkpoint" (--plan
                           checkpoint); continue: "extend", "cooldown", "rewarm", "replace" */
    const char *hparam; /* the hyper-parameter the change applies to ("lr"), NULL: all of them */
    long long step;     /* the step the run resumes at: the first step the new plan drives */
    double value;       /* the rate the last step before it used (NaN when unknown) */
    const char *detail; /* what changed, in words ("cooldown over 500 steps (cosine) from 0.00042 to 0") */
} train_plan_event;

typedef struct train_events {
    void *ud;
    void (*start)(void *ud, const train_start_info *info);
    void (*progress)(void *ud, const train_progress_info *info);
    void (*epoch)(void *ud, const train_epoch_info *info);
    void (*warning)(void *ud, const char *msg);
    /* a plan event: the job reports it through report_plan (trainer.c),
     * which writes it to the event log too */
    void (*plan)(void *ud, const train_plan_event *e); /* may be NULL, as every callback */
    /* an event of the run's log (eventlog.h), ev->path the node as logged
     * ("lr/plateau", "run") */
    void (*event)(void *ud, const lre_event *ev);
} train_events;

typedef enum {
    TRAIN_RESUME_CHECKPOINT = 0, /* resume exactly: the checkpoint's hyper-parameters, the config's schedules must match */
    TRAIN_RESUME_CONFIG = 1      /* the checkpoint's model and state, the config's hyper-parameters and schedules */
} train_resume_hparams;

/* --plan: which plan wins when the config's schedules are not the ones the
 * checkpoint recorded; never guessed. */
typedef enum {
    TRAIN_PLAN_REFUSE = 0,     /* refuse, saying what differs and what would continue */
    TRAIN_PLAN_CHECKPOINT = 1, /* the checkpoint's plan, as recorded; the config's schedules unused */
    TRAIN_PLAN_CONFIG = 2      /* the config's schedules from the resume step (a replace) */
} train_plan_choice;

/* --continue: a change of the plan at the resume step. */
typedef struct train_continuation {
    int op;              /* PLAN_EXTEND, PLAN_COOLDOWN, PLAN_REWARM, PLAN_REPLACE; 0: none */
    const char *steps;   /* cooldown, rewarm: a duration ("500", "1 epoch", "10%", "2M tokens") */
    double target;       /* cooldown: the floor (default 0); rewarm: the peak (required) */
    int shape;           /* 0 linear, 1 cosine, 2 sqrt */
    double tokens_per_step; /* for durations in tokens; 0: unknown */
    const char *hparam;  /* cooldown, rewarm: the hyper-parameter ramped ("lr" when NULL) */
} train_continuation;

/* What the command line adds or overrides. Zero-initialised fields after
 * `events` keep the plain behaviour. */
typedef struct train_options {
    long long epochs, seed, threads; /* -1: from the config */
    const char *checkpoint, *resume, *metrics;
    volatile int *stop; /* non-zero: stop at the next step boundary (checkpointing first) */
    train_events events;
    /* > 0: stop after this epoch (checkpointing, then the test figures), the
     * run's plan (its length, what schedules see) unchanged; for `lrengine
     * tune`, which advances trials rung by rung */
    long long until;
    train_resume_hparams resume_hparams;
    /* With TRAIN_RESUME_CONFIG: the config that wrote the checkpoint, when
     * its schedules or state buffers differ from this config's (a fork in
     * population based training); NULL otherwise. */
    train_config *resume_from;
    /* The event log (eventlog.h): NULL puts it next to the metrics file
     * (none without one). */
    const char *event_log;
    train_plan_choice plan;
    train_continuation cont;
    const char *overrides; /* the command line's changes, recorded with the plan ("--epochs 8"); may be NULL */
} train_options;

typedef struct train_result {
    train_status status;
    long long steps;
    double test_acc, test_loss;
    int averaged;                   /* with averaged weights too: */
    double avg_test_acc, avg_test_loss;
    int warned;                     /* a warning was reported (train_events.warning) */
    char msg[TRAIN_MSG_SIZE];       /* why it failed or stopped, or a warning */
} train_result;

/* Reads a config (sandboxed, with the limits given, which may be NULL); 0,
 * or -1 with a message naming the key that is wrong. */
int train_config_load(train_config *c, const char *path, const lre_script_limits *limits, char *msg, size_t size);
void train_config_free(train_config *c);
/* The config's clip and guard (config_clip.c): read and validated; applied
 * to an optimizer (-1 with the message in lre_optim_errmsg); released. */
int train_config_clip(train_config *c, lre_script *s, char *msg, size_t size);
int train_clip_apply(const train_config *c, lre_optim *o);
void train_config_clip_free(train_config *c);
/* The schedules of a config's text (one a checkpoint recorded), named `name`
 * in messages; 0, or -1 with a message. */
int train_config_schedules(const char *source, size_t len, const char *name, const lre_script_limits *limits,
                           lre_schedule_set *set, char *msg, size_t size);

/* The data of a config: train (less the validation split), validation, test
 * (run_data.c). */
int train_load_data(const train_config *c, dataset *train, dataset *val, dataset *test, char *msg, size_t size);
/* The layer widths of the config's model on data d (input, hidden...,
 * classes); returns their count, or -1 with a message naming the widths when
 * the model would have more than TRAIN_MAX_PARAMS parameters (a data file's
 * width is its input: a hostile CSV is refused before anything is built). */
#define TRAIN_MAX_PARAMS 100000000
int train_model_widths(const train_config *c, const dataset *d, size_t *widths, char *msg, size_t size);

/* `lrengine train` (trainer.c). */
train_status train_run(train_config *c, const train_options *o, train_result *r);

/* Where a run is, for `lrengine explain` (trainer.c): the plan's horizon
 * from the config's data and, with a checkpoint, the step it saved. */
typedef struct train_where {
    long long step, epoch, batch; /* the checkpoint's (0 without one) */
    long long steps_per_epoch, total_steps;
} train_where;

/* The horizon of the config's run (its data is read), set on its
 * schedules; with ckpt not NULL, that checkpoint's state loaded into the
 * config's schedules, which keep it (the model and optimizer are built to
 * read it, then freed). 0, or -1 with a message. */
int train_where_is(train_config *c, const char *ckpt, train_where *w, char *msg, size_t size);

/* `lrengine find-lr` (findlr.c): the range test's curve and the rates its
 * suggestion rules pick. */
typedef struct findlr_options {
    double lr_min, lr_max;
    long long steps;
    volatile int *stop;
} findlr_options;

/* The suggestion rules, all applied to the smoothed loss (findlr.c says
 * where each comes from). */
typedef enum {
    FINDLR_VALLEY,   /* fastai's default: 2/3 of the way down the longest valley */
    FINDLR_STEEPEST, /* Lightning's: the steepest descent, its first 10 and last point skipped */
    FINDLR_MINIMUM,  /* fastai's: the lowest loss's rate over 10 */
    FINDLR_SLIDE,    /* fastai's interval slide rule */
    FINDLR_NRULES
} findlr_rule;

extern const char *const findlr_rule_names[FINDLR_NRULES + 1]; /* "valley", ... NULL */

typedef struct findlr_suggestion {
    int ok;         /* 0: the curve is too short for the rule */
    long long index; /* the point the rule picked (0-based) */
    double lr;      /* the rate it suggests (minimum: that point's rate / 10) */
} findlr_suggestion;

/* Applies every rule to a curve of n points of a test planned for `planned`
 * steps (fastai's window depends on it); pure. */
void findlr_suggest(const double *lrs, const double *losses, long long n, long long planned,
                    findlr_suggestion out[FINDLR_NRULES]);

typedef struct findlr_result {
    train_status status;
    long long n;               /* points measured */
    double *lrs, *losses;      /* n of each: the rate and the smoothed loss */
    int diverged;              /* stopped early: the loss passed 4x its best */
    double lowest_loss, lowest_lr;
    double steepest_slope;     /* d loss / d log10(lr) at the steepest rule's point */
    findlr_suggestion rules[FINDLR_NRULES];
    int chosen;                /* the default rule: valley, else the first rule with a suggestion */
    double suggestion;         /* its rate */
    long long steps_per_epoch; /* of the config's training run */
    char clip[8], guard[16];   /* the config's clipping, applied; its guard, left out ("" for none) */
    char msg[TRAIN_MSG_SIZE];
} findlr_result;

train_status train_find_lr(train_config *c, const findlr_options *o, findlr_result *r);
/* Reads a curve written by `find-lr --format csv` (lr,loss) into r, and
 * applies the rules as if the test had been planned for `planned` steps
 * (<= 0: as many as the curve has). */
train_status findlr_read_curve(const char *path, long long planned, findlr_result *r);
#define FINDLR_MAX_POINTS 1000000 /* a curve's points: find-lr's --steps at most */
void findlr_result_free(findlr_result *r);

/* Writes to out_path the config at config_path (already loaded into c)
 * changed to train at rate lr: the config's source wrapped so that its line
 * numbers hold, then optimizer.lr set and an lr schedule scaled by lr over its
 * peak in the planned run (steps_per_epoch * epochs steps). `why` goes in a
 * comment. 0, or -1 with a message. */
int findlr_write_config(const train_config *c, const char *config_path, double lr, long long steps_per_epoch,
                        const char *why, const char *out_path, char *msg, size_t size);

double train_now(void);

#endif
