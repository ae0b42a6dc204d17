/* optim_internal.h -- the optimizer object, shared by optim.c (construction,
 * hyper-parameters, the step), optim_state.c (save and load) and the update
 * kernels (optim_kernels.h, instantiated for float and double). */
#ifndef LRE_OPTIM_INTERNAL_H
#define LRE_OPTIM_INTERNAL_H

#include "internal.h"

/* Every hyper-parameter any optimizer has; each optimizer uses some. */
enum lre_hp {
    HP_LR, HP_MOMENTUM, HP_DAMPENING, HP_WEIGHT_DECAY, HP_NESTEROV, HP_MAXIMIZE, HP_BETA1, HP_BETA2, HP_EPS,
    HP_AMSGRAD, HP_EPSILON_HAT, HP_LR_DECAY, HP_INITIAL_ACC, HP_ALPHA, HP_CENTERED, HP_RHO, HP_MOMENTUM_DECAY,
    HP_ETA_MINUS, HP_ETA_PLUS, HP_STEP_MIN, HP_STEP_MAX, HP_LAMBD, HP_T0,
    /* Keras 3's decoupled decay on any optimizer; LARS; AdaBelief; NovoGrad; Adafactor */
    HP_DECOUPLED_WD, HP_TRUST_COEFF, HP_TRUST_CLIP, HP_ALWAYS_ADAPT, HP_FIXED_DECAY, HP_RECTIFY, HP_DEGENERATED,
    HP_GRAD_AVERAGING, HP_EPS2, HP_CLIP_THRESHOLD, HP_DECAY_RATE, HP_SCALE_PARAMETER, HP_RELATIVE_STEP, HP_WARMUP_INIT,
    HP_BETA3, HP_ALPHA_WARMUP, HP_BETA3_WARMUP, HP_NS_STEPS, HP_RULE,
    HP_DECOUPLE, HP_USE_BIAS_CORRECTION, HP_SAFEGUARD_WARMUP, HP_D0, HP_D_COEF, HP_GROWTH_RATE, /* Prodigy */
    HP_WARMUP_STEPS, HP_R, HP_WEIGHT_LR_POWER, /* schedule-free */
    HP_COUNT
};

/* The optimizers, once: X(ID, name) gives the enum O_ID, the definition
 * table entry (name, name##_hp) and the list lre_optim_kinds returns. */
#define LRE_OPTIMIZERS(X)                                                                           \
    X(SGD, sgd) X(ADAM, adam) X(ADAMW, adamw) X(ADAGRAD, adagrad) X(RMSPROP, rmsprop) X(ADADELTA, adadelta) \
    X(ADAMAX, adamax) X(NADAM, nadam) X(RADAM, radam) X(RPROP, rprop) X(ASGD, asgd) X(LION, lion) \
    X(ADEMAMIX, ademamix) X(SGD_SCHEDULEFREE, sgd_schedulefree) X(ADAMW_SCHEDULEFREE, adamw_schedulefree) \
    X(NADAM_KERAS, nadam_keras) X(SIGNSGD, signsgd) X(SIGNUM, signum) X(ADABELIEF, adabelief) X(YOGI, yogi) \
    X(MUON, muon) \
    X(LAMB, lamb) X(LARS, lars) X(NOVOGRAD, novograd) X(PRODIGY, prodigy) X(ADAFACTOR, adafactor)


enum lre_optim_id {
#define LRE_X(id, name) O_##id,
    LRE_OPTIMIZERS(LRE_X)
#undef LRE_X
    O_COUNT
};

#define LRE_MAX_STATE 4

/* The saved mask of scheduled hyper-parameters: one bit each, in u32 words. */
#define LRE_HP_MASK_WORDS ((HP_COUNT + 31) / 32)

