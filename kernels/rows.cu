// Row lookups by index (the hashed n-gram table): the twin of host/cpu/rows.c.
#include "cuda_common.h"
#include "cuda_ops.h"

// One thread per (row, column), adding the K lookups in the CPU's order.
__global__ void rows_gather_add_kernel(float *out, const float *table, const int *idx, int N, int K,
                                       int C) {
    size_t total = (size_t)N * C, stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        size_t n = i / C, c = i % C;
        float acc = out[i];
        for (int j = 0; j < K; j++) {
            int r = idx[n * K + j];
            if (r >= 0) acc += table[(size_t)r * C + c];
        }
        out[i] = acc;
    }
}

// One thread per column walks the (n, j) lookups in order: every table element gets its
// additions in the CPU loop's order, so the result is bit-identical to it and needs no
// atomics. The lookups are few (streams x context x orders), so one pass is cheap.
__global__ void rows_scatter_add_kernel(float *dtable, const float *dout, const int *idx, int N,
                                        int K, int C) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    for (int n = 0; n < N; n++) {
        float d = dout[(size_t)n * C + c];
        for (int j = 0; j < K; j++) {
            int r = idx[(size_t)n * K + j];
            if (r >= 0) dtable[(size_t)r * C + c] += d;
        }
    }
}

void cuda_rows_gather_add(void *ctx, real *out, const real *table, const int *idx, int N, int K,
                          int C) {
    size_t total = (size_t)N * C;
    if (!total || K <= 0) return;
    rows_gather_add_kernel<<<cuda_grid(total, 256), 256, 0, cuda_stream(ctx)>>>(out, table, idx, N,
                                                                                K, C);
    CUDA_LAUNCH_CHECK();
}

void cuda_rows_scatter_add(void *ctx, real *dtable, const real *dout, const int *idx, int N, int K,
                           int C) {
    if (N <= 0 || K <= 0 || C <= 0) return;
    rows_scatter_add_kernel<<<(C + 127) / 128, 128, 0, cuda_stream(ctx)>>>(dtable, dout, idx, N, K,
                                                                           C);
    CUDA_LAUNCH_CHECK();
}
