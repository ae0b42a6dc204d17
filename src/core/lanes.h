/* lanes.h -- sums in double over LANES interleaved accumulators: lane j
 * takes elements j, j + LANES, ... of each block, the block's tail goes to
 * lane 0, and the lanes are added in one fixed order at the end (lanes_sum).
 * The order depends on nothing but the data's length, so results are the
 * same at every vector width and thread count. Written with GCC's vector
 * extensions (clang has them too): left as eight scalar accumulators, GCC 12
 * kept them scalar (29 instructions an element in Prodigy's first pass).
 * The accumulators are a double[LANES] the caller keeps; no vector crosses
 * a function boundary (that would change the ABI between the clones of
 * widest_simd.h). Generic in the element type through _Generic on the
 * pointer. */
#ifndef LRE_LANES_H
#define LRE_LANES_H

#include <stddef.h>
#include <string.h>

#define LANES 8
/* Eight lanes as two vectors of four doubles (lanes 0-3, 4-7): 32 bytes is
 * a register at AVX2 and AVX-512; a single 64-byte vector GCC split at AVX2
 * through the stack. */
typedef double lanes_f64 __attribute__((vector_size(4 * sizeof(double))));
typedef float lanes_f32 __attribute__((vector_size(4 * sizeof(float))));

#if defined(__GNUC__)
#define LANES_INLINE static inline __attribute__((always_inline))
#else
#define LANES_INLINE static inline
#endif

/* acc[j] += x_i y_i (products; x_i^2 is products of x with itself:
 * lanes_squares) or x_i (values), lane by lane. */
#define DEFINE_LANES(T, S)                                                               \
    LANES_INLINE void lanes_load_##S(lanes_f64 *out, const T *x)                          \
    {                                                                                    \
        lanes_##S v;                                                                     \
        memcpy(&v, x, sizeof v);                                                         \
        *out = __builtin_convertvector(v, lanes_f64);                                    \
    }                                                                                    \
    /* y NULL: the values of x; the test is on a constant once inlined */              \
    LANES_INLINE void lanes_sum_into_##S(double *acc, const T *x, const T *y, size_t n)   \
    {                                                                                    \
        lanes_f64 lo, hi, a, b, c, d;                                                    \
        memcpy(&lo, acc, sizeof lo);                                                     \
        memcpy(&hi, acc + 4, sizeof hi);                                                 \
        size_t q = 0;                                                                    \
        for (; q + LANES <= n; q += LANES) {                                             \
            lanes_load_##S(&a, x + q);                                                   \
            lanes_load_##S(&b, x + q + 4);                                               \
            if (y) {                                                                     \
                lanes_load_##S(&c, y + q);                                               \
                lanes_load_##S(&d, y + q + 4);                                           \
                a *= c;                                                                  \
                b *= d;                                                                  \
            }                                                                            \
            lo += a;                                                                     \
            hi += b;                                                                     \
        }                                                                                \
        memcpy(acc, &lo, sizeof lo);                                                     \
        memcpy(acc + 4, &hi, sizeof hi);                                                 \
        for (; q < n; q++) acc[0] += y ? (double)x[q] * (double)y[q] : (double)x[q];     \
    }

DEFINE_LANES(float, f32)
DEFINE_LANES(double, f64)
#undef DEFINE_LANES

#define LANES_OF(fn, x) _Generic((x), float *: fn##_f32, const float *: fn##_f32, double *: fn##_f64, const double *: fn##_f64)
#define lanes_squares(acc, x, n) lanes_products(acc, x, x, n)
#define lanes_products(acc, x, y, n) LANES_OF(lanes_sum_into, x)(acc, x, y, n)
#define lanes_values(acc, x, n) LANES_OF(lanes_sum_into, x)(acc, x, NULL, n)

static inline double lanes_sum(const double *s)
{
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

#endif
