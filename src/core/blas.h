/* blas.h -- the CBLAS of OpenBLAS, loaded the first time something needs it
 * (blas.c): Muon's Newton-Schulz (optim_muon.c) and the training job's MLP.
 *
 * Linked at build time, OpenBLAS started its threads as the process loaded,
 * each reserving 128 MB of address space; under a limit (ulimit -v) that
 * left less, its allocator retried without end, and every program linking
 * lrengine (the binary's --help, a Lua script's require "lrengine") hung
 * in that thread, then at exit waiting for it. Loaded on demand, programs
 * that do no GEMM never start it, and one that does is told first when the
 * limit leaves it too little room. */
#ifndef LRE_BLAS_H
#define LRE_BLAS_H

#include <cblas.h>
#include <stddef.h>

/* Loads the library once, then asks it to use `threads` threads (> 0) when
 * it has room for their buffers under the process's address-space limit.
 * 0, or -1 with the reason in msg. Thread-safe. */
int lre__blas_ready(int threads, char *msg, size_t size);

/* cblas_sgemm and cblas_dgemm, once lre__blas_ready has succeeded. */
extern __typeof__(cblas_sgemm) *lre__sgemm;
extern __typeof__(cblas_dgemm) *lre__dgemm;

#endif
