/* Linear layer with PyTorch's weight layout: out[N,OC] = inp[N,C] @ weight[OC,C]^T + bias. */
#include "cpu_ops.h"

#include "blas.h"

void matmul_forward(void *ctx, real *out, const real *inp, const real *weight, const real *bias,
                    int N, int C, int OC) {
    /* Start from the bias (or zero) and let gemm add the product. */
    if (bias) {
#pragma omp parallel for schedule(static)
        for (int n = 0; n < N; n++) {
            real *o = out + (size_t)n * OC;
            for (int k = 0; k < OC; k++) o[k] = bias[k];
        }
    }
    gemm(CblasNoTrans, CblasTrans, N, OC, C, 1, inp, C, weight, C, bias ? 1 : 0, out, OC);
}

/* dinp += dout @ weight; dweight += dout^T @ inp; dbias += column sums of dout.
 * dinp and dbias may be NULL when not wanted. */
void matmul_backward(void *ctx, real *dinp, real *dweight, real *dbias, const real *dout,
                     const real *inp, const real *weight, int N, int C, int OC) {
    if (dinp) gemm(CblasNoTrans, CblasNoTrans, N, C, OC, 1, dout, OC, weight, C, 1, dinp, C);
    gemm(CblasTrans, CblasNoTrans, OC, C, N, 1, dout, OC, inp, C, 1, dweight, C);
    if (!dbias) return;
    /* Split the columns, sum the rows in order: independent of the thread count. */
    int nblocks = (OC + COL_BLOCK - 1) / COL_BLOCK;
#pragma omp parallel for schedule(static)
    for (int blk = 0; blk < nblocks; blk++) {
        int k0 = blk * COL_BLOCK;
        int k1 = k0 + COL_BLOCK < OC ? k0 + COL_BLOCK : OC;
        for (int n = 0; n < N; n++) {
            const real *d = dout + (size_t)n * OC;
            for (int k = k0; k < k1; k++) dbias[k] += d[k];
        }
    }
}
