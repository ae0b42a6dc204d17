/* mlp.h -- a multilayer perceptron in float32 over CBLAS: fully connected
 * layers with ReLU between them and softmax cross-entropy at the end. No
 * hidden layer is softmax regression. All weights and biases live in one
 * contiguous buffer (one optimizer group), gradients in another. */
#ifndef LRE_MLP_H
#define LRE_MLP_H

#include <stddef.h>
#include <stdint.h>

#define MLP_MAX_LAYERS 8

typedef struct mlp {
    int nlayers;                      /* weight layers */
    size_t size[MLP_MAX_LAYERS + 1];  /* widths: input, hidden..., classes */
    size_t nparams;
    float *params, *grads;
    float *w[MLP_MAX_LAYERS], *b[MLP_MAX_LAYERS];   /* views into params */
    float *gw[MLP_MAX_LAYERS], *gb[MLP_MAX_LAYERS]; /* views into grads */
    size_t max_batch;
    float *act[MLP_MAX_LAYERS + 1]; /* activations per layer, max_batch rows */
    float *delta;                   /* scratch for backprop */
    float *delta2;
    double *expz;                   /* one row's exponentials, for softmax */
} mlp;

/* widths[0] inputs, widths[nwidths-1] classes. 0, or -1 out of memory. */
int mlp_init(mlp *m, const size_t *widths, int nwidths, size_t max_batch, uint64_t seed);
void mlp_free(mlp *m);

/* Both run GEMMs through src/core/blas.h: their caller has made it ready
 * (lre__blas_ready), as train_run and train_find_lr do first. */
/* Mean cross-entropy of a batch; with grads, fills m->grads (overwritten). */
double mlp_forward_backward(mlp *m, const float *x, const int32_t *y, size_t batch, int with_grads);
/* Loss sum and number correct over n rows, in batches. */
void mlp_evaluate(mlp *m, const float *x, const int32_t *y, size_t n, double *loss_sum, size_t *correct);

#endif
