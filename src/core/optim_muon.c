/* optim_muon.c -- Muon's matrix update (Keller Jordan, KellerJordan/Muon
 * muon.py): Nesterov momentum, then the update orthogonalised by five
 * Newton-Schulz iterations (zeropower_via_newtonschulz5), scaled by
 * sqrt(max(1, rows/cols)). The reference runs Newton-Schulz in bfloat16;
 * here it runs in the group's own type (the float64 traces of modern.json
 * are the rule in float64).
 *
 * The matrix products are GEMMs through CBLAS (OpenBLAS, blas.h). A Newton-Schulz
 * iteration on an R x C matrix X (k = min(R, C)) is three of them:
 *   A = X X^T (k x k), B = b A + c A A, X = a X + B X
 * done without transposing X: for a tall X (R > C) the reference works on
 * X^T, and (B X^T)^T = X B since A and B are symmetric, so A = X^T X and
 * X = a X + X B give the same numbers. Scratch (two matrices of the
 * group's size, two k x k) is allocated with the group, never per step.
 *
 * Passes over the group's memory per step: (1) gradient and momentum read,
 * momentum and the Nesterov update written, its Frobenius norm summed; (2)
 * the update divided by the norm; the GEMMs (5 x 3, on the scratch); (3)
 * the result read, the parameters read and written. Three passes where the
 * element-wise optimizers need one: the norm must be known before the first
 * product, and the parameters can change only after the last. */
#include "blas.h"
#include "optim_internal.h"

#include <math.h>
#include <string.h>

/* muon.py: a, b, c = (3.4445, -4.7750, 2.0315); X / (X.norm() + 1e-7) */
#define NS_A 3.4445
#define NS_B -4.7750
#define NS_C 2.0315
#define NS_EPS 1e-7

static size_t kdim(size_t rows, size_t cols) { return rows < cols ? rows : cols; }

size_t lre__muon_scratch_elems(size_t rows, size_t cols)
{
    size_t k = kdim(rows, cols);
    return 2 * rows * cols + 2 * k * k;
}

/* PyTorch's lerp (aten/src/ATen/native/Lerp.h): start + w (end - start)
 * when w < 0.5, else end - (end - start)(1 - w). */
#define LERP(s, e, w, wc) ((w) < 0.5 ? (s) + (w) * ((e) - (s)) : (e) - ((e) - (s)) * (wc))

/* NS_FN(x, scratch, rows, cols, steps): orthogonalises the rows x cols
 * matrix x (row-major) in place; scratch holds lre__muon_scratch_elems
 * elements of which the first rows*cols may be x itself. x must already be
 * divided by its norm. */
