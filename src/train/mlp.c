/* mlp.c -- forward and backward passes as matrix products (row-major, one
 * example per row): Z = A W^T + b, A' = relu(Z); at the end softmax
 * cross-entropy, whose gradient with respect to the logits is
 * (softmax - onehot) / batch. */
#include "mlp.h"
#include "blas.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "widest_simd.h"

int mlp_init(mlp *m, const size_t *widths, int nwidths, size_t max_batch, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    if (nwidths < 2 || nwidths > MLP_MAX_LAYERS + 1) return -1;
    m->nlayers = nwidths - 1;
    m->max_batch = max_batch;
    size_t widest = 0;
    for (int i = 0; i < nwidths; i++) {
        m->size[i] = widths[i];
        if (widths[i] > widest) widest = widths[i];
    }
    for (int l = 0; l < m->nlayers; l++) m->nparams += m->size[l + 1] * m->size[l] + m->size[l + 1];
    m->params = malloc(m->nparams * sizeof(float));
    m->grads = calloc(m->nparams, sizeof(float));
    m->delta = malloc(max_batch * widest * sizeof(float));
    m->delta2 = malloc(max_batch * widest * sizeof(float));
    m->expz = malloc(m->size[m->nlayers] * sizeof(double));
    if (!m->params || !m->grads || !m->delta || !m->delta2 || !m->expz) goto nomem;
    for (int l = 1; l <= m->nlayers; l++)
        if (!(m->act[l] = malloc(max_batch * m->size[l] * sizeof(float)))) goto nomem;
    float *p = m->params, *g = m->grads;
    rng r;
    rng_seed(&r, seed);
    for (int l = 0; l < m->nlayers; l++) {
        size_t in = m->size[l], out = m->size[l + 1];
        m->w[l] = p, m->gw[l] = g;
        p += in * out, g += in * out;
        m->b[l] = p, m->gb[l] = g;
        p += out, g += out;
        /* PyTorch nn.Linear's default: U(-1/sqrt(in), 1/sqrt(in)) for both */
        float bound = (float)(1 / sqrt((double)in));
        for (size_t i = 0; i < in * out + out; i++) m->w[l][i] = (float)(bound * (2 * rng_uniform(&r) - 1));
    }
    return 0;
nomem:
    mlp_free(m);
    return -1;
}

void mlp_free(mlp *m)
{
    free(m->params);
    free(m->grads);
    free(m->delta);
    free(m->delta2);
    free(m->expz);
    for (int l = 1; l <= MLP_MAX_LAYERS; l++) free(m->act[l]);
    memset(m, 0, sizeof *m);
}

/* The ReLU and its mask, branch-free: a select the compiler turns into a
 * vector max or blend (built with -O3, see the Makefile, and widest_simd.h). As compare-and-
 * branch loops, whose branches follow the signs of the activations (about
 * half zero, in no pattern), they took 12 % of an epoch; the values are the
 * same bit for bit (z > 0 ? z : 0 sends NaN and -0 to +0 either way). */
WIDEST_SIMD static void relu(float *restrict z, size_t n)
{
    for (size_t i = 0; i < n; i++) z[i] = z[i] > 0 ? z[i] : 0.0f;
}

/* d *= (a > 0): a is a ReLU's output, so a <= 0 where the unit was off. */
WIDEST_SIMD static void relu_mask(float *restrict d, const float *restrict a, size_t n)
{
    for (size_t i = 0; i < n; i++) d[i] = a[i] > 0 ? d[i] : 0.0f;
}

/* sums[c] = the sum over rows of d[r][c], in row order */
WIDEST_SIMD static void column_sums(float *restrict sums, const float *restrict d, size_t rows, size_t cols)
{
    memset(sums, 0, cols * sizeof(float));
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) sums[c] += d[r * cols + c];
}

static void forward(mlp *m, const float *x, size_t batch)
{
    m->act[0] = (float *)x;
    for (int l = 0; l < m->nlayers; l++) {
        size_t in = m->size[l], out = m->size[l + 1];
        float *z = m->act[l + 1];
        for (size_t r = 0; r < batch; r++) memcpy(z + r * out, m->b[l], out * sizeof(float));
        lre__sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)batch, (int)out, (int)in, 1.0f, m->act[l], (int)in,
                    m->w[l], (int)in, 1.0f, z, (int)out);
        if (l + 1 < m->nlayers) relu(z, batch * out);
    }
}

/* Turns the logits of each row into probabilities in place; returns the
 * summed cross-entropy and counts the rows whose argmax is the label. Each
 * exponential is taken once and kept (e, classes doubles) from the sum to
 * the division. */
static double softmax_loss(float *logits, const int32_t *y, size_t batch, size_t classes, double *restrict e,
                           size_t *correct)
{
    double loss = 0;
    for (size_t r = 0; r < batch; r++) {
        float *z = logits + r * classes;
        size_t arg = 0;
        float max = z[0];
        for (size_t c = 1; c < classes; c++)
            if (z[c] > max) max = z[c], arg = c;
        double sum = 0;
        for (size_t c = 0; c < classes; c++) sum += e[c] = exp((double)(z[c] - max));
        loss += log(sum) - (double)(z[y[r]] - max);
        for (size_t c = 0; c < classes; c++) z[c] = (float)(e[c] / sum);
        if (correct && arg == (size_t)y[r]) (*correct)++;
    }
    return loss;
}

double mlp_forward_backward(mlp *m, const float *x, const int32_t *y, size_t batch, int with_grads)
{
    forward(m, x, batch);
    int L = m->nlayers;
    size_t classes = m->size[L];
    double loss = softmax_loss(m->act[L], y, batch, classes, m->expz, NULL) / (double)batch;
    if (!with_grads) return loss;
    /* delta = (p - onehot) / batch at the logits */
    float *delta = m->delta, *next = m->delta2;
    float inv = 1.0f / (float)batch;
    for (size_t r = 0; r < batch; r++) {
        for (size_t c = 0; c < classes; c++) delta[r * classes + c] = m->act[L][r * classes + c] * inv;
        delta[r * classes + (size_t)y[r]] -= inv;
    }
    for (int l = L - 1; l >= 0; l--) {
        size_t in = m->size[l], out = m->size[l + 1];
        /* dW = delta^T A, db = column sums of delta */
        lre__sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)batch, 1.0f, delta, (int)out,
                    m->act[l], (int)in, 0.0f, m->gw[l], (int)in);
        column_sums(m->gb[l], delta, batch, out);
        if (l == 0) break; /* no gradient for the input */
        /* dA = delta W, then through the ReLU */
        lre__sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)batch, (int)in, (int)out, 1.0f, delta, (int)out,
                    m->w[l], (int)in, 0.0f, next, (int)in);
        relu_mask(next, m->act[l], batch * in);
        float *t = delta;
        delta = next;
        next = t;
    }
    return loss;
}

void mlp_evaluate(mlp *m, const float *x, const int32_t *y, size_t n, double *loss_sum, size_t *correct)
{
    *loss_sum = 0;
    *correct = 0;
    for (size_t off = 0; off < n; off += m->max_batch) {
        size_t b = n - off < m->max_batch ? n - off : m->max_batch;
        forward(m, x + off * m->size[0], b);
        *loss_sum += softmax_loss(m->act[m->nlayers], y + off, b, m->size[m->nlayers], m->expz, correct);
    }
}
