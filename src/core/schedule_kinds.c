/* schedule_kinds.c -- the built-in schedules: their parameters and closed
 * forms. Every value is a direct function of the step t (0-based: the value
 * used by optimizer step t), never a recurrence over earlier steps, so any
 * step can be evaluated directly and a resumed run needs no replay.
 *
 * Where PyTorch and Keras disagree on a boundary, the kind follows the library
 * it is named after and says so; see ../shared/golden/README.md. */
#include "schedule_internal.h"

#include <math.h>
#include <stdio.h>

#define REQ LRE_P_REQUIRED
#define INT LRE_P_INT
#define BOOL LRE_P_BOOL
#define CHOICE LRE_P_CHOICE
#define LIST LRE_P_LIST
#define LO_OPEN LRE_P_LO_OPEN
/* DUR: a step count, also given as a duration ("10%", "2 epochs"; schedule_plan.c) */
#define DUR LRE_P_DUR
#define INF INFINITY
#define RATE(name) {name, NAN, 0, INF, REQ, NULL}
/* Whole numbers the code turns into int64_t: at most 2^53 (exact as doubles,
 * and a cast of anything larger would overflow). */
#define MAX_INT 9007199254740992.0

/* Slots of each kind's parameters, in the order of its spec. */
enum { CONST_LR, CONST_FACTOR, CONST_TOTAL };
static const lre_pspec constant_spec[] = {
    RATE("lr"), {"factor", 1, 0, INF, 0, NULL}, {"total_iters", 0, 0, INF, INT | DUR, NULL}};

enum { STEP_LR, STEP_SIZE, STEP_GAMMA };
static const lre_pspec step_spec[] = {
    RATE("lr"), {"step_size", NAN, 1, INF, REQ | INT | DUR, NULL}, {"gamma", 0.1, 0, INF, 0, NULL}};

enum { MS_LR, MS_MILESTONES, MS_GAMMA };
static const lre_pspec multistep_spec[] = {
    RATE("lr"), {"milestones", NAN, 0, INF, REQ | LIST | INT | DUR, NULL}, {"gamma", 0.1, 0, INF, 0, NULL}};

enum { EXP_LR, EXP_GAMMA, EXP_DECAY_STEPS, EXP_STAIRCASE };
static const lre_pspec exponential_spec[] = {RATE("lr"),
                                             {"gamma", NAN, 0, INF, REQ | LO_OPEN, NULL},
                                             {"decay_steps", 1, 0, INF, LO_OPEN | DUR, NULL},
                                             {"staircase", 0, 0, 1, BOOL, NULL}};

enum { INV_LR, INV_RATE, INV_DECAY_STEPS, INV_STAIRCASE };
static const lre_pspec inverse_time_spec[] = {RATE("lr"),
                                              {"decay_rate", NAN, 0, INF, REQ, NULL},
                                              {"decay_steps", 1, 0, INF, LO_OPEN | DUR, NULL},
                                              {"staircase", 0, 0, 1, BOOL, NULL}};

/* PyTorch LinearLR's defaults. */
enum { LIN_LR, LIN_START, LIN_END, LIN_TOTAL };
static const lre_pspec linear_spec[] = {RATE("lr"),
                                        {"start_factor", 1.0 / 3, 0, INF, 0, NULL},
                                        {"end_factor", 1, 0, INF, 0, NULL},
                                        {"total_iters", 5, 0, INF, LO_OPEN | DUR, NULL}};

enum { POLY_LR, POLY_TOTAL, POLY_POWER, POLY_END, POLY_CYCLE };
static const lre_pspec polynomial_spec[] = {RATE("lr"),
                                            {"total_iters", NAN, 0, INF, REQ | LO_OPEN | DUR, NULL},
                                            {"power", 1, 0, INF, 0, NULL},
                                            {"end_lr", 0, 0, INF, 0, NULL},
                                            {"cycle", 0, 0, 1, BOOL, NULL}};

enum { PW_BOUNDARIES, PW_VALUES };
static const lre_pspec piecewise_spec[] = {{"boundaries", NAN, -INF, INF, REQ | LIST | DUR, NULL},
                                           {"values", NAN, 0, INF, REQ | LIST, NULL}};

/* exponent: optax's cosine_decay_schedule raises the cosine factor to it. */
enum { COS_LR, COS_T_MAX, COS_ETA_MIN, COS_HOLD, COS_EXPONENT };
static const lre_pspec cosine_spec[] = {RATE("lr"),
                                        {"t_max", NAN, 0, INF, REQ | LO_OPEN | DUR, NULL},
                                        {"eta_min", 0, 0, INF, 0, NULL},
                                        {"hold", 0, 0, 1, BOOL, NULL},
                                        {"exponent", 1, 0, INF, LO_OPEN, NULL}};

enum { CR_LR, CR_T0, CR_T_MULT, CR_ETA_MIN, CR_M_MUL };
static const lre_pspec cosine_restarts_spec[] = {RATE("lr"),
                                                 {"t_0", NAN, 0, INF, REQ | LO_OPEN | DUR, NULL},
                                                 {"t_mult", 1, 1, INF, 0, NULL},
                                                 {"eta_min", 0, 0, INF, 0, NULL},
                                                 {"m_mul", 1, 0, INF, LO_OPEN, NULL}};

