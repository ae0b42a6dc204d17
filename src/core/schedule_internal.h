/* schedule_internal.h -- the schedule node, shared by schedule.c (the tree:
 * lifecycle, evaluation of combinators, plateau, custom nodes, state) and
 * schedule_kinds.c (the built-in kinds: parameters and closed forms). */
#ifndef LRE_SCHEDULE_INTERNAL_H
#define LRE_SCHEDULE_INTERNAL_H

#include "internal.h"

#define LRE_MANY ((size_t)-1)

/* The built-in kinds, once: X(ID, name, spec, min_children, max_children)
 * gives the enum K_ID, the definition table lre__kinds (schedule_kinds.c,
 * where the spec tables are) and the list lre_schedule_kinds returns. */
#define LRE_SCHEDULE_KINDS(X)                                                                        \
    X(CONSTANT, constant, constant_spec, 0, 0)                                                       \
    X(STEP, step, step_spec, 0, 0)                                                                   \
    X(MULTISTEP, multistep, multistep_spec, 0, 0)                                                    \
    X(EXPONENTIAL, exponential, exponential_spec, 0, 0)                                              \
    X(INVERSE_TIME, inverse_time, inverse_time_spec, 0, 0)                                           \
    X(LINEAR, linear, linear_spec, 0, 0)                                                             \
    X(POLYNOMIAL, polynomial, polynomial_spec, 0, 0)                                                 \
    X(PIECEWISE, piecewise, piecewise_spec, 0, 0)                                                    \
    X(COSINE, cosine, cosine_spec, 0, 0)                                                             \
    X(COSINE_RESTARTS, cosine_restarts, cosine_restarts_spec, 0, 0)                                  \
    X(CYCLIC, cyclic, cyclic_spec, 0, 0)                                                             \
    X(ONE_CYCLE, one_cycle, one_cycle_spec, 0, 0)                                                    \
    X(ONE_CYCLE_MOMENTUM, one_cycle_momentum, one_cycle_spec, 0, 0)                                  \
    X(WSD, wsd, wsd_spec, 0, 0)                                                                      \
    X(INVERSE_SQRT, inverse_sqrt, inverse_sqrt_spec, 0, 0)                                           \
    X(LOGISTIC, logistic, logistic_spec, 0, 0)                                                       \
    X(CYCLES, cycles, cycles_spec, 0, 0)                                                             \
    X(CYCLIC_MOMENTUM, cyclic_momentum, cyclic_momentum_spec, 0, 0)                                  \
    X(RANDOM, random, random_spec, 0, 0)                                                             \
    X(NOISE, noise, noise_spec, 1, 1)                                                                \
    X(WARMUP, warmup, warmup_spec, 1, 1)                                                             \
    X(SEQUENCE, sequence, sequence_spec, 1, LRE_MANY)                                                \
    X(PRODUCT, product, none_spec, 1, LRE_MANY)                                                           \
    X(SCALE, scale, scale_spec, 1, 1)                                                                \
    X(CLAMP, clamp, clamp_spec, 1, 1)                                                                \
    X(MIN, min, none_spec, 1, LRE_MANY)                                                                   \
    X(MAX, max, none_spec, 1, LRE_MANY)                                                                   \
    X(SUM, sum, none_spec, 1, LRE_MANY)                                                                   \
    X(PLATEAU, plateau, plateau_spec, 0, 1)                                                          \
    X(EXTEND, extend, extend_spec, 1, 1)                                                             \
    X(COOLDOWN, cooldown, cooldown_spec, 1, 1)                                                       \
    X(REWARM, rewarm, rewarm_spec, 2, 2)                                                             \
    X(REPLACE, replace, replace_spec, 2, 2)                                                          \
    X(SHIFT, shift, shift_spec, 1, 1)                                                                \
    X(SWA, swa, swa_spec, 0, 1)

enum lre_kind_id {
#define LRE_X(id, name, spec, lo, hi) K_##id,
    LRE_SCHEDULE_KINDS(LRE_X)
#undef LRE_X
    K_COUNT,
    K_CUSTOM = K_COUNT
};

#define LRE_SCHED_MAXP 12

/* Parameter slots of the kinds that schedule.c evaluates itself. */
enum { SCALE_FACTOR };
enum { CLAMP_MIN, CLAMP_MAX };
/* The continuations (schedule_continue.c): a plan (child 1) up to step
 * `at`, then its change. Slots in the order of each kind's spec: cooldown
 * and rewarm share theirs (CT_TARGET: the floor, the peak). */
enum { CT_AT, CT_STEPS, CT_VALUE, CT_SHAPE, CT_TARGET, CT_SHIFT };
enum { EX_AT, EX_OLD_TOTAL, EX_TOTAL };
enum { RP_AT, RP_SHIFT };
enum { CT_LINEAR, CT_COSINE, CT_SQRT };
enum { SHIFT_OFFSET };
enum { SWA_LR, SWA_SWA_LR, SWA_START, SWA_ANNEAL_STEPS, SWA_ANNEAL };
enum { PL_LR, PL_MODE, PL_FACTOR, PL_PATIENCE, PL_THRESHOLD, PL_THRESHOLD_MODE, PL_COOLDOWN, PL_MIN_LR, PL_EPS };

