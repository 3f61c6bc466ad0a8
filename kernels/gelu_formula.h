/* GELU, tanh approximation (as in GPT-2), one element:
 *   gelu(x) = 0.5 x (1 + tanh(u)) = x * sigmoid(2u),  u = k (x + 0.044715 x^3),  k = sqrt(2/pi)
 * in the same form as host/cpu/gelu.c (one exp per element). Shared by the CUDA kernels
 * (gelu.cu) and a host test that evaluates the very same expressions on the CPU, so this
 * header compiles both as CUDA C++ and as C11. */
#ifndef MDL_GELU_FORMULA_H
#define MDL_GELU_FORMULA_H

#ifdef __CUDACC__
#define MDL_FORMULA static __host__ __device__ __forceinline__
#else
#include <math.h>
#define MDL_FORMULA static inline
#endif

#define MDL_GELU_K 0.7978845608028654f /* sqrt(2/pi) */
#define MDL_GELU_A 0.044715f
/* The exponent's range, as the CPU's exp_real: exp(-2u) must stay finite (x < about -10
 * gives -2u > 88.7, expf = inf, and e * s = inf * 0 = NaN in the gradient) and normal. */
#define MDL_GELU_EXP_MIN (-87.0f)
#define MDL_GELU_EXP_MAX 88.0f

/* exp(-2u) with -2u clamped; comparisons, not fminf/fmaxf, so that a NaN stays NaN */
MDL_FORMULA float mdl_gelu_exp(float x) {
    float u = MDL_GELU_K * (x + MDL_GELU_A * x * x * x);
    float t = -2.0f * u;
    t = t < MDL_GELU_EXP_MIN ? MDL_GELU_EXP_MIN : t > MDL_GELU_EXP_MAX ? MDL_GELU_EXP_MAX : t;
    return expf(t);
}

MDL_FORMULA float mdl_gelu(float x) {
    return x / (1.0f + mdl_gelu_exp(x));
}

/* d/dx = s + 2 x s (1 - s) du/dx with s = sigmoid(2u), 1 - s = e s for e = exp(-2u) */
MDL_FORMULA float mdl_gelu_grad(float x) {
    float e = mdl_gelu_exp(x);
    float s = 1.0f / (1.0f + e);
    float du = MDL_GELU_K * (1.0f + 3.0f * MDL_GELU_A * x * x);
    return s + 2.0f * x * s * (e * s) * du;
}

#endif
