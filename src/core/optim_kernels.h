/* optim_kernels.h -- the per-element updates, one fused pass over memory per
 * optimizer: each element's parameter, gradient and state are read once and
 * written once. Included by optim_f32.c and optim_f64.c with
 *   T            float or double (the arithmetic is done in T, as PyTorch does)
 *   UPDATE_FN    the name of the dispatching function
 *   FINITE_FN    the name of the finiteness check
 *   SUMSQ_FN, MAXABS_FN  the names of the gradient-norm reductions
 *   UINT, EXP_MASK  an unsigned integer of T's size and T's exponent bits
 * Each kernel follows torch/optim/<name>.py of PyTorch 1.13 (single-tensor
 * path) line by line; the comments give the PyTorch expression where the
 * order of operations matters.
 *
 * Options that change the loop (weight decay on, amsgrad, nesterov...) are
 * bits of a flag word `f`. Each kernel body is inlined once per combination
 * with `f` a constant (SPECIALISE below), so every loop the compiler sees is
 * branch-free and vectorises; nothing relies on the optimiser's own loop
 * unswitching, which gives up after three conditions. `maximize` needs no
 * flag: multiplying by -1 is exact. */

#if defined(__GNUC__)
#define KERNEL static inline __attribute__((always_inline)) void
#else
#define KERNEL static inline void
#endif

/* The dispatchers, and with them every kernel inlined into them, are built
 * for the widest vectors the CPU has (widest_simd.h). */
#include "lanes.h"
#include "widest_simd.h"

#define ARGS lre_group *g, const lre_step_scalars *k, size_t lo, size_t hi
#define COMMON                                                                 \
    T *restrict p = g->params;                                                 \
    const T *restrict gr = g->grads;                                           \
    const T gscale = (T)k->gscale, clipv = (T)k->clip_value;                   \
    const T sign = k->hp[HP_MAXIMIZE] != 0 ? (T)-1 : (T)1; /* (in gscale) */  \
    const T lr = (T)k->hp[HP_LR], wd = (T)k->hp[HP_WEIGHT_DECAY];              \
    const T dec = (T)k->decay; /* decoupled decay, or exactly 1 */             \
    (void)clipv;                                                               \
    (void)gscale;                                                              \
    (void)sign;                                                                \
    (void)lr;                                                                  \
    (void)wd;                                                                  \
    (void)dec

/* The gradient as the update reads it (needs the kernel's flags f): PyTorch's
 * clip_grad_value_ (clamp; a NaN stays NaN) when F_CLIPV is set, then the
 * scale: -1 under maximize, times the clip coefficient and the guard's scale
 * (prepare() in optim.c). Multiplying by 1 or -1 is exact, so without
 * clipping this is PyTorch's gradient to the bit, and with it PyTorch's
 * grad.mul_(clip_coef) (times -1, also exact, for maximize). */
/* A kernel that reads gradients takes the flags (KERNEL name_k(ARGS, const
 * unsigned f)) and is called through SPECIALISE, even with no flags of its
 * own (SPECIALISE(name_k, 0, 0)). */
#define CLAMPV(x) ((x) < -clipv ? -clipv : (x) > clipv ? clipv : (x))
#define GRAD(i) (((f & F_CLIPV) ? CLAMPV(gr[i]) : gr[i]) * gscale)
/* The same for a loop without the flags (the sums of two-pass optimizers):
 * the clamp decided at run time, a loop-invariant test. */
#define GRAD_RT(i) ((k->clamp ? CLAMPV(gr[i]) : gr[i]) * gscale)

/* switch (flags) { case 0: fn(..., 0); ... case 2^bits - 1: fn(..., 2^bits - 1); }
 * and the same again with F_CLIPV set when the step clips by value: every
 * kernel is built with and without the clamp, so a step that does not clip
 * by value pays nothing for it. */
enum { F_CLIPV = 1 << 12 }; /* above every kernel's own flags */
#define SPEC_CASE(fn, m) \
    case m: fn(g, k, lo, hi, m); return;
#define SPEC_CASES0(fn, m) SPEC_CASE(fn, m)
#define SPEC_CASES1(fn, m) SPEC_CASE(fn, m) SPEC_CASE(fn, m + 1)
#define SPEC_CASES2(fn, m) SPEC_CASES1(fn, m) SPEC_CASES1(fn, m + 2)
#define SPEC_CASES3(fn, m) SPEC_CASES2(fn, m) SPEC_CASES2(fn, m + 4)
#define SPEC_CASES4(fn, m) SPEC_CASES3(fn, m) SPEC_CASES3(fn, m + 8)
#define SPECIALISE(fn, bits, flags)                                               \
    if (k->clamp) {                                                               \
        switch ((flags) | F_CLIPV) { SPEC_CASES##bits(fn, F_CLIPV) default: return; } \
    } else {                                                                      \
        switch (flags) { SPEC_CASES##bits(fn, 0) default: return; }               \
    }

/* bit 0 of every kernel's flags: weight_decay != 0 as L2, added to the
 * gradient. Decoupled decay (Keras 3's param -= lr * wd * param, before the
 * update reads the parameter) needs no flag: each kernel starts from
 * x = param * dec, and dec is exactly 1 when it is off. */
enum { F_WD = 1 };
#define WD_FLAG (k->hp[HP_WEIGHT_DECAY] != 0 && k->hp[HP_DECOUPLED_WD] == 0 ? F_WD : 0)
#define L2(gi, i) ((f & F_WD) ? (gi) + wd * p[i] : (gi)) /* grad.add(param, alpha=weight_decay) */

/* A division by a bias correction (1 - beta^t, or its root), which is 1 in
 * T late in a run (float32: 1 - 0.9^t from about step 160, sqrt(1 -
 * 0.999^t) from about 16,600): x / 1 is x to the bit, so the kernel built
 * with the flag leaves it out. ONE_FLAG(d, flag) sets the flag then. */
#define BC_DIV(x, d, flag) ((f & (flag)) ? (x) : (x) / (d))
#define ONE_FLAG(d, flag) ((T)(d) == 1 ? (flag) : 0)

enum { SGD_MOMENTUM = 2, SGD_FIRST = 4, SGD_NESTEROV = 8 };
KERNEL sgd_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict buf = g->state[0];
    const T mom = (T)k->hp[HP_MOMENTUM], damp = (T)(1 - k->hp[HP_DAMPENING]);
    for (size_t i = lo; i < hi; i++) {
        T x = p[i] * dec;
        T d = L2(GRAD(i), i);
        if (f & SGD_MOMENTUM) {
            T b = (f & SGD_FIRST) ? d : buf[i] * mom + damp * d; /* buf.mul_(momentum).add_(d_p, alpha=1-dampening) */
            buf[i] = b;
            d = (f & SGD_NESTEROV) ? d + mom * b : b;
        }
        p[i] = x - lr * d;
    }
}

KERNEL sgd(ARGS)
{
    unsigned f = WD_FLAG;
    if (k->hp[HP_MOMENTUM] != 0)
        f |= SGD_MOMENTUM | (g->momentum_started ? 0 : SGD_FIRST) | (k->hp[HP_NESTEROV] != 0 ? SGD_NESTEROV : 0);
    SPECIALISE(sgd_k, 4, f)
}

/* Adam and AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019). ADAM_EPS_HAT:
 * no division by sqrt(bias_correction2): epsilon_hat's form, and every
 * step at which that divisor is 1 in T (float32 from about step 16,600 at
 * beta2 0.999: v / 1 is v to the bit, so most of a long run skips it). */
enum { ADAM_DECOUPLED = 2, ADAM_AMSGRAD = 4, ADAM_EPS_HAT = 8 };
KERNEL adam_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict m = g->state[0], *restrict v = g->state[1], *restrict vmax = g->state[2];
    const T b1c = (T)(1 - k->hp[HP_BETA1]), b2 = (T)k->hp[HP_BETA2], b2c = (T)(1 - k->hp[HP_BETA2]);
    const T eps = (T)k->hp[HP_EPS], step_size = (T)k->a, bc2_sqrt = (T)k->b, decay = (T)k->c;
    for (size_t i = lo; i < hi; i++) {
        T x = p[i] * dec;
        if (f & ADAM_DECOUPLED) x *= decay; /* param.mul_(1 - lr * weight_decay) */
        T gi = L2(GRAD(i), i);
        T mi = m[i] + b1c * (gi - m[i]);    /* exp_avg.lerp_(grad, 1 - beta1) */
        T vi = v[i] * b2 + b2c * gi * gi;   /* exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2) */
        m[i] = mi;
        v[i] = vi;
        if (f & ADAM_AMSGRAD) {
            vi = vmax[i] > vi ? vmax[i] : vi;
            vmax[i] = vi;
        }
        T denom = (f & ADAM_EPS_HAT) ? SQRT(vi) + eps : SQRT(vi) / bc2_sqrt + eps;
        p[i] = x - step_size * (mi / denom); /* param.addcdiv_(exp_avg, denom, value=-step_size) */
    }
}

