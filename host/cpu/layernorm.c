/* LayerNorm over the channels of each row: biased variance, eps 1e-5. */
#include <tgmath.h>

#include "cpu_ops.h"

#include "blas.h"

#define LN_EPS ((real)1e-5)

void layernorm_forward(void *ctx, real *out, real *mean, real *rstd, const real *inp,
                       const real *weight, const real *bias, int N, int C) {
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        const real *x = inp + (size_t)n * C;
        real *o = out + (size_t)n * C;
        real sum = 0;
#pragma omp simd reduction(+ : sum)
        for (int c = 0; c < C; c++) sum += x[c];
        real m = sum / C;
        real var = 0; /* two-pass variance: no cancellation */
#pragma omp simd reduction(+ : var)
        for (int c = 0; c < C; c++) var += (x[c] - m) * (x[c] - m);
        real s = (real)1 / sqrt(var / C + LN_EPS);
        for (int c = 0; c < C; c++) o[c] = (x[c] - m) * s * weight[c] + bias[c];
        mean[n] = m;
        rstd[n] = s;
    }
}

/* With xhat = (x - mean) * rstd and g = dout * weight:
 *   dinp = rstd * (g - mean(g) - xhat * mean(g * xhat)),
 *   dweight = sum over rows of dout * xhat, dbias = sum over rows of dout. */
void layernorm_backward(void *ctx, real *dinp, real *dweight, real *dbias, const real *dout,
                        const real *inp, const real *weight, const real *mean, const real *rstd,
                        int N, int C) {
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        const real *x = inp + (size_t)n * C;
        const real *d = dout + (size_t)n * C;
        real *dx = dinp + (size_t)n * C;
        real m = mean[n], s = rstd[n];
        real gmean = 0, gxmean = 0;
#pragma omp simd reduction(+ : gmean, gxmean)
        for (int c = 0; c < C; c++) {
            real g = d[c] * weight[c];
            gmean += g;
            gxmean += g * (x[c] - m) * s;
        }
        gmean /= C;
        gxmean /= C;
        for (int c = 0; c < C; c++) {
            real xhat = (x[c] - m) * s;
            dx[c] += s * (d[c] * weight[c] - gmean - xhat * gxmean);
        }
    }

    /* Parameter gradients sum over rows: split the columns, sum rows in order. */
    int nblocks = (C + COL_BLOCK - 1) / COL_BLOCK;
#pragma omp parallel for schedule(static)
    for (int blk = 0; blk < nblocks; blk++) {
        int c0 = blk * COL_BLOCK;
        int c1 = c0 + COL_BLOCK < C ? c0 + COL_BLOCK : C;
        for (int n = 0; n < N; n++) {
            const real *x = inp + (size_t)n * C;
            const real *d = dout + (size_t)n * C;
            real m = mean[n], s = rstd[n];
            for (int c = c0; c < c1; c++) {
                dweight[c] += d[c] * (x[c] - m) * s;
                dbias[c] += d[c];
            }
        }
    }
}
