/* simd.h -- TRAIN_WIDEST_SIMD: a function built three times (AVX-512, AVX2,
 * baseline SSE2) on x86-64 Linux with GCC, the loader picking the widest the
 * CPU has, as the optimizer kernels are (src/core/optim_kernels.h). For the
 * job's element-wise loops, whose results do not depend on the width (no
 * FMA is enabled; a division, a max or a select rounds the same at every
 * width; sums keep their order per element). */
#ifndef TRAIN_SIMD_H
#define TRAIN_SIMD_H

#if defined(__x86_64__) && defined(__linux__) && defined(__has_attribute) && !defined(__clang__)
#if __has_attribute(target_clones)
#define TRAIN_WIDEST_SIMD __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef TRAIN_WIDEST_SIMD
#define TRAIN_WIDEST_SIMD
#endif

#endif
