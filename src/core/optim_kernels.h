/* optim_kernels.h -- the per-element updates, one fused pass over memory per
 * optimizer: each element's parameter, gradient and state are read once and
 * written once. Included by optim_f32.c and optim_f64.c with
 *   T            float or double (the arithmetic is done in T, as PyTorch does)
 *   UPDATE_FN    the name of the dispatching function
 *   FINITE_FN    the name of the finiteness check
 *   UINT, EXP_MASK  an unsigned integer of T's size and T's exponent bits
 * Each kernel follows torch/optim/<name>.py of PyTorch 1.13 (single-tensor
 * path) line by line; the comments give the PyTorch expression where the
 * order of operations matters. Loop-invariant switches are hoisted by the
 * compiler (-O3 unswitches loops). */

#define ARGS lre_group *g, const lre_step_scalars *k, size_t lo, size_t hi
#define GRAD(i) (maximize ? -gr[i] : gr[i])
#define COMMON                                                                 \
    T *p = g->params;                                                          \
    const T *gr = g->grads;                                                    \
    const int maximize = k->hp[HP_MAXIMIZE] != 0;                              \
    const T lr = (T)k->hp[HP_LR], wd = (T)k->hp[HP_WEIGHT_DECAY];              \
    (void)lr;                                                                  \
    (void)wd

static void sgd(ARGS)
{
    COMMON;
    T *buf = g->state[0];
    const T mom = (T)k->hp[HP_MOMENTUM], damp = (T)(1 - k->hp[HP_DAMPENING]);
    const int nesterov = k->hp[HP_NESTEROV] != 0, first = !g->momentum_started;
    for (size_t i = lo; i < hi; i++) {
        T d = GRAD(i);
        if (wd != 0) d += wd * p[i];
        if (mom != 0) {
            T b = first ? d : buf[i] * mom + damp * d; /* buf.mul_(momentum).add_(d_p, alpha=1-dampening) */
            buf[i] = b;
            d = nesterov ? d + mom * b : b;
        }
        p[i] -= lr * d;
    }
}

/* Adam and AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019). */
static void adam(ARGS, int decoupled)
{
    COMMON;
    T *m = g->state[0], *v = g->state[1], *vmax = g->state[2];
    const T b1c = (T)(1 - k->hp[HP_BETA1]), b2 = (T)k->hp[HP_BETA2], b2c = (T)(1 - k->hp[HP_BETA2]);
    const T eps = (T)k->hp[HP_EPS], step_size = (T)k->a, bc2_sqrt = (T)k->b, decay = (T)k->c;
    const int amsgrad = k->hp[HP_AMSGRAD] != 0, eps_hat = k->hp[HP_EPSILON_HAT] != 0;
    for (size_t i = lo; i < hi; i++) {
        T gi = GRAD(i), x = p[i];
        if (decoupled) x *= decay;          /* param.mul_(1 - lr * weight_decay) */
        else if (wd != 0) gi += wd * x;     /* grad.add(param, alpha=weight_decay) */
        T mi = m[i] + b1c * (gi - m[i]);    /* exp_avg.lerp_(grad, 1 - beta1) */
        T vi = v[i] * b2 + b2c * gi * gi;   /* exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2) */
        m[i] = mi;
        v[i] = vi;
        if (amsgrad) {
            vi = vmax[i] > vi ? vmax[i] : vi;
            vmax[i] = vi;
        }
        T denom = eps_hat ? SQRT(vi) + eps : SQRT(vi) / bc2_sqrt + eps;
        p[i] = x - step_size * (mi / denom);
    }
}

static void adagrad(ARGS)
{
    COMMON;
    T *sum = g->state[0];
    const T eps = (T)k->hp[HP_EPS], clr = (T)k->a;
    for (size_t i = lo; i < hi; i++) {
        T gi = GRAD(i);
        if (wd != 0) gi += wd * p[i];
        T s = sum[i] + gi * gi;
        sum[i] = s;
        p[i] -= clr * (gi / (SQRT(s) + eps));
    }
}

