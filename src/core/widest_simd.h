/* widest_simd.h -- WIDEST_SIMD: a function built three times (AVX-512,
 * AVX2, baseline SSE2) on x86-64 Linux with GCC, the loader picking the
 * widest the CPU has. For element-wise loops whose results do not depend on
 * the width: no FMA is enabled (-std=c11 keeps contraction off), vector
 * sqrt, division, max and select round exactly like scalar ones, and sums
 * keep their order (each lane its own accumulator, added in a fixed order).
 * Used by the optimizer kernels (optim_kernels.h, optim_prodigy.c) and the
 * training job's loops (src/train). */
#ifndef LRE_WIDEST_SIMD_H
#define LRE_WIDEST_SIMD_H

/* (clang 14 leaves the dispatchers of static target_clones functions
 * undefined at link time: under clang the loops are built for the baseline
 * only) */
#if defined(__x86_64__) && defined(__linux__) && defined(__has_attribute) && !defined(__clang__)
#if __has_attribute(target_clones)
#define WIDEST_SIMD __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef WIDEST_SIMD
#define WIDEST_SIMD
#endif

#endif