KERNEL adam(ARGS, int decoupled)
{
    /* AdamW's decay multiplies the parameter; Adam's is L2 on the gradient */
    unsigned f = decoupled ? ADAM_DECOUPLED : WD_FLAG;
    f |= (k->hp[HP_AMSGRAD] != 0 ? ADAM_AMSGRAD : 0) | (k->hp[HP_EPSILON_HAT] != 0 ? ADAM_EPS_HAT : ONE_FLAG(k->b, ADAM_EPS_HAT));
    SPECIALISE(adam_k, 4, f)
}

KERNEL adagrad_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict sum = g->state[0];
    const T eps = (T)k->hp[HP_EPS], clr = (T)k->a;
    for (size_t i = lo; i < hi; i++) {
        T gi = L2(GRAD(i), i);
        T s = sum[i] + gi * gi;
        sum[i] = s;
        p[i] = p[i] * dec - clr * (gi / (SQRT(s) + eps));
    }
}

KERNEL adagrad(ARGS) { SPECIALISE(adagrad_k, 1, WD_FLAG) }

enum { RMS_CENTERED = 2, RMS_MOMENTUM = 4 };
KERNEL rmsprop_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict sq = g->state[0], *restrict buf = g->state[1], *restrict gavg = g->state[2];
    const T alpha = (T)k->hp[HP_ALPHA], alphac = (T)(1 - k->hp[HP_ALPHA]), eps = (T)k->hp[HP_EPS];
    const T mom = (T)k->hp[HP_MOMENTUM];
    for (size_t i = lo; i < hi; i++) {
        T gi = L2(GRAD(i), i);
        T s = sq[i] * alpha + alphac * gi * gi;
        sq[i] = s;
        T avg;
        if (f & RMS_CENTERED) {
            T ga = gavg[i] * alpha + alphac * gi; /* grad_avg.mul_(alpha).add_(grad, alpha=1-alpha) */
            gavg[i] = ga;
            avg = SQRT(s - ga * ga) + eps;
        } else {
            avg = SQRT(s) + eps;
        }
        T x = p[i] * dec;
        if (f & RMS_MOMENTUM) {
            T b = buf[i] * mom + gi / avg;
            buf[i] = b;
            p[i] = x - lr * b;
        } else {
            p[i] = x - lr * (gi / avg);
        }
    }
}

KERNEL rmsprop(ARGS)
{
    unsigned f = WD_FLAG | (k->hp[HP_CENTERED] != 0 ? RMS_CENTERED : 0) | (k->hp[HP_MOMENTUM] > 0 ? RMS_MOMENTUM : 0);
    SPECIALISE(rmsprop_k, 3, f)
}

/* Zeiler 2012. */
KERNEL adadelta_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict sq = g->state[0], *restrict acc = g->state[1];
    const T rho = (T)k->hp[HP_RHO], rhoc = (T)(1 - k->hp[HP_RHO]), eps = (T)k->hp[HP_EPS];
    for (size_t i = lo; i < hi; i++) {
        T gi = L2(GRAD(i), i);
        T s = sq[i] * rho + rhoc * gi * gi;
        sq[i] = s;
        T delta = SQRT(acc[i] + eps) / SQRT(s + eps) * gi;
        acc[i] = acc[i] * rho + rhoc * delta * delta;
        p[i] = p[i] * dec - lr * delta;
    }
}

KERNEL adadelta(ARGS) { SPECIALISE(adadelta_k, 1, WD_FLAG) }

KERNEL adamax_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict m = g->state[0], *restrict u = g->state[1];
    const T b1c = (T)(1 - k->hp[HP_BETA1]), b2 = (T)k->hp[HP_BETA2], eps = (T)k->hp[HP_EPS], clr = (T)k->a;
    for (size_t i = lo; i < hi; i++) {
        T gi = L2(GRAD(i), i);
        T mi = m[i] + b1c * (gi - m[i]);
        T a = u[i] * b2, b = FABS(gi) + eps; /* amax(cat(exp_inf * beta2, |grad| + eps)) */
        T ui = a > b ? a : b;
        m[i] = mi;
        u[i] = ui;
        p[i] = p[i] * dec - clr * (mi / ui);
    }
}

KERNEL adamax(ARGS) { SPECIALISE(adamax_k, 1, WD_FLAG) }

KERNEL nadam_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict m = g->state[0], *restrict v = g->state[1];
    const T b1c = (T)(1 - k->hp[HP_BETA1]), b2 = (T)k->hp[HP_BETA2], b2c = (T)(1 - k->hp[HP_BETA2]);
    const T eps = (T)k->hp[HP_EPS], cg = (T)k->a, cm = (T)k->b, bc2 = (T)k->c;
    for (size_t i = lo; i < hi; i++) {
        T gi = L2(GRAD(i), i);
        T mi = m[i] + b1c * (gi - m[i]);
        T vi = v[i] * b2 + b2c * gi * gi;
        m[i] = mi;
        v[i] = vi;
        T denom = SQRT(vi / bc2) + eps;
        T x = p[i] * dec - cg * (gi / denom);
        p[i] = x - cm * (mi / denom);
    }
}

KERNEL nadam(ARGS) { SPECIALISE(nadam_k, 1, WD_FLAG) }