/* Scalars computed once per step (in double) and read by a kernel. */
typedef struct lre_step_scalars {
    double hp[HP_COUNT];
    double a, b, c, d; /* meaning per optimizer; see optim.c's prepare() */
    double decay;       /* the parameter's factor before the update: 1 - lr * weight_decay when the
                           decay is decoupled (Keras 3: param -= lr * wd * param), else exactly 1 */
    int first;          /* the group's first update */
    double sf_lr_max, sf_weight_sum; /* schedule-free: the group's scalars after this update */
    int avg;            /* weight averaging after the update: 0 none, 1 EMA/SWA (average.c) */
    int avg_first;      /* the group's first averaged update: the average starts as the parameters */
    double avg_keep, avg_take; /* EMA: avg = keep*avg + take*p; SWA: avg += (p - avg)/avg_take, keep < 0 */
    /* What the kernels' read of a gradient does (GRAD in optim_kernels.h):
     * clamp it to [-clip_value, clip_value] when clamp is set (clipping by
     * value), then multiply by gscale: -1 under maximize, times the clip
     * coefficient and the guard's scale (1 when neither is on: exact). */
    double gscale, clip_value;
    int clamp;
} lre_step_scalars;

/* Gradient clipping (optim_clip.c). */
enum { CLIP_NONE, CLIP_NORM, CLIP_VALUE, CLIP_AGC };
typedef struct lre_clip {
    int kind;
    double norm_type;    /* CLIP_NORM: 2 or INFINITY */
    double bound;        /* max_norm, clip_value or clip_factor (the last used when scheduled) */
    double eps;          /* CLIP_AGC: the floor of a unit's parameter norm */
    lre_schedule *sched; /* drives bound, or NULL */
    double coef;         /* CLIP_NORM: the last step's coefficient; NaN before any */
} lre_clip;

/* The spike guard (optim_clip.c). */
enum { GUARD_NONE, GUARD_ZSCORE, GUARD_THRESHOLD, GUARD_CUSTOM };
typedef struct lre_guard {
    int rule;
    int on_loss;             /* judges the caller's loss, else the gradient norm */
    double z, max;           /* zscore's z; threshold's bound */
    int64_t window, warmup;  /* zscore: values kept; values needed before judging */
    int64_t max_skips;       /* consecutive skips allowed; the next is an error */
    double *ring;            /* zscore: the last `window` values of kept steps */
    int64_t count, pos;      /* values in ring, the slot of the next */
    int64_t skips, run;      /* steps skipped by the guard: in all, in a row */
    lre_schedule *script;    /* GUARD_CUSTOM: <= 0 skips, else scales the gradients */
    lre_guard_info last;     /* the last judgement */
} lre_guard;


typedef struct lre_group {
    lre_dtype dtype;
    void *params;
    const void *grads;
    size_t n;
    /* The shape: a matrix of rows x cols stored row-major (ndim 2), or a
     * vector (ndim 1, reported as 1 x n); rows * cols == n either way. */
    size_t rows, cols;
    int ndim;
    double hp[HP_COUNT];  /* constant values, or the last scheduled ones */
    lre_schedule *sched[HP_COUNT];
    /* the h with sched[h] set, ascending (lre__group_index_schedules after
     * any change): the step walks these, not every slot */
    unsigned char scheduled[HP_COUNT];
    int nscheduled;
    void *state[LRE_MAX_STATE]; /* n elements of dtype each, or NULL */
    void *scratch;        /* Muon's Newton-Schulz matrices (lre__muon_scratch_elems), a factored
                             Adafactor's column sums, row buffer and column factors, or NULL;
                             not state */
    size_t scratch_bytes;
    int64_t t;            /* updates applied to this group */
    double scalar[3];     /* per-group scalar state (NAdam's mu product, ASGD's eta and mu) */
    int momentum_started; /* SGD: the buffer holds a value (PyTorch clones d_p at first) */
    void *avg;            /* the averaged weights (EMA or SWA), n elements, or NULL (average.c) */
    int64_t avg_n;        /* averaging updates applied to this group */
    lre_step_scalars next; /* the step being prepared: checked before anything is written */
} lre_group;

/* Weight averaging of an optimizer (average.c): the rule and its
 * configuration. */
