/* optim.c -- optimizers with PyTorch 1.13's semantics (torch.optim, the
 * single-tensor code paths): construction and validation, parameter groups,
 * hyper-parameters driven by schedules, and the step. The per-element math is
 * in optim_kernels.h; the per-step scalars (bias corrections and the like) are
 * computed here once, in double. */
#include "blas.h"
#include "optim_internal.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define INF INFINITY
#define BOOL(name, hp) {hp, {name, 0, 0, 1, LRE_P_BOOL | LRE_P_FIXED, NULL}}
#define BOOL1(name, hp) {hp, {name, 1, 0, 1, LRE_P_BOOL | LRE_P_FIXED, NULL}} /* on by default */
/* Every numeric hyper-parameter is finite: an infinite rate, momentum or
 * step size can only turn the parameters into NaN. */
#define FIN LRE_P_FINITE
#define NONNEG(name, hp, def) {hp, {name, def, 0, INF, FIN, NULL}}
#define UNIT(name, hp, def) {hp, {name, def, 0, 1, FIN | LRE_P_HI_OPEN, NULL}}
#define BETAS(b1, b2) {HP_BETA1, {"betas[1]", b1, 0, 1, LRE_P_HI_OPEN | LRE_P_PAIR, NULL}}, {HP_BETA2, {"betas[2]", b2, 0, 1, LRE_P_HI_OPEN, NULL}}
#define LR(def) NONNEG("lr", HP_LR, def)
#define WD(def) NONNEG("weight_decay", HP_WEIGHT_DECAY, def)
#define EPS(def) NONNEG("eps", HP_EPS, def)
#define MAXIMIZE BOOL("maximize", HP_MAXIMIZE)
/* Keras 3: weight_decay as param -= lr * weight_decay * param, before the
 * update, instead of PyTorch's L2 term in the gradient */
#define DECOUPLED BOOL("decoupled_weight_decay", HP_DECOUPLED_WD)

typedef struct hp_spec {
    int hp;
    lre_pspec spec;
} hp_spec;

/* PyTorch 1.13's parameters and defaults for each optimizer. */
static const hp_spec sgd_hp[] = {
    {HP_LR, {"lr", NAN, 0, INF, FIN | LRE_P_REQUIRED, NULL}}, NONNEG("momentum", HP_MOMENTUM, 0),
    NONNEG("dampening", HP_DAMPENING, 0), WD(0), BOOL("nesterov", HP_NESTEROV), MAXIMIZE, DECOUPLED};
static const hp_spec adam_hp[] = {LR(1e-3), BETAS(0.9, 0.999), EPS(1e-8), WD(0), BOOL("amsgrad", HP_AMSGRAD),
                                  MAXIMIZE, BOOL("epsilon_hat", HP_EPSILON_HAT), DECOUPLED};
static const hp_spec adamw_hp[] = {LR(1e-3), BETAS(0.9, 0.999), EPS(1e-8), WD(1e-2), BOOL("amsgrad", HP_AMSGRAD),
                                   MAXIMIZE, BOOL("epsilon_hat", HP_EPSILON_HAT)};
static const hp_spec adagrad_hp[] = {LR(1e-2), NONNEG("lr_decay", HP_LR_DECAY, 0), WD(0),
                                     {HP_INITIAL_ACC, {"initial_accumulator_value", 0, 0, INF, FIN | LRE_P_FIXED, NULL}},
                                     EPS(1e-10), MAXIMIZE, DECOUPLED};
static const hp_spec rmsprop_hp[] = {LR(1e-2), {HP_ALPHA, {"alpha", 0.99, 0, 1, 0, NULL}}, EPS(1e-8), WD(0),
                                     NONNEG("momentum", HP_MOMENTUM, 0), BOOL("centered", HP_CENTERED), MAXIMIZE,
                                     DECOUPLED};
static const hp_spec adadelta_hp[] = {LR(1.0), {HP_RHO, {"rho", 0.9, 0, 1, 0, NULL}}, EPS(1e-6), WD(0), MAXIMIZE,
                                      DECOUPLED};
static const hp_spec adamax_hp[] = {LR(2e-3), BETAS(0.9, 0.999), EPS(1e-8), WD(0), MAXIMIZE, DECOUPLED};
static const hp_spec nadam_hp[] = {LR(2e-3), BETAS(0.9, 0.999), EPS(1e-8), WD(0),
                                   NONNEG("momentum_decay", HP_MOMENTUM_DECAY, 4e-3), MAXIMIZE, DECOUPLED};
static const hp_spec radam_hp[] = {LR(1e-3), BETAS(0.9, 0.999), EPS(1e-8), WD(0), MAXIMIZE, DECOUPLED};
static const hp_spec rprop_hp[] = {LR(1e-2),
                                   {HP_ETA_MINUS, {"etas[1]", 0.5, 0, 1, LRE_P_LO_OPEN | LRE_P_HI_OPEN | LRE_P_PAIR, NULL}},
                                   {HP_ETA_PLUS, {"etas[2]", 1.2, 1, INF, FIN | LRE_P_LO_OPEN, NULL}},
                                   {HP_STEP_MIN, {"step_sizes[1]", 1e-6, 0, INF, FIN | LRE_P_PAIR, NULL}},
                                   {HP_STEP_MAX, {"step_sizes[2]", 50, 0, INF, FIN, NULL}},
                                   MAXIMIZE, WD(0), DECOUPLED};
static const hp_spec asgd_hp[] = {LR(1e-2), NONNEG("lambd", HP_LAMBD, 1e-4), NONNEG("alpha", HP_ALPHA, 0.75),
                                  NONNEG("t0", HP_T0, 1e6), WD(0), MAXIMIZE, DECOUPLED};
static const hp_spec lion_hp[] = {LR(1e-4), BETAS(0.9, 0.99), WD(0), MAXIMIZE};
/* apple/ml-ademamix pytorch/ademamix.py; the warm-ups' None is 0 here (the
 * same numbers: no step k satisfies k < 0). */
#define WARMUP(name, hp) {hp, {name, 0, 0, 9007199254740992.0, LRE_P_INT | LRE_P_FIXED, NULL}}
/* KellerJordan/Muon muon.py, MuonWithAuxAdam: Muon's lr, momentum,
 * weight_decay and ns_steps for the matrix groups; the betas and eps of the
 * AdamW rule for the others (its lr and weight_decay are the group's, as in
 * the reference, whose AdamW groups usually carry lr = 3e-4). */
static const hp_spec muon_hp[] = {
    LR(0.02), UNIT("momentum", HP_MOMENTUM, 0.95), WD(0),
    {HP_NESTEROV, {"nesterov", 1, 0, 1, LRE_P_BOOL | LRE_P_FIXED, NULL}},
    {HP_NS_STEPS, {"ns_steps", 5, 0, 100, LRE_P_INT | LRE_P_FIXED, NULL}},
    {HP_RULE, {"rule", MUON_RULE_AUTO, 0, 2, LRE_P_CHOICE | LRE_P_FIXED, "auto|muon|adamw"}},
    BETAS(0.9, 0.95), EPS(1e-10)};
/* konstmish/prodigy prodigy_reference.py; beta3's None (sqrt(betas[2])) is
 * any negative value here (-1 by default), growth_rate's default is inf. */
#define SWITCH(name, hp, def) {hp, {name, def, 0, 1, LRE_P_BOOL | LRE_P_FIXED, NULL}}
static const hp_spec prodigy_hp[] = {
    LR(1.0), BETAS(0.9, 0.999), {HP_BETA3, {"beta3", -1, -1, 1, FIN | LRE_P_HI_OPEN, NULL}}, EPS(1e-8), WD(0),
    SWITCH("decouple", HP_DECOUPLE, 1), SWITCH("use_bias_correction", HP_USE_BIAS_CORRECTION, 0),
    SWITCH("safeguard_warmup", HP_SAFEGUARD_WARMUP, 0),
    {HP_D0, {"d0", 1e-6, 0, INF, FIN | LRE_P_LO_OPEN | LRE_P_FIXED, NULL}}, NONNEG("d_coef", HP_D_COEF, 1.0),
    {HP_GROWTH_RATE, {"growth_rate", INF, 1, INF, 0, NULL}}};
static const hp_spec ademamix_hp[] = {LR(1e-3), BETAS(0.9, 0.999),
                                      {HP_BETA3, {"betas[3]", 0.9999, 0, 1, LRE_P_HI_OPEN, NULL}},
                                      NONNEG("alpha", HP_ALPHA, 2.0), WARMUP("beta3_warmup", HP_BETA3_WARMUP),
                                      WARMUP("alpha_warmup", HP_ALPHA_WARMUP), EPS(1e-8), WD(0), MAXIMIZE};
/* Schedule-free: facebookresearch/schedule_free's reference classes and defaults. */
#define SF_HP                                                                                     \
    {HP_WARMUP_STEPS, {"warmup_steps", 0, 0, INF, FIN | LRE_P_INT, NULL}}, NONNEG("r", HP_R, 0), \
        NONNEG("weight_lr_power", HP_WEIGHT_LR_POWER, 2)
static const hp_spec sgd_schedulefree_hp[] = {
    LR(1.0), {HP_MOMENTUM, {"momentum", 0.9, 0, 1, LRE_P_LO_OPEN | LRE_P_HI_OPEN, NULL}}, WD(0), SF_HP};