enum { RADAM_RECTIFIED = 2 };
KERNEL radam_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict m = g->state[0], *restrict v = g->state[1];
    const T b1c = (T)(1 - k->hp[HP_BETA1]), b2 = (T)k->hp[HP_BETA2], b2c = (T)(1 - k->hp[HP_BETA2]);
    const T eps = (T)k->hp[HP_EPS], bc1 = (T)k->a, bc2_sqrt = (T)k->b, rect = (T)k->c;
    for (size_t i = lo; i < hi; i++) {
        T gi = L2(GRAD(i), i);
        T mi = m[i] + b1c * (gi - m[i]);
        T vi = v[i] * b2 + b2c * gi * gi;
        m[i] = mi;
        v[i] = vi;
        T corrected = mi / bc1;
        T x = p[i] * dec;
        if (f & RADAM_RECTIFIED) p[i] = x - corrected * lr * (bc2_sqrt / (SQRT(vi) + eps)) * rect;
        else p[i] = x - corrected * lr;
    }
}

KERNEL radam(ARGS) { SPECIALISE(radam_k, 2, WD_FLAG | (k->c > 0 ? RADAM_RECTIFIED : 0)) }

/* Riedmiller & Braun 1993, PyTorch's variant (no weight backtracking);
 * weight decay (PyTorch's Rprop has none) as on every optimizer. */
KERNEL rprop_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict prev = g->state[0], *restrict size = g->state[1];
    const T eminus = (T)k->hp[HP_ETA_MINUS], eplus = (T)k->hp[HP_ETA_PLUS];
    const T smin = (T)k->hp[HP_STEP_MIN], smax = (T)k->hp[HP_STEP_MAX];
    for (size_t i = lo; i < hi; i++) {
        T gi = L2(GRAD(i), i);
        T s = gi * prev[i];
        T eta = s > 0 ? eplus : (T)1;
        eta = s < 0 ? eminus : eta;
        T st = size[i] * eta;
        st = st < smin ? smin : st;
        st = st > smax ? smax : st;
        size[i] = st;
        gi = s < 0 ? (T)0 : gi;
        T sgn = (T)(gi > 0) - (T)(gi < 0);
        p[i] = p[i] * dec - sgn * st;
        prev[i] = gi;
    }
}

KERNEL rprop(ARGS) { SPECIALISE(rprop_k, 1, WD_FLAG) }

enum { ASGD_AVERAGING = 2 };
KERNEL asgd_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict ax = g->state[0];
    const T eta = (T)k->a, mu = (T)k->b, shrink = (T)(1 - k->hp[HP_LAMBD] * k->a);
    for (size_t i = lo; i < hi; i++) {
        T gi = L2(GRAD(i), i);
        T x = p[i] * dec * shrink; /* param.mul_(1 - lambd * eta) */
        x = x - eta * gi;     /* param.add_(grad, alpha=-eta) */
        p[i] = x;
        ax[i] = (f & ASGD_AVERAGING) ? ax[i] + (x - ax[i]) * mu : x; /* ax.add_(param.sub(ax).mul(mu)) or ax.copy_(param) */
    }
}

KERNEL asgd(ARGS) { SPECIALISE(asgd_k, 2, WD_FLAG | (k->b != 1 ? ASGD_AVERAGING : 0)) }

/* Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Program 1. */
KERNEL lion_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict m = g->state[0];
    const T b1 = (T)k->hp[HP_BETA1], b1c = (T)(1 - k->hp[HP_BETA1]);
    const T b2 = (T)k->hp[HP_BETA2], b2c = (T)(1 - k->hp[HP_BETA2]), decay = (T)(1 - k->hp[HP_LR] * k->hp[HP_WEIGHT_DECAY]);
    for (size_t i = lo; i < hi; i++) {
        T gi = GRAD(i);
        T c = b1 * m[i] + b1c * gi;
        T sgn = (T)(c > 0) - (T)(c < 0);
        p[i] = p[i] * decay - lr * sgn;
        m[i] = b2 * m[i] + b2c * gi;
    }
}

KERNEL lion(ARGS) { SPECIALISE(lion_k, 0, 0) }

/* AdEMAMix (Pagliardini, Ablin & Grangier 2024): Adam plus a slow EMA m2
 * weighted by alpha, as apple/ml-ademamix's pytorch/ademamix.py; one pass.
 * Weight decay is added to the update (update.add_(p, alpha=wd)), then
 * p.add_(-lr * update). */
enum { ADEMAMIX_B1_ZERO = 2 };
KERNEL ademamix_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict m1 = g->state[0], *restrict m2 = g->state[1], *restrict nu = g->state[2];
    const T b1 = (T)k->hp[HP_BETA1], b1c = (T)(1 - k->hp[HP_BETA1]), b2 = (T)k->hp[HP_BETA2];
    const T b2c = (T)(1 - k->hp[HP_BETA2]), eps = (T)k->hp[HP_EPS];
    const T bc1 = (T)k->a, bc2_sqrt = (T)k->b, alpha = (T)k->c, b3 = (T)k->d, b3c = (T)(1 - k->d);
    for (size_t i = lo; i < hi; i++) {
        T gi = GRAD(i);
        T a = (f & ADEMAMIX_B1_ZERO) ? gi : m1[i] * b1 + b1c * gi; /* exp_avg.mul_(beta1).add_(grad, alpha=1-beta1) */
        T s = m2[i] * b3 + b3c * gi;                                 /* exp_avg_slow.mul_(beta3).add_(grad, alpha=1-beta3) */
        T v = nu[i] * b2 + b2c * gi * gi;                            /* exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2) */
        m1[i] = a;
        m2[i] = s;
        nu[i] = v;
        T denom = SQRT(v) / bc2_sqrt + eps;
        T u = (a / bc1 + alpha * s) / denom;
        if (f & F_WD) u = u + wd * p[i];
        p[i] = p[i] + -lr * u;
    }
}

KERNEL ademamix(ARGS) { SPECIALISE(ademamix_k, 2, WD_FLAG | (k->hp[HP_BETA1] == 0 ? ADEMAMIX_B1_ZERO : 0)) }
/* Schedule-free SGD and AdamW (Defazio et al. 2024, "The Road Less
 * Scheduled"), as facebookresearch/schedule_free's *_reference.py: the
 * parameters hold y, state[0] is z and state[1] x (both start as the
 * parameters, at the group's first update, as the reference clones them),
 * state[2] AdamW's second moment. k->a is the step's rate lr_t (warm-up
 * included), k->b the averaging weight c_t, k->c AdamW's 1 - beta2^(t+1),
 * k->d lr_t * weight_decay. */