enum { CYC_BASE, CYC_MAX, CYC_UP, CYC_DOWN, CYC_MODE, CYC_GAMMA };
enum { MODE_TRIANGULAR, MODE_TRIANGULAR2, MODE_EXP_RANGE };
static const lre_pspec cyclic_spec[] = {{"base_lr", NAN, 0, INF, REQ, NULL},
                                        {"max_lr", NAN, 0, INF, REQ, NULL},
                                        {"step_size_up", 2000, 0, INF, LO_OPEN | DUR, NULL},
                                        {"step_size_down", NAN, 0, INF, LO_OPEN | DUR, NULL},
                                        {"mode", MODE_TRIANGULAR, 0, 2, CHOICE, "triangular|triangular2|exp_range"},
                                        {"gamma", 1, 0, INF, LO_OPEN, NULL}};

/* PyTorch CyclicLR's cycle_momentum: the same cycle, the momentum moving
 * inversely between max_momentum and base_momentum (slots as cyclic's). Like
 * one_cycle_momentum, the momenta are any numbers. */
static const lre_pspec cyclic_momentum_spec[] = {{"base_momentum", 0.8, -INF, INF, 0, NULL},
                                                 {"max_momentum", 0.9, -INF, INF, 0, NULL},
                                                 {"step_size_up", 2000, 0, INF, LO_OPEN | DUR, NULL},
                                                 {"step_size_down", NAN, 0, INF, LO_OPEN | DUR, NULL},
                                                 {"mode", MODE_TRIANGULAR, 0, 2, CHOICE, "triangular|triangular2|exp_range"},
                                                 {"gamma", 1, 0, INF, LO_OPEN, NULL}};

/* PyTorch OneCycleLR checks only total_steps > 0 and pct_start in [0, 1]: the
 * momenta are any numbers (its own tests use 20 and 22), checked by the
 * optimizer that consumes them; cycle_momentum = false leaves the optimizer's
 * momentum alone, so it is meaningless for one_cycle_momentum. */
enum { OC_MAX_LR, OC_TOTAL, OC_PCT, OC_ANNEAL, OC_DIV, OC_FINAL_DIV, OC_THREE, OC_BASE_MOM, OC_MAX_MOM, OC_CYCLE_MOM };
enum { ANNEAL_COS, ANNEAL_LINEAR };
static const lre_pspec one_cycle_spec[] = {{"max_lr", NAN, 0, INF, REQ, NULL},
                                           {"total_steps", NAN, 1, INF, REQ | INT | DUR, NULL},
                                           {"pct_start", 0.3, 0, 1, 0, NULL},
                                           {"anneal_strategy", ANNEAL_COS, 0, 1, CHOICE, "cos|linear"},
                                           {"div_factor", 25, 0, INF, LO_OPEN, NULL},
                                           {"final_div_factor", 1e4, 0, INF, LO_OPEN, NULL},
                                           {"three_phase", 0, 0, 1, BOOL, NULL},
                                           {"base_momentum", 0.85, -INF, INF, 0, NULL},
                                           {"max_momentum", 0.95, -INF, INF, 0, NULL},
                                           {"cycle_momentum", 1, 0, 1, BOOL, NULL}};

/* num_cycles: Hugging Face's cosine decay runs cos(2 pi num_cycles x); the
 * default half wave ends at min_lr. power (1 - x^decay_power) and exp
 * ((decay_ratio^x - decay_ratio) / (1 - decay_ratio)): timm's WSDLRScheduler. */
enum { WSD_LR, WSD_WARMUP, WSD_STABLE, WSD_DECAY_STEPS, WSD_DECAY, WSD_MIN_LR, WSD_CYCLES, WSD_POWER, WSD_RATIO };
enum { DECAY_LINEAR, DECAY_COSINE, DECAY_SQRT, DECAY_POWER, DECAY_EXP };
static const lre_pspec wsd_spec[] = {RATE("lr"),
                                     {"warmup_steps", 0, 0, INF, INT | DUR, NULL},
                                     {"stable_steps", 0, 0, INF, INT | DUR, NULL},
                                     {"decay_steps", NAN, 0, INF, REQ | INT | DUR, NULL},
                                     {"decay", DECAY_LINEAR, 0, 4, CHOICE, "linear|cosine|sqrt|power|exp"},
                                     {"min_lr", 0, 0, INF, 0, NULL},
                                     {"num_cycles", 0.5, 0, INF, 0, NULL},
                                     {"decay_power", 0.5, 0, INF, LO_OPEN | LRE_P_FINITE, NULL},
                                     {"decay_ratio", 0.1, 0, 1, LO_OPEN | LRE_P_HI_OPEN, NULL}};

/* Hugging Face get_inverse_sqrt_schedule after its warm-up (big_vision's
 * rsqrt); power other than 0.5: timm's WSD 'power' stable phase. */
enum { ISQ_LR, ISQ_TIMESCALE, ISQ_POWER };
static const lre_pspec inverse_sqrt_spec[] = {RATE("lr"),
                                              {"timescale", 1e4, 0, INF, LO_OPEN | DUR, NULL},
                                              {"power", 0.5, 0, INF, LO_OPEN | LRE_P_FINITE, NULL}};

