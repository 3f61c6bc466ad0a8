// Deterministic column sums, for the bias and LayerNorm parameter gradients: no atomics,
// and an order of additions fixed by the shape alone.
#include "cuda_common.h"

// 32 columns x 8 row lanes per block: a warp reads 32 consecutive columns of one row
// (coalesced), the 8 lanes of a column split the chunk's rows round-robin.
#define COLSUM_LANES 8

// partial[chunk, c] = sum of a[n, c] over the rows n of the chunk
__global__ void colsum_partial_kernel(float *partial, const float *a, int N, int C) {
    __shared__ float part[COLSUM_LANES][33]; // +1: no bank conflicts in the column walk
    int c = blockIdx.x * 32 + threadIdx.x;
    int nchunks = colsum_chunks(N);
    for (int chunk = blockIdx.y; chunk < nchunks; chunk += gridDim.y) {
        int n0 = chunk * COLSUM_ROWS, n1 = min(n0 + COLSUM_ROWS, N);
        float s = 0.0f;
        if (c < C)
            for (int n = n0 + threadIdx.y; n < n1; n += COLSUM_LANES) s += a[(size_t)n * C + c];
        part[threadIdx.y][threadIdx.x] = s;
        __syncthreads();
        if (threadIdx.y == 0 && c < C) {
            float t = part[0][threadIdx.x];
            for (int k = 1; k < COLSUM_LANES; k++) t += part[k][threadIdx.x];
            partial[(size_t)chunk * C + c] = t;
        }
        __syncthreads(); // part is reused by the next chunk
    }
}

__global__ void colsum_finish_kernel(float *dst, const float *partial, int nchunks, int C) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    float s = 0.0f;
    for (int k = 0; k < nchunks; k++) s += partial[(size_t)k * C + c];
    dst[c] += s;
}

void cuda_colsum_finish(void *ctx, float *dst, const float *partial, int nchunks, int C) {
    colsum_finish_kernel<<<(C + 255) / 256, 256, 0, cuda_stream(ctx)>>>(dst, partial, nchunks, C);
    CUDA_LAUNCH_CHECK();
}

void cuda_colsum_accumulate(void *ctx, float *dst, const float *a, int N, int C) {
    if (N <= 0 || C <= 0) return;
    int nchunks = colsum_chunks(N);
    float *partial =
        (float *)cuda_scratch(ctx, SCRATCH_REDUCE, (size_t)nchunks * C * sizeof(float));
    dim3 grid((C + 31) / 32, nchunks < 65535 ? nchunks : 65535), block(32, COLSUM_LANES);
    colsum_partial_kernel<<<grid, block, 0, cuda_stream(ctx)>>>(partial, a, N, C);
    CUDA_LAUNCH_CHECK();
    cuda_colsum_finish(ctx, dst, partial, nchunks, C);
}
