/* Sum of squares in double (for the global gradient norm). */
#include "cpu_ops.h"

/* A fixed number of chunks, each summed in a fixed order, then the partial sums in chunk
 * order: the result does not depend on the thread count. */
#define SSQ_CHUNKS 64

double sum_of_squares(void *ctx, const real *x, size_t n) {
    double part[SSQ_CHUNKS];
#pragma omp parallel for schedule(static)
    for (int k = 0; k < SSQ_CHUNKS; k++) {
        size_t i0 = n * k / SSQ_CHUNKS, i1 = n * (k + 1) / SSQ_CHUNKS;
        double s = 0;
#pragma omp simd reduction(+ : s)
        for (size_t i = i0; i < i1; i++) s += (double)x[i] * x[i];
        part[k] = s;
    }
    double total = 0;
    for (int k = 0; k < SSQ_CHUNKS; k++) total += part[k];
    return total;
}

/* Rows of a [*, C] array, summed in list order (the lists are short). */
double sum_of_squares_rows(void *ctx, const real *x, const int *rows, int nrows, int C) {
    double total = 0;
    for (int r = 0; r < nrows; r++) {
        const real *row = x + (size_t)rows[r] * C;
        double s = 0;
        for (int c = 0; c < C; c++) s += (double)row[c] * row[c];
        total += s;
    }
    return total;
}