static const hp_spec adamw_schedulefree_hp[] = {LR(0.0025), BETAS(0.9, 0.999), EPS(1e-8), WD(0), SF_HP};
/* The optimizers of the peers (defaults from the implementation each follows). */
#define DECOUPLED_ON BOOL1("decoupled_weight_decay", HP_DECOUPLED_WD)
static const hp_spec nadam_keras_hp[] = {LR(1e-3), BETAS(0.9, 0.999), EPS(1e-7), WD(0), MAXIMIZE, DECOUPLED_ON};
static const hp_spec signsgd_hp[] = {{HP_LR, {"lr", NAN, 0, INF, FIN | LRE_P_REQUIRED, NULL}},
                                     UNIT("momentum", HP_MOMENTUM, 0), WD(0), MAXIMIZE, DECOUPLED};
static const hp_spec signum_hp[] = {{HP_LR, {"lr", NAN, 0, INF, FIN | LRE_P_REQUIRED, NULL}},
                                    UNIT("momentum", HP_MOMENTUM, 0.9), WD(0), MAXIMIZE, DECOUPLED};
static const hp_spec adabelief_hp[] = {LR(1e-3), BETAS(0.9, 0.999), EPS(1e-16), WD(0), BOOL("amsgrad", HP_AMSGRAD),
                                       DECOUPLED_ON, BOOL("fixed_decay", HP_FIXED_DECAY), BOOL1("rectify", HP_RECTIFY),
                                       BOOL1("degenerated_to_sgd", HP_DEGENERATED), MAXIMIZE};
static const hp_spec yogi_hp[] = {LR(1e-2), BETAS(0.9, 0.999), EPS(1e-3),
                                  {HP_INITIAL_ACC, {"initial_accumulator", 1e-6, 0, INF, FIN | LRE_P_FIXED, NULL}},
                                  WD(0), MAXIMIZE, DECOUPLED};
static const hp_spec lamb_hp[] = {LR(1e-3), BETAS(0.9, 0.999), EPS(1e-6), WD(0), MAXIMIZE, DECOUPLED};
static const hp_spec lars_hp[] = {LR(1.0), NONNEG("momentum", HP_MOMENTUM, 0), NONNEG("dampening", HP_DAMPENING, 0),
                                  WD(0), BOOL("nesterov", HP_NESTEROV), NONNEG("trust_coeff", HP_TRUST_COEFF, 1e-3),
                                  EPS(1e-8), BOOL("trust_clip", HP_TRUST_CLIP), BOOL("always_adapt", HP_ALWAYS_ADAPT),
                                  MAXIMIZE, DECOUPLED};
/* HF transformers' Adafactor: lr 0 (HF's None) with relative_step; eps is its pair (1e-30, 1e-3) */
static const hp_spec adafactor_hp[] = {LR(0),
                                       {HP_EPS, {"eps[1]", 1e-30, 0, INF, FIN | LRE_P_PAIR, NULL}},
                                       {HP_EPS2, {"eps[2]", 1e-3, 0, INF, FIN, NULL}},
                                       {HP_CLIP_THRESHOLD, {"clip_threshold", 1, 0, INF, FIN | LRE_P_LO_OPEN, NULL}},
                                       {HP_DECAY_RATE, {"decay_rate", -0.8, -INF, 0, FIN, NULL}},
                                       {HP_BETA1, {"beta1", 0, 0, 1, LRE_P_HI_OPEN, NULL}},
                                       WD(0), BOOL1("scale_parameter", HP_SCALE_PARAMETER),
                                       BOOL1("relative_step", HP_RELATIVE_STEP), BOOL("warmup_init", HP_WARMUP_INIT),
                                       MAXIMIZE, DECOUPLED};
static const hp_spec novograd_hp[] = {LR(1e-3), BETAS(0.95, 0), EPS(1e-8), WD(0),
                                      BOOL("grad_averaging", HP_GRAD_AVERAGING), MAXIMIZE, DECOUPLED};

typedef struct optim_def {
    const char *name;
    const hp_spec *hp;
    size_t nhp;
} optim_def;

#define DEF(name, t) {name, t, sizeof(t) / sizeof((t)[0])}
static const optim_def defs[O_COUNT] = {
#define LRE_X(id, name) [O_##id] = DEF(#name, name##_hp),
    LRE_OPTIMIZERS(LRE_X)
#undef LRE_X
};

static const char *const optim_names[] = {
#define LRE_X(id, name) #name,
    LRE_OPTIMIZERS(LRE_X)
#undef LRE_X
    NULL};

const char *const *lre_optim_kinds(void) { return optim_names; }
const char *lre__optim_name(int kind) { return defs[kind].name; }
const char *lre_optim_kind(const lre_optim *o) { return defs[o->kind].name; }
size_t lre__dtype_size(lre_dtype d) { return d == LRE_F64 ? sizeof(double) : sizeof(float); }

/* The names of the schedulable hyper-parameters, kept in the handle (filled
 * by lre_optim_new from the definition): no shared table to fill lazily. */
const char *const *lre_optim_hparams(const lre_optim *o) { return o->hparams; }

static void fill_hparams(lre_optim *o)
{
    size_t k = 0;
    for (size_t i = 0; i < defs[o->kind].nhp; i++)
        if (!(defs[o->kind].hp[i].spec.flags & LRE_P_FIXED)) o->hparams[k++] = defs[o->kind].hp[i].spec.name;
    o->hparams[k] = NULL;
}

/* Records a failure in the handle (printf-style) and returns code. */
static int fail(lre_optim *o, int code, const char *fmt, ...) LRE_PRINTF(3, 4);
static int fail(lre_optim *o, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lre__error_setv(&o->err, code, fmt, ap);
    va_end(ap);
    return code;
}

static const hp_spec *find_hp(int kind, const char *name)
{
    for (size_t i = 0; i < defs[kind].nhp; i++)
        if (strcmp(defs[kind].hp[i].spec.name, name) == 0) return &defs[kind].hp[i];
    return NULL;
}

static const hp_spec *find_hp_id(int kind, int hp)
{
    for (size_t i = 0; i < defs[kind].nhp; i++)
        if (defs[kind].hp[i].hp == hp) return &defs[kind].hp[i];
    return NULL;
}

const char *lre__optim_hp_name(int kind, int h)
{
    const hp_spec *hs = find_hp_id(kind, h);
    return hs ? hs->spec.name : "?";
}

/* Relations between hyper-parameters that ranges alone can not express
 * (PyTorch's constructors check them); a scheduled momentum counts as on. */
static int check_relations(int kind, const double *hp, int momentum_scheduled, const char *who, lre_error *err)
{
    /* PyTorch SGD: "Nesterov momentum requires a momentum and zero dampening". */
    int momentum = hp[HP_MOMENTUM] > 0 || momentum_scheduled;
    if ((kind == O_SGD || kind == O_LARS) && hp[HP_NESTEROV] && (!momentum || hp[HP_DAMPENING] != 0))
        return lre_error_set(err, LRE_EINVAL, "%s: nesterov requires momentum > 0 and dampening = 0", who);
    if (kind == O_ADAFACTOR && hp[HP_WARMUP_INIT] && !hp[HP_RELATIVE_STEP]) /* HF's check */
        return lre_error_set(err, LRE_EINVAL, "%s: warmup_init requires relative_step", who);
    if (kind == O_RPROP && hp[HP_STEP_MAX] < hp[HP_STEP_MIN])
        return lre_error_set(err, LRE_EINVAL, "%s: step_sizes[2] must be >= step_sizes[1]", who);
    return LRE_OK;
}

/* Parses params over base values (the optimizer's defaults, or the spec's).
 * Parameters given as schedules go to sched[] (retained, replacing what is
 * there) and stand in the values with their default.
 *
 * As in PyTorch, a required hyper-parameter (SGD's lr) need not have a
 * default when every group gives it: the defaults (base == NULL) may leave it
 * NaN, and a group that then has no value of it is refused. */
static int parse_hps(int kind, const double *base, const lre_param *params, size_t nparams, double *hp,
                     lre_schedule **sched, lre_error *err)
{
    const optim_def *d = &defs[kind];
    lre_pspec spec[HP_COUNT];
    double vals[HP_COUNT];
    lre_param plain[HP_COUNT + 8];
    size_t nplain = 0;
    lre_schedule *given[HP_COUNT] = {0};
    for (size_t i = 0; i < d->nhp; i++) {
        spec[i] = d->hp[i].spec;
        spec[i].flags &= ~(unsigned)LRE_P_REQUIRED;
        if (base) spec[i].def = base[d->hp[i].hp];
    }
    for (size_t k = 0; k < nparams; k++) {
        if (!params[k].schedule) {
            if (nplain == sizeof plain / sizeof plain[0]) return lre_error_set(err, LRE_EINVAL, "%s: too many parameters", d->name);
            plain[nplain++] = params[k];
            continue;
        }
        const hp_spec *hs = params[k].name ? find_hp(kind, params[k].name) : NULL;
        if (!hs) return lre__unknown_param(d->name, spec, d->nhp, params[k].name, err);
        if (hs->spec.flags & LRE_P_FIXED)
            return lre_error_set(err, LRE_EINVAL, "%s: %s is a switch and can not be scheduled", d->name, hs->spec.name);
        given[hs->hp] = params[k].schedule;
        size_t i = (size_t)(hs - d->hp);
        if (isnan(spec[i].def)) spec[i].def = 0;
    }
    int rc = lre__parse_params(d->name, spec, d->nhp, plain, nplain, vals, NULL, err);
    if (rc) return rc;
    for (int i = 0; i < HP_COUNT; i++) hp[i] = 0;
    for (size_t i = 0; i < d->nhp; i++) {
        int h = d->hp[i].hp;
        hp[h] = vals[i];
        if (base && isnan(hp[h])) { /* a group, without a value and without a default */
            if (!sched || !sched[h])
                return lre_error_set(err, LRE_EINVAL,
                                     "%s: missing required parameter '%s' (given neither to this group nor as a default)",
                                     d->name, d->hp[i].spec.name);
            hp[h] = 0; /* scheduled: the schedule gives it */
        }
    }
    rc = check_relations(kind, hp, given[HP_MOMENTUM] || (sched && sched[HP_MOMENTUM]), d->name, err);
    if (rc) return rc;
    for (int h = 0; h < HP_COUNT; h++) {
        if (!given[h]) continue;
        lre_schedule_retain(given[h]);
        lre_schedule_release(sched[h]);
        sched[h] = given[h];
    }
    return LRE_OK;
}