typedef struct lre_kind_def {
    const char *name;
    const lre_pspec *spec;
    size_t nspec;
    size_t min_children, max_children;
} lre_kind_def;

extern const lre_kind_def lre__kinds[K_COUNT];
extern const char *const lre__kind_names[K_COUNT + 1]; /* NULL-terminated */
/* How many parameters a kind takes. */
size_t lre__kind_nspec(const lre_kind_def *def);

/* ReduceLROnPlateau's counters (PyTorch names). */
typedef struct lre_plateau_state {
    double scale;          /* product of the reductions so far */
    double best;
    int64_t num_bad_epochs;
    int64_t cooldown_counter;
} lre_plateau_state;

struct lre_schedule {
    lre_allocator alloc; /* every allocation of the node */
    int refs;
    int kind;
    double p[LRE_SCHED_MAXP];
    double *list[2]; /* list parameters, in the order of the spec */
    size_t nlist[2];
    lre_schedule **child;
    size_t nchild;

    /* durations (schedule_plan.c): the text of each LRE_P_DUR parameter given
     * as one (NULL: a number), resolved into p[] by a plan; unresolved: some
     * wait for a horizon (p[] NaN there); tokens_per_step: given to this node
     * (0: none), for its subtree's durations in tokens; plan_tps: the tokens
     * per step in force at the last plan. */
    char *dur[LRE_SCHED_MAXP];
    int ndur, unresolved;
    double tokens_per_step, plan_tps;

    lre_plateau_state plateau, plateau_staged;
    int staged;

    /* events (lre_schedule_set_events): the receiver, this node's path, the
     * last step a landmark of this node was reported at */
    lre_event_fn ev_fn;
    void *ev_ud;
    char *path;
    int64_t ev_last;

    /* K_CUSTOM */
    const lre_custom_vtable *vt;
    void *ud;
    char *name;
    lre_sched_ctx ctx, ctx_staged;
    void *token;
};

/* What an evaluation does besides computing values: report events (a
 * training step, not a preview), and record each node's value and step for
 * lre_schedule_walk (walk not NULL; index: the pre-order place of the node
 * being evaluated). */
typedef struct lre__walk {
    double *value;
    int64_t *step;
    unsigned char *seen;
} lre__walk;

/* unnamed: an unresolved node failed the evaluation naming itself by its
 * kind only (no event path): each parent on the way up puts its own before. */
typedef struct lre__evalx {
    int events;
    lre__walk *walk;
    size_t index;
    int unnamed;
} lre__evalx;

/* Evaluates s at t (schedule.c) with x (NULL: events on, no walk). */
int lre__schedule_eval(lre_schedule *s, int64_t t, double *out, lre_error *err, lre__evalx *x);
/* Child i of s at step t, within the evaluation x (combinators evaluate
 * their inner schedules through this, so walks and events follow). */
int lre__eval_child(lre_schedule *s, size_t i, int64_t t, double *out, lre_error *err, lre__evalx *x);
/* The number of nodes of the tree (a node held twice counts twice). */
size_t lre__schedule_count(const lre_schedule *s);
/* Reports an event of node s (its path) when events are on. */
void lre__emit(const lre_schedule *s, const char *kind, int64_t t, const lre_event_field *f, size_t n);

/* K_COSINE_RESTARTS, K_CYCLES: the cycle t is in (0 first; for cycles, at
 * most cycle_limit - 1) and its period. */
double lre__restart_cycle(const lre_schedule *s, int64_t t, double *period);

/* The value of a leaf kind at step t (no children, cannot fail). */
double lre__leaf_value(const lre_schedule *s, int64_t t);
/* K_NOISE: the factor (1 + amplitude * z) at step t, z uniform in [-1, 1)
 * or standard normal, floored at 0. */
double lre__noise_factor(const lre_schedule *s, int64_t t);
/* K_WARMUP: the factor at step t and the step its inner schedule sees. */
double lre__warmup(const lre_schedule *s, int64_t t, int64_t *inner_step);
/* K_EXTEND, K_COOLDOWN, K_REWARM, K_REPLACE at step t (schedule_continue.c). */
int lre__continuation(lre_schedule *s, int64_t t, double *out, lre_error *err, lre__evalx *x);
/* K_SWA: the weight alpha of swa_lr at step t >= start (anneal_steps 0: 1). */
double lre__swa_alpha(const lre_schedule *s, int64_t t);
/* Durations (schedule_plan.c): takes node s's duration texts (texts[i] for
 * slot i, borrowed) and resolves what needs no horizon; LRE_ENOMEM. */
int lre__schedule_take_durations(lre_schedule *s, const char *const *texts, lre_error *err);
/* The error of evaluating an unresolved node: what it waits for. */
int lre__schedule_unresolved(const lre_schedule *s, lre_error *err);
void lre__schedule_free_durations(lre_schedule *s);
/* Puts the path of s's child i, from s, before err's message ("kind/",
 * "kind/i:"); err may be NULL. */
void lre__schedule_under(lre_error *err, const lre_schedule *s, size_t i);
/* The duration text of list l of s (its l-th LIST parameter), or NULL. */
const char *lre__list_duration(const lre_schedule *s, int l);
/* Checks relations between parameters that the spec alone can not express. */
int lre__kind_check(const lre_schedule *s, lre_error *err);

#endif
