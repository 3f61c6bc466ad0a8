// Cross-entropy in bits of the target under softmax(logits), fused with the softmax, one
// warp per row (rows are independent: exact causality). fp32 throughout, in the form of
// host/cpu/crossentropy.c.
#include "cuda_common.h"
#include "cuda_ops.h"

#define CE_ROWS_PER_BLOCK 8 // warps per block
#define LOG2E 1.4426950408889634f

// max and sum of exp(l - max) over a row, reduced over the warp in a fixed order
__device__ __forceinline__ void row_softmax_stats(const float *l, int V, int lane, float *mx_out,
                                                  float *sum_out) {
    float mx = -INFINITY;
    for (int j = lane; j < V; j += 32) mx = fmaxf(mx, l[j]);
    mx = warp_max(mx);
    float sum = 0.0f;
    for (int j = lane; j < V; j += 32) sum += expf(l[j] - mx);
    *mx_out = mx;
    *sum_out = warp_sum(sum);
}

// bits = log2(sum_j exp(l_j - max)) - (l_target - max) / ln 2: uniform logits give exactly
// log2(V) (8 bits for 256 zero logits: expf(0) = 1, the sum is exact, log2f(256) = 8)
__global__ void crossentropy_forward_kernel(float *bits, const float *logits, const int *targets,
                                            int N, int V) {
    int i = blockIdx.x * CE_ROWS_PER_BLOCK + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (i >= N) return;
    const float *l = logits + (size_t)i * V;
    float mx, sum;
    row_softmax_stats(l, V, lane, &mx, &sum);
    if (lane == 0) bits[i] = log2f(sum) - (l[targets[i]] - mx) * LOG2E;
}

// dlogits[i,:] = weights[i] * (softmax(logits[i,:]) - onehot(targets[i])), overwritten
__global__ void crossentropy_backward_kernel(float *dlogits, const float *logits,
                                             const int *targets, const float *weights, int N,
                                             int V) {
    int i = blockIdx.x * CE_ROWS_PER_BLOCK + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (i >= N) return;
    const float *l = logits + (size_t)i * V;
    float *d = dlogits + (size_t)i * V;
    float mx, sum;
    row_softmax_stats(l, V, lane, &mx, &sum);
    float w = weights[i], scale = w / sum;
    int target = targets[i];
    for (int j = lane; j < V; j += 32) {
        float g = expf(l[j] - mx) * scale;
        d[j] = j == target ? g - w : g;
    }
}

void cuda_crossentropy_forward(void *ctx, real *bits, const real *logits, const int *targets, int N,
                               int V) {
    if (N <= 0) return;
    int blocks = (N + CE_ROWS_PER_BLOCK - 1) / CE_ROWS_PER_BLOCK;
    crossentropy_forward_kernel<<<blocks, 32 * CE_ROWS_PER_BLOCK, 0, cuda_stream(ctx)>>>(
        bits, logits, targets, N, V);
    CUDA_LAUNCH_CHECK();
}

void cuda_crossentropy_backward(void *ctx, real *dlogits, const real *logits, const int *targets,
                                const real *weights, int N, int V) {
    if (N <= 0) return;
    int blocks = (N + CE_ROWS_PER_BLOCK - 1) / CE_ROWS_PER_BLOCK;
    crossentropy_backward_kernel<<<blocks, 32 * CE_ROWS_PER_BLOCK, 0, cuda_stream(ctx)>>>(
        dlogits, logits, targets, weights, N, V);
    CUDA_LAUNCH_CHECK();
}