int lre_optim_new(lre_optim **out, const char *kind, const lre_param *params, size_t nparams, lre_error *err)
{
    return lre_optim_new_with(out, kind, params, nparams, NULL, err);
}

int lre_optim_new_with(lre_optim **out, const char *kind, const lre_param *params, size_t nparams,
                       const lre_allocator *alloc, lre_error *err)
{
    *out = NULL;
    int id = -1;
    for (int k = 0; k < O_COUNT; k++)
        if (kind && strcmp(defs[k].name, kind) == 0) id = k;
    if (id < 0) return lre_error_unknown(err, NULL, "optimizer", kind ? kind : "(null)", optim_names);
    lre_allocator a = lre__allocator(alloc);
    lre_optim *o = lre__alloc_zero(&a, 1, sizeof *o);
    if (!o) return lre_error_set(err, LRE_ENOMEM, "%s: out of memory", defs[id].name);
    o->alloc = a;
    o->kind = id;
    o->threads = 1;
    o->average.last_decay = o->average.next_decay = NAN;
    lre__clip_init(o);
    fill_hparams(o);
    int rc = parse_hps(id, NULL, params, nparams, o->defaults, o->default_sched, err);
    if (rc) {
        lre_optim_free(o);
        return rc;
    }
    *out = o;
    return LRE_OK;
}

int lre__adafactor_factored(int kind, const lre_group *g) { return kind == O_ADAFACTOR && g->ndim == 2; }

size_t lre__slot_len(int kind, const lre_group *g, int slot)
{
    if (lre__adafactor_factored(kind, g) && slot >= 1) return slot == 1 ? g->rows : g->cols;
    return g->n;
}

/* A state buffer's size: one element at least, so that n = 0 has one too. */
static size_t state_bytes(int kind, const lre_group *g, int slot)
{
    size_t len = lre__slot_len(kind, g, slot);
    return (len ? len : 1) * lre__dtype_size(g->dtype);
}

static void group_free(lre_optim *o, lre_group *g)
{
    for (int h = 0; h < HP_COUNT; h++) lre_schedule_release(g->sched[h]);
    for (int s = 0; s < LRE_MAX_STATE; s++) lre__free(&o->alloc, g->state[s], state_bytes(o->kind, g, s));
    lre__average_free(o, g);
    lre__free(&o->alloc, g->scratch, g->scratch_bytes);
}

void lre_optim_free(lre_optim *o)
{
    if (!o) return;
    lre__optim_events_free(o);
    for (int i = 0; i < o->ngroups; i++) group_free(o, &o->groups[i]);
    for (int h = 0; h < HP_COUNT; h++) lre_schedule_release(o->default_sched[h]);
    lre_schedule_release(o->average.sched);
    lre__clip_free(o);
    lre_allocator a = o->alloc;
    lre__free(&a, o->groups, (size_t)o->cap * sizeof *o->groups);
    lre__free(&a, o, sizeof *o);
}

const char *lre_optim_errmsg(const lre_optim *o) { return o->err.code ? o->err.msg : ""; }
int64_t lre_optim_step_count(const lre_optim *o) { return o->step; }
int64_t lre_optim_skipped(const lre_optim *o) { return o->skipped; }
int lre_optim_ngroups(const lre_optim *o) { return o->ngroups; }
int lre_optim_group_info(const lre_optim *o, int group, lre_dtype *dtype, size_t *n)
{
    if (group < 0 || group >= o->ngroups) return LRE_EINVAL;
    *dtype = o->groups[group].dtype;
    *n = o->groups[group].n;
    return LRE_OK;
}
void lre_optim_set_nonfinite(lre_optim *o, lre_nonfinite policy)
{
    if (policy == LRE_NONFINITE_ERROR || policy == LRE_NONFINITE_SKIP || policy == LRE_NONFINITE_TRUST)
        o->nonfinite = policy;
}
void lre_optim_set_threads(lre_optim *o, int threads) { o->threads = threads < 0 ? 1 : threads; }

/* Which state arrays a group needs, given its hyper-parameters and schedules
 * (a scheduled momentum counts as on). Slots: see the kernels. */
static int state_needed(int kind, const double *hp, lre_schedule *const *sched, int g_ndim, int slot)
{
    int momentum = hp[HP_MOMENTUM] != 0 || sched[HP_MOMENTUM] != NULL;
    switch (kind) {
    case O_SGD:
    case O_LARS: return slot == 0 && momentum;
    case O_NOVOGRAD: return slot == 0;
    case O_ADAFACTOR: /* the first moment (beta1 > 0); v, or a matrix's row and column means */
        return slot == 0 ? hp[HP_BETA1] != 0 || sched[HP_BETA1] != NULL : slot == 1 || (slot == 2 && g_ndim == 2);
    case O_ADAM:
    case O_ADAMW: return slot < 2 || (slot == 2 && hp[HP_AMSGRAD]);
    case O_ADAGRAD:
    case O_ASGD:
    case O_LION: return slot == 0;
    case O_ADAMW_SCHEDULEFREE: return slot < 3; /* z, x, second moment */
    case O_SIGNSGD:
    case O_SIGNUM: return slot == 0 && momentum;
    case O_ADABELIEF: return slot < 2 || (slot == 2 && hp[HP_AMSGRAD]);
    case O_RMSPROP: return slot == 0 || (slot == 1 && momentum) || (slot == 2 && hp[HP_CENTERED]);
    case O_ADEMAMIX: return slot < 3; /* m1, m2 (the slow EMA), nu */
    case O_MUON: return hp[HP_RULE] == MUON_RULE_MUON ? slot == 0 : slot < 2; /* momentum; or AdamW's m, v */
    case O_PRODIGY: return 1; /* p0, s, m, v */
    default: return slot < 2; /* adadelta, adamax, nadam, radam, rprop */
    }
}

/* Allocates what group g needs under hyper-parameters hp and lacks, with
 * PyTorch's initial values. A buffer once there stays: the needs only grow. */
static int ensure_state(lre_optim *o, lre_group *g, const double *hp)
{
    for (int s = 0; s < LRE_MAX_STATE; s++) {
        if (g->state[s] || !state_needed(o->kind, hp, g->sched, g->ndim, s)) continue;
        void *buf = lre__alloc_zero(&o->alloc, state_bytes(o->kind, g, s), 1);
        if (!buf) return fail(o, LRE_ENOMEM, "%s: out of memory for optimizer state", defs[o->kind].name);
        double init = 0;
        if (o->kind == O_ADAGRAD || o->kind == O_YOGI) init = hp[HP_INITIAL_ACC];
        if (o->kind == O_RPROP && s == 1) init = hp[HP_LR];
        for (size_t i = 0; init != 0 && i < lre__slot_len(o->kind, g, s); i++) {
            if (g->dtype == LRE_F32) ((float *)buf)[i] = (float)init;
            else ((double *)buf)[i] = init;
        }
        if (o->kind == O_PRODIGY && s == 0 && g->n) memcpy(buf, g->params, g->n * lre__dtype_size(g->dtype)); /* p0 */
        g->state[s] = buf;
    }
    if (o->kind == O_MUON && hp[HP_RULE] == MUON_RULE_MUON && !g->scratch) { /* allocated once, here */
        size_t bytes = lre__muon_scratch_elems(g->rows, g->cols) * lre__dtype_size(g->dtype);
        g->scratch = lre__alloc_zero(&o->alloc, bytes ? bytes : 1, 1);
        if (!g->scratch) return fail(o, LRE_ENOMEM, "muon: out of memory for Newton-Schulz scratch");
        g->scratch_bytes = bytes ? bytes : 1;
    }
    if (o->kind == O_LAMB && !g->scratch) { /* r between the passes (optim_kernels.h) */
        size_t bytes = g->n ? g->n * lre__dtype_size(g->dtype) : 1;
        g->scratch = lre__alloc_zero(&o->alloc, bytes, 1);
        if (!g->scratch) return fail(o, LRE_ENOMEM, "lamb: out of memory for the update direction");
        g->scratch_bytes = bytes;
    }
    if (lre__adafactor_factored(o->kind, g) && !g->scratch) { /* the column sums, two rows' terms, the column factors */
        size_t cols = g->cols ? g->cols : 1;
        if (cols > SIZE_MAX / 32) return fail(o, LRE_ENOMEM, "adafactor: out of memory for the column sums");
        size_t bytes = cols * (sizeof(double) + 3 * lre__dtype_size(g->dtype));
        g->scratch = lre__alloc_zero(&o->alloc, bytes, 1);
        if (!g->scratch) return fail(o, LRE_ENOMEM, "adafactor: out of memory for the column sums");
        g->scratch_bytes = bytes;
    }
    return LRE_OK;
}

static int add_group(lre_optim *o, lre_dtype dtype, void *params, const void *grads, size_t rows, size_t cols,
                     int ndim, const lre_param *overrides, size_t noverrides, int *group_out);