/* darknet's "sig" policy: a logistic decay centred on midpoint. */
enum { LOG_LR, LOG_RATE, LOG_MIDPOINT };
static const lre_pspec logistic_spec[] = {RATE("lr"),
                                          {"rate", 1, -INF, INF, LRE_P_FINITE, NULL},
                                          {"midpoint", 0, -INF, INF, LRE_P_FINITE | DUR, NULL}};

/* timm's cycle schedulers (CosineLRScheduler, TanhLRScheduler,
 * PolyLRScheduler): cycle i lasts t_0 * t_mult^i steps and peaks at
 * lr * cycle_decay^i; after cycle_limit cycles the rate is eta_min.
 * end_inclusive puts a cycle's last step t_0 * ... in that cycle (darknet's
 * sgdr policy counts (start, start + size]). */
enum { CYS_LR, CYS_T0, CYS_T_MULT, CYS_ETA_MIN, CYS_DECAY, CYS_LIMIT, CYS_K, CYS_SHAPE, CYS_POWER, CYS_LB, CYS_UB,
       CYS_END_INCLUSIVE };
enum { SHAPE_COSINE, SHAPE_TANH, SHAPE_POLY };
static const lre_pspec cycles_spec[] = {RATE("lr"),
                                        {"t_0", NAN, 0, INF, REQ | LO_OPEN | DUR, NULL},
                                        {"t_mult", 1, 1, 1e6, 0, NULL},
                                        {"eta_min", 0, 0, INF, 0, NULL},
                                        {"cycle_decay", 1, 0, INF, 0, NULL},
                                        {"cycle_limit", INF, 0, INF, 0, NULL},
                                        {"k_decay", 1, 0, INF, LO_OPEN | LRE_P_FINITE, NULL},
                                        {"shape", SHAPE_COSINE, 0, 2, CHOICE, "cosine|tanh|poly"},
                                        {"power", 1, 0, INF, LRE_P_FINITE, NULL},
                                        {"lb", -7, -INF, INF, LRE_P_FINITE, NULL},
                                        {"ub", 3, -INF, INF, LRE_P_FINITE, NULL},
                                        {"end_inclusive", 0, 0, 1, BOOL, NULL}};

/* power: darknet's "random" policy draws lr * u^power. */
enum { RND_MIN, RND_MAX, RND_PERIOD, RND_SEED, RND_POWER };
static const lre_pspec random_spec[] = {{"min_lr", NAN, 0, INF, REQ, NULL},
                                        {"max_lr", NAN, 0, INF, REQ, NULL},
                                        {"period", 1, 1, MAX_INT, INT | DUR, NULL},
                                        {"seed", 0, 0, MAX_INT, INT, NULL},
                                        {"power", 1, 0, INF, LRE_P_FINITE, NULL}};

/* limit: the normal draw is redrawn until |z| < limit (timm's noise_pct). */
enum { NOISE_AMP, NOISE_PERIOD, NOISE_SEED, NOISE_DIST, NOISE_LIMIT };
static const lre_pspec noise_spec[] = {{"amplitude", 0.1, 0, INF, 0, NULL},
                                       {"period", 1, 1, MAX_INT, INT | DUR, NULL},
                                       {"seed", 0, 0, MAX_INT, INT, NULL},
                                       {"distribution", 0, 0, 1, CHOICE, "uniform|normal"},
                                       {"limit", INF, 0, INF, LO_OPEN, NULL}};

/* The shapes w(p) of p = t / steps, from start_factor s0 to 1: linear,
 * exponential (s0^(1 - p)), constant (s0), and s0 + (1 - s0) f(p) for
 * cosine (Hugging Face: (1 - cos(pi p)) / 2), sqrt (Hugging Face's "1-sqrt":
 * 1 - sqrt(1 - p)), power (darknet's burn_in: p^power) and log (DeepSpeed:
 * log(t + 1) / log(steps)). */
enum { WU_STEPS, WU_START, WU_MODE, WU_SHIFT, WU_POWER };
enum { WU_LINEAR, WU_EXPONENTIAL, WU_CONSTANT, WU_COSINE, WU_SQRT, WU_POW, WU_LOG };
static const lre_pspec warmup_spec[] = {
    {"steps", NAN, 0, INF, REQ | INT | DUR, NULL},
    {"start_factor", 0, 0, INF, 0, NULL},
    {"mode", WU_LINEAR, 0, 6, CHOICE, "linear|exponential|constant|cosine|sqrt|power|log"},
    {"shift", 1, 0, 1, BOOL, NULL},
    {"power", 1, 0, INF, LRE_P_FINITE, NULL}};

enum { SEQ_MILESTONES };
static const lre_pspec sequence_spec[] = {{"milestones", NAN, 0, INF, REQ | LIST | INT | DUR, NULL}};

static const lre_pspec scale_spec[] = {{"factor", NAN, 0, INF, REQ, NULL}};

static const lre_pspec clamp_spec[] = {{"min", 0, 0, INF, 0, NULL}, {"max", INF, 0, INF, 0, NULL}};

