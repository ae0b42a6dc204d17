/* rng.h -- the training job's random numbers: the core's SplitMix64
 * (lre_splitmix64), small and fully determined by its 64-bit state, so a
 * checkpoint can hold it. */
#ifndef LRE_TRAIN_RNG_H
#define LRE_TRAIN_RNG_H

#include "lrengine.h"

#include <stdint.h>

typedef struct rng {
    uint64_t s;
} rng;

static inline void rng_seed(rng *r, uint64_t seed) { r->s = seed ^ 0x853c49e6748fea9bull; }

static inline uint64_t rng_next(rng *r) { return lre_splitmix64(&r->s); }

/* [0, 1) with 53 random bits */
static inline double rng_uniform(rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

/* Fisher-Yates shuffle of idx[0..n) */
static inline void rng_shuffle(rng *r, uint32_t *idx, uint32_t n)
{
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = (uint32_t)(rng_next(r) % i);
        uint32_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

#endif
