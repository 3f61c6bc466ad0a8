/* Private to host/cpu: row-major gemm in the working precision (sgemm for float, dgemm
 * when MDL_REAL_DOUBLE), so the ops read C = alpha * op(A) @ op(B) + beta * C, and the
 * column blocking of row reductions. The exp the ops share is in vec_exp.h. */
#ifndef MDL_CPU_BLAS_H
#define MDL_CPU_BLAS_H

#include <cblas.h>
#include <stdint.h>
#include <string.h>

#include "real.h"

static inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, real alpha,
                        const real *A, int lda, const real *B, int ldb, real beta, real *C,
                        int ldc) {
#ifdef MDL_REAL_DOUBLE
    cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#else
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}

/* Reductions over rows (bias and weight gradients) are parallelised over blocks of this
 * many columns, each summing its rows in order: the result does not depend on the number
 * of threads. 16 floats = one cache line. */
#define COL_BLOCK 16

#endif