/* shift: its inner schedule `offset` steps later (negative: earlier, never
 * before its step 0). */
static const lre_pspec shift_spec[] = {{"offset", 0, -MAX_INT, MAX_INT, REQ | INT | DUR, NULL}};

/* PyTorch SWALR: from the rate at step `start` (its inner schedule's, or lr)
 * to swa_lr over anneal_steps steps, then swa_lr. */
enum { SWA_COS, SWA_LINEAR };
static const lre_pspec swa_spec[] = {{"lr", NAN, 0, INF, 0, NULL},
                                     {"swa_lr", NAN, 0, INF, REQ, NULL},
                                     {"start", 0, 0, MAX_INT, INT | DUR, NULL},
                                     {"anneal_steps", 10, 0, MAX_INT, INT | DUR, NULL},
                                     {"anneal", SWA_COS, 0, 1, CHOICE, "cos|linear"}};

/* PyTorch ReduceLROnPlateau's parameters and defaults; `lr` when it wraps no schedule. */
static const lre_pspec plateau_spec[] = {{"lr", NAN, 0, INF, 0, NULL},
                                         {"mode", 0, 0, 1, CHOICE, "min|max"},
                                         {"factor", 0.1, 0, 1, LRE_P_HI_OPEN, NULL},
                                         {"patience", 10, 0, MAX_INT, INT, NULL},
                                         {"threshold", 1e-4, 0, INF, 0, NULL},
                                         {"threshold_mode", 0, 0, 1, CHOICE, "rel|abs"},
                                         {"cooldown", 0, 0, MAX_INT, INT, NULL},
                                         {"min_lr", 0, 0, INF, 0, NULL},
                                         {"eps", 1e-8, 0, INF, 0, NULL}};

/* The continuations of a plan (schedule_continue.c, slots CT_*, EX_*, RP_*):
 * each takes the plan as it was (its first inner schedule) and changes it
 * from step `at`, the step the run is at. `value` is the plan's value at `at`
 * (default: the plan evaluated there), where cooldown and rewarm start. */
#define CT_SPEC_AT {"at", NAN, 0, MAX_INT, REQ | INT, NULL}
#define CT_SPEC_VALUE {"value", NAN, 0, INF, 0, NULL}
#define CT_SPEC_SHAPE(def) {"shape", def, 0, 2, CHOICE, "linear|cosine|sqrt"}
static const lre_pspec extend_spec[] = {CT_SPEC_AT,
                                        {"old_total", NAN, 0, MAX_INT, REQ | INT, NULL},
                                        {"total", NAN, 1, MAX_INT, REQ | INT, NULL}};
static const lre_pspec cooldown_spec[] = {CT_SPEC_AT,
                                          {"steps", NAN, 1, MAX_INT, REQ | INT | DUR, NULL},
                                          CT_SPEC_VALUE,
                                          CT_SPEC_SHAPE(CT_LINEAR),
                                          {"floor", 0, 0, INF, 0, NULL}}; /* CT_TARGET */
static const lre_pspec rewarm_spec[] = {CT_SPEC_AT,
                                        {"steps", NAN, 1, MAX_INT, REQ | INT | DUR, NULL},
                                        CT_SPEC_VALUE,
                                        CT_SPEC_SHAPE(CT_LINEAR),
                                        {"peak", NAN, 0, INF, REQ, NULL}, /* CT_TARGET */
                                        {"shift", 1, 0, 1, BOOL, NULL}};
static const lre_pspec replace_spec[] = {CT_SPEC_AT, {"shift", 0, 0, 1, BOOL, NULL}};

/* The spec of the kinds without parameters: C has no empty arrays, so one
 * entry named "" that lre__kind_nspec does not count. */
static const lre_pspec none_spec[] = {{"", 0, 0, 0, 0, NULL}};

#define N(a) (sizeof(a) / sizeof((a)[0]))

size_t lre__kind_nspec(const lre_kind_def *def) { return def->spec[0].name[0] ? def->nspec : 0; }

const lre_kind_def lre__kinds[K_COUNT] = {
#define LRE_X(id, name, spec, lo, hi) [K_##id] = {#name, spec, N(spec), lo, hi},
    LRE_SCHEDULE_KINDS(LRE_X)
#undef LRE_X
};

const char *const lre__kind_names[K_COUNT + 1] = {
#define LRE_X(id, name, spec, lo, hi) #name,
    LRE_SCHEDULE_KINDS(LRE_X)
#undef LRE_X
    NULL};

static int non_decreasing(const double *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (v[i] < v[i - 1]) return 0;
    return 1;
}

