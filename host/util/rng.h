/* A portable counter-based RNG: every draw is a pure function of (seed, stream, counter),
 * so weights do not depend on the order they are generated in, nor on the backend. */
#ifndef MDL_RNG_H
#define MDL_RNG_H

#include <stdint.h>

/* 64 random bits for (seed, stream, counter): splitmix64's finaliser applied twice. */
uint64_t rng_bits(uint64_t seed, uint64_t stream, uint64_t counter);

/* Uniform in (0, 1) with 53 random bits. */
double rng_uniform(uint64_t seed, uint64_t stream, uint64_t counter);

/* Standard normal (Box-Muller on draws 2*counter and 2*counter+1). */
double rng_normal(uint64_t seed, uint64_t stream, uint64_t counter);

#endif
