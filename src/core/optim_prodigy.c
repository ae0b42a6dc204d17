/* optim_prodigy.c -- Prodigy (Mishchenko & Defazio 2023), as konstmish/
 * prodigy's prodigy_reference.py: Adam whose step is scaled by an estimate
 * d of the distance to the solution, learned from the gradients. d is one
 * number for the whole optimizer, so a step is two passes over every
 * group's memory with a reduction in between:
 *   (1) the gradient, the parameters and p0 read; m, v and s read and
 *       written; sums of g (p0 - p) and |s| over all groups;
 *   then d from those sums; then
 *   (2) m, v and the parameters read, the parameters written (with the new
 *       d in the denominator, the old d in the rate: the reference's order).
 * The second pass can not start before every group's first pass ended.
 *
 * Hyper-parameters the reference reads from the first group (the betas,
 * beta3, d_coef, growth_rate, use_bias_correction, safeguard_warmup, and d0
 * for d's start) are group 1's here too; lr is the largest group's (groups
 * with another nonzero lr are refused, as the reference refuses them); eps,
 * weight_decay, decouple and d0 in d / d0 are each group's. */
#include "optim_internal.h"

#include <math.h>
#include <string.h>

/* Pass 1 over a group: returns the dot product g . (p0 - p) in *dot and the
 * sum of |s| in *abs_s (both in double, as torch.dot(...).item() and
 * s.abs().sum().item() give them). */
#define DEFINE_PRODIGY(T, S, SQRT, FABS)                                                                           \
    static void pass1_##S(lre_group *g, double b1, double b2, double b3, double cm, double cv, double cs,            \
                          double wd, double *dot, double *abs_s)                                                   \
    {                                                                                                              \
        const T *restrict p = g->params, *restrict gr = g->grads, *restrict p0 = g->state[0];                       \
        T *restrict s = g->state[1], *restrict m = g->state[2], *restrict v = g->state[3];                          \
        const T tb1 = (T)b1, tb2 = (T)b2, tb3 = (T)b3, tcm = (T)cm, tcv = (T)cv, tcs = (T)cs, twd = (T)wd;         \
        double d = 0, a = 0;                                                                                       \
        /* the gradient as the other kernels read it (GRAD): clamped when clipping by value, times the clip    \
         * coefficient and the guard's scale (exactly 1 without them) */                                          \
        const T gs = (T)g->next.gscale, gcv = (T)g->next.clip_value;                                              \
        const int clamp = g->next.clamp;                                                                           \
        for (size_t i = 0; i < g->n; i++) {                                                                        \
            T g0 = (clamp ? (gr[i] < -gcv ? -gcv : gr[i] > gcv ? gcv : gr[i]) : gr[i]) * gs;                        \
            T gi = twd != 0 ? g0 + twd * p[i] : g0; /* grad.add_(p, alpha=decay), coupled only */                  \
            d += (double)gi * (double)(p0[i] - p[i]);                                                              \
            m[i] = m[i] * tb1 + tcm * gi;         /* exp_avg.mul_(beta1).add_(grad, alpha=d*(1-beta1)) */          \
            v[i] = v[i] * tb2 + tcv * gi * gi;    /* exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=d*d*(1-beta2)) */ \
            T si = s[i] * tb3 + tcs * gi;         /* s.mul_(beta3).add_(grad, alpha=(d/d0)*dlr) */                 \
            s[i] = si;                                                                                             \
            a += (double)FABS(si);                                                                                 \
        }                                                                                                          \
        *dot = d;                                                                                                  \
        *abs_s = a;                                                                                                \
    }                                                                                                              \
                                                                                                                   \
    /* Pass 2: denom = sqrt(v) + d eps; p += p * (-decay dlr) (decoupled); p += -dlr m / denom */                  \
    static void pass2_##S(lre_group *g, double deps, double wd_dlr, double dlr)                                    \
    {                                                                                                              \
        T *restrict p = g->params;                                                                                 \
        const T *restrict m = g->state[2], *restrict v = g->state[3];                                              \
        const T teps = (T)deps, twd = (T)wd_dlr, tdlr = (T)dlr;                                                    \
        for (size_t i = 0; i < g->n; i++) {                                                                        \
            T x = p[i];                                                                                            \
            if (twd != 0) x = x + twd * x;                                                                         \
            p[i] = x + tdlr * (m[i] / (SQRT(v[i]) + teps));                                                        \
        }                                                                                                          \
    }

