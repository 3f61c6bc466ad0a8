/* The CPU's measured matmul rate: the denominator of CPU MFU. */
#ifndef MDL_SGEMM_BENCH_H
#define MDL_SGEMM_BENCH_H

/* FLOP/s of OpenBLAS sgemm on n x n x n fp32 matrices with the current thread count:
 * best of repeated calls over at least min_seconds (one warm-up call first). */
double sgemm_flops(int n, double min_seconds);

#endif