int lre__kind_check(const lre_schedule *s, lre_error *err)
{
    const char *who = lre__kinds[s->kind].name;
    const double *p = s->p;
    switch (s->kind) {
    case K_MULTISTEP:
        if (!non_decreasing(s->list[0], s->nlist[0]))
            return lre_error_set(err, LRE_EINVAL, "%s: milestones must be in increasing order", who);
        break;
    case K_PIECEWISE:
        if (s->nlist[1] != s->nlist[0] + 1)
            return lre_error_set(err, LRE_EINVAL, "%s: values must have one more entry than boundaries (%zu), got %zu",
                             who, s->nlist[0], s->nlist[1]);
        if (!non_decreasing(s->list[0], s->nlist[0]))
            return lre_error_set(err, LRE_EINVAL, "%s: boundaries must be in increasing order", who);
        break;
    case K_SEQUENCE:
        if (s->nlist[0] + 1 != s->nchild)
            return lre_error_set(err, LRE_EINVAL, "%s: %zu schedules need %zu milestones, got %zu", who, s->nchild,
                             s->nchild - 1, s->nlist[0]);
        if (!non_decreasing(s->list[0], s->nlist[0]))
            return lre_error_set(err, LRE_EINVAL, "%s: milestones must be in increasing order", who);
        break;
    case K_CYCLIC:
        if (p[CYC_MAX] < p[CYC_BASE])
            return lre_error_set(err, LRE_EINVAL, "%s: max_lr (%.17g) must be >= base_lr (%.17g)", who, p[CYC_MAX],
                             p[CYC_BASE]);
        break;
    case K_RANDOM:
        if (p[RND_MAX] < p[RND_MIN])
            return lre_error_set(err, LRE_EINVAL, "%s: max_lr (%.17g) must be >= min_lr (%.17g)", who, p[RND_MAX],
                             p[RND_MIN]);
        break;
    case K_CLAMP:
        if (p[CLAMP_MAX] < p[CLAMP_MIN])
            return lre_error_set(err, LRE_EINVAL, "%s: max (%.17g) must be >= min (%.17g)", who, p[CLAMP_MAX], p[CLAMP_MIN]);
        break;
    case K_WARMUP:
        if (p[WU_MODE] == WU_EXPONENTIAL && !(p[WU_START] > 0))
            return lre_error_set(err, LRE_EINVAL, "%s: start_factor must be > 0 for mode 'exponential', got %.17g", who,
                             p[WU_START]);
        if (p[WU_MODE] == WU_LOG && p[WU_STEPS] < 2)
            return lre_error_set(err, LRE_EINVAL, "%s: steps must be >= 2 for mode 'log' (log(steps) divides), got %.17g",
                             who, p[WU_STEPS]);
        break;
    case K_SWA:
    case K_PLATEAU:
        if (s->nchild == 0 && isnan(p[PL_LR]))
            return lre_error_set(err, LRE_EINVAL, "%s: give either lr or a schedule to wrap", who);
        if (s->nchild == 1 && !isnan(p[PL_LR]))
            return lre_error_set(err, LRE_EINVAL, "%s: give either lr or a schedule to wrap, not both", who);
        break;
    case K_EXTEND:
        if (p[EX_OLD_TOTAL] < p[EX_AT])
            return lre_error_set(err, LRE_EINVAL, "%s: old_total (%.17g) must be >= at (%.17g)", who, p[EX_OLD_TOTAL],
                                 p[EX_AT]);
        if (p[EX_TOTAL] <= p[EX_AT])
            return lre_error_set(err, LRE_EINVAL, "%s: total (%.17g) must be > at (%.17g)", who, p[EX_TOTAL], p[EX_AT]);
        break;
    case K_ONE_CYCLE:
    case K_ONE_CYCLE_MOMENTUM:
        /* The warm-up phase ends at step pct_start * total_steps - 1; at 0 its
         * width is 0 and PyTorch divides by zero (at < 1 the second phase
         * simply starts before step 0, as in PyTorch). */
        if (p[OC_PCT] * p[OC_TOTAL] == 1)
            return lre_error_set(err, LRE_EINVAL, "%s: pct_start * total_steps must not be 1 (a warm-up phase ending at step 0)", who);
        if (s->kind == K_ONE_CYCLE_MOMENTUM && !p[OC_CYCLE_MOM])
            return lre_error_set(err, LRE_EINVAL, "%s: cycle_momentum is false: leave the momentum unscheduled instead", who);
        break;
    default:
        break;
    }
    return LRE_OK;
}

/* Number of entries of the sorted list v[0..n) that are <= x. */
static size_t count_le(const double *v, size_t n, double x)
{
    size_t k = 0;
    while (k < n && v[k] <= x) k++;
    return k;
}

static double cosine_between(double hi, double lo, double frac)
{
    return lo + (hi - lo) * (1 + cos(LRE_PI * frac)) / 2;
}

/* The restart cycle step t falls in, for cycles of length t0 * m^i: returns
 * i, its length *len and the position *pos in it. m = 1: a division. m > 1:
 * the closed form of PyTorch's CosineAnnealingWarmRestarts and Keras'
 * CosineDecayRestarts (i = floor(log(1 + t (m - 1) / t0) / log(m)), cycle i
 * starting at t0 (m^i - 1) / (m - 1)), with the boundaries the logarithm
 * rounds to the wrong side corrected: O(1) whatever t0 and m, exact for whole
 * t0 and m. Past what a double can place, a non-finite *len. */
