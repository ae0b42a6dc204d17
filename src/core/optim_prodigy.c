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
#include "lanes.h"
#include "widest_simd.h"

#include <math.h>
#include <string.h>

/* Pass 1 over a group: returns the dot product g . (p0 - p) in *dot and the
 * sum of |s| in *abs_s, in double (torch.dot(...).item() and
 * s.abs().sum().item() give them in double; each product of two floats is
 * exact in double). As the two-pass kernels do (optim_kernels.h's
 * REDUCE_BLOCKS): each block of BLOCK elements is first updated by a
 * branch-free loop that vectorises, which leaves the terms of the two sums
 * in L1, then the terms are added over interleaved lanes (lanes.h). The
 * flags are constants in each instantiation: clamp (clipping by value) and
 * coupled weight decay. */
#define BLOCK 256

#if defined(__GNUC__)
#define INLINE static inline __attribute__((always_inline))
#else
#define INLINE static inline
#endif

typedef struct pass1_scalars {
    double b1, b2, b3;  /* the betas */
    double cm, cv, cs;  /* d (1 - b1), d^2 (1 - b2), and s's rate */
    double wd;          /* coupled weight decay, or 0 */
} pass1_scalars;

#define DEFINE_PRODIGY(T, S, SQRT, FABS)                                                                           \
    /* One block: the arrays are restrict parameters, which GCC trusts (as restrict locals it checked them for \
     * overlap at run time, more pairs than it will check: the loop stayed scalar) */                          \
    INLINE void pass1_block_##S(size_t len, const T *restrict p, const T *restrict gr, const T *restrict p0,      \
                                T *restrict s, T *restrict m, T *restrict v, T *restrict ga, T *restrict gd,       \
                                T *restrict sa, const T *restrict c, const int clamp, const int decay)            \
    {                                                                                                              \
        const T b1 = c[0], b2 = c[1], b3 = c[2], cm = c[3], cv = c[4], cs = c[5], wd = c[6];                       \
        const T gs = c[7], clipv = c[8];                                                                           \
        for (size_t e = 0; e < len; e++) {                                                                         \
            /* the gradient as the other kernels read it (GRAD): clamped when clipping by value (a NaN stays   \
             * NaN, as in clamp_), times the clip coefficient and the guard's scale (exactly 1 without them) */ \
            T gi = gr[e];                                                                                          \
            if (clamp) gi = gi < -clipv ? -clipv : gi;                                                             \
            if (clamp) gi = gi > clipv ? clipv : gi;                                                               \
            gi = gi * gs;                                                                                          \
            if (decay) gi = gi + wd * p[e]; /* grad.add_(p, alpha=decay), coupled only */                          \
            ga[e] = gi;                                                                                            \
            gd[e] = p0[e] - p[e];                                                                                  \
            m[e] = m[e] * b1 + cm * gi;      /* exp_avg.mul_(beta1).add_(grad, alpha=d*(1-beta1)) */               \
            v[e] = v[e] * b2 + cv * gi * gi; /* exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=d*d*(1-beta2)) */ \
            T si = s[e] * b3 + cs * gi;      /* s.mul_(beta3).add_(grad, alpha=(d/d0)*dlr) */                      \
            s[e] = si;                                                                                             \
            sa[e] = FABS(si);                                                                                      \
        }                                                                                                          \
    }                                                                                                              \
                                                                                                                   \
    INLINE void pass1_k_##S(lre_group *g, const pass1_scalars *c, double *dot, double *abs_s, const int clamp,      \
                            const int decay)                                                                       \
    {                                                                                                              \
        const T *p = g->params, *gr = g->grads, *p0 = g->state[0];                                                 \
        T *s = g->state[1], *m = g->state[2], *v = g->state[3];                                                    \
        /* the scalars as pass1_block reads them, in T */                                                          \
        const T k[9] = {(T)c->b1, (T)c->b2, (T)c->b3, (T)c->cm, (T)c->cv, (T)c->cs, (T)c->wd,                      \
                        (T)g->next.gscale, (T)g->next.clip_value};                                                 \
        double dl[LANES] = {0}, al[LANES] = {0};                                                                   \
        T ga[BLOCK], gd[BLOCK], sa[BLOCK];                                                                         \
        for (size_t blk = 0; blk < g->n; blk += BLOCK) {                                                           \
            size_t len = g->n - blk < BLOCK ? g->n - blk : BLOCK;                                                  \
            pass1_block_##S(len, p + blk, gr + blk, p0 + blk, s + blk, m + blk, v + blk, ga, gd, sa, k, clamp,     \
                            decay);                                                                                \
            lanes_products_values(dl, ga + 0, gd + 0, al, sa + 0, len);                                            \
        }                                                                                                          \
        *dot = lanes_sum(dl);                                                                                      \
        *abs_s = lanes_sum(al);                                                                                    \
    }                                                                                                              \
                                                                                                                   \
    static WIDEST_SIMD void pass1_##S(lre_group *g, const pass1_scalars *c, double *dot, double *abs_s)           \
    {                                                                                                              \
        int clamp = g->next.clamp, decay = (T)c->wd != 0;                                                           \
        if (clamp && decay) pass1_k_##S(g, c, dot, abs_s, 1, 1);                                                   \
        else if (clamp) pass1_k_##S(g, c, dot, abs_s, 1, 0);                                                       \
        else if (decay) pass1_k_##S(g, c, dot, abs_s, 0, 1);                                                       \
        else pass1_k_##S(g, c, dot, abs_s, 0, 0);                                                                  \
    }                                                                                                              \
                                                                                                                   \
    /* Pass 2: denom = sqrt(v) + d eps; p += p * (-decay dlr) (decoupled); p += -dlr m / denom */                  \
    INLINE void pass2_k_##S(lre_group *g, double deps, double wd_dlr, double dlr, const int decay)                 \
    {                                                                                                              \
        T *restrict p = g->params;                                                                                 \
        const T *restrict m = g->state[2], *restrict v = g->state[3];                                              \
        const T teps = (T)deps, twd = (T)wd_dlr, tdlr = (T)dlr;                                                    \
        for (size_t i = 0; i < g->n; i++) {                                                                        \
            T x = p[i];                                                                                            \
            if (decay) x = x + twd * x;                                                                            \
            p[i] = x + tdlr * (m[i] / (SQRT(v[i]) + teps));                                                        \
        }                                                                                                          \
    }                                                                                                              \
                                                                                                                   \
    static WIDEST_SIMD void pass2_##S(lre_group *g, double deps, double wd_dlr, double dlr)                       \
    {                                                                                                              \
        if ((T)wd_dlr != 0) pass2_k_##S(g, deps, wd_dlr, dlr, 1);                                                  \
        else pass2_k_##S(g, deps, wd_dlr, dlr, 0);                                                                 \
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
        pass1_scalars c = {b1, b2, b3, d * (1 - b1), d * d * (1 - b2), cs, hp[HP_DECOUPLE] ? 0 : hp[HP_WEIGHT_DECAY]};
        if (g->dtype == LRE_F32) pass1_f32(g, &c, &dot, &abs_s);
        else pass1_f64(g, &c, &dot, &abs_s);
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
