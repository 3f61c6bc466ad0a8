/* Private to host/cpu: an exp that the compiler can vectorise, shared by softmax,
 * cross-entropy and GELU. */
#ifndef MDL_CPU_VEC_EXP_H
#define MDL_CPU_VEC_EXP_H

#include <stdint.h>
#include <string.h>

#include "real.h"

/* exp(x) as plain arithmetic, so that loops calling it vectorise (libm's expf is a scalar
 * call; softmax, cross-entropy and GELU spend their time here). Cody-Waite reduction
 * x = n ln2 + r with |r| <= ln2/2, a Taylor polynomial for e^r (degree 7 in float, 13 in
 * double: truncation below half an ulp, about 1 ulp in all) and 2^n built in the exponent bits.
 * exp_real(0) is exactly 1. Inputs are clamped to the normal range: below it the result is the
 * smallest normal (~1e-38 in float) instead of a subnormal or 0, above it ~e^88 instead of inf. */
/* clang-format off */
#ifdef MDL_REAL_DOUBLE
typedef int64_t real_bits;
#define EXP_MIN (-708.0)
#define EXP_MAX 709.0
#define EXP_LN2_HI 6.93147180369123816490e-01 /* ln 2 = HI + LO, HI with zero low bits */
#define EXP_LN2_LO 1.90821492927058770002e-10
#define EXP_SHIFTER 6755399441055744.0 /* 1.5 * 2^52: adding it rounds to an integer */
#define EXP_MANT 52
#define EXP_BIAS 1023
#define EXP_POLY(r) (1 + r * (1 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 \
    + r * (1.0 / 720 + r * (1.0 / 5040 + r * (1.0 / 40320 + r * (1.0 / 362880             \
    + r * (1.0 / 3628800 + r * (1.0 / 39916800 + r * (1.0 / 479001600                     \
    + r * (1.0 / 6227020800))))))))))))))
#else
typedef int32_t real_bits;
#define EXP_MIN (-87.0f)
#define EXP_MAX 88.0f
#define EXP_LN2_HI 0.693359375f
#define EXP_LN2_LO (-2.12194440e-4f)
#define EXP_SHIFTER 12582912.0f /* 1.5 * 2^23 */
#define EXP_MANT 23
#define EXP_BIAS 127
#define EXP_POLY(r) (1 + r * (1 + r * (1.0f / 2 + r * (1.0f / 6 + r * (1.0f / 24              \
    + r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040))))))))
#endif
/* clang-format on */

/* min(max(x, lo), hi) by bit selects, not branches: under GCC's default -ftrapping-math
 * a branch here keeps the loops that call exp_real from vectorising. */
static inline real clamp_real(real x, real lo, real hi) {
    real_bits xb, lb, hb;
    memcpy(&xb, &x, sizeof xb);
    memcpy(&lb, &lo, sizeof lb);
    memcpy(&hb, &hi, sizeof hb);
    real_bits below = -(real_bits)(x < lo), above = -(real_bits)(x > hi); /* all ones or 0 */
    xb = (xb & ~(below | above)) | (lb & below) | (hb & above);
    memcpy(&x, &xb, sizeof x);
    return x;
}

static inline real exp_real(real x) {
    x = clamp_real(x, (real)EXP_MIN, (real)EXP_MAX);
    real n = (x * (real)1.4426950408889634 + EXP_SHIFTER) - EXP_SHIFTER; /* round(x / ln 2) */
    real r = (x - n * EXP_LN2_HI) - n * EXP_LN2_LO;
    /* 2^n; shifted unsigned, so a NaN input (a diverged run) gives NaN-garbage, not UB */
    real_bits bits = (real_bits)((uint64_t)((real_bits)n + EXP_BIAS) << EXP_MANT);
    real scale;
    memcpy(&scale, &bits, sizeof scale);
    return (real)EXP_POLY(r) * scale;
}

/* out[j] = exp(in[j] - max(in)) for j < n, returning their sum: the shared core of every
 * softmax here (attention rows, cross-entropy). out may be in. */
static inline real exp_shifted(real *out, const real *in, int n) {
    real mx = in[0];
#pragma omp simd reduction(max : mx)
    for (int j = 1; j < n; j++) mx = in[j] > mx ? in[j] : mx;
    real sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < n; j++) {
        out[j] = exp_real(in[j] - mx);
        sum += out[j];
    }
    return sum;
}

#endif