static double restart_cycle(double t, double t0, double m, double *len, double *pos)
{
    if (m == 1) {
        double i = floor(t / t0);
        *len = t0;
        *pos = t - t0 * i;
        return i;
    }
    double i = floor(log1p(t / t0 * (m - 1)) / log(m));
    if (!(i >= 0)) i = 0;
    for (int k = 0; k < 4; k++) { /* at most one step either way in practice */
        double start = t0 * (pow(m, i) - 1) / (m - 1);
        if (t < start && i > 0) i--;
        else if (t >= start + t0 * pow(m, i)) i++;
        else break;
    }
    *len = t0 * pow(m, i);
    *pos = t - t0 * (pow(m, i) - 1) / (m - 1);
    return i;
}

/* PyTorch CosineAnnealingWarmRestarts (eta_min absolute) and Keras
 * CosineDecayRestarts (m_mul: each restart's peak is m_mul times the last). */
static double cosine_restarts(const double *p, double t)
{
    double period, pos, k = restart_cycle(t, p[CR_T0], p[CR_T_MULT], &period, &pos);
    double eta_min = p[CR_ETA_MIN];
    if (!isfinite(period) || !isfinite(pos)) return eta_min;
    double m_fac = p[CR_M_MUL] == 1 ? 1 : pow(p[CR_M_MUL], k);
    return eta_min + (p[CR_LR] - eta_min) * m_fac * (1 + cos(LRE_PI * pos / period)) / 2;
}

static double cycle_of(const double *p, double t, double *len, double *pos);

double lre__restart_cycle(const lre_schedule *s, int64_t step, double *period_out)
{
    double pos;
    if (s->kind == K_CYCLES) { /* past cycle_limit the rate stays at eta_min: no restart */
        double i = cycle_of(s->p, (double)step, period_out, &pos), limit = s->p[CYS_LIMIT];
        return i < limit ? i : limit - 1;
    }
    return restart_cycle((double)step, s->p[CR_T0], s->p[CR_T_MULT], period_out, &pos);
}

/* PyTorch CyclicLR (Smith 2017), in its own arithmetic: the rate is
 * base + height * scale_fn, the momentum (cycle_momentum) max - height *
 * scale_fn, height = (max - base) * the triangle's position. */
static double cyclic(const double *p, double t, int momentum)
{
    double up = p[CYC_UP], down = isnan(p[CYC_DOWN]) ? up : p[CYC_DOWN];
    double total = up + down, ratio = up / total;
    double cycle = floor(1 + t / total);
    double x = 1 + t / total - cycle;
    double scale = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
    double height = (p[CYC_MAX] - p[CYC_BASE]) * scale;
    double fn = 1;
    switch ((int)p[CYC_MODE]) {
    case MODE_TRIANGULAR2: fn = 1 / pow(2, cycle - 1); break;
    case MODE_EXP_RANGE: fn = pow(p[CYC_GAMMA], t); break;
    default: break;
    }
    if (momentum) return p[CYC_MAX] - height * fn;
    return p[CYC_BASE] + height * fn;
}

/* PyTorch OneCycleLR (Smith & Topin 2018): phases end at pct_start*total - 1
 * (and 2*pct_start*total - 2 with three phases) and total - 1; the rate and
 * the momentum are annealed between each phase's ends. Past the last step the
 * final value holds. */
static double one_cycle(const double *p, double t, int momentum)
{
    double total = p[OC_TOTAL], pct = p[OC_PCT];
    double max_lr = p[OC_MAX_LR], initial = max_lr / p[OC_DIV], min_lr = initial / p[OC_FINAL_DIV];
    double lo_m = p[OC_BASE_MOM], hi_m = p[OC_MAX_MOM];
    double end[3], from[3], to[3];
    int nphase;
    if (p[OC_THREE]) {
        nphase = 3;
        end[0] = pct * total - 1, end[1] = 2 * pct * total - 2, end[2] = total - 1;
        if (momentum) from[0] = hi_m, to[0] = lo_m, from[1] = lo_m, to[1] = hi_m, from[2] = hi_m, to[2] = hi_m;
        else from[0] = initial, to[0] = max_lr, from[1] = max_lr, to[1] = initial, from[2] = initial, to[2] = min_lr;
    } else {
        nphase = 2;
        end[0] = pct * total - 1, end[1] = total - 1;
        if (momentum) from[0] = hi_m, to[0] = lo_m, from[1] = lo_m, to[1] = hi_m;
        else from[0] = initial, to[0] = max_lr, from[1] = max_lr, to[1] = min_lr;
    }
    if (t > total - 1) t = total - 1;
    double start = 0;
    for (int i = 0; i < nphase; i++) {
        if (t <= end[i] || i == nphase - 1) {
            double frac = end[i] > start ? (t - start) / (end[i] - start) : 1;
            if (p[OC_ANNEAL] == ANNEAL_LINEAR) return (to[i] - from[i]) * frac + from[i];
            return cosine_between(from[i], to[i], frac);
        }
        start = end[i];
    }
    return NAN; /* unreachable */
}

/* Warmup-stable-decay (Hu et al. 2024, MiniCPM): linear warmup from 0, a
 * plateau at lr, then a decay to min_lr; "sqrt" is their 1 - sqrt(x) form.
 * From warmup + stable + decay steps on, min_lr (Hugging Face get_wsd_schedule,
 * whose cosine may stop short of it with num_cycles < 0.5). */
