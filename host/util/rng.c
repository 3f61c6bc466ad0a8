#include "rng.h"

#include <math.h>

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t rng_bits(uint64_t seed, uint64_t stream, uint64_t counter) {
    uint64_t golden = 0x9e3779b97f4a7c15ULL;
    uint64_t key = mix64(seed * golden + mix64(stream + golden));
    return mix64(key + (counter + 1) * golden);
}

double rng_uniform(uint64_t seed, uint64_t stream, uint64_t counter) {
    /* (k + 0.5) / 2^53 is never 0 or 1, so log() below is always finite */
    return ((double)(rng_bits(seed, stream, counter) >> 11) + 0.5) * 0x1.0p-53;
}

double rng_normal(uint64_t seed, uint64_t stream, uint64_t counter) {
    const double two_pi = 6.283185307179586476925286766559;
    double u1 = rng_uniform(seed, stream, 2 * counter);
    double u2 = rng_uniform(seed, stream, 2 * counter + 1);
    return sqrt(-2.0 * log(u1)) * cos(two_pi * u2);
}