static void rmsprop(ARGS)
{
    COMMON;
    T *sq = g->state[0], *buf = g->state[1], *gavg = g->state[2];
    const T alpha = (T)k->hp[HP_ALPHA], alphac = (T)(1 - k->hp[HP_ALPHA]), eps = (T)k->hp[HP_EPS];
    const T mom = (T)k->hp[HP_MOMENTUM];
    const int centered = k->hp[HP_CENTERED] != 0;
    for (size_t i = lo; i < hi; i++) {
        T gi = GRAD(i);
        if (wd != 0) gi += wd * p[i];
        T s = sq[i] * alpha + alphac * gi * gi;
        sq[i] = s;
        T avg;
        if (centered) {
            T ga = gavg[i] * alpha + alphac * gi; /* grad_avg.mul_(alpha).add_(grad, alpha=1-alpha) */
            gavg[i] = ga;
            avg = SQRT(s - ga * ga) + eps;
        } else {
            avg = SQRT(s) + eps;
        }
        if (mom > 0) {
            T b = buf[i] * mom + gi / avg;
            buf[i] = b;
            p[i] -= lr * b;
        } else {
            p[i] -= lr * (gi / avg);
        }
    }
}

/* Zeiler 2012. */
static void adadelta(ARGS)
{
    COMMON;
    T *sq = g->state[0], *acc = g->state[1];
    const T rho = (T)k->hp[HP_RHO], rhoc = (T)(1 - k->hp[HP_RHO]), eps = (T)k->hp[HP_EPS];
    for (size_t i = lo; i < hi; i++) {
        T gi = GRAD(i);
        if (wd != 0) gi += wd * p[i];
        T s = sq[i] * rho + rhoc * gi * gi;
        sq[i] = s;
        T delta = SQRT(acc[i] + eps) / SQRT(s + eps) * gi;
        acc[i] = acc[i] * rho + rhoc * delta * delta;
        p[i] -= lr * delta;
    }
}

static void adamax(ARGS)
{
    COMMON;
    T *m = g->state[0], *u = g->state[1];
    const T b1c = (T)(1 - k->hp[HP_BETA1]), b2 = (T)k->hp[HP_BETA2], eps = (T)k->hp[HP_EPS], clr = (T)k->a;
    for (size_t i = lo; i < hi; i++) {
        T gi = GRAD(i);
        if (wd != 0) gi += wd * p[i];
        T mi = m[i] + b1c * (gi - m[i]);
        T a = u[i] * b2, b = FABS(gi) + eps; /* amax(cat(exp_inf * beta2, |grad| + eps)) */
        T ui = a > b ? a : b;
        m[i] = mi;
        u[i] = ui;
        p[i] -= clr * (mi / ui);
    }
}

static void nadam(ARGS)
{
    COMMON;
    T *m = g->state[0], *v = g->state[1];
    const T b1c = (T)(1 - k->hp[HP_BETA1]), b2 = (T)k->hp[HP_BETA2], b2c = (T)(1 - k->hp[HP_BETA2]);
    const T eps = (T)k->hp[HP_EPS], cg = (T)k->a, cm = (T)k->b, bc2 = (T)k->c;
    for (size_t i = lo; i < hi; i++) {
        T gi = GRAD(i);
        if (wd != 0) gi += wd * p[i];
        T mi = m[i] + b1c * (gi - m[i]);
        T vi = v[i] * b2 + b2c * gi * gi;
        m[i] = mi;
        v[i] = vi;
        T denom = SQRT(vi / bc2) + eps;
        T x = p[i] - cg * (gi / denom);
        p[i] = x - cm * (mi / denom);
    }
}