int lre_optim_add_group(lre_optim *o, lre_dtype dtype, void *params, const void *grads, size_t n,
                        const lre_param *overrides, size_t noverrides, int *group_out)
{
    return add_group(o, dtype, params, grads, 1, n, 1, overrides, noverrides, group_out);
}

int lre_optim_add_matrix(lre_optim *o, lre_dtype dtype, void *params, const void *grads, size_t rows, size_t cols,
                         const lre_param *overrides, size_t noverrides, int *group_out)
{
    o->err.code = 0;
    size_t n;
    if (!lre__mul_size(rows, cols, &n))
        return fail(o, LRE_EINVAL, "%s: a %zu x %zu matrix is larger than memory", defs[o->kind].name, rows, cols);
    return add_group(o, dtype, params, grads, rows, cols, 2, overrides, noverrides, group_out);
}

int lre_optim_shape(const lre_optim *o, int group, size_t *rows, size_t *cols)
{
    if (group < 0 || group >= o->ngroups) return -1;
    if (rows) *rows = o->groups[group].rows;
    if (cols) *cols = o->groups[group].cols;
    return o->groups[group].ndim;
}

/* Muon's rule for group g: "auto" becomes muon for a matrix, adamw for a
 * vector; muon on a vector, or on a matrix beyond BLAS's int sizes, is
 * refused. */
static int muon_rule(lre_optim *o, lre_group *g)
{
    if (g->hp[HP_RULE] == MUON_RULE_AUTO) g->hp[HP_RULE] = g->ndim == 2 ? MUON_RULE_MUON : MUON_RULE_ADAMW;
    if (g->hp[HP_RULE] != MUON_RULE_MUON) return LRE_OK;
    if (g->ndim != 2)
        return fail(o, LRE_EINVAL, "muon: rule 'muon' needs a matrix group (lre_optim_add_matrix, a matrix tensor); "
                                   "this group is a vector of %zu", g->n);
    if (g->rows > INT32_MAX || g->cols > INT32_MAX)
        return fail(o, LRE_EINVAL, "muon: a %zu x %zu matrix is beyond BLAS's int sizes", g->rows, g->cols);
    char why[LRE_ERRMSG_SIZE];
    if (lre__blas_ready(0, why, sizeof why)) return fail(o, LRE_ENOMEM, "muon: %s", why);
    return LRE_OK;
}

/* A group of rows x cols elements (ndim 1: a vector, rows 1). */
static int add_group(lre_optim *o, lre_dtype dtype, void *params, const void *grads, size_t rows, size_t cols,
                     int ndim, const lre_param *overrides, size_t noverrides, int *group_out)
{
    o->err.code = 0;
    const char *name = defs[o->kind].name;
    size_t n = rows * cols; /* (checked by the callers) */
    if (dtype != LRE_F32 && dtype != LRE_F64) return fail(o, LRE_EINVAL, "%s: unknown dtype", name);
    if (n > 0 && (!params || !grads)) return fail(o, LRE_EINVAL, "%s: params and grads must not be NULL", name);
    size_t bytes;
    if (!lre__mul_size(n, lre__dtype_size(dtype), &bytes))
        return fail(o, LRE_EINVAL, "%s: a group of %zu parameters is larger than memory", name, n);
    if (o->ngroups == o->cap) {
        if (o->cap > INT_MAX / 2) return fail(o, LRE_EINVAL, "%s: too many groups (%d)", name, o->ngroups);
        int cap = o->cap ? 2 * o->cap : 4;
        size_t gbytes;
        if (!lre__mul_size((size_t)cap, sizeof(lre_group), &gbytes))
            return fail(o, LRE_EINVAL, "%s: too many groups (%d)", name, o->ngroups);
        lre_group *gs = lre__realloc(&o->alloc, o->groups, (size_t)o->cap * sizeof *gs, gbytes);
        if (!gs) return fail(o, LRE_ENOMEM, "%s: out of memory", name);
        o->groups = gs;
        o->cap = cap;
    }
    lre_group *g = &o->groups[o->ngroups];
    memset(g, 0, sizeof *g);
    g->dtype = dtype;
    g->params = params;
    g->grads = grads;
    g->n = n;
    g->rows = rows;
    g->cols = cols;
    g->ndim = ndim;
    g->scalar[1] = 1; /* ASGD's mu */
    for (int h = 0; h < HP_COUNT; h++) {
        g->sched[h] = lre_schedule_retain(o->default_sched[h]);
        if (g->sched[h]) lre_schedule_set_horizon(g->sched[h], o->steps_per_epoch, o->total_steps);
    }
    int rc = parse_hps(o->kind, o->defaults, overrides, noverrides, g->hp, g->sched, &o->err);
    for (int h = 0; h < HP_COUNT && !rc; h++)
        if (g->sched[h]) lre_schedule_set_horizon(g->sched[h], o->steps_per_epoch, o->total_steps);
    lre__group_index_schedules(g);
    if (!rc && o->kind == O_MUON) rc = muon_rule(o, g);
    if (!rc && o->kind == O_PRODIGY && o->ngroups == 0) { /* d starts at the first group's d0 */
        o->prodigy = (lre_prodigy){g->hp[HP_D0], g->hp[HP_D0], 0, 0, 0};
    }
    if (!rc) rc = ensure_state(o, g, g->hp);
    if (!rc) rc = lre__average_alloc(o, g);
    if (rc) {
        group_free(o, g);
        return rc;
    }
    if (group_out) *group_out = o->ngroups;
    o->ngroups++;
    return LRE_OK;
}

void lre__group_index_schedules(lre_group *g)
{
    g->nscheduled = 0;
    for (int h = 0; h < HP_COUNT; h++)
        if (g->sched[h]) g->scheduled[g->nscheduled++] = (unsigned char)h;
}

int lre_optim_rebind(lre_optim *o, int group, void *params, const void *grads)
{
    if (group < 0 || group >= o->ngroups)
        return fail(o, LRE_EINVAL, "%s: no group %d", defs[o->kind].name, group);
    o->groups[group].params = params;
    o->groups[group].grads = grads;
    return LRE_OK;
}

/* Resolves (group, name) to the groups it covers and the hyper-parameter. */
static int resolve(lre_optim *o, int group, const char *hparam, int *lo, int *hi, const hp_spec **hs)
{
    const char *name = defs[o->kind].name;
    *hs = hparam ? find_hp(o->kind, hparam) : NULL;
    if (!*hs) {
        const char *names[HP_COUNT + 1];
        size_t n = 0;
        for (size_t i = 0; i < defs[o->kind].nhp; i++) names[n++] = defs[o->kind].hp[i].spec.name;
        names[n] = NULL;
        return lre__error_unknown(&o->err, name, "hyper-parameter", hparam, hparam ? lre_suggest(hparam, names) : NULL,
                                  "hyper-parameters", names);
    }
    if (group >= o->ngroups) return fail(o, LRE_EINVAL, "%s: no group %d", name, group);
    *lo = group < 0 ? 0 : group;
    *hi = group < 0 ? o->ngroups : group + 1;
    return LRE_OK;
}

int lre_optim_schedule(lre_optim *o, int group, const char *hparam, lre_schedule *s)
{
    int lo, hi;
    const hp_spec *hs;
    int rc = resolve(o, group, hparam, &lo, &hi, &hs);
    if (rc) return rc;
    if (hs->spec.flags & LRE_P_FIXED)
        return fail(o, LRE_EINVAL, "%s: %s is a switch and can not be scheduled", defs[o->kind].name, hs->spec.name);
    if (group < 0) {
        lre__optim_events_drop(o, o->default_sched[hs->hp]);
        lre_schedule_release(o->default_sched[hs->hp]);
        o->default_sched[hs->hp] = lre_schedule_retain(s);
    }
    for (int i = lo; i < hi; i++) {
        lre_group *g = &o->groups[i];
        lre__optim_events_drop(o, g->sched[hs->hp]); /* taken over again at the next step when still in use */
        lre_schedule_release(g->sched[hs->hp]);
        g->sched[hs->hp] = lre_schedule_retain(s);
        lre__group_index_schedules(g);
        if (s) lre_schedule_set_horizon(s, o->steps_per_epoch, o->total_steps);
        rc = ensure_state(o, g, g->hp);
        if (rc) return rc;
    }
    return LRE_OK;
}

/* Sets a constant, removing any schedule of it. All-or-nothing: every group
 * is checked, and the state a value needs allocated, before anything is set. */
int lre_optim_set(lre_optim *o, int group, const char *hparam, double value)
{
    int lo, hi;
    const hp_spec *hs;
    const char *name = defs[o->kind].name;
    int rc = resolve(o, group, hparam, &lo, &hi, &hs);
    if (!rc) rc = lre__check_value(name, &hs->spec, value, &o->err);
    if (rc) return rc;
    if (hs->spec.flags & LRE_P_FIXED) return fail(o, LRE_EINVAL, "%s: %s is fixed at construction", name, hs->spec.name);
    for (int i = lo; i < hi; i++) {
        lre_group *g = &o->groups[i];
        double hp[HP_COUNT];
        memcpy(hp, g->hp, sizeof hp);
        hp[hs->hp] = value;
        lre_schedule *sched[HP_COUNT];
        memcpy(sched, g->sched, sizeof sched);
        sched[hs->hp] = NULL;
        rc = check_relations(o->kind, hp, sched[HP_MOMENTUM] != NULL, name, &o->err);
        if (!rc) rc = ensure_state(o, g, hp);
        if (rc) return rc;
    }
    if (group < 0) {
        o->defaults[hs->hp] = value;
        lre__optim_events_drop(o, o->default_sched[hs->hp]);
        lre_schedule_release(o->default_sched[hs->hp]);
        o->default_sched[hs->hp] = NULL;
    }
    for (int i = lo; i < hi; i++) {
        o->groups[i].hp[hs->hp] = value;
        lre__optim_events_drop(o, o->groups[i].sched[hs->hp]);
        lre_schedule_release(o->groups[i].sched[hs->hp]);
        o->groups[i].sched[hs->hp] = NULL;
        lre__group_index_schedules(&o->groups[i]);
    }
    return LRE_OK;
}

