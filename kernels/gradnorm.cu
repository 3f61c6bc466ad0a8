// Sum of squares in double (for the global gradient norm): a deterministic two-stage
// reduction. A fixed grid (independent of the device) of threads each sums a fixed strided
// subset, blocks combine in a fixed tree, and one block combines the block sums in a fixed
// tree: the same bits every run, and no atomics.
#include "cuda_common.h"
#include "cuda_ops.h"

#define SSQ_BLOCKS 512
#define SSQ_THREADS 256

// Tree sum of SSQ_THREADS values in shared memory; the result is in s[0].
__device__ __forceinline__ void block_tree_sum(double *s) {
    for (int w = SSQ_THREADS / 2; w > 0; w >>= 1) {
        __syncthreads();
        if (threadIdx.x < w) s[threadIdx.x] += s[threadIdx.x + w];
    }
}

__global__ void __launch_bounds__(SSQ_THREADS)
    ssq_partial_kernel(double *partial, const float *x, size_t n) {
    __shared__ double s[SSQ_THREADS];
    double acc = 0.0;
    size_t stride = (size_t)SSQ_BLOCKS * SSQ_THREADS;
    for (size_t i = (size_t)blockIdx.x * SSQ_THREADS + threadIdx.x; i < n; i += stride) {
        double d = x[i];
        acc += d * d;
    }
    s[threadIdx.x] = acc;
    block_tree_sum(s);
    if (threadIdx.x == 0) partial[blockIdx.x] = s[0];
}

__global__ void __launch_bounds__(SSQ_THREADS)
    ssq_final_kernel(double *out, const double *partial) {
    __shared__ double s[SSQ_THREADS];
    double acc = 0.0;
    for (int k = threadIdx.x; k < SSQ_BLOCKS; k += SSQ_THREADS) acc += partial[k];
    s[threadIdx.x] = acc;
    block_tree_sum(s);
    if (threadIdx.x == 0) *out = s[0];
}

double cuda_sum_of_squares(void *ctx, const real *x, size_t n) {
    double *partial =
        (double *)cuda_scratch(ctx, SCRATCH_REDUCE, (SSQ_BLOCKS + 1) * sizeof(double));
    double *result = partial + SSQ_BLOCKS, host = 0.0;
    ssq_partial_kernel<<<SSQ_BLOCKS, SSQ_THREADS, 0, cuda_stream(ctx)>>>(partial, x, n);
    CUDA_LAUNCH_CHECK();
    ssq_final_kernel<<<1, SSQ_THREADS, 0, cuda_stream(ctx)>>>(result, partial);
    CUDA_LAUNCH_CHECK();
    CUDA_CHECK(
        cudaMemcpyAsync(&host, result, sizeof host, cudaMemcpyDeviceToHost, cuda_stream(ctx)));
    CUDA_CHECK(cudaStreamSynchronize(cuda_stream(ctx)));
    return host;
}

// Listed rows of a [*, C] array: one block, each thread a fixed strided subset of the
// flattened (row, column) list, then the block's tree. The lists are short.
__global__ void __launch_bounds__(SSQ_THREADS)
    ssq_rows_kernel(double *out, const float *x, const int *rows, int nrows, int C) {
    __shared__ double s[SSQ_THREADS];
    double acc = 0.0;
    size_t total = (size_t)nrows * C;
    for (size_t i = threadIdx.x; i < total; i += SSQ_THREADS) {
        double d = x[(size_t)rows[i / C] * C + i % C];
        acc += d * d;
    }
    s[threadIdx.x] = acc;
    block_tree_sum(s);
    if (threadIdx.x == 0) *out = s[0];
}

double cuda_sum_of_squares_rows(void *ctx, const real *x, const int *rows, int nrows, int C) {
    if (nrows <= 0) return 0.0;
    double *result = (double *)cuda_scratch(ctx, SCRATCH_REDUCE, sizeof(double)), host = 0.0;
    ssq_rows_kernel<<<1, SSQ_THREADS, 0, cuda_stream(ctx)>>>(result, x, rows, nrows, C);
    CUDA_LAUNCH_CHECK();
    CUDA_CHECK(
        cudaMemcpyAsync(&host, result, sizeof host, cudaMemcpyDeviceToHost, cuda_stream(ctx)));
    CUDA_CHECK(cudaStreamSynchronize(cuda_stream(ctx)));
    return host;
}
