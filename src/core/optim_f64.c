/* optim_f64.c -- the update kernels for float64 groups. */
#include "optim_internal.h"

#include <math.h>
#include <string.h>

#define T double
#define SQRT sqrt
#define FABS fabs
#define UINT uint64_t
#define EXP_MASK 0x7ff0000000000000ull
#define UPDATE_FN lre__update_f64
#define REDUCE_FN lre__reduce_f64
#define FACTORED_FN lre__adafactor_factored_f64
#define FINITE_FN lre__all_finite_f64
#define AVERAGE_FN lre__average_f64
#define SWAP_FN lre__swap_f64
#define SUMSQ_FN lre__sumsq_f64
#define MAXABS_FN lre__maxabs_f64
#include "optim_kernels.h"
