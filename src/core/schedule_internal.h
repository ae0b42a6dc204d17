/* schedule_internal.h -- the schedule node, shared by schedule.c (the tree:
 * lifecycle, evaluation of combinators, plateau, custom nodes, state) and
 * schedule_kinds.c (the built-in kinds: parameters and closed forms). */
#ifndef LRE_SCHEDULE_INTERNAL_H
#define LRE_SCHEDULE_INTERNAL_H

#include "internal.h"

enum lre_kind_id {
    K_CONSTANT, K_STEP, K_MULTISTEP, K_EXPONENTIAL, K_INVERSE_TIME, K_LINEAR, K_POLYNOMIAL, K_PIECEWISE,
    K_COSINE, K_COSINE_RESTARTS, K_CYCLIC, K_ONE_CYCLE, K_ONE_CYCLE_MOMENTUM, K_WSD, K_RANDOM,
    K_NOISE, K_WARMUP, K_SEQUENCE, K_PRODUCT, K_SCALE, K_CLAMP, K_MIN, K_MAX, K_PLATEAU,
    K_COUNT,
    K_CUSTOM = K_COUNT
};

#define LRE_SCHED_MAXP 12

/* Parameter slots of the kinds that schedule.c evaluates itself. */
enum { SCALE_FACTOR };
enum { CLAMP_MIN, CLAMP_MAX };
enum { PL_LR, PL_MODE, PL_FACTOR, PL_PATIENCE, PL_THRESHOLD, PL_THRESHOLD_MODE, PL_COOLDOWN, PL_MIN_LR, PL_EPS };

typedef struct lre_kind_def {
    const char *name;
    const lre_pspec *spec;
    size_t nspec;
    size_t min_children, max_children;
} lre_kind_def;

extern const lre_kind_def lre__kinds[K_COUNT];

/* ReduceLROnPlateau's counters (PyTorch names). */
typedef struct lre_plateau_state {
    double scale;          /* product of the reductions so far */
    double best;
    int64_t num_bad_epochs;
    int64_t cooldown_counter;
} lre_plateau_state;

struct lre_schedule {
    int refs;
    int kind;
    double p[LRE_SCHED_MAXP];
    double *list[2]; /* list parameters, in the order of the spec */
    size_t nlist[2];
    lre_schedule **child;
    size_t nchild;

    lre_plateau_state plateau, plateau_staged;
    int staged;

    /* K_CUSTOM */
    const lre_custom_vtable *vt;
    void *ud;
    char *name;
    lre_sched_ctx ctx, ctx_staged;
    void *token;
};

/* The value of a leaf kind at step t (no children, cannot fail). */
double lre__leaf_value(const lre_schedule *s, int64_t t);
/* K_NOISE: the factor (1 + amplitude * z) at step t, z uniform in [-1, 1)
 * or standard normal, floored at 0. */
double lre__noise_factor(const lre_schedule *s, int64_t t);
/* K_WARMUP: the factor at step t and the step its inner schedule sees. */
double lre__warmup(const lre_schedule *s, int64_t t, int64_t *inner_step);
/* Checks relations between parameters that the spec alone can not express. */
int lre__kind_check(const lre_schedule *s, lre_error *err);

#endif
