/* rng.c -- the core's one SplitMix64 (Steele, Lea, Flood 2014, "Fast
 * splittable pseudorandom number generators"), and counter-based random
 * numbers built on its finaliser: the value is a pure function of (seed,
 * counter), so a random schedule can be evaluated at any step, resumed
 * without replay, and never touches hidden global state. */
#include "internal.h"

#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ull

/* SplitMix64's finaliser (Stafford's variant 13 of the MurmurHash3 mixer). */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t lre_splitmix64(uint64_t *state)
{
    *state += GOLDEN_GAMMA;
    return mix64(*state);
}

/* The finaliser applied twice so that nearby seeds and counters decorrelate. */
double lre__uniform(uint64_t seed, uint64_t counter)
{
    uint64_t z = mix64(lre_splitmix64(&seed) ^ (counter * GOLDEN_GAMMA + 1));
    return (double)(z >> 11) * 0x1.0p-53; /* 53 random bits -> [0, 1) */
}