DEFINE_PRODIGY(float, f32, sqrtf, fabsf)
DEFINE_PRODIGY(double, f64, sqrt, fabs)

double lre__prodigy_beta3(const double *hp) { return hp[HP_BETA3] < 0 ? sqrt(hp[HP_BETA2]) : hp[HP_BETA3]; }

int lre__prodigy_check_lr(int n, double (*lr_of)(const void *ctx, int group), const void *ctx, const char *who,
                          lre_error *err)
{
    double lr = 0;
    for (int i = 0; i < n; i++) lr = fmax(lr, lr_of(ctx, i)); /* (fmax drops a NaN) */
    for (int i = 0; i < n; i++) {
        double gl = lr_of(ctx, i);
        if (gl != lr && gl != 0 && !isnan(gl))
            return lre_error_set(err, LRE_EINVAL, "%s: groups' lr must be equal or 0 (group %d has %.17g, the largest is %.17g)",
                                 who, i + 1, gl, lr);
    }
    return LRE_OK;
}

static double next_lr(const void *o, int i) { return ((const lre_optim *)o)->groups[i].next.hp[HP_LR]; }

int lre__prodigy_check(lre_optim *o, lre_error *err) { return lre__prodigy_check_lr(o->ngroups, next_lr, o, "prodigy", err); }

void lre__prodigy_step(lre_optim *o)
{
    lre_prodigy *pr = &o->prodigy;
    const double *h0 = o->groups[0].next.hp;
    double b1 = h0[HP_BETA1], b2 = h0[HP_BETA2], b3 = lre__prodigy_beta3(h0), lr = 0;
    for (int i = 0; i < o->ngroups; i++) lr = fmax(lr, o->groups[i].next.hp[HP_LR]);
    double k = (double)pr->k, d = pr->d;
    double bc = h0[HP_USE_BIAS_CORRECTION] ? sqrt(1 - pow(b2, k + 1)) / (1 - pow(b1, k + 1)) : 1;
    double dlr = d * lr * bc;
    double numerator = pr->numerator * b3, denom = 0;
    for (int i = 0; i < o->ngroups; i++) {
        lre_group *g = &o->groups[i];
        const double *hp = g->next.hp;
        if (hp[HP_LR] <= 0) continue;
        double d0 = hp[HP_D0], dot, abs_s;
        double cs = h0[HP_SAFEGUARD_WARMUP] ? (d / d0) * d : (d / d0) * dlr;
        double wd = hp[HP_DECOUPLE] ? 0 : hp[HP_WEIGHT_DECAY];
        if (g->dtype == LRE_F32) pass1_f32(g, b1, b2, b3, d * (1 - b1), d * d * (1 - b2), cs, wd, &dot, &abs_s);
        else pass1_f64(g, b1, b2, b3, d * (1 - b1), d * d * (1 - b2), cs, wd, &dot, &abs_s);
        numerator += (d / d0) * dlr * dot;
        denom += abs_s;
    }
    /* every gradient so far zero: the reference returns here (d, N, k unchanged) */
    if (denom == 0) return;
    double d_hat = d;
    if (lr > 0) {
        d_hat = h0[HP_D_COEF] * numerator / denom;
        /* `if d == group['d0']` after the loop over the groups: the last group's d0 */
        if (d == o->groups[o->ngroups - 1].next.hp[HP_D0]) d = fmax(d, d_hat);
        pr->d_max = fmax(pr->d_max, d_hat);
        d = fmin(pr->d_max, d * h0[HP_GROWTH_RATE]);
    }
    for (int i = 0; i < o->ngroups; i++) {
        lre_group *g = &o->groups[i];
        const double *hp = g->next.hp;
        double wd_dlr = hp[HP_DECOUPLE] && hp[HP_WEIGHT_DECAY] != 0 ? -hp[HP_WEIGHT_DECAY] * dlr : 0;
        if (g->dtype == LRE_F32) pass2_f32(g, d * hp[HP_EPS], wd_dlr, -dlr);
        else pass2_f64(g, d * hp[HP_EPS], wd_dlr, -dlr);
        g->t++;
    }
    pr->numerator = numerator;
    pr->d = d;
    pr->dlr = dlr;
    pr->k++;
}
