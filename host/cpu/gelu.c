/* GELU, tanh approximation (as in GPT-2):
 *   gelu(x) = 0.5 x (1 + tanh(u)),  u = k (x + 0.044715 x^3),  k = sqrt(2/pi).
 * Computed as x * s with s = sigmoid(2u) = 0.5 (1 + tanh u): one exp, which vectorises. */
#include "cpu_ops.h"

#include "vec_exp.h"

#define GELU_K ((real)0.7978845608028654) /* sqrt(2/pi) */
#define GELU_A ((real)0.044715)

void gelu_forward(void *ctx, real *out, const real *inp, size_t n) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        real x = inp[i];
        real u = GELU_K * (x + GELU_A * x * x * x);
        out[i] = x / (1 + exp_real(-2 * u));
    }
}

/* d/dx = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) du/dx = s + 2 x s (1 - s) du/dx,
 * with 1 - s = e s for e = exp(-2u) (no cancellation) and du/dx = k (1 + 3 * 0.044715 x^2). */
void gelu_backward(void *ctx, real *dinp, const real *inp, const real *dout, size_t n) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        real x = inp[i];
        real u = GELU_K * (x + GELU_A * x * x * x);
        real e = exp_real(-2 * u);
        real s = 1 / (1 + e);
        real du = GELU_K * (1 + 3 * GELU_A * x * x);
        dinp[i] += (s + 2 * x * s * (e * s) * du) * dout[i];
    }
}