/* ---- checks of loaded state (optim_state.c) ---- */

int lre__optim_check_hps(const lre_optim *o, int group, const double *hp, const char *who, lre_error *err)
{
    const optim_def *d = &defs[o->kind];
    const lre_group *g = &o->groups[group];
    unsigned used[HP_COUNT] = {0};
    for (size_t i = 0; i < d->nhp; i++) {
        const lre_pspec *ps = &d->hp[i].spec;
        int h = d->hp[i].hp;
        used[h] = 1;
        /* a switch decides the kernel and which buffers exist: it must be this optimizer's */
        if (ps->flags & LRE_P_FIXED) {
            if (hp[h] != g->hp[h])
                return lre_error_set(err, LRE_EMISMATCH, "%s: %s is %.17g, this optimizer has %.17g", who, ps->name,
                                     hp[h], g->hp[h]);
            continue;
        }
        if (lre__check_value(who, ps, hp[h], err)) return err ? (err->code = LRE_ECORRUPT) : LRE_ECORRUPT;
    }
    for (int h = 0; h < HP_COUNT; h++)
        if (!used[h] && hp[h] != 0)
            return lre_error_set(err, LRE_ECORRUPT, "%s: hyper-parameter slot %d is not %s's, yet holds %.17g", who, h,
                                 d->name, hp[h]);
    if (check_relations(o->kind, hp, g->sched[HP_MOMENTUM] != NULL, who, err))
        return err ? (err->code = LRE_ECORRUPT) : LRE_ECORRUPT;
    for (int s = 0; s < LRE_MAX_STATE; s++)
        if (!g->state[s] && state_needed(o->kind, hp, g->sched, g->ndim, s))
            return lre_error_set(err, LRE_EMISMATCH, "%s: its hyper-parameters need state buffer %d, which this optimizer lacks",
                                 who, s + 1);
    return LRE_OK;
}

/* The state buffers whose elements are never negative: sums and averages of
 * squares, maxima of magnitudes, step sizes (see the kernels). */
int lre__optim_nonneg_slot(int kind, int slot)
{
    switch (kind) {
    case O_ADAM:
    case O_ADAMW: return slot >= 1;
    case O_ADAGRAD: return slot == 0;
    case O_RMSPROP: return slot == 0;
    case O_ADADELTA: return 1;
    case O_ADAMAX:
    case O_NADAM:
    case O_RADAM:
    case O_RPROP: return slot == 1;
    case O_ADEMAMIX: return slot == 2;
    case O_ADAMW_SCHEDULEFREE: return slot == 2;
    case O_NADAM_KERAS:
    case O_YOGI: return slot == 1;
    case O_ADABELIEF: return slot >= 1;
    case O_MUON: return slot == 1; /* the AdamW rule's v (a matrix group has slot 0 alone) */
    case O_LAMB: return slot == 1;
    case O_PRODIGY: return slot == 3;
    case O_ADAFACTOR: return slot >= 1;
    default: return 0;
    }
}

int lre__optim_check_scalars(int kind, int64_t t, const double *scalar)
{
    if (t == 0) return scalar[0] == 0 && scalar[1] == 1 && scalar[2] == 0; /* as add_group leaves them */
    switch (kind) {
    case O_NADAM: /* the product of the mu_t, each in [0, 1) */
    case O_NADAM_KERAS:
        return scalar[0] >= 0 && scalar[0] < 1 && scalar[1] == 1 && scalar[2] == 0;
    case O_NOVOGRAD: /* the group's second moment: a sum of squares */
        return isfinite(scalar[0]) && scalar[0] >= 0 && scalar[1] == 1 && scalar[2] == 0;
    case O_ASGD: /* eta = lr / (1 + lambd lr t)^alpha, mu = 1 / max(1, t - t0) */
        return isfinite(scalar[0]) && scalar[0] >= 0 && scalar[1] > 0 && scalar[1] <= 1 && scalar[2] == 0;
    case O_SGD_SCHEDULEFREE: /* the largest rate so far, the sum of the averaging weights */
    case O_ADAMW_SCHEDULEFREE:
        return isfinite(scalar[0]) && scalar[0] >= 0 && scalar[1] == 1 && isfinite(scalar[2]) && scalar[2] >= 0;
    default: return scalar[0] == 0 && scalar[1] == 1 && scalar[2] == 0;
    }
}

static int get_readout(const lre_optim *o, const lre_group *g, const char *name, double *value);

int lre_optim_get(lre_optim *o, int group, const char *hparam, double *value)
{
    int lo, hi;
    const hp_spec *hs;
    if (hparam && group < o->ngroups && o->ngroups > 0 && !find_hp(o->kind, hparam) &&
        get_readout(o, &o->groups[group < 0 ? 0 : group], hparam, value))
        return LRE_OK;
    int rc = resolve(o, group, hparam, &lo, &hi, &hs);
    if (rc) return rc;
    *value = group < 0 ? (o->ngroups ? o->groups[0].hp[hs->hp] : o->defaults[hs->hp]) : o->groups[group].hp[hs->hp];
    return LRE_OK;
}

lre_schedule *lre_optim_get_schedule(const lre_optim *o, int group, const char *hparam)
{
    const hp_spec *hs = hparam ? find_hp(o->kind, hparam) : NULL;
    if (!hs || group < 0 || group >= o->ngroups) return NULL;
    return o->groups[group].sched[hs->hp];
}

void lre_optim_set_horizon(lre_optim *o, int64_t steps_per_epoch, int64_t total_steps)
{
    o->steps_per_epoch = steps_per_epoch;
    o->total_steps = total_steps;
    for (int i = 0; i < o->ngroups; i++)
        for (int h = 0; h < HP_COUNT; h++)
            if (o->groups[i].sched[h]) lre_schedule_set_horizon(o->groups[i].sched[h], steps_per_epoch, total_steps);
    if (o->average.sched) lre_schedule_set_horizon(o->average.sched, steps_per_epoch, total_steps);
    if (o->clip.sched) lre_schedule_set_horizon(o->clip.sched, steps_per_epoch, total_steps);
    if (o->guard.script) lre_schedule_set_horizon(o->guard.script, steps_per_epoch, total_steps);
}

/* ---- the step ---- */

/* AdEMAMix's warm-ups at step k (1-based), as the reference evaluates them:
 * linear_warmup_scheduler(k, alpha, 0, alpha_warmup) and
 * linear_hl_warmup_scheduler(k, beta3, beta1, beta3_warmup), the latter
 * interpolating half-lives with 1e-8 inside the logarithm. */
static double ademamix_alpha(const double *hp, double k)
{
    double w = hp[HP_ALPHA_WARMUP];
    if (k < w) {
        double a = k / w;
        return (1 - a) * 0 + a * hp[HP_ALPHA];
    }
    return hp[HP_ALPHA];
}

static double ademamix_half_life(double beta) { return log(0.5) / log(beta + 1e-8) - 1; }

static double ademamix_beta3(const double *hp, double k)
{
    double w = hp[HP_BETA3_WARMUP];
    if (k < w) {
        double a = k / w;
        return pow(0.5, 1 / ((1 - a) * ademamix_half_life(hp[HP_BETA1]) + a * ademamix_half_life(hp[HP_BETA3]) + 1));
    }
    return hp[HP_BETA3];
}

/* Values an optimizer derives each step, readable by name through
 * lre_optim_get beside its hyper-parameters: those of the group's last
 * update (before any, of its first). */
static int get_readout(const lre_optim *o, const lre_group *g, const char *name, double *value)
{
    double t = (double)(g->t > 0 ? g->t : 1);
    if (o->kind == O_PRODIGY && !strcmp(name, "d")) return *value = o->prodigy.d, 1;
    if (o->kind == O_PRODIGY && !strcmp(name, "d_max")) return *value = o->prodigy.d_max, 1;
    if (o->kind == O_PRODIGY && !strcmp(name, "dlr")) return *value = o->prodigy.dlr, 1;
    if (o->kind == O_ADEMAMIX && !strcmp(name, "alpha_t")) return *value = ademamix_alpha(g->hp, t), 1;
    if (o->kind == O_ADEMAMIX && !strcmp(name, "beta3_t")) return *value = ademamix_beta3(g->hp, t), 1;
    return 0;
}

/* The scalars of one update of group g at its update count t (1-based),
 * following each optimizer's PyTorch code. */