enum { SF_FIRST = 2 };
KERNEL sgd_sf_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict z = g->state[0], *restrict x = g->state[1];
    const T lrt = (T)k->a, c = (T)k->b, omc = (T)(1 - k->b);
    const T mom = (T)k->hp[HP_MOMENTUM], momc = (T)(1 - k->hp[HP_MOMENTUM]);
    for (size_t i = lo; i < hi; i++) {
        T y = p[i];
        T zi = (f & SF_FIRST) ? y : z[i], xi = (f & SF_FIRST) ? y : x[i];
        T gi = (f & F_WD) ? GRAD(i) + wd * y : GRAD(i); /* grad.add_(y, alpha=weight_decay) */
        zi = zi - lrt * gi;                            /* z.sub_(grad, alpha=lr) */
        xi = xi * omc + zi * c;                        /* x.mul_(1-ckp1).add_(z, alpha=ckp1) */
        z[i] = zi;
        x[i] = xi;
        p[i] = xi * mom + zi * momc;                   /* y = x.mul(momentum).add_(z, alpha=1-momentum) */
    }
}

KERNEL sgd_sf(ARGS) { SPECIALISE(sgd_sf_k, 2, WD_FLAG | (k->first ? SF_FIRST : 0)) }

KERNEL adamw_sf_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict z = g->state[0], *restrict x = g->state[1], *restrict v = g->state[2];
    const T lrt = (T)k->a, c = (T)k->b, omc = (T)(1 - k->b), bc2 = (T)k->c, lrwd = (T)k->d;
    const T b1 = (T)k->hp[HP_BETA1], b1c = (T)(1 - k->hp[HP_BETA1]);
    const T b2 = (T)k->hp[HP_BETA2], b2c = (T)(1 - k->hp[HP_BETA2]), eps = (T)k->hp[HP_EPS];
    for (size_t i = lo; i < hi; i++) {
        T y = p[i], gi = GRAD(i);
        T zi = (f & SF_FIRST) ? y : z[i], xi = (f & SF_FIRST) ? y : x[i];
        if (f & F_WD) zi = zi - lrwd * y;          /* z.sub_(y, alpha=lr*decay): decay at y */
        T vi = v[i] * b2 + b2c * gi * gi;          /* exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2) */
        v[i] = vi;
        T denom = SQRT(vi / bc2) + eps;            /* exp_avg_sq.div(bias_correction2).sqrt_().add_(eps) */
        zi = zi - lrt * (gi / denom);              /* z.addcdiv_(grad, denom, value=-lr) */
        xi = xi * omc + zi * c;
        z[i] = zi;
        x[i] = xi;
        p[i] = xi * b1 + zi * b1c;                 /* y = x.mul(beta1).add_(z, alpha=1-beta1) */
    }
}

KERNEL adamw_sf(ARGS) { SPECIALISE(adamw_sf_k, 2, WD_FLAG | (k->first ? SF_FIRST : 0)) }
/* Keras 3's Nadam (keras/src/optimizers/nadam.py): momentum schedule
 * u_t = beta1 (1 - 0.5 * 0.96^t), eps outside the bias-corrected root.
 * a = u_{t+1} / (1 - prod u_1..u_{t+1}), b = (1 - u_t) / (1 - prod u_1..u_t),
 * c = 1 - beta2^t (prepare()). */
KERNEL nadam_keras_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict m = g->state[0], *restrict v = g->state[1];
    const T b1c = (T)(1 - k->hp[HP_BETA1]), b2c = (T)(1 - k->hp[HP_BETA2]), eps = (T)k->hp[HP_EPS];
    const T cm = (T)k->a, cg = (T)k->b, bc2 = (T)k->c;
    for (size_t i = lo; i < hi; i++) {
        T x = p[i] * dec;
        T gi = L2(GRAD(i), i);
        T mi = m[i] + (gi - m[i]) * b1c;      /* m.assign_add((g - m) * (1 - beta_1)) */
        T vi = v[i] + (gi * gi - v[i]) * b2c; /* v.assign_add((g^2 - v) * (1 - beta_2)) */
        m[i] = mi;
        v[i] = vi;
        T mhat = cm * mi + cg * gi;
        p[i] = x - mhat * lr / (SQRT(vi / bc2) + eps);
    }
}

KERNEL nadam_keras(ARGS) { SPECIALISE(nadam_keras_k, 1, WD_FLAG) }

/* Bernstein et al. 2018, signSGD and Signum (jxbz/signSGD's PyTorch code):
 * the step is lr times the sign of the gradient, or of its momentum
 * buf = momentum * buf + (1 - momentum) * grad, the buffer starting at 0. */
enum { SIGN_MOMENTUM = 2 };
KERNEL signsgd_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict buf = g->state[0];
    const T mom = (T)k->hp[HP_MOMENTUM], momc = (T)(1 - k->hp[HP_MOMENTUM]);
    for (size_t i = lo; i < hi; i++) {
        T x = p[i] * dec;
        T d = L2(GRAD(i), i);
        if (f & SIGN_MOMENTUM) {
            d = buf[i] * mom + momc * d;
            buf[i] = d;
        }
        T sgn = (T)(d > 0) - (T)(d < 0);
        p[i] = x - lr * sgn;
    }
}

KERNEL signsgd(ARGS) { SPECIALISE(signsgd_k, 2, WD_FLAG | (g->state[0] != NULL ? SIGN_MOMENTUM : 0)) }

/* Zhuang et al. 2020, AdaBelief, as timm's adabelief.py (the authors'
 * adabelief-pytorch 0.2): the second moment is that of the residual
 * grad - m_t, eps is added to it in place every step, and the rectified
 * update of RAdam. Modes (prepare() sets k->c, the bits BELIEF_RECT and
 * BELIEF_SGD): 0 Adam-like with step size a = lr / bc1 and b = sqrt(bc2);
 * 1 rectified, a = step_size * lr over sqrt(var) + eps; 2 rectified towards
 * SGD, a = step_size * lr times m; 3 no parameter change (rectify without
 * degenerated_to_sgd while the variance is not yet tractable). */
enum { BELIEF_AMSGRAD = 2, BELIEF_RECT = 4, BELIEF_SGD = 8 };
KERNEL adabelief_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict m = g->state[0], *restrict var = g->state[1], *restrict vmax = g->state[2];
    const T b1c = (T)(1 - k->hp[HP_BETA1]), b2 = (T)k->hp[HP_BETA2], b2c = (T)(1 - k->hp[HP_BETA2]);
    const T eps = (T)k->hp[HP_EPS], step = (T)k->a, bc2_sqrt = (T)k->b;
    for (size_t i = lo; i < hi; i++) {
        T x = p[i] * dec;
        T gi = L2(GRAD(i), i);
        T mi = m[i] + b1c * (gi - m[i]); /* exp_avg.lerp_(grad, 1 - beta1) */
        T r = gi - mi;                   /* grad_residual */
        T s = var[i] * b2 + b2c * r * r + eps; /* mul_(beta2).addcmul_(r, r, 1 - beta2), then add_(eps) */
        m[i] = mi;
        var[i] = s;
        T sd = s;
        if (f & BELIEF_AMSGRAD) {
            sd = vmax[i] > s ? vmax[i] : s;
            vmax[i] = sd;
        }
        if ((f & BELIEF_RECT) && (f & BELIEF_SGD)) p[i] = x; /* mode 3 */
        else if (f & BELIEF_RECT) p[i] = x - step * (mi / (SQRT(s) + eps));
        else if (f & BELIEF_SGD) p[i] = x - step * mi;
        else p[i] = x - step * (mi / (SQRT(sd) / bc2_sqrt + eps));
    }
}