#define DEFINE_MUON(T, S, GEMM, SQRT)                                                                                 \
    static void ns_##S(T *x, T *scratch, size_t rows, size_t cols, int steps)                                        \
    {                                                                                                                \
        size_t n = rows * cols, k = kdim(rows, cols);                                                                \
        if (n == 0) return;                                                                                          \
        T *buf[2] = {x, scratch + n}, *a = scratch + 2 * n, *b = a + k * k;                                          \
        const int R = (int)rows, C = (int)cols, K = (int)k, tall = rows > cols;                                      \
        int cur = 0;                                                                                                 \
        for (int s = 0; s < steps; s++) {                                                                            \
            T *X = buf[cur], *Y = buf[1 - cur];                                                                      \
            if (tall) /* A = X^T X */                                                                                \
                GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, K, K, R, 1, X, C, X, C, 0, a, K);                      \
            else /* A = X X^T */                                                                                     \
                GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, K, K, C, 1, X, C, X, C, 0, a, K);                      \
            memcpy(b, a, k * k * sizeof(T)); /* B = b A + c (A A) */                                                 \
            GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, K, K, K, (T)NS_C, a, K, a, K, (T)NS_B, b, K);            \
            memcpy(Y, X, n * sizeof(T)); /* X = a X + B X (X B when tall) */                                         \
            if (tall)                                                                                                \
                GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, K, K, 1, X, C, b, K, (T)NS_A, Y, C);              \
            else                                                                                                     \
                GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, K, C, K, 1, b, K, X, C, (T)NS_A, Y, C);              \
            cur = 1 - cur;                                                                                           \
        }                                                                                                            \
        if (cur) memcpy(x, buf[1], n * sizeof(T));                                                                   \
    }                                                                                                                \
                                                                                                                     \
    /* X / (||X||_F + 1e-7) */                                                                                       \
    static void normalise_##S(T *x, size_t n, T sumsq)                                                               \
    {                                                                                                                \
        T d = SQRT(sumsq) + (T)NS_EPS;                                                                               \
        for (size_t i = 0; i < n; i++) x[i] = x[i] / d;                                                              \
    }                                                                                                                \
                                                                                                                     \
    static void update_##S(lre_group *g, const lre_step_scalars *k)                                                  \
    {                                                                                                                \
        T *restrict p = g->params, *restrict m = g->state[0], *restrict u = g->scratch;                              \
        const T *restrict gr = g->grads;                                                                             \
        const T mu = (T)k->hp[HP_MOMENTUM], w = (T)(1 - k->hp[HP_MOMENTUM]);                                         \
        const T wc = (T)1 - w, muc = (T)1 - mu;                                                                      \
        const int nesterov = k->hp[HP_NESTEROV] != 0;                                                                \
        /* the gradient as the other kernels read it (GRAD): clamped when clipping by value, times the clip      \
         * coefficient (exactly 1 without clipping) */                                                              \
        const T gs = (T)k->gscale, cv = (T)k->clip_value;                                                            \
        const int clamp = k->clamp;                                                                                  \
        size_t n = g->n;                                                                                             \
        T sumsq = 0;                                                                                                 \
        for (size_t i = 0; i < n; i++) { /* momentum.lerp_(grad, 1 - beta); grad.lerp_(momentum, beta) */           \
            T gi = clamp ? (gr[i] < -cv ? -cv : gr[i] > cv ? cv : gr[i]) * gs : gr[i] * gs;                            \
            T mi = LERP(m[i], gi, w, wc);                                                                            \
            m[i] = mi;                                                                                               \
            T ui = nesterov ? LERP(gi, mi, mu, muc) : mi;                                                            \
            u[i] = ui;                                                                                               \
            sumsq += ui * ui;                                                                                        \
        }                                                                                                            \
        normalise_##S(u, n, sumsq);                                                                                  \
        ns_##S(u, u, g->rows, g->cols, (int)k->hp[HP_NS_STEPS]);                                                     \
        const T scale = (T)k->d, decay = (T)k->c, neg_lr = (T)-k->hp[HP_LR];                                         \
        for (size_t i = 0; i < n; i++) /* update *= scale; p.mul_(1 - lr wd); p.add_(update, alpha=-lr) */          \
            p[i] = p[i] * decay + neg_lr * (u[i] * scale);                                                           \
    }

DEFINE_MUON(float, f32, lre__sgemm, sqrtf)
DEFINE_MUON(double, f64, lre__dgemm, sqrt)

void lre__muon_update(lre_group *g, const lre_step_scalars *k)
{
    if (g->dtype == LRE_F32) update_f32(g, k);
    else update_f64(g, k);
}

int lre_newton_schulz(lre_dtype dtype, void *x, size_t rows, size_t cols, int steps, const lre_allocator *alloc,
                      lre_error *err)
{
    if (dtype != LRE_F32 && dtype != LRE_F64) return lre_error_set(err, LRE_EINVAL, "newton_schulz: unknown dtype");
    if (steps < 0) return lre_error_set(err, LRE_EINVAL, "newton_schulz: steps must be >= 0, got %d", steps);
    if (rows > INT32_MAX || cols > INT32_MAX)
        return lre_error_set(err, LRE_EINVAL, "newton_schulz: a %zu x %zu matrix is beyond BLAS's int sizes", rows, cols);
    char why[LRE_ERRMSG_SIZE];
    if (lre__blas_ready(0, why, sizeof why)) return lre_error_set(err, LRE_ENOMEM, "newton_schulz: %s", why);
    size_t n = rows * cols, es = lre__dtype_size(dtype), elems = lre__muon_scratch_elems(rows, cols), bytes;
    if (!lre__mul_size(elems ? elems : 1, es, &bytes))
        return lre_error_set(err, LRE_EINVAL, "newton_schulz: a %zu x %zu matrix is larger than memory", rows, cols);
    lre_allocator a = lre__allocator(alloc);
    void *scratch = lre__alloc_zero(&a, bytes, 1);
    if (!scratch) return lre_error_set(err, LRE_ENOMEM, "newton_schulz: out of memory");
    if (dtype == LRE_F32) {
        float *s = scratch, *v = x, sumsq = 0;
        for (size_t i = 0; i < n; i++) s[i] = v[i], sumsq += v[i] * v[i];
        normalise_f32(s, n, sumsq);
        ns_f32(s, s, rows, cols, steps);
        memcpy(x, s, n * es);
    } else {
        double *s = scratch, *v = x, sumsq = 0;
        for (size_t i = 0; i < n; i++) s[i] = v[i], sumsq += v[i] * v[i];
        normalise_f64(s, n, sumsq);
        ns_f64(s, s, rows, cols, steps);
        memcpy(x, s, n * es);
    }
    lre__free(&a, scratch, bytes);
    return LRE_OK;
}