static void radam(ARGS)
{
    COMMON;
    T *m = g->state[0], *v = g->state[1];
    const T b1c = (T)(1 - k->hp[HP_BETA1]), b2 = (T)k->hp[HP_BETA2], b2c = (T)(1 - k->hp[HP_BETA2]);
    const T eps = (T)k->hp[HP_EPS], bc1 = (T)k->a, bc2_sqrt = (T)k->b, rect = (T)k->c;
    for (size_t i = lo; i < hi; i++) {
        T gi = GRAD(i);
        if (wd != 0) gi += wd * p[i];
        T mi = m[i] + b1c * (gi - m[i]);
        T vi = v[i] * b2 + b2c * gi * gi;
        m[i] = mi;
        v[i] = vi;
        T corrected = mi / bc1;
        if (rect > 0) p[i] -= corrected * lr * (bc2_sqrt / (SQRT(vi) + eps)) * rect;
        else p[i] -= corrected * lr;
    }
}

/* Riedmiller & Braun 1993, PyTorch's variant (no weight backtracking). */
static void rprop(ARGS)
{
    COMMON;
    T *prev = g->state[0], *size = g->state[1];
    const T eminus = (T)k->hp[HP_ETA_MINUS], eplus = (T)k->hp[HP_ETA_PLUS];
    const T smin = (T)k->hp[HP_STEP_MIN], smax = (T)k->hp[HP_STEP_MAX];
    for (size_t i = lo; i < hi; i++) {
        T gi = GRAD(i);
        T s = gi * prev[i];
        T eta = s > 0 ? eplus : s < 0 ? eminus : (T)1;
        T st = size[i] * eta;
        st = st < smin ? smin : st > smax ? smax : st;
        size[i] = st;
        if (s < 0) gi = 0;
        T sign = gi > 0 ? (T)1 : gi < 0 ? (T)-1 : (T)0;
        p[i] -= sign * st;
        prev[i] = gi;
    }
}

static void asgd(ARGS)
{
    COMMON;
    T *ax = g->state[0];
    const T eta = (T)k->a, mu = (T)k->b, shrink = (T)(1 - k->hp[HP_LAMBD] * k->a);
    for (size_t i = lo; i < hi; i++) {
        T gi = GRAD(i);
        if (wd != 0) gi += wd * p[i];
        T x = p[i] * shrink;  /* param.mul_(1 - lambd * eta) */
        x = x - eta * gi;     /* param.add_(grad, alpha=-eta) */
        p[i] = x;
        ax[i] = mu != 1 ? ax[i] + (x - ax[i]) * mu : x;
    }
}

/* Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Program 1. */
static void lion(ARGS)
{
    COMMON;
    T *m = g->state[0];
    const T b1 = (T)k->hp[HP_BETA1], b1c = (T)(1 - k->hp[HP_BETA1]);
    const T b2 = (T)k->hp[HP_BETA2], b2c = (T)(1 - k->hp[HP_BETA2]), decay = (T)(1 - k->hp[HP_LR] * k->hp[HP_WEIGHT_DECAY]);
    for (size_t i = lo; i < hi; i++) {
        T gi = GRAD(i);
        T c = b1 * m[i] + b1c * gi;
        T sign = c > 0 ? (T)1 : c < 0 ? (T)-1 : (T)0;
        p[i] = p[i] * decay - lr * sign;
        m[i] = b2 * m[i] + b2c * gi;
    }
}

void UPDATE_FN(int kind, lre_group *g, const lre_step_scalars *k, size_t lo, size_t hi)
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
    default: break;
    }
}

/* A NaN or infinity has all exponent bits set; an integer OR-reduction over
 * the bits vectorises where a floating-point one would not. */
int FINITE_FN(const T *x, size_t n)
{
    UINT bad = 0;
    for (size_t i = 0; i < n; i++) {
        UINT u;
        memcpy(&u, &x[i], sizeof u);
        bad |= (UINT)((u & EXP_MASK) == EXP_MASK);
    }
    return bad == 0;
}