KERNEL adabelief(ARGS)
{
    unsigned mode = (unsigned)k->c;
    SPECIALISE(adabelief_k, 4, WD_FLAG | (g->state[2] != NULL ? BELIEF_AMSGRAD : 0) | (mode & 3) << 2)
}

/* Zaheer et al. 2018, Yogi, as torch-optimizer's yogi.py: both moments start
 * at initial_accumulator; v moves towards grad^2 by at most (1 - beta2) grad^2. */
KERNEL yogi_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict m = g->state[0], *restrict v = g->state[1];
    const T b1 = (T)k->hp[HP_BETA1], b1c = (T)(1 - k->hp[HP_BETA1]), nb2c = (T)-(1 - k->hp[HP_BETA2]);
    const T eps = (T)k->hp[HP_EPS], step_size = (T)k->a, bc2_sqrt = (T)k->b;
    for (size_t i = lo; i < hi; i++) {
        T x = p[i] * dec;
        T gi = L2(GRAD(i), i);
        T mi = m[i] * b1 + b1c * gi; /* exp_avg.mul_(beta1).add_(grad, 1 - beta1) */
        T g2 = gi * gi;
        T dv = v[i] - g2;
        T sg = (T)(dv > 0) - (T)(dv < 0);
        T vi = v[i] + nb2c * sg * g2; /* exp_avg_sq.addcmul_(sign(v - g^2), g^2, value=-(1 - beta2)) */
        m[i] = mi;
        v[i] = vi;
        p[i] = x - step_size * (mi / (SQRT(vi) / bc2_sqrt + eps));
    }
}

KERNEL yogi(ARGS) { SPECIALISE(yogi_k, 1, WD_FLAG) }

/* Muon's AdamW rule for the groups that are not matrices (muon.py's
 * adam_update, then p.mul_(1 - lr * wd) and p.add_(update, alpha=-lr)); the
 * moments by PyTorch's lerp (start + w (end - start) for w < 0.5, else
 * end - (end - start)(1 - w)). One pass. */
KERNEL muon_adam_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict m = g->state[0], *restrict v = g->state[1];
    const T w1 = (T)(1 - k->hp[HP_BETA1]), w2 = (T)(1 - k->hp[HP_BETA2]), w1c = (T)1 - w1, w2c = (T)1 - w2;
    const T bc1 = (T)k->a, bc2 = (T)k->b, eps = (T)k->hp[HP_EPS], decay = (T)k->c, neg_lr = (T)-k->hp[HP_LR];
    for (size_t i = lo; i < hi; i++) {
        T gi = GRAD(i), g2 = gi * gi;
        T mi = w1 < (T)0.5 ? m[i] + w1 * (gi - m[i]) : gi - (gi - m[i]) * w1c;
        T vi = w2 < (T)0.5 ? v[i] + w2 * (g2 - v[i]) : g2 - (g2 - v[i]) * w2c;
        m[i] = mi;
        v[i] = vi;
        T u = (mi / bc1) / (SQRT(vi / bc2) + eps);
        p[i] = p[i] * decay + neg_lr * u;
    }
}

/* ---- optimizers of two passes: sums over the group, then the update ----
 * The first pass works in blocks of BLOCK elements: a branch-free loop that
 * vectorises as the one-pass kernels do computes each element's state and
 * the two values whose squares are summed (into a[], b[] on the stack, in
 * L1), then the squares are added in double over interleaved lanes
 * (lanes.h): an order fixed by the chunk's bounds, hence by the group, not
 * by the thread count. ELEM(i, k) sets a[k] (and b[k]) for element i. */
#define BLOCK 256
#define REDUCE_BLOCKS(ELEM, TWO)                                                           \
    do {                                                                                   \
        T a[BLOCK], b[BLOCK];                                                              \
        double s0[LANES] = {0}, s1[LANES] = {0};                                           \
        for (size_t blk = lo; blk < hi; blk += BLOCK) {                                    \
            size_t len = hi - blk < BLOCK ? hi - blk : BLOCK;                              \
            for (size_t e = 0; e < len; e++) ELEM(blk + e, e);                             \
            if (TWO) lanes_squares2(s0, a + 0, s1, b + 0, len);                           \
            else lanes_squares(s0, a + 0, len);                                            \
        }                                                                                  \
        out[0] += lanes_sum(s0);                                                           \
        if (TWO) out[1] += lanes_sum(s1);                                                  \
        (void)b;                                                                           \
    } while (0)

/* LAMB (You et al. 2020) as optax.lamb and keras.optimizers.Lamb: Adam's
 * bias-corrected direction r = m_hat / (sqrt(v_hat) + eps) (+ weight_decay * p
 * unless decoupled), scaled per group by the trust ratio ||p|| / ||r|| (1
 * when either is 0). Pass 1 moves the moments, sums p^2 and r^2 and keeps r
 * in the group's scratch (optim.c sizes it: n values of T); pass 2 steps
 * p -= lr * ratio * r (k->c). Recomputing r in pass 2 from p, m and v moved
 * 40 bytes a float32 parameter; keeping it moves 44 (r written, its lines
 * first read for ownership; then read instead of m and v), and takes the
 * square root and divisions once: with AVX2 they, not memory, bound the
 * step. bc1 = k->a, bc2 = k->b. */
#define LAMB_R(mi, vi, x) \
    (BC_DIV(mi, bc1, LAMB_BC1_ONE) / (SQRT(BC_DIV(vi, bc2, LAMB_BC2_ONE)) + eps) + ((f & LAMB_WD) ? wd * (x) : (T)0))
enum { LAMB_WD = 1, LAMB_BC1_ONE = 2, LAMB_BC2_ONE = 4 }; /* LAMB_WD: the decay in r, bit 0 (no L2) */
#define LAMB_FLAGS                                                                  \
    ((k->hp[HP_WEIGHT_DECAY] != 0 && k->hp[HP_DECOUPLED_WD] == 0 ? LAMB_WD : 0) | \
     ONE_FLAG(k->a, LAMB_BC1_ONE) | ONE_FLAG(k->b, LAMB_BC2_ONE))
KERNEL lamb_sums_k(ARGS, const unsigned f, double *out)
{
    COMMON;
    T *restrict m = g->state[0], *restrict v = g->state[1], *restrict r = g->scratch;
    const T b1c = (T)(1 - k->hp[HP_BETA1]), b2c = (T)(1 - k->hp[HP_BETA2]), eps = (T)k->hp[HP_EPS];
    const T bc1 = (T)k->a, bc2 = (T)k->b;
#define LAMB_SUMS(i, e)                                                                   \
    {                                                                                     \
        T x = p[i] * dec, gi = GRAD(i);                                                   \
        T mi = m[i] + (gi - m[i]) * b1c;      /* m.assign_add((g - m) * (1 - beta_1)) */  \
        T vi = v[i] + (gi * gi - v[i]) * b2c; /* v.assign_add((g^2 - v) * (1 - beta_2)) */ \
        T ri = LAMB_R(mi, vi, x);                                                         \
        m[i] = mi;                                                                        \
        v[i] = vi;                                                                        \
        r[i] = ri;                                                                        \
        a[e] = x;                                                                         \
        b[e] = ri;                                                                        \
    }
    REDUCE_BLOCKS(LAMB_SUMS, 1);
#undef LAMB_SUMS
}

