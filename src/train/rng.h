/* rng.h -- the training job's random numbers: SplitMix64 (Steele, Lea and
 * Flood 2014), small and fully determined by its 64-bit state, so a
 * checkpoint can hold it. */
#ifndef LRE_TRAIN_RNG_H
#define LRE_TRAIN_RNG_H

#include <stdint.h>

typedef struct rng {
    uint64_t s;
} rng;

static inline void rng_seed(rng *r, uint64_t seed) { r->s = seed ^ 0x853c49e6748fea9bull; }

static inline uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

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