static void prepare(const lre_optim *o, const lre_group *g, lre_step_scalars *k)
{
    const double *hp = k->hp;
    double t = (double)(g->t + 1);
    k->first = g->t == 0;
    k->a = k->b = k->c = k->d = 0;
    k->decay = hp[HP_DECOUPLED_WD] ? 1 - hp[HP_LR] * hp[HP_WEIGHT_DECAY] : 1;
    switch (o->kind) {
    case O_ADAM:
    case O_ADAMW: {
        double bc1 = 1 - pow(hp[HP_BETA1], t), bc2 = 1 - pow(hp[HP_BETA2], t);
        /* epsilon_hat: Kingma & Ba, end of section 2, as TensorFlow does it. */
        k->a = hp[HP_EPSILON_HAT] ? hp[HP_LR] * sqrt(bc2) / bc1 : hp[HP_LR] / bc1; /* step size */
        k->b = sqrt(bc2);
        k->c = 1 - hp[HP_LR] * hp[HP_WEIGHT_DECAY]; /* AdamW's decoupled decay */
        break;
    }
    case O_ADAGRAD: k->a = hp[HP_LR] / (1 + (t - 1) * hp[HP_LR_DECAY]); break;
    case O_ADAMAX: k->a = hp[HP_LR] / (1 - pow(hp[HP_BETA1], t)); break;
    case O_NADAM: { /* Dozat 2016, with PyTorch's momentum schedule 0.96^(t*psi) */
        double b1 = hp[HP_BETA1], md = hp[HP_MOMENTUM_DECAY];
        double mu = b1 * (1 - 0.5 * pow(0.96, t * md));
        double mu_next = b1 * (1 - 0.5 * pow(0.96, (t + 1) * md));
        double mu_product = (k->first ? 1 : g->scalar[0]) * mu;
        k->a = hp[HP_LR] * (1 - mu) / (1 - mu_product);
        /* PyTorch 1.13 computes mu_product_next = mu_product * mu * mu_next
         * (mu counted twice); the reference traces pin that behaviour. */
        k->b = hp[HP_LR] * mu_next / (1 - mu_product * mu * mu_next);
        k->c = 1 - pow(hp[HP_BETA2], t);
        k->d = mu_product;
        break;
    }
    case O_RADAM: { /* Liu et al. 2020, variance rectification */
        double b2 = hp[HP_BETA2];
        double bc1 = 1 - pow(hp[HP_BETA1], t), bc2 = 1 - pow(b2, t);
        double rho_inf = 2 / (1 - b2) - 1;
        double rho_t = rho_inf - 2 * t * pow(b2, t) / bc2;
        k->a = bc1;
        k->b = sqrt(bc2);
        k->c = rho_t > 5 ? sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) : 0;
        break;
    }
    case O_MUON: /* muon.py: adam_update's bias corrections; p.mul_(1 - lr * wd); max(1, R/C)**0.5 */
        k->a = 1 - pow(hp[HP_BETA1], t);
        k->b = 1 - pow(hp[HP_BETA2], t);
        k->c = 1 - hp[HP_LR] * hp[HP_WEIGHT_DECAY];
        k->d = sqrt(fmax(1, (double)g->rows / (double)g->cols));
        break;
    case O_ADEMAMIX: /* Pagliardini, Ablin & Grangier 2024, as apple/ml-ademamix's pytorch/ademamix.py */
        k->a = 1 - pow(hp[HP_BETA1], t);
        k->b = sqrt(1 - pow(hp[HP_BETA2], t));
        k->c = ademamix_alpha(hp, t);
        k->d = ademamix_beta3(hp, t);
        break;
    case O_SGD_SCHEDULEFREE:
    case O_ADAMW_SCHEDULEFREE: { /* Defazio et al. 2024, as the reference code computes it */
        double warm = hp[HP_WARMUP_STEPS];
        double lr = hp[HP_LR] * ((double)g->t < warm ? t / warm : 1.0);
        double lr_max = fmax(lr, g->scalar[0]);
        double weight = pow(t, hp[HP_R]) * pow(lr_max, hp[HP_WEIGHT_LR_POWER]);
        double weight_sum = g->scalar[2] + weight;
        k->a = lr;
        k->b = weight_sum != 0 ? weight / weight_sum : 0; /* the reference's ZeroDivisionError: 0 */
        k->c = 1 - pow(hp[HP_BETA2], t);
        k->d = lr * hp[HP_WEIGHT_DECAY];
        k->sf_lr_max = lr_max;
        k->sf_weight_sum = weight_sum;
        break;
    }
    case O_NADAM_KERAS: { /* keras/src/optimizers/nadam.py: u_t = beta1 (1 - 0.5 * 0.96^t) */
        double b1 = hp[HP_BETA1];
        double u = b1 * (1 - 0.5 * pow(0.96, t)), u_next = b1 * (1 - 0.5 * pow(0.96, t + 1));
        double u_product = (k->first ? 1 : g->scalar[0]) * u;
        k->a = u_next / (1 - u_product * u_next);
        k->b = (1 - u) / (1 - u_product);
        k->c = 1 - pow(hp[HP_BETA2], t);
        k->d = u_product;
        break;
    }
    case O_ADABELIEF: { /* timm's adabelief.py: the rectification of RAdam with its buffered step size */
        double b1 = hp[HP_BETA1], b2 = hp[HP_BETA2];
        double bc1 = 1 - pow(b1, t), b2t = pow(b2, t);
        k->b = sqrt(1 - b2t);
        if (hp[HP_FIXED_DECAY] && hp[HP_DECOUPLED_WD]) k->decay = 1 - hp[HP_WEIGHT_DECAY];
        if (!hp[HP_RECTIFY]) {
            k->a = hp[HP_LR] / bc1;
            k->c = 0;
            break;
        }
        double sma_max = 2 / (1 - b2) - 1;
        double sma = sma_max - 2 * t * b2t / (1 - b2t);
        if (sma >= 5) {
            k->a = sqrt((1 - b2t) * (sma - 4) / (sma_max - 4) * (sma - 2) / sma * sma_max / (sma_max - 2)) / bc1 *
                   hp[HP_LR];
            k->c = 1;
        } else if (hp[HP_DEGENERATED]) {
            k->a = 1.0 / bc1 * hp[HP_LR];
            k->c = 2;
        } else {
            k->c = 3;
        }
        break;
    }
    case O_ADAFACTOR: { /* HF's _get_lr (relative_step; with an lr too, Keras' min(lr, 1/sqrt(t))) */
        k->a = 1 - pow(t, hp[HP_DECAY_RATE]);
        double step = hp[HP_LR];
        if (hp[HP_RELATIVE_STEP]) {
            double min_step = hp[HP_LR] > 0 ? hp[HP_LR] : hp[HP_WARMUP_INIT] ? 1e-6 * t : 1e-2;
            step = fmin(min_step, 1 / sqrt(t));
        }
        k->b = step;
        break;
    }
    case O_LAMB:
        k->a = 1 - pow(hp[HP_BETA1], t);
        k->b = 1 - pow(hp[HP_BETA2], t);
        break;
    case O_YOGI: {
        k->a = hp[HP_LR] / (1 - pow(hp[HP_BETA1], t));
        k->b = sqrt(1 - pow(hp[HP_BETA2], t));
        break;
    }
    case O_ASGD: /* the averaging rate and step of Polyak & Juditsky, as PyTorch keeps them */
        k->a = k->first ? hp[HP_LR] : g->scalar[0]; /* eta */
        k->b = k->first ? 1 : g->scalar[1];         /* mu */
        break;
    default: break;
    }
}

/* Per-group scalar state after an update. */
static void commit_scalars(const lre_optim *o, lre_group *g, const lre_step_scalars *k)
{
    double t = (double)g->t; /* already advanced */
    if (o->kind == O_NADAM || o->kind == O_NADAM_KERAS) g->scalar[0] = k->d;
    if (o->kind == O_ASGD) {
        g->scalar[0] = k->hp[HP_LR] / pow(1 + k->hp[HP_LAMBD] * k->hp[HP_LR] * t, k->hp[HP_ALPHA]);
        g->scalar[1] = 1 / fmax(1, t - k->hp[HP_T0]);
    }
    if ((o->kind == O_SGD || o->kind == O_LARS) && k->hp[HP_MOMENTUM] != 0) g->momentum_started = 1;
    if (o->kind == O_NOVOGRAD) g->scalar[0] = k->d;
    if (lre__optim_schedulefree(o->kind)) {
        g->scalar[0] = k->sf_lr_max;
        g->scalar[2] = k->sf_weight_sum;
    }
}

/* Elements per parallel chunk; groups under 4 chunks are done by one thread. */
#define LRE_CHUNK ((size_t)1 << 16)

#ifdef _OPENMP
static int optim_threads(const lre_optim *o, size_t n)
{
    if (n < 4 * LRE_CHUNK) return 1;
    return o->threads == 0 ? omp_get_num_procs() : o->threads;
}
#endif

static int chunk_finite(const lre_group *g, size_t lo, size_t hi)
{
    return g->dtype == LRE_F32 ? lre__all_finite_f32((const float *)g->grads + lo, hi - lo)
                               : lre__all_finite_f64((const double *)g->grads + lo, hi - lo);
}

static int grads_finite(const lre_optim *o, const lre_group *g)
{
#ifdef _OPENMP
    int threads = optim_threads(o, g->n);
    if (threads > 1) {
        long nchunks = (long)((g->n + LRE_CHUNK - 1) / LRE_CHUNK);
        int finite = 1;
#pragma omp parallel for num_threads(threads) schedule(static) reduction(&& : finite)
        for (long c = 0; c < nchunks; c++) {
            size_t lo = (size_t)c * LRE_CHUNK, hi = lo + LRE_CHUNK < g->n ? lo + LRE_CHUNK : g->n;
            finite = finite && chunk_finite(g, lo, hi);
        }
        return finite;
    }
#else
    (void)o;
#endif
    return chunk_finite(g, 0, g->n);
}

/* The update of elements [lo, hi), then their averaging while they are in
 * cache (the average starts as the parameters before the first update). */
static void update_chunk(int kind, lre_group *g, const lre_step_scalars *k, size_t lo, size_t hi)
{
    lre__average_begin(g, k, lo, hi);
    if (g->dtype == LRE_F32) lre__update_f32(kind, g, k, lo, hi);
    else lre__update_f64(kind, g, k, lo, hi);
    lre__average_chunk(g, k, lo, hi);
}