KERNEL lamb(ARGS)
{
    COMMON;
    (void)gr, (void)sign;
    const T *restrict r = g->scratch;
    const T step = (T)k->c;
    for (size_t i = lo; i < hi; i++) p[i] = p[i] * dec - step * r[i]; /* variable.assign_sub(ratio * lr * update) */
}

#define LAMB_SUMS_CASE(m) \
    case m: lamb_sums_k(g, k, lo, hi, m, out); return;
#define LAMB_SUMS_CASES(m) LAMB_SUMS_CASE(m) LAMB_SUMS_CASE(m | LAMB_WD) LAMB_SUMS_CASE(m | LAMB_BC1_ONE) \
    LAMB_SUMS_CASE(m | LAMB_WD | LAMB_BC1_ONE) LAMB_SUMS_CASE(m | LAMB_BC2_ONE) LAMB_SUMS_CASE(m | LAMB_WD | LAMB_BC2_ONE) \
    LAMB_SUMS_CASE(m | LAMB_BC1_ONE | LAMB_BC2_ONE) LAMB_SUMS_CASE(m | LAMB_WD | LAMB_BC1_ONE | LAMB_BC2_ONE)
KERNEL lamb_sums(ARGS, double *out)
{
    switch (LAMB_FLAGS | (k->clamp ? F_CLIPV : 0)) {
        LAMB_SUMS_CASES(0)
        LAMB_SUMS_CASES(F_CLIPV)
    default: return;
    }
}
#undef LAMB_SUMS_CASES
#undef LAMB_SUMS_CASE

/* LARS (You et al. 2017) as timm's Lars (with NVIDIA apex LARC's clipping):
 * when weight_decay != 0 or always_adapt, the gradient plus the L2 term is
 * scaled by trust_coeff ||p|| / (||g|| + weight_decay ||p|| + eps) (1 when a
 * norm is 0; trust_clip: min(ratio / lr, 1)), computed by optim.c's
 * finish_sums from pass 1's sums of p^2 and g^2 (k->c; k->b the L2 weight
 * decay, 0 when decoupled; k->d 1 when adapting); then SGD's momentum, as timm. */
enum { LARS_ADAPT = 1, LARS_MOMENTUM = 2, LARS_FIRST = 4, LARS_NESTEROV = 8 }; /* (no L2 bit: the decay is in ADAPT) */
KERNEL lars_sums(ARGS, double *out)
{
    COMMON;
    (void)sign;
#define LARS_SUMS(i, e) (a[e] = p[i] * dec, b[e] = GRAD_RT(i))
    REDUCE_BLOCKS(LARS_SUMS, 1);
#undef LARS_SUMS
}

KERNEL lars_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict buf = g->state[0];
    const T mom = (T)k->hp[HP_MOMENTUM], damp = (T)(1 - k->hp[HP_DAMPENING]), ratio = (T)k->c, wd2 = (T)k->b;
    for (size_t i = lo; i < hi; i++) {
        T x = p[i] * dec;
        T d = GRAD(i);
        if (f & LARS_ADAPT) d = (d + wd2 * x) * ratio; /* grad.add(p, alpha=weight_decay).mul_(trust_ratio) */
        if (f & LARS_MOMENTUM) {
            T b = (f & LARS_FIRST) ? d : buf[i] * mom + damp * d;
            buf[i] = b;
            d = (f & LARS_NESTEROV) ? d + mom * b : b;
        }
        p[i] = x - lr * d;
    }
}

KERNEL lars(ARGS)
{
    unsigned f = k->d != 0 ? LARS_ADAPT : 0;
    if (k->hp[HP_MOMENTUM] != 0)
        f |= LARS_MOMENTUM | (g->momentum_started ? 0 : LARS_FIRST) | (k->hp[HP_NESTEROV] != 0 ? LARS_NESTEROV : 0);
    SPECIALISE(lars_k, 4, f)
}

/* NovoGrad (Ginsburg et al. 2019) as torch-optimizer's NovoGrad: one second
 * moment per group, v = ||g||^2 at first (while v is 0), then
 * b2 v + (1 - b2) ||g||^2 (optim.c's finish_sums, from pass 1's sum; k->a =
 * sqrt(v) + eps); then d = g / k->a (+ weight_decay * p), times 1 - b1 with
 * grad_averaging, and m = b1 m + d; p -= lr * m. */
enum { NOVO_AVERAGING = 2 };
KERNEL novograd_sums(ARGS, double *out)
{
    COMMON;
    (void)p, (void)sign;
#define NOVO_SUMS(i, e) (a[e] = GRAD_RT(i))
    REDUCE_BLOCKS(NOVO_SUMS, 0);
#undef NOVO_SUMS
}

KERNEL novograd_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict m = g->state[0];
    const T denom = (T)k->a, b1 = (T)k->hp[HP_BETA1], b1c = (T)(1 - k->hp[HP_BETA1]);
    for (size_t i = lo; i < hi; i++) {
        T x = p[i] * dec;
        T d = GRAD(i) / denom;
        if (f & F_WD) d = d + wd * p[i];
        if (f & NOVO_AVERAGING) d = d * b1c;
        T mi = m[i] * b1 + d;
        m[i] = mi;
        p[i] = x - lr * mi;
    }
}

KERNEL novograd(ARGS) { SPECIALISE(novograd_k, 2, WD_FLAG | (k->hp[HP_GRAD_AVERAGING] != 0 ? NOVO_AVERAGING : 0)) }

/* Adafactor (Shazeer & Stern 2018) as HF transformers' Adafactor: the
 * second moment of g^2 + eps[1] with beta2t = 1 - t^decay_rate, factored for
 * a matrix into row and column means (r_i, c_j: v_ij ~ r_i c_j / mean(r)), a
 * vector's kept whole; u = g / sqrt(v), divided by max(1, RMS(u) /
 * clip_threshold), times the rate lr_eff = max(eps[2], RMS(p)) * step
 * (scale_parameter; step relative or lr); with beta1 > 0 a momentum of u.
 * Passes: a vector's first (v, the sums of p^2 and u^2) is REDUCE_FN's; a
 * matrix's two (the means and RMS(p), then RMS(u)) are FACTORED_FN's; the
 * update is adafactor_k. prepare() gives k->a = beta2t, k->b = the step;
 * finish_sums k->a = lr_eff, k->b = the clip divisor, k->c = -weight_decay *
 * lr_eff (HF's decay, 0 when decoupled as Keras), k->d = mean(r). */