static double wsd(const double *p, double t)
{
    double lr = p[WSD_LR], min_lr = p[WSD_MIN_LR];
    double w = p[WSD_WARMUP], s = p[WSD_STABLE], d = p[WSD_DECAY_STEPS];
    if (t < w) return lr * t / w;
    if (t < w + s) return lr;
    if (t >= w + s + d) return min_lr;
    double x = (t - w - s) / d;
    switch ((int)p[WSD_DECAY]) {
    case DECAY_COSINE: return min_lr + (lr - min_lr) * (0.5 * (1 + cos(LRE_PI * p[WSD_CYCLES] * 2.0 * x)));
    case DECAY_SQRT: return min_lr + (lr - min_lr) * (1 - sqrt(x));
    case DECAY_POWER: return min_lr + (lr - min_lr) * (1. - pow(x, p[WSD_POWER]));
    case DECAY_EXP: {
        double q = p[WSD_RATIO];
        return min_lr + (lr - min_lr) * ((pow(q, x) - q) / (1. - q));
    }
    default: return lr - (lr - min_lr) * x;
    }
}

/* The cycle of `cycles` that step t falls in (restart_cycle's), with
 * end_inclusive moving a cycle's first step to the end of the one before. */
static double cycle_of(const double *p, double t, double *len, double *pos)
{
    double m = p[CYS_T_MULT], i = restart_cycle(t, p[CYS_T0], m, len, pos);
    if (p[CYS_END_INCLUSIVE] && i > 0 && *pos == 0) { /* the end of the previous cycle */
        i--;
        *len = m == 1 ? p[CYS_T0] : pow(m, i) * p[CYS_T0];
        *pos = *len;
    }
    return i;
}

/* timm's cycle schedulers, in timm's arithmetic (t_curr^k / t_i^k). */
static double cycles(const double *p, double t)
{
    double len, pos, i = cycle_of(p, t, &len, &pos);
    double eta_min = p[CYS_ETA_MIN];
    /* past cycle_limit, or past the cycles a double can place (t_0 tiny against t) */
    if (i >= p[CYS_LIMIT] || !isfinite(len) || !isfinite(pos) || !(len > 0)) return eta_min;
    double peak = p[CYS_LR] * (p[CYS_DECAY] == 1 ? 1 : pow(p[CYS_DECAY], i));
    double k = p[CYS_K], frac = k == 1 ? pos / len : pow(pos, k) / pow(len, k);
    switch ((int)p[CYS_SHAPE]) {
    case SHAPE_TANH: {
        double tr = pos / len;
        return eta_min + 0.5 * (peak - eta_min) * (1 - tanh(p[CYS_LB] * (1. - tr) + p[CYS_UB] * tr));
    }
    case SHAPE_POLY: return eta_min + (peak - eta_min) * pow(1 - frac, p[CYS_POWER]);
    default: return eta_min + 0.5 * (peak - eta_min) * (1 + cos(LRE_PI * frac));
    }
}

double lre__leaf_value(const lre_schedule *s, int64_t step)
{
    const double *p = s->p;
    double t = (double)step;
    switch (s->kind) {
    case K_CONSTANT: return t < p[CONST_TOTAL] ? p[CONST_LR] * p[CONST_FACTOR] : p[CONST_LR];
    case K_STEP: return p[STEP_LR] * pow(p[STEP_GAMMA], floor(t / p[STEP_SIZE]));
    /* PyTorch MultiStepLR: the rate changes at t >= milestone. */
    case K_MULTISTEP: return p[MS_LR] * pow(p[MS_GAMMA], (double)count_le(s->list[0], s->nlist[0], t));
    case K_EXPONENTIAL: {
        double e = t / p[EXP_DECAY_STEPS];
        return p[EXP_LR] * pow(p[EXP_GAMMA], p[EXP_STAIRCASE] ? floor(e) : e);
    }
    case K_INVERSE_TIME: {
        double e = t / p[INV_DECAY_STEPS];
        return p[INV_LR] / (1 + p[INV_RATE] * (p[INV_STAIRCASE] ? floor(e) : e));
    }
    case K_LINEAR: {
        double f = t < p[LIN_TOTAL] ? t / p[LIN_TOTAL] : 1;
        return p[LIN_LR] * (p[LIN_START] + (p[LIN_END] - p[LIN_START]) * f);
    }
    /* PyTorch PolynomialLR (end_lr 0) and Keras PolynomialDecay (cycle: the
     * horizon grows to the next multiple of total_iters). */
    case K_POLYNOMIAL: {
        double horizon = p[POLY_TOTAL];
        if (p[POLY_CYCLE]) {
            double m = ceil(t / horizon);
            horizon *= m > 1 ? m : 1;
        } else if (t > horizon) {
            t = horizon;
        }
        return (p[POLY_LR] - p[POLY_END]) * pow(1 - t / horizon, p[POLY_POWER]) + p[POLY_END];
    }
    /* Keras PiecewiseConstantDecay: values[i+1] applies after t > boundaries[i]. */
    case K_PIECEWISE: {
        size_t k = 0;
        while (k < s->nlist[0] && t > s->list[0][k]) k++;
        return s->list[1][k];
    }
    /* PyTorch CosineAnnealingLR follows the cosine past t_max; Keras
     * CosineDecay (hold = true) stays at the floor. */
    case K_COSINE: {
        if (p[COS_HOLD] && t > p[COS_T_MAX]) t = p[COS_T_MAX];
        if (p[COS_EXPONENT] == 1) return cosine_between(p[COS_LR], p[COS_ETA_MIN], t / p[COS_T_MAX]);
        double c = (1 + cos(LRE_PI * t / p[COS_T_MAX])) / 2;
        return p[COS_ETA_MIN] + (p[COS_LR] - p[COS_ETA_MIN]) * pow(c, p[COS_EXPONENT]);
    }
    case K_COSINE_RESTARTS: return cosine_restarts(p, t);
    case K_CYCLIC: return cyclic(p, t, 0);
    case K_CYCLIC_MOMENTUM: return cyclic(p, t, 1);
    case K_ONE_CYCLE: return one_cycle(p, t, 0);
    case K_ONE_CYCLE_MOMENTUM: return one_cycle(p, t, 1);
    case K_WSD: return wsd(p, t);
    /* HF: base_lr * (1 / sqrt((t + timescale) / timescale)), t after the warm-up. */
    case K_INVERSE_SQRT:
        if (p[ISQ_POWER] == 0.5) return p[ISQ_LR] * (1.0 / sqrt((t + p[ISQ_TIMESCALE]) / p[ISQ_TIMESCALE]));
        return p[ISQ_LR] * pow(1. + t / p[ISQ_TIMESCALE], -p[ISQ_POWER]); /* timm: (1 + t / T)^-power */
    /* darknet: lr * (1 / (1 + exp(gamma * (batch - step)))). */
    case K_LOGISTIC: return p[LOG_LR] * (1. / (1. + exp(p[LOG_RATE] * (t - p[LOG_MIDPOINT]))));
    case K_CYCLES: return cycles(p, t);
    case K_RANDOM: {
        double u = lre__uniform((uint64_t)p[RND_SEED], (uint64_t)(step / (int64_t)p[RND_PERIOD]));
        if (p[RND_POWER] != 1) u = pow(u, p[RND_POWER]);
        return p[RND_MIN] + (p[RND_MAX] - p[RND_MIN]) * u;
    }
    default: return NAN;
    }
}