/* Does this step of group g need sums over the group before its update? */
static int needs_sums(int kind, const double *hp)
{
    return kind == O_LAMB || kind == O_NOVOGRAD || kind == O_ADAFACTOR ||
           (kind == O_LARS && (hp[HP_WEIGHT_DECAY] != 0 || hp[HP_ALWAYS_ADAPT]));
}

/* The scalars of the update pass from the sums of the first (see the kernels). */
static void finish_sums(int kind, const lre_group *g, lre_step_scalars *k, const double *sums)
{
    const double *hp = k->hp;
    switch (kind) {
    case O_LAMB: { /* optax.scale_by_trust_ratio: 1 when either norm is 0 */
        double wn = sqrt(sums[0]), rn = sqrt(sums[1]);
        k->c = (wn > 0 && rn > 0 ? wn / rn : 1) * hp[HP_LR];
        break;
    }
    case O_LARS: { /* timm's Lars */
        double wn = sqrt(sums[0]), gn = sqrt(sums[1]);
        double wd = hp[HP_DECOUPLED_WD] ? 0 : hp[HP_WEIGHT_DECAY];
        double ratio = wn > 0 && gn > 0 ? hp[HP_TRUST_COEFF] * wn / (gn + wn * wd + hp[HP_EPS]) : 1;
        if (hp[HP_TRUST_CLIP]) ratio = fmin(ratio / hp[HP_LR], 1); /* (fmin: 1 for 0 / 0) */
        k->b = wd;
        k->c = ratio;
        k->d = 1;
        break;
    }
    case O_ADAFACTOR: { /* HF: _rms(t) = ||t|| / sqrt(numel); Python's max(eps, rms); torch's clamp */
        double rootn = sqrt((double)g->n), rms_p = sqrt(sums[0]) / rootn, rms_u = sqrt(sums[1]) / rootn;
        double scale = hp[HP_SCALE_PARAMETER] ? (rms_p > hp[HP_EPS2] ? rms_p : hp[HP_EPS2]) : 1;
        double lr_eff = scale * k->b, over = rms_u / hp[HP_CLIP_THRESHOLD];
        k->a = lr_eff;
        k->b = over < 1 ? 1 : over; /* (a NaN stays NaN, as clamp_ keeps it) */
        k->c = hp[HP_DECOUPLED_WD] ? 0 : -hp[HP_WEIGHT_DECAY] * lr_eff;
        break;
    }
    case O_NOVOGRAD: { /* torch-optimizer: exp_avg_sq copies the norm while it is 0 */
        double v = g->scalar[0];
        v = v == 0 ? sums[0] : v * hp[HP_BETA2] + (1 - hp[HP_BETA2]) * sums[0];
        k->a = sqrt(v) + hp[HP_EPS];
        k->d = v;
        break;
    }
    default: break;
    }
}

/* Pass 1 of a two-pass optimizer: its sums, chunk by chunk in order on one
 * thread (the update pass is the one that runs on several). */
static void group_sums(const lre_optim *o, lre_group *g, lre_step_scalars *k)
{
    double sums[LRE_NSUMS] = {0};
    if (lre__adafactor_factored(o->kind, g)) { /* row by row, its own two passes */
        if (g->dtype == LRE_F32) lre__adafactor_factored_f32(g, k, sums);
        else lre__adafactor_factored_f64(g, k, sums);
        finish_sums(o->kind, g, k, sums);
        return;
    }
    for (size_t lo = 0; lo < g->n; lo += LRE_CHUNK) {
        size_t hi = g->n - lo > LRE_CHUNK ? lo + LRE_CHUNK : g->n;
        if (g->dtype == LRE_F32) lre__reduce_f32(o->kind, g, k, lo, hi, sums);
        else lre__reduce_f64(o->kind, g, k, lo, hi, sums);
    }
    finish_sums(o->kind, g, k, sums);
}

static void update_group(const lre_optim *o, lre_group *g, lre_step_scalars *k)
{
    if (needs_sums(o->kind, k->hp)) group_sums(o, g, k);
    if (o->kind == O_MUON && g->hp[HP_RULE] == MUON_RULE_MUON) { /* GEMMs: BLAS has its own threads */
        lre__average_begin(g, k, 0, g->n);
        lre__muon_update(g, k);
        lre__average_chunk(g, k, 0, g->n);
        return;
    }
    void (*update)(int, lre_group *, const lre_step_scalars *, size_t, size_t) = update_chunk;
#ifdef _OPENMP
    int threads = optim_threads(o, g->n);
    if (threads > 1) {
        long nchunks = (long)((g->n + LRE_CHUNK - 1) / LRE_CHUNK);
#pragma omp parallel for num_threads(threads) schedule(static)
        for (long c = 0; c < nchunks; c++) {
            size_t lo = (size_t)c * LRE_CHUNK, hi = lo + LRE_CHUNK < g->n ? lo + LRE_CHUNK : g->n;
            update(o->kind, g, k, lo, hi);
        }
        return;
    }
#else
    (void)o;
#endif
    /* Chunks first to last. Walking them last to first, so that the end of
     * the gradient the scan has just read is still cached, gained nothing
     * once the benchmark's cache flush was real (bench_core N 1 order: a tie
     * after the scan, 1-4% slower without it; see BENCHMARKS.md). */
    for (size_t lo = 0; lo < g->n; lo += LRE_CHUNK)
        update(o->kind, g, k, lo, g->n - lo > LRE_CHUNK ? lo + LRE_CHUNK : g->n);
}

/* When a (group, hyper-parameter) before (i, h) is driven by the same
 * schedule, where this step's value of it is; else NULL. A schedule shared by
 * several groups or parameters is evaluated, and hears each metric, once per
 * step: a stateful script sees one call per step however many groups it drives. */
static const double *earlier_use(const lre_optim *o, int i, int h)
{
    const lre_schedule *s = o->groups[i].sched[h];
    for (int j = 0; j <= i; j++) {
        const lre_group *g = &o->groups[j];
        for (int x = 0; x < g->nscheduled && (j < i || g->scheduled[x] < h); x++)
            if (g->sched[g->scheduled[x]] == s) return &g->next.hp[g->scheduled[x]];
    }
    return NULL;
}

/* The scan, step 1 of lre_optim_step: each group's norm (the 2-norm, or the
 * inf-norm when clipping by it) and finiteness in one read of its gradients,
 * then the global norm as PyTorch's clip_grad_norm_ takes it: the norm of the
 * groups' norms. A group is cut into at most SCAN_PARTS parts by its size
 * alone, each part reduced by one thread, the parts added in order: the
 * result is the same for any number of threads. A sum of squares that
 * overflows with finite gradients is told from an infinite gradient by the
 * exact check (only then). Returns the index of a group with a NaN or an
 * infinity, or -1. */
#define SCAN_PARTS 64
static double scan_part(const lre_group *g, int inf, size_t len, long p)
{
    size_t lo = (size_t)p * len < g->n ? (size_t)p * len : g->n;
    size_t hi = lo + len < g->n ? lo + len : g->n;
    int f32 = g->dtype == LRE_F32;
    const void *x = (const char *)g->grads + lo * (f32 ? sizeof(float) : sizeof(double));
    if (inf) return f32 ? lre__maxabs_f32(x, hi - lo) : lre__maxabs_f64(x, hi - lo);
    return f32 ? lre__sumsq_f32(x, hi - lo) : lre__sumsq_f64(x, hi - lo);
}

static double scan_group(const lre_optim *o, const lre_group *g, int inf, int *finite)
{
    long parts = (long)((g->n + LRE_CHUNK - 1) / LRE_CHUNK);
    if (parts > SCAN_PARTS) parts = SCAN_PARTS;
    if (parts == 0) parts = 1;
    size_t len = (g->n + (size_t)parts - 1) / (size_t)parts;
    len = (len + 15) / 16 * 16;
    double part[SCAN_PARTS];
#ifdef _OPENMP
    /* (OpenMP only when there are threads to use: a process that never
     * starts libgomp's pool can unload the library safely) */
    int threads = optim_threads(o, g->n);
    if (threads > 1) {
#pragma omp parallel for num_threads(threads) schedule(static)
        for (long p = 0; p < parts; p++) part[p] = scan_part(g, inf, len, p);
    } else
#endif
        for (long p = 0; p < parts; p++) part[p] = scan_part(g, inf, len, p);
    double r = part[0];
    for (long p = 1; p < parts; p++) r = inf ? (part[p] > r || isnan(part[p]) ? part[p] : r) : r + part[p];
    *finite = isfinite(r) || (!isnan(r) && grads_finite(o, g));
    return inf ? r : sqrt(r);
}

static double scan(lre_optim *o, int *bad_group)
{
    int inf = o->clip.kind == CLIP_NORM && isinf(o->clip.norm_type);
    double total = 0;
    *bad_group = -1;
    for (int i = 0; i < o->ngroups; i++) {
        int finite;
        double norm = scan_group(o, &o->groups[i], inf, &finite);
        if (!finite && *bad_group < 0) *bad_group = i;
        if (inf) total = norm > total || isnan(norm) ? norm : total;
        else total += norm * norm;
    }
    return inf ? total : sqrt(total);
}

/* Adaptive gradient clipping (timm's adaptive_clip_grad) fused with the
 * update: unit by unit (a row of a matrix group, the whole of a vector
 * group), the unit's parameter and gradient norms, then the update of the
 * unit with its coefficient. A row is read twice, the second time from
 * cache: the same traffic as the update alone, for rows that fit in cache. */
