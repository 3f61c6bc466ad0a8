/* Residual connection: out = a + b, so both branches receive dout unchanged. */
#include "cpu_ops.h"

void residual_forward(void *ctx, real *out, const real *a, const real *b, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void residual_backward(void *ctx, real *da, real *db, const real *dout, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        da[i] += dout[i];
        db[i] += dout[i];
    }
}