enum { LRE_AVG_NONE = 0, LRE_AVG_EMA = 1, LRE_AVG_SWA = 2 };
typedef struct lre_average {
    int kind;
    double decay;          /* EMA: the constant decay (unless scheduled) */
    lre_schedule *sched;   /* EMA: the decay as a schedule of the step, or NULL */
    int use_step, warmup;  /* EMA: timm's step-based rule and its warm-up form */
    double min_decay, warmup_gamma, warmup_power;
    int64_t update_after_step;
    int64_t start, every;  /* SWA: average after steps start+every, start+2*every, ... */
    double last_decay;     /* EMA: the decay the last averaging update used (NaN before any) */
    int next_on;           /* the step being prepared averages */
    double next_decay;     /* and the decay it uses */
    int swapped;           /* the averages are in the parameters (lre_optim_swap_average) */
} lre_average;

/* Prodigy's optimizer-wide state (optim_prodigy.c): d, its running maximum,
 * the numerator sum N, the dlr of the last step, and its step count k (a
 * step whose gradients were all zero so far leaves them as they are). */
typedef struct lre_prodigy {
    double d, d_max, numerator, dlr;
    int64_t k;
} lre_prodigy;

struct lre_optim {
    lre_allocator alloc; /* every allocation of the optimizer */
    int kind;
    double defaults[HP_COUNT];
    lre_schedule *default_sched[HP_COUNT]; /* given to lre_optim_new: drive every group */
    lre_group *groups;
    int ngroups, cap;
    int64_t step, skipped;
    lre_nonfinite nonfinite;
    int threads;
    int64_t steps_per_epoch, total_steps;
    const char *hparams[HP_COUNT + 1]; /* lre_optim_hparams: filled from the definition at construction */
    lre_average average;  /* weight averaging (average.c) */
    int eval_mode;        /* schedule-free: the parameters hold x, not y (lre_optim_eval) */
    lre_prodigy prodigy;  /* kind prodigy only */
    unsigned load_flags;  /* of the load in progress (lre_optim_load_with) */
    lre_clip clip;
    lre_guard guard;
    double grad_norm; /* the last scan's global gradient norm (before clipping); NaN when unknown */
    double loss;      /* the caller's loss for the next step; NaN when none */
    /* events (lre_optim_set_events): the receiver, and the tree being
     * evaluated or observed, whose uses an event is reported under */
    lre_optim_event_fn ev_fn;
    void *ev_ud;
    const lre_schedule *ev_tree;
    lre_error err;
};

/* ---- events (optim_events.c) ---- */

/* The name of hyper-parameter id h of optimizer kind (optim.c). */
const char *lre__optim_hp_name(int kind, int h);
/* Before a step or an observation: every tree in use reports to the
 * optimizer (a tree given since is taken over); LRE_ENOMEM with the message
 * set, nothing else changed. */
int lre__optim_events_sync(lre_optim *o);
/* A tree the optimizer drops (NULL ok): it stops reporting to it. */
void lre__optim_events_drop(lre_optim *o, lre_schedule *s);
void lre__optim_events_free(lre_optim *o);
/* The side trees: the clip's bound, the guard's script, the average's
 * decay (NULL where there is none), and the names their events go under. */
enum { LRE_SIDE_CLIP, LRE_SIDE_GUARD, LRE_SIDE_AVERAGE, LRE_SIDE_TREES };
lre_schedule *lre__optim_side_tree(const lre_optim *o, int x);
const char *lre__optim_side_name(const lre_optim *o, int x);
/* Whether some group's hyper-parameter is driven by s (NULL: no). */
int lre__optim_groups_hold(const lre_optim *o, const lre_schedule *s);
/* Whether side tree x is set and is no group's tree nor an earlier side's:
 * the one use that observes it. */
int lre__optim_side_first(const lre_optim *o, int x);
void lre__group_index_schedules(lre_group *g);

/* One fused pass of the update over elements [lo, hi) of a group. */
void lre__update_f32(int kind, lre_group *g, const lre_step_scalars *k, size_t lo, size_t hi);
void lre__update_f64(int kind, lre_group *g, const lre_step_scalars *k, size_t lo, size_t hi);