KERNEL adafactor_sums(ARGS, double *out)
{
    COMMON;
    T *restrict v = g->state[1];
    const T b2t = (T)k->a, b2c = (T)(1 - k->a), eps1 = (T)k->hp[HP_EPS];
#define ADAF_SUMS(i, e)                                                                         \
    {                                                                                           \
        T x = p[i] * dec, gi = GRAD_RT(i);                                                      \
        T vi = v[i] * b2t + b2c * (gi * gi + eps1); /* exp_avg_sq.mul_(beta2t).add_(update, alpha=1-beta2t) */ \
        v[i] = vi;                                                                              \
        a[e] = x;                                                                               \
        b[e] = ((T)1 / SQRT(vi)) * gi;              /* exp_avg_sq.rsqrt().mul_(grad) */         \
    }
    REDUCE_BLOCKS(ADAF_SUMS, 1);
#undef ADAF_SUMS
}

/* A factored group's scratch (optim.c sizes it): cols column sums in double,
 * then two rows' terms and the column factors, cols values of T each. */
#define ADAF_ROW_BUF(g) ((T *)((double *)(g)->scratch + (g)->cols))
#define ADAF_ROW_BUF2(g) (ADAF_ROW_BUF(g) + (g)->cols)
#define ADAF_FACTORS(g) (ADAF_ROW_BUF2(g) + (g)->cols)

/* Each row's sums are in lanes of their own (lanes.h), and the passes take
 * two at a time in one loop (pass 1 a row's means and its RMS(p) terms,
 * pass 2 two rows' RMS(u) terms): the same sums, in the same order, without
 * waiting on one chain of additions. */
WIDEST_SIMD void FACTORED_FN(lre_group *g, lre_step_scalars *k, double *out)
{
    const T *restrict p = g->params, *restrict gr = g->grads;
    T *restrict row = g->state[1], *restrict col = g->state[2];
    double *restrict cs = g->scratch;     /* column sums */
    T *restrict ub = ADAF_ROW_BUF(g);     /* a row's terms */
    T *restrict ub2 = ADAF_ROW_BUF2(g);   /* its p * decay (pass 1), the next row's terms (pass 2) */
    T *restrict cf = ADAF_FACTORS(g);     /* the column factors 1 / sqrt(c_j) */
    const size_t rows = g->rows, cols = g->cols;
    const T b2t = (T)k->a, b2c = (T)(1 - k->a), eps1 = (T)k->hp[HP_EPS], dec = (T)k->decay;
    const T gscale = (T)k->gscale, clipv = (T)k->clip_value; /* GRAD_RT: maximize's sign, clipping */
    const int scale = k->hp[HP_SCALE_PARAMETER] != 0;
    double px = 0;
    for (size_t j = 0; j < cols; j++) cs[j] = 0;
    for (size_t r = 0; r < rows; r++) { /* pass 1: update.mean(dim=-1), update.mean(dim=-2), RMS(p) */
        const T *restrict gi = gr + r * cols, *restrict pr = p + r * cols;
        double rl[LANES] = {0}, xl[LANES] = {0};
        for (size_t j = 0; j < cols; j++) {
            T gj = (k->clamp ? CLAMPV(gi[j]) : gi[j]) * gscale;
            ub[j] = gj * gj + eps1;
            cs[j] += (double)ub[j];
        }
        if (scale && dec == 1) {
            lanes_values_squares(rl, ub, xl, pr, cols);
        } else if (scale) {
            for (size_t j = 0; j < cols; j++) ub2[j] = pr[j] * dec;
            lanes_values_squares(rl, ub, xl, ub2, cols);
        } else {
            lanes_values(rl, ub, cols);
        }
        /* exp_avg_sq_row.mul_(beta2t).add_(update.mean(dim=-1), alpha=1-beta2t) */
        row[r] = row[r] * b2t + b2c * (T)(lanes_sum(rl) / (double)cols);
        px += lanes_sum(xl);
    }
    double rsum = 0;
    for (size_t r = 0; r < rows; r++) rsum += (double)row[r];
    const T rmean = (T)(rsum / (double)rows);
    for (size_t j = 0; j < cols; j++) {
        T c = col[j] * b2t + b2c * (T)(cs[j] / (double)rows);
        col[j] = c;
        cf[j] = (T)1 / SQRT(c); /* c_factor = col.rsqrt() */
    }
    double us = 0;
    size_t r = 0;
    /* pass 2: RMS of u = r_factor c_factor g, u's terms of row i into buf */
#define ROW_U(buf, i)                                                                               \
    do {                                                                                            \
        const T rf = (T)1 / SQRT(row[i] / rmean); /* (row / row.mean()).rsqrt_() */                \
        const T *restrict gi = gr + (i) * cols;                                                     \
        for (size_t j = 0; j < cols; j++) buf[j] = (rf * cf[j]) * ((k->clamp ? CLAMPV(gi[j]) : gi[j]) * gscale); \
    } while (0)
    for (; r + 2 <= rows; r += 2) {
        double ul[LANES] = {0}, ul2[LANES] = {0};
        ROW_U(ub, r);
        ROW_U(ub2, r + 1);
        lanes_squares2(ul, ub, ul2, ub2, cols);
        us += lanes_sum(ul);
        us += lanes_sum(ul2);
    }
    if (r < rows) {
        double ul[LANES] = {0};
        ROW_U(ub, r);
        lanes_squares(ul, ub, cols);
        us += lanes_sum(ul);
    }
#undef ROW_U
    out[0] += px;
    out[1] += us;
    k->d = (double)rmean;
}

enum { ADAF_FACTORED = 1, ADAF_MOMENTUM = 2, ADAF_DECAY = 4, ADAF_CLIP = 8 };
KERNEL adafactor_k(ARGS, const unsigned f)
{
    COMMON;
    T *restrict m = g->state[0];
    const T *restrict v = g->state[1];
    const T *restrict cf = NULL; /* FACTORED_FN's column factors (a vector has no scratch) */
    if (f & ADAF_FACTORED) cf = ADAF_FACTORS(g);
    const T lr_eff = (T)k->a, div = (T)k->b, wdc = (T)k->c, rmean = (T)k->d;
    const T b1 = (T)k->hp[HP_BETA1], b1c = (T)(1 - k->hp[HP_BETA1]);
    const size_t cols = (f & ADAF_FACTORED) ? g->cols : hi - lo;
    size_t i = lo;
    while (i < hi) { /* a row (or the whole range) at a time */
        size_t r = (f & ADAF_FACTORED) ? i / cols : 0, j0 = (f & ADAF_FACTORED) ? i % cols : 0;
        size_t end = (f & ADAF_FACTORED) ? (hi - i < cols - j0 ? hi : i + (cols - j0)) : hi;
        const T rf = (f & ADAF_FACTORED) ? (T)1 / SQRT(v[r] / rmean) : (T)0;
        for (size_t e = i; e < end; e++) {
            T x = p[e] * dec;
            T u = (f & ADAF_FACTORED) ? (rf * cf[j0 + (e - i)]) * GRAD(e) : ((T)1 / SQRT(v[e])) * GRAD(e);
            if (f & ADAF_CLIP) u = u / div; /* update.div_((rms(update) / clip_threshold).clamp_(min=1.0)) */
            u = u * lr_eff; /* update.mul_(lr) */
            if (f & ADAF_MOMENTUM) {
                T mi = m[e] * b1 + b1c * u; /* exp_avg.mul_(beta1).add_(update, alpha=1-beta1) */
                m[e] = mi;
                u = mi;
            }
            if (f & ADAF_DECAY) x = x + wdc * x; /* p.add_(p, alpha=-weight_decay * lr) */
            p[e] = x - u;
        }
        i = end;
    }
}

