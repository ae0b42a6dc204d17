/* rng.c -- counter-based random numbers: the value is a pure function of
 * (seed, counter), so a random schedule can be evaluated at any step, resumed
 * without replay, and never touches hidden global state.
 * The mixing function is SplitMix64's finaliser (Steele, Lea, Flood 2014),
 * applied twice so that nearby seeds and counters decorrelate. */
#include "internal.h"

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double lre__uniform(uint64_t seed, uint64_t counter)
{
    uint64_t z = mix64(mix64(seed + 0x9e3779b97f4a7c15ull) ^ (counter * 0x9e3779b97f4a7c15ull + 1));
    return (double)(z >> 11) * 0x1.0p-53; /* 53 random bits -> [0, 1) */
}
