/* Row lookups by index: the hashed n-gram table's forward (gather-add) and backward
 * (scatter-add). The model computes the indices on the host (host/model/model.c). */
#include "cpu_ops.h"

#include "blas.h"

void rows_gather_add(void *ctx, real *out, const real *table, const int *idx, int N, int K, int C) {
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        real *o = out + (size_t)n * C;
        for (int j = 0; j < K; j++) {
            int r = idx[(size_t)n * K + j];
            if (r < 0) continue;
            const real *e = table + (size_t)r * C;
            for (int c = 0; c < C; c++) o[c] += e[c];
        }
    }
}

/* Split over columns, as embedding_backward: every element sums its rows in (n, j)
 * order, whatever the thread count. */
void rows_scatter_add(void *ctx, real *dtable, const real *dout, const int *idx, int N, int K,
                      int C) {
    int nblocks = (C + COL_BLOCK - 1) / COL_BLOCK;
#pragma omp parallel for schedule(static)
    for (int blk = 0; blk < nblocks; blk++) {
        int c0 = blk * COL_BLOCK;
        int c1 = c0 + COL_BLOCK < C ? c0 + COL_BLOCK : C;
        for (int n = 0; n < N; n++) {
            const real *d = dout + (size_t)n * C;
            for (int j = 0; j < K; j++) {
                int r = idx[(size_t)n * K + j];
                if (r < 0) continue;
                real *e = dtable + (size_t)r * C;
                for (int c = c0; c < c1; c++) e[c] += d[c];
            }
        }
    }
}