/* The averaging update over elements [lo, hi) of a group, after its update
 * (average.c calls them per chunk, while the chunk is in cache). */
void lre__average_f32(lre_group *g, const lre_step_scalars *k, size_t lo, size_t hi);
void lre__average_f64(lre_group *g, const lre_step_scalars *k, size_t lo, size_t hi);
/* Around a group's update of elements [lo, hi), every path's (the chunked
 * kernels, Muon's matrices, Prodigy's passes): _begin before it (the first
 * averaged update: the average starts as the parameters), _chunk after it
 * (the averaging update itself, by dtype). Both do nothing unless k->avg. */
void lre__average_begin(lre_group *g, const lre_step_scalars *k, size_t lo, size_t hi);
void lre__average_chunk(lre_group *g, const lre_step_scalars *k, size_t lo, size_t hi);
/* Exchanges the contents of a and b, elements [0, n). */
void lre__swap_f32(float *a, float *b, size_t n);
void lre__swap_f64(double *a, double *b, size_t n);

/* ---- weight averaging and schedule-free modes (average.c) ---- */

/* Is kind a schedule-free optimizer (its state holds z and x)? */
int lre__optim_schedulefree(int kind);
/* Step, phase 1: evaluates the averaging rule for this step (the decay
 * schedule included); nothing is written. Then, per group, fills k's avg
 * fields. */
int lre__average_prepare(lre_optim *o);
void lre__average_group(const lre_optim *o, const lre_group *g, lre_step_scalars *k);
/* After a step: the counts. */
void lre__average_commit(lre_optim *o, lre_group *g, const lre_step_scalars *k);
/* A group's average buffer (allocated when averaging is on); 0 or an error. */
int lre__average_alloc(lre_optim *o, lre_group *g);
void lre__average_free(lre_optim *o, lre_group *g);
/* The averaging configuration, for saved-state fingerprints. Is the decay
 * schedule also driving a hyper-parameter (its state is saved there)? */
uint64_t lre__average_fingerprint(const lre_optim *o);
int lre__average_sched_shared(const lre_optim *o);

/* Muon's rule of a group (hp[HP_RULE], resolved at add_group: "auto" is
 * muon for a matrix, adamw otherwise). */
enum { MUON_RULE_AUTO = 0, MUON_RULE_MUON = 1, MUON_RULE_ADAMW = 2 };
/* Muon's update of a matrix group (optim_muon.c): momentum, Newton-Schulz on
 * g->scratch, the scaled step; and the scratch a rows x cols group needs, in
 * elements of its dtype. */
void lre__muon_update(lre_group *g, const lre_step_scalars *k);
size_t lre__muon_scratch_elems(size_t rows, size_t cols);

/* The first of two passes, for the optimizers whose update needs sums over
 * the whole group (LAMB's and LARS' norms, NovoGrad's gradient norm): adds
 * this chunk's sums to out[0..LRE_NSUMS) (in double, in an order fixed by
 * lo and hi) and may update state; optim.c turns the sums into k's scalars
 * before the update pass. */
#define LRE_NSUMS 2
void lre__reduce_f32(int kind, lre_group *g, const lre_step_scalars *k, size_t lo, size_t hi, double *out);
void lre__reduce_f64(int kind, lre_group *g, const lre_step_scalars *k, size_t lo, size_t hi, double *out);

/* Prodigy (optim_prodigy.c): the check of a step's rates before anything is
 * written (groups' lr equal or 0); the step of every group; beta3 (negative:
 * sqrt(betas[2])). */
int lre__prodigy_check(lre_optim *o, lre_error *err);
/* The same relation over n groups' rates as lr_of gives them (NaN: not
 * checked here), for a load (optim_state.c); the message starts with who. */
int lre__prodigy_check_lr(int n, double (*lr_of)(const void *ctx, int group), const void *ctx, const char *who,
                          lre_error *err);
void lre__prodigy_step(lre_optim *o);
double lre__prodigy_beta3(const double *hp);