/* Box-Muller over two counter-based uniforms for the normal distribution. */
double lre__noise_factor(const lre_schedule *s, int64_t step)
{
    const double *p = s->p;
    uint64_t seed = (uint64_t)p[NOISE_SEED], k = (uint64_t)(step / (int64_t)p[NOISE_PERIOD]);
    double z;
    if (p[NOISE_DIST] == 1) {
        /* redraw j >= 1 from a seed of its own: the same counters, another stream;
         * at most 64 draws (a limit that rejects that often gives 0) */
        z = 0;
        for (uint64_t j = 0; j < 64; j++) {
            uint64_t sj = seed + j * 0x9E3779B97F4A7C15ull;
            double u1 = lre__uniform(sj, 2 * k), u2 = lre__uniform(sj, 2 * k + 1);
            double d = sqrt(-2 * log(1 - u1)) * cos(2 * LRE_PI * u2);
            if (fabs(d) < p[NOISE_LIMIT]) {
                z = d;
                break;
            }
        }
    } else {
        z = 2 * lre__uniform(seed, k) - 1;
    }
    double f = 1 + p[NOISE_AMP] * z;
    return f > 0 ? f : 0;
}

double lre__warmup(const lre_schedule *s, int64_t step, int64_t *inner_step)
{
    const double *p = s->p;
    double steps = p[WU_STEPS];
    if ((double)step >= steps) {
        *inner_step = p[WU_SHIFT] ? step - (int64_t)steps : step;
        return 1;
    }
    *inner_step = p[WU_SHIFT] ? 0 : step;
    double frac = (double)step / steps, s0 = p[WU_START], f;
    switch ((int)p[WU_MODE]) {
    case WU_EXPONENTIAL: return pow(s0, 1 - frac);
    case WU_CONSTANT: return s0;
    case WU_COSINE: f = 0.5 * (1.0 - cos(LRE_PI * frac)); break;
    case WU_SQRT: f = 1.0 - sqrt(1.0 - frac); break;
    case WU_POW: f = pow(frac, p[WU_POWER]); break;
    case WU_LOG: f = 1.0 / log(steps) * log((double)step + 1); break;
    default: return s0 + (1 - s0) * frac;
    }
    return f * (1.0 - s0) + s0;
}

/* PyTorch SWALR's alpha: anneal(min(1, (t - start) / max(1, anneal_steps))),
 * anneal (1 - cos(pi x)) / 2 or x; with anneal_steps 0 swa_lr at once. */
double lre__swa_alpha(const lre_schedule *s, int64_t t)
{
    const double *p = s->p;
    double e = p[SWA_ANNEAL_STEPS];
    if (e == 0) return 1;
    double x = (double)(t - (int64_t)p[SWA_START]) / (e > 1 ? e : 1);
    if (x > 1) x = 1;
    if (x < 0) x = 0;
    return p[SWA_ANNEAL] == SWA_LINEAR ? x : (1 - cos(LRE_PI * x)) / 2;
}
