/* Token + position embedding. */
#include "cpu_ops.h"

#include "blas.h"

void embedding_forward(void *ctx, real *out, const int *tokens, const real *wte, const real *wpe,
                       int B, int T, int C) {
#pragma omp parallel for schedule(static)
    for (int n = 0; n < B * T; n++) {
        int t = n % T;
        const real *te = wte + (size_t)tokens[n] * C;
        real *o = out + (size_t)n * C;
        if (!wpe) {
            for (int c = 0; c < C; c++) o[c] = te[c];
            continue;
        }
        const real *pe = wpe + (size_t)t * C;
        for (int c = 0; c < C; c++) o[c] = te[c] + pe[c];
    }
}

/* A token may occur in many rows, so dwte is a scatter-add over rows. Threads split the
 * columns and every element sums its rows in row order: deterministic whatever the
 * thread count, and no two threads touch the same element. */
void embedding_backward(void *ctx, real *dwte, real *dwpe, const real *dout, const int *tokens,
                        int B, int T, int C) {
    int nblocks = (C + COL_BLOCK - 1) / COL_BLOCK;
#pragma omp parallel for schedule(static)
    for (int blk = 0; blk < nblocks; blk++) {
        int c0 = blk * COL_BLOCK;
        int c1 = c0 + COL_BLOCK < C ? c0 + COL_BLOCK : C;
        for (int n = 0; n < B * T; n++) {
            const real *d = dout + (size_t)n * C;
            real *te = dwte + (size_t)tokens[n] * C;
            for (int c = c0; c < c1; c++) te[c] += d[c];
            if (!dwpe) continue;
            real *pe = dwpe + (size_t)(n % T) * C;
            for (int c = c0; c < c1; c++) pe[c] += d[c];
        }
    }
}