/* Adafactor's factored statistics of a matrix group (its first two passes:
 * the row and column means into state 1 and 2, the column factors into
 * g->scratch, and the sums of p^2 and of the update's squares into out). */
void lre__adafactor_factored_f32(lre_group *g, lre_step_scalars *k, double *out);
void lre__adafactor_factored_f64(lre_group *g, lre_step_scalars *k, double *out);

/* Elements of state buffer `slot` of group g: n, but for Adafactor's
 * factored second moment of a matrix (a row vector and a column vector). */
size_t lre__slot_len(int kind, const lre_group *g, int slot);
int lre__adafactor_factored(int kind, const lre_group *g);

/* Does buffer [0, n) hold only finite numbers? */
int lre__all_finite_f32(const float *x, size_t n);
int lre__all_finite_f64(const double *x, size_t n);

/* Checks of a loaded group (optim.c), so that loaded state passes the checks
 * constructed state does. check_hps: the hyper-parameters hp for group `group`
 * (ranges, switches equal to this optimizer's, relations, buffers they need);
 * the message starts with `who`. nonneg_slot: are state buffer `slot`'s
 * elements never negative? check_scalars: are the per-group scalars what
 * `t` updates can leave? */
int lre__optim_check_hps(const lre_optim *o, int group, const double *hp, const char *who, lre_error *err);
int lre__optim_nonneg_slot(int kind, int slot);
int lre__optim_check_scalars(int kind, int64_t t, const double *scalar);

/* Gradient norms, one pass over x: the sum of squares (accumulated in
 * double) and the largest magnitude (NaN when x holds one, else infinity
 * when x holds one). */
double lre__sumsq_f32(const float *x, size_t n);
double lre__sumsq_f64(const double *x, size_t n);
double lre__maxabs_f32(const float *x, size_t n);
double lre__maxabs_f64(const double *x, size_t n);

/* Clipping and the guard (optim_clip.c), called by the step in optim.c. */
void lre__clip_init(lre_optim *o);
void lre__clip_free(lre_optim *o);
/* Does this step scan the gradients (a policy that checks them, clipping or
 * a guard)? */
int lre__clip_scans(const lre_optim *o);
/* Gives every schedule the optimizer holds this step's norm and loss. */
void lre__clip_set_inputs(lre_optim *o);
/* The guard's judgement of this step (nothing written): LRE_OK with *skip
 * and *scale set, or an error in o->err. */
int lre__guard_judge(lre_optim *o, int *skip, double *scale);
/* Records the judgement: a skipped step (counted) or a kept one (its value
 * joins the window). */
void lre__guard_commit(lre_optim *o, int skipped);
/* Evaluates the clip's schedule at this step (nothing written but the
 * staged value), and the coefficient of clipping by norm. */
int lre__clip_prepare(lre_optim *o, double *bound);
double lre__clip_coef(const lre_optim *o, double bound);
/* Save and two-phase load of the clip's and guard's settings and state: a
 * section after the groups, tagged, present when either is on. The settings
 * must be this optimizer's (LRE_EMISMATCH), the state one a run can leave
 * (LRE_ECORRUPT); prepare stages into st (pointing into the stream's
 * buffer), then finish commits or drops it. */
typedef struct lre_clip_staged {
    int present, staged_clip, staged_guard;
    double bound, coef;
    int64_t count, pos, skips, run;
    const unsigned char *ring; /* count doubles, unaligned */
} lre_clip_staged;
int lre__clip_save(lre_optim *o, lre_buf *b);
int lre__clip_prepare_load(lre_optim *o, lre_cur *c, lre_clip_staged *st, int64_t step, int64_t skipped);
void lre__clip_finish_load(lre_optim *o, const lre_clip_staged *st, int commit);

/* Names: the optimizer's and its state arrays' counts. */
const char *lre__optim_name(int kind);
/* Parameter i of the definition table of optimizer kind, or NULL past the end. */
const lre_pspec *lre__optim_param(int kind, size_t i);
size_t lre__dtype_size(lre_dtype d);

#endif