static void agc_rows(const lre_optim *o, lre_group *g, const lre_step_scalars *k, double factor, double eps,
                     size_t rlo, size_t rhi)
{
    size_t cols = g->ndim == 2 ? g->cols : g->n;
    int f32 = g->dtype == LRE_F32;
    size_t es = f32 ? sizeof(float) : sizeof(double);
    lre_step_scalars kr = *k;
    for (size_t r = rlo; r < rhi; r++) {
        size_t lo = r * cols;
        const void *pp = (const char *)g->params + lo * es, *gp = (const char *)g->grads + lo * es;
        double pn = sqrt(f32 ? lre__sumsq_f32(pp, cols) : lre__sumsq_f64(pp, cols));
        double gn = sqrt(f32 ? lre__sumsq_f32(gp, cols) : lre__sumsq_f64(gp, cols));
        /* max_norm = unitwise_norm(p).clamp_(min=eps).mul_(clip_factor);
         * where(grad_norm < max_norm, g, g * (max_norm / grad_norm.clamp(min=1e-6))),
         * the clamps keeping a NaN as torch.clamp does */
        double max_norm = (pn < eps ? eps : pn) * factor;
        double c = gn < max_norm ? 1 : max_norm / (gn < 1e-6 ? 1e-6 : gn);
        kr.gscale = k->gscale * c;
        update_chunk(o->kind, g, &kr, lo, lo + cols); /* and the row's averaging, if any */
    }
}

static void update_agc(const lre_optim *o, lre_group *g, lre_step_scalars *k, double factor, double eps)
{
    size_t rows = g->ndim == 2 ? g->rows : 1;
    if (o->kind == O_MUON && g->hp[HP_RULE] == MUON_RULE_MUON) { /* orthogonalised whole: no unit-wise clipping */
        update_group(o, g, k);
        return;
    }
#ifdef _OPENMP
    int threads = rows > 1 ? optim_threads(o, g->n) : 1;
    if (threads > 1) {
        long nblocks = threads * 4L;
#pragma omp parallel for num_threads(threads) schedule(static)
        for (long b = 0; b < nblocks; b++)
            agc_rows(o, g, k, factor, eps, rows * (size_t)b / (size_t)nblocks, rows * (size_t)(b + 1) / (size_t)nblocks);
        return;
    }
#endif
    agc_rows(o, g, k, factor, eps, 0, rows);
}

int lre_optim_step(lre_optim *o)
{
    o->err.code = 0;
    const char *name = defs[o->kind].name;
    if (o->ngroups == 0) return fail(o, LRE_EINVAL, "%s: step: no parameter groups", name);
    if (o->eval_mode)
        return fail(o, LRE_EINVAL, "%s: step: the optimizer is in eval mode (the parameters hold x): call train first", name);
    if (o->average.swapped)
        return fail(o, LRE_EINVAL, "%s: step: the averaged weights are swapped in: swap them back first", name);
    if (o->step >= LRE_STEP_MAX || o->skipped >= LRE_STEP_MAX)
        return fail(o, LRE_ERANGE, "%s: step: the run is at its limit of 2^53 steps", name);
    if (o->ev_fn && lre__optim_events_sync(o)) return o->err.code;

    /* Prodigy's d, for scripts' ctx.d (a cheap walk: schedules are small trees) */
    for (int i = 0; i < o->ngroups && o->kind == O_PRODIGY; i++)
        for (int x = 0; x < o->groups[i].nscheduled; x++)
            lre_schedule_set_d(o->groups[i].sched[o->groups[i].scheduled[x]], o->prodigy.d);
    /* 1. The scan: the gradient norm, and a step with a non-finite gradient
     * refused or skipped (unless trusted). Nothing is written yet. */
    o->grad_norm = NAN;
    if (lre__clip_scans(o)) {
        int bad;
        o->grad_norm = scan(o, &bad);
        if (bad >= 0 && o->nonfinite != LRE_NONFINITE_TRUST) {
            if (o->nonfinite == LRE_NONFINITE_SKIP) {
                o->skipped++;
                o->loss = NAN;
                return LRE_OK;
            }
            return fail(o, LRE_ENONFINITE, "%s: non-finite gradient in group %d at step %lld; parameters left unchanged",
                        name, bad + 1, (long long)o->step);
        }
    }
    lre__clip_set_inputs(o);
    /* 2. The guard: keep, skip, or scale. */
    int skip;
    double guard_scale;
    int rc = lre__guard_judge(o, &skip, &guard_scale);
    if (rc) return rc;
    if (skip) {
        lre__guard_commit(o, 1);
        o->skipped++;
        o->loss = NAN;
        return LRE_OK;
    }
    /* 3. Evaluate every schedule and check its value. */
    for (int i = 0; i < o->ngroups; i++) {
        lre_group *g = &o->groups[i];
        memcpy(g->next.hp, g->hp, sizeof g->hp);
        for (int x = 0; x < g->nscheduled; x++) {
            int h = g->scheduled[x];
            const hp_spec *hs = find_hp_id(o->kind, h);
            const double *shared = earlier_use(o, i, h);
            lre_error e;
            double v;
            o->ev_tree = g->sched[h]; /* its events, under each of its uses (optim_events.c) */
            rc = shared ? (v = *shared, LRE_OK) : lre_schedule_eval(g->sched[h], o->step, &v, &e);
            o->ev_tree = NULL;
            if (rc) return fail(o, rc, "%s: schedule of %s: %s", name, hs->spec.name, e.msg);
            rc = lre__check_value(name, &hs->spec, v, &e);
            if (rc)
                return fail(o, LRE_ERANGE, "%s (from its schedule, group %d, step %lld)", e.msg, i + 1,
                                 (long long)o->step);
            g->next.hp[h] = v;
        }
    }
    double bound;
    rc = lre__clip_prepare(o, &bound);
    if (!rc) rc = lre__average_prepare(o);
    if (rc) return rc;
    if (o->kind == O_PRODIGY && lre__prodigy_check(o, &o->err)) return o->err.code;
    /* 4. Update: cannot fail. */
    lre__guard_commit(o, 0);
    double coef = o->clip.kind == CLIP_NORM ? lre__clip_coef(o, bound) : 1;
    if (o->clip.kind == CLIP_NORM) o->clip.coef = coef;
    o->clip.bound = bound;
    if (o->kind == O_PRODIGY) { /* d is shared: two passes with a reduction between */
        for (int i = 0; i < o->ngroups; i++) {
            lre_group *g = &o->groups[i];
            lre_step_scalars *k = &g->next;
            k->gscale = coef * (k->hp[HP_MAXIMIZE] != 0 ? -1.0 : 1.0) * guard_scale;
            k->clamp = o->clip.kind == CLIP_VALUE;
            k->clip_value = bound;
            lre__average_group(o, g, k);
            lre__average_begin(g, k, 0, g->n);
        }
        lre__prodigy_step(o);
        for (int i = 0; i < o->ngroups; i++) { /* averaged after the step, even one that changed nothing (timm's loop) */
            lre_group *g = &o->groups[i];
            lre__average_chunk(g, &g->next, 0, g->n);
            lre__average_commit(o, g, &g->next);
            memcpy(g->hp, g->next.hp, sizeof g->hp);
        }
        o->step++;
        o->loss = NAN;
        return LRE_OK;
    }
    for (int i = 0; i < o->ngroups; i++) {
        lre_group *g = &o->groups[i];
        prepare(o, g, &g->next);
        /* the clip's coefficient as PyTorch applies it, grad.mul_(clip_coef),
         * then maximize's exact negation and the guard's scale */
        g->next.gscale = coef * (g->next.hp[HP_MAXIMIZE] != 0 ? -1.0 : 1.0) * guard_scale;
        g->next.clamp = o->clip.kind == CLIP_VALUE;
        g->next.clip_value = bound;
        lre__average_group(o, g, &g->next);
        if (o->clip.kind == CLIP_AGC) update_agc(o, g, &g->next, bound, o->clip.eps);
        else update_group(o, g, &g->next);
        g->t++;
        commit_scalars(o, g, &g->next);
        lre__average_commit(o, g, &g->next);
        memcpy(g->hp, g->next.hp, sizeof g->hp);
    }
    o->step++;
    o->loss = NAN;
    return LRE_OK;
}

int lre_optim_observe(lre_optim *o, double metric)
{
    o->err.code = 0;
    if (o->ev_fn && lre__optim_events_sync(o)) return o->err.code;
    for (int i = 0; i < o->ngroups; i++) {
        for (int x = 0; x < o->groups[i].nscheduled; x++) {
            int h = o->groups[i].scheduled[x];
            lre_schedule *s = o->groups[i].sched[h];
            if (earlier_use(o, i, h)) continue;
            lre_error e;
            o->ev_tree = s;
            int rc = lre_schedule_observe(s, metric, o->step, &e);
            o->ev_tree = NULL;
            if (rc) return fail(o, rc, "%s: observe: %s", defs[o->kind].name, e.msg);
        }
    }
    for (int x = 0; x < LRE_SIDE_TREES; x++) { /* the clip's bound, the guard's script, the average's decay */
        if (!lre__optim_side_first(o, x)) continue;
        lre_error e;
        o->ev_tree = lre__optim_side_tree(o, x);
        int rc = lre_schedule_observe(lre__optim_side_tree(o, x), metric, o->step, &e);
        o->ev_tree = NULL;
        if (rc) return fail(o, rc, "%s: observe (%s): %s", defs[o->kind].name, lre__optim_side_name(o, x), e.msg);
    }
    return LRE_OK;
}

/* The definition table, for introspection (describe.c): parameter i of
 * optimizer kind, or NULL past the end. */
const lre_pspec *lre__optim_param(int kind, size_t i) { return i < defs[kind].nhp ? &defs[kind].hp[i].spec : NULL; }
