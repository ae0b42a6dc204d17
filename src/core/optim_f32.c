/* optim_f32.c -- the update kernels for float32 groups. */
#include "optim_internal.h"

#include <math.h>
#include <string.h>

#define T float
#define SQRT sqrtf
#define FABS fabsf
#define UINT uint32_t
#define EXP_MASK 0x7f800000u
#define UPDATE_FN lre__update_f32
#define REDUCE_FN lre__reduce_f32
#define FACTORED_FN lre__adafactor_factored_f32
#define FINITE_FN lre__all_finite_f32
#define AVERAGE_FN lre__average_f32
#define SWAP_FN lre__swap_f32
#define SUMSQ_FN lre__sumsq_f32
#define MAXABS_FN lre__maxabs_f32
#include "optim_kernels.h"
