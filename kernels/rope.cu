// Rotary position embedding, in place on the q and k parts of qkv [B,T,3C]: the twin of
// host/cpu/rope.c (pairs (i, i + hs/2) of each head rotated by t * theta_i), with the
// angle, cosine and sine computed in double as there.
#include "cuda_common.h"
#include "cuda_ops.h"
#include "rope.h"

// One thread per (row, q-or-k head, pair): sign +1 rotates forward, -1 by the transpose.
__global__ void rope_kernel(float *qkv, int N, int T, int C, int NH, int64_t pos0, double sign) {
    int hs = C / NH, half = hs / 2;
    size_t total = (size_t)N * 2 * NH * half, stride = (size_t)gridDim.x * blockDim.x;
    for (size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += stride) {
        int i = (int)(idx % half);
        size_t head = idx / half; // over rows x (q heads, then k heads)
        int n = (int)(head / (2 * NH)), h = (int)(head % (2 * NH));
        float *x = qkv + (size_t)n * 3 * C + (size_t)h * hs;
        double angle = (double)(pos0 + n % T) * rope_theta(i, hs);
        float c = (float)cos(angle), s = (float)(sign * sin(angle));
        float a = x[i], b = x[i + half];
        x[i] = a * c - b * s;
        x[i + half] = a * s + b * c;
    }
}

static void rope_launch(void *ctx, real *qkv, int B, int T, int C, int NH, int64_t pos0,
                        double sign) {
    size_t total = (size_t)B * T * C; // rows x 2 NH heads x hs/2 pairs
    if (!total) return;
    rope_kernel<<<cuda_grid(total, 256), 256, 0, cuda_stream(ctx)>>>(qkv, B * T, T, C, NH, pos0,
                                                                     sign);
    CUDA_LAUNCH_CHECK();
}

void cuda_rope_forward(void *ctx, real *qkv, int B, int T, int C, int NH, int64_t pos0) {
    rope_launch(ctx, qkv, B, T, C, NH, pos0, 1.0);
}

void cuda_rope_backward(void *ctx, real *dqkv, int B, int T, int C, int NH, int64_t pos0) {
    rope_launch(ctx, dqkv, B, T, C, NH, pos0, -1.0);
}
