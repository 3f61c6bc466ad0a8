// Token + position embedding: out[b,t,:] = wte[tokens[b,t],:] + wpe[t,:]; without learned
// positions wpe (and dwpe) is NULL and the position term is left out.
#include "cuda_common.h"
#include "cuda_ops.h"
#include "ops.h" // MDL_VOCAB_IN: the rows of wte (the ops pass no vocabulary size)

__global__ void embedding_forward_kernel(float *out, const int *tokens, const float *wte,
                                         const float *wpe, int N, int T, int C) {
    size_t total = (size_t)N * C, stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        int n = (int)(i / C), c = (int)(i % C);
        float pe = wpe ? wpe[(size_t)(n % T) * C + c] : 0.0f;
        out[i] = wte[(size_t)tokens[n] * C + c] + pe;
    }
}

// C % 4 == 0 and 16-byte aligned tables: i counts float4s
__global__ void embedding_forward_vec4_kernel(float4 *out, const int *tokens, const float4 *wte,
                                              const float4 *wpe, int N, int T, int C4) {
    size_t total = (size_t)N * C4, stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        int n = (int)(i / C4), c = (int)(i % C4);
        float4 a = wte[(size_t)tokens[n] * C4 + c];
        float4 b = wpe ? wpe[(size_t)(n % T) * C4 + c] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        out[i] = make_float4(a.x + b.x, a.y + b.y, a.z + b.z, a.w + b.w);
    }
}

void cuda_embedding_forward(void *ctx, real *out, const int *tokens, const real *wte,
                            const real *wpe, int B, int T, int C) {
    int N = B * T;
    if (C % 4 == 0 && cuda_aligned16(out) && cuda_aligned16(wte) && cuda_aligned16(wpe)) {
        size_t total = (size_t)N * C / 4;
        embedding_forward_vec4_kernel<<<cuda_grid(total, 256), 256, 0, cuda_stream(ctx)>>>(
            (float4 *)out, tokens, (const float4 *)wte, (const float4 *)wpe, N, T, C / 4);
    } else {
        embedding_forward_kernel<<<cuda_grid((size_t)N * C, 256), 256, 0, cuda_stream(ctx)>>>(
            out, tokens, wte, wpe, N, T, C);
    }
    CUDA_LAUNCH_CHECK();
}

// ---- backward ---------------------------------------------------------------------------
//
// A token occurs in many rows, so dwte is a scatter-add. Without atomics: one block per
// (vocabulary row v, EMB_COLS columns). The block walks all positions in tiles of EMB_COLS,
// collects the positions holding token v in increasing order (warp ballots: an ordered
// compaction), and each thread adds their dout values to its column in that order, starting
// from the old dwte value: the same additions in the same order as the CPU loop, so the
// result is bit-identical to it, and deterministic.
#define EMB_COLS 128

__global__ void embedding_backward_wte_kernel(float *dwte, const float *dout, const int *tokens,
                                              int N, int C) {
    __shared__ int hits[EMB_COLS];
    __shared__ int warp_hits[EMB_COLS / 32];
    const int v = blockIdx.x, lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int c = blockIdx.y * EMB_COLS + threadIdx.x;
    float acc = c < C ? dwte[(size_t)v * C + c] : 0.0f;
    bool touched = false;
    for (int base = 0; base < N; base += EMB_COLS) { // uniform across the block
        int n = base + threadIdx.x;
        bool hit = n < N && tokens[n] == v;
        unsigned mask = __ballot_sync(0xffffffffu, hit);
        if (lane == 0) warp_hits[warp] = __popc(mask);
        __syncthreads();
        int before = 0, count = 0;
        for (int w = 0; w < EMB_COLS / 32; w++) {
            before += w < warp ? warp_hits[w] : 0;
            count += warp_hits[w];
        }
        if (hit) hits[before + __popc(mask & ((1u << lane) - 1u))] = n;
        __syncthreads();
        if (c < C)
            for (int k = 0; k < count; k++) acc += dout[(size_t)hits[k] * C + c];
        touched |= count > 0;
        __syncthreads(); // hits and warp_hits are rewritten by the next tile
    }
    if (c < C && touched) dwte[(size_t)v * C + c] = acc;
}

// dwpe[t, c] += dout[b, t, c] for b = 0, 1, ...: the CPU's order again
__global__ void embedding_backward_wpe_kernel(float *dwpe, const float *dout, int B, int T, int C) {
    size_t total = (size_t)T * C, stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        float acc = dwpe[i];
        for (int b = 0; b < B; b++) acc += dout[(size_t)b * T * C + i];
        dwpe[i] = acc;
    }
}

void cuda_embedding_backward(void *ctx, real *dwte, real *dwpe, const real *dout, const int *tokens,
                             int B, int T, int C) {
    int N = B * T;
    dim3 grid(MDL_VOCAB_IN, (C + EMB_COLS - 1) / EMB_COLS);
    embedding_backward_wte_kernel<<<grid, EMB_COLS, 0, cuda_stream(ctx)>>>(dwte, dout, tokens, N,
                                                                           C);
    CUDA_LAUNCH_CHECK();
    if (!dwpe) return;
    embedding_backward_wpe_kernel<<<cuda_grid((size_t)T * C, 256), 256, 0, cuda_stream(ctx)>>>(
        dwpe, dout, B, T, C);
    CUDA_LAUNCH_CHECK();
}
