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

#if defined(__GNUC__)
#define LANES_INLINE static inline __attribute__((always_inline))
#else
#define LANES_INLINE static inline
#endif

/* acc[j] += x_i y_i (products; x_i^2 is products of x with itself:
 * lanes_squares) or x_i (values), lane by lane. y NULL: the values of x;
 * the tests are on constants once inlined. lanes_sum2_into makes two sums
 * in one loop, each exactly as its own lanes_sum_into would: a lane's
 * additions form a chain, so one sum waits on the adder's latency every
 * iteration, and two interleaved chains use the cycles between. */
#define DEFINE_LANES(T, S)                                                                   \
    /* (built from the four values: GCC 12 makes one vcvtps2pd of it, where                 \
     * __builtin_convertvector on a vector of four floats made two halves and a shuffle) */ \
    LANES_INLINE void lanes_load_##S(lanes_f64 *out, const T *x)                             \
    {                                                                                        \
        *out = (lanes_f64){(double)x[0], (double)x[1], (double)x[2], (double)x[3]};          \
    }                                                                                        \
    /* the LANES elements from x + q (times those from y + q) into the accumulators */     \
    LANES_INLINE void lanes_add8_##S(lanes_f64 *acc, const T *x, const T *y, size_t q)       \
    {                                                                                        \
        lanes_f64 a, b, c, d;                                                                \
        lanes_load_##S(&a, x + q);                                                           \
        lanes_load_##S(&b, x + q + 4);                                                       \
        if (y) {                                                                             \
            lanes_load_##S(&c, y + q);                                                       \
            lanes_load_##S(&d, y + q + 4);                                                   \
            a *= c;                                                                          \
            b *= d;                                                                          \
        }                                                                                    \
        acc[0] += a;                                                                         \
        acc[1] += b;                                                                         \
    }                                                                                        \
    /* the tail from q on, into lane 0 */                                                    \
    LANES_INLINE void lanes_tail_##S(double *acc, const T *x, const T *y, size_t q, size_t n) \
    {                                                                                        \
        for (; q < n; q++) acc[0] += y ? (double)x[q] * (double)y[q] : (double)x[q];         \
    }                                                                                        \
    LANES_INLINE void lanes_sum_into_##S(double *acc, const T *x, const T *y, size_t n)       \
    {                                                                                        \
        lanes_f64 v[2];                                                                      \
        memcpy(v, acc, sizeof v);                                                            \
        size_t q = 0;                                                                        \
        for (; q + LANES <= n; q += LANES) lanes_add8_##S(v, x, y, q);                       \
        memcpy(acc, v, sizeof v);                                                            \
        lanes_tail_##S(acc, x, y, q, n);                                                     \
    }                                                                                        \
    LANES_INLINE void lanes_sum2_into_##S(double *acc, const T *x, const T *y, double *acc2,  \
                                          const T *x2, const T *y2, size_t n)                 \
    {                                                                                        \
        lanes_f64 v[2], v2[2];                                                               \
        memcpy(v, acc, sizeof v);                                                            \
        memcpy(v2, acc2, sizeof v2);                                                         \
        size_t q = 0;                                                                        \
        for (; q + LANES <= n; q += LANES) {                                                 \
            lanes_add8_##S(v, x, y, q);                                                      \
            lanes_add8_##S(v2, x2, y2, q);                                                   \
        }                                                                                    \
        memcpy(acc, v, sizeof v);                                                            \
        memcpy(acc2, v2, sizeof v2);                                                         \
        lanes_tail_##S(acc, x, y, q, n);                                                     \
        lanes_tail_##S(acc2, x2, y2, q, n);                                                  \
    }

DEFINE_LANES(float, f32)
DEFINE_LANES(double, f64)
#undef DEFINE_LANES

#define LANES_OF(fn, x) _Generic((x), float *: fn##_f32, const float *: fn##_f32, double *: fn##_f64, const double *: fn##_f64)
#define lanes_squares(acc, x, n) lanes_products(acc, x, x, n)
#define lanes_products(acc, x, y, n) LANES_OF(lanes_sum_into, x)(acc, x, y, n)
#define lanes_values(acc, x, n) LANES_OF(lanes_sum_into, x)(acc, x, NULL, n)
/* Two of the above in one loop: acc and x as the first, acc2 and x2 as the second */
#define lanes_squares2(acc, x, acc2, x2, n) LANES_OF(lanes_sum2_into, x)(acc, x, x, acc2, x2, x2, n)
#define lanes_values_squares(acc, x, acc2, x2, n) LANES_OF(lanes_sum2_into, x)(acc, x, NULL, acc2, x2, x2, n)
#define lanes_products_values(acc, x, y, acc2, x2, n) LANES_OF(lanes_sum2_into, x)(acc, x, y, acc2, x2, NULL, n)

static inline double lanes_sum(const double *s)
{
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

#endif