KERNEL adafactor(ARGS)
{
    unsigned f = (g->ndim == 2 ? ADAF_FACTORED : 0) | (g->state[0] != NULL ? ADAF_MOMENTUM : 0) |
                 (k->c != 0 ? ADAF_DECAY : 0) | (k->b != 1 ? ADAF_CLIP : 0); /* u / 1 is u, to the bit */
    SPECIALISE(adafactor_k, 4, f)
}

WIDEST_SIMD void REDUCE_FN(int kind, lre_group *g, const lre_step_scalars *k, size_t lo, size_t hi, double *out)
{
    switch (kind) {
    case O_LAMB: lamb_sums(g, k, lo, hi, out); break;
    case O_LARS: lars_sums(g, k, lo, hi, out); break;
    case O_NOVOGRAD: novograd_sums(g, k, lo, hi, out); break;
    case O_ADAFACTOR: adafactor_sums(g, k, lo, hi, out); break;
    default: break;
    }
}

KERNEL muon_adam(ARGS) { SPECIALISE(muon_adam_k, 0, 0) }

WIDEST_SIMD void UPDATE_FN(int kind, lre_group *g, const lre_step_scalars *k, size_t lo, size_t hi)
{
    switch (kind) {
    case O_SGD: sgd(g, k, lo, hi); break;
    case O_ADAM: adam(g, k, lo, hi, 0); break;
    case O_ADAMW: adam(g, k, lo, hi, 1); break;
    case O_ADAGRAD: adagrad(g, k, lo, hi); break;
    case O_RMSPROP: rmsprop(g, k, lo, hi); break;
    case O_ADADELTA: adadelta(g, k, lo, hi); break;
    case O_ADAMAX: adamax(g, k, lo, hi); break;
    case O_NADAM: nadam(g, k, lo, hi); break;
    case O_RADAM: radam(g, k, lo, hi); break;
    case O_RPROP: rprop(g, k, lo, hi); break;
    case O_ASGD: asgd(g, k, lo, hi); break;
    case O_LION: lion(g, k, lo, hi); break;
    case O_ADEMAMIX: ademamix(g, k, lo, hi); break;
    case O_SGD_SCHEDULEFREE: sgd_sf(g, k, lo, hi); break;
    case O_ADAMW_SCHEDULEFREE: adamw_sf(g, k, lo, hi); break;
    case O_NADAM_KERAS: nadam_keras(g, k, lo, hi); break;
    case O_SIGNSGD:
    case O_SIGNUM: signsgd(g, k, lo, hi); break;
    case O_ADABELIEF: adabelief(g, k, lo, hi); break;
    case O_YOGI: yogi(g, k, lo, hi); break;
    case O_MUON: muon_adam(g, k, lo, hi); break;
    case O_LAMB: lamb(g, k, lo, hi); break;
    case O_LARS: lars(g, k, lo, hi); break;
    case O_NOVOGRAD: novograd(g, k, lo, hi); break;
    case O_ADAFACTOR: adafactor(g, k, lo, hi); break;
    default: break;
    }
}

/* Weight averaging after a chunk's update, while the chunk is in cache: one
 * more read and write of the average (average.c). EMA as timm's ModelEmaV3,
 * ema = d*ema + (1-d)*x (d = 0 copies exactly); SWA as PyTorch's
 * AveragedModel, avg + (x - avg)/(n + 1). */
WIDEST_SIMD void AVERAGE_FN(lre_group *g, const lre_step_scalars *k, size_t lo, size_t hi)
{
    const T *restrict p = g->params;
    T *restrict a = g->avg;
    if (k->avg_keep >= 0) {
        const T keep = (T)k->avg_keep, take = (T)k->avg_take;
        for (size_t i = lo; i < hi; i++) a[i] = keep * a[i] + take * p[i];
    } else {
        const T m = (T)k->avg_take;
        for (size_t i = lo; i < hi; i++) a[i] = a[i] + (p[i] - a[i]) / m;
    }
}

/* Exchanges two buffers element by element: no scratch memory. */
WIDEST_SIMD void SWAP_FN(T *restrict a, T *restrict b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        T t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

/* A NaN or infinity has all exponent bits set; an integer OR-reduction over
 * the bits vectorises where a floating-point one would not. */
WIDEST_SIMD int FINITE_FN(const T *x, size_t n)
{
    UINT bad = 0;
    for (size_t i = 0; i < n; i++) {
        UINT u;
        memcpy(&u, &x[i], sizeof u);
        bad |= (UINT)((u & EXP_MASK) == EXP_MASK);
    }
    return bad == 0;
}

/* The sum of squares, accumulated in double in 16 independent partial sums
 * (lane j takes elements j, j + 16, ...) added up in a fixed order, so the
 * result is the same at every vector width. The lanes are four vectors of
 * four, each loaded from four values: as a loop over a double[16], GCC 12
 * converted every eight floats with one vcvtps2pd from memory and one
 * through a vextractf128, and the scan took 0.118 ns an element in cache
 * against 0.088 now (lanes.h says why; same sums, bit for bit). */
#define SUMSQ_LANES 16
WIDEST_SIMD double SUMSQ_FN(const T *x, size_t n)
{
    lanes_f64 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    size_t i = 0;
    for (; i + SUMSQ_LANES <= n; i += SUMSQ_LANES) {
        const T *q = x + i;
        lanes_f64 b0 = {q[0], q[1], q[2], q[3]}, b1 = {q[4], q[5], q[6], q[7]};
        lanes_f64 b2 = {q[8], q[9], q[10], q[11]}, b3 = {q[12], q[13], q[14], q[15]};
        a0 += b0 * b0;
        a1 += b1 * b1;
        a2 += b2 * b2;
        a3 += b3 * b3;
    }
    double acc[SUMSQ_LANES];
    memcpy(acc, &a0, sizeof a0);
    memcpy(acc + 4, &a1, sizeof a1);
    memcpy(acc + 8, &a2, sizeof a2);
    memcpy(acc + 12, &a3, sizeof a3);
    for (size_t j = 0; i < n; i++, j++) {
        double v = (double)x[i];
        acc[j] += v * v;
    }
    double s = 0;
    for (size_t j = 0; j < SUMSQ_LANES; j++) s += acc[j];
    return s;
}

/* The largest magnitude, as the largest of the bits without the sign: for
 * non-negative floats the integer order is the numeric order, infinity
 * above every finite value and a NaN above infinity, so a NaN anywhere gives
 * a NaN, as torch.max does. An integer reduction vectorises exactly. */
WIDEST_SIMD double MAXABS_FN(const T *x, size_t n)
{
    UINT m = 0;
    for (size_t i = 0; i < n; i++) {
        UINT u;
        memcpy(&u, &x[i], sizeof u);
        u &= ~((UINT)1 << (sizeof(UINT) * 8 - 1));
        m = u > m ? u : m;
    }
    T v;
    memcpy(&v, &m, sizeof v);
    return (double)v;
}
