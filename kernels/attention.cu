// Causal multi-head self-attention on qkv [B,T,3C], head size hs = C/NH, scale
// 1/sqrt(hs), as host/cpu/attention.c:
//   att[t,:] = softmax over j <= t of scale * q_t . k_j   (entries j > t exactly 0)
//   out_t    = sum_j att[t,j] v_j
// q, k, v are first gathered per head ([B*NH, T, hs], in the working precision), so every
// product is one strided-batched cuBLAS call over the B*NH heads. The products run over
// the full T x T (the masked triangle too: simple first); a masked entry is an exact 0, so
// it adds exactly nothing, and row t of every result is computed by the same instructions
// whatever rows > t hold (exact causality). Softmax and its backward are fp32, one warp
// per row.
#include <cmath>

#include "cuda_common.h"
#include "cuda_ops.h"

// ---- layout changes -------------------------------------------------------------------

__device__ __forceinline__ void store_as(float *p, float x) {
    *p = x;
}
__device__ __forceinline__ void store_as(__nv_bfloat16 *p, float x) {
    *p = __float2bfloat16_rn(x);
}

// src [B, T, parts*C] (part p, head h at columns p*C + h*hs) -> dst [parts][B, NH, T, hs].
// One thread per source element: coalesced reads, hs-long contiguous runs of writes.
template <typename Tout>
__global__ void to_heads_kernel(Tout *dst, const float *src, int B, int T, int C, int NH,
                                int parts) {
    int hs = C / NH, W = parts * C;
    size_t per_part = (size_t)B * T * C, total = per_part * parts;
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        size_t row = i / W;
        int col = (int)(i % W), p = col / C, h = (col % C) / hs, d = col % hs;
        int b = (int)(row / T), t = (int)(row % T);
        store_as(dst + p * per_part + (((size_t)b * NH + h) * T + t) * hs + d, src[i]);
    }
}

// The inverse, fp32: dst [B, T, parts*C] = (or +=) src [parts][B, NH, T, hs]. One thread per
// destination element: coalesced writes.
__global__ void from_heads_kernel(float *dst, const float *src, int B, int T, int C, int NH,
                                  int parts, bool accumulate) {
    int hs = C / NH, W = parts * C;
    size_t per_part = (size_t)B * T * C, total = per_part * parts;
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        size_t row = i / W;
        int col = (int)(i % W), p = col / C, h = (col % C) / hs, d = col % hs;
        int b = (int)(row / T), t = (int)(row % T);
        float x = src[p * per_part + (((size_t)b * NH + h) * T + t) * hs + d];
        dst[i] = accumulate ? dst[i] + x : x;
    }
}

template <typename Tout>
static void to_heads(void *ctx, Tout *dst, const float *src, int B, int T, int C, int NH,
                     int parts) {
    size_t total = (size_t)B * T * C * parts;
    to_heads_kernel<Tout>
        <<<cuda_grid(total, 256), 256, 0, cuda_stream(ctx)>>>(dst, src, B, T, C, NH, parts);
    CUDA_LAUNCH_CHECK();
}

static void from_heads(void *ctx, float *dst, const float *src, int B, int T, int C, int NH,
                       int parts, bool accumulate) {
    size_t total = (size_t)B * T * C * parts;
    from_heads_kernel<<<cuda_grid(total, 256), 256, 0, cuda_stream(ctx)>>>(dst, src, B, T, C, NH,
                                                                           parts, accumulate);
    CUDA_LAUNCH_CHECK();
}

// q, k, v of every head in the working precision, in one scratch buffer: q at [0],
// k at [B*T*C], v at [2*B*T*C] elements.
static void *gather_qkv(void *ctx, const float *qkv, int B, int T, int C, int NH, bool bf16) {
    size_t n = (size_t)3 * B * T * C;
    if (bf16) {
        __nv_bfloat16 *h = (__nv_bfloat16 *)cuda_scratch(ctx, SCRATCH_HEADS, n * sizeof(*h));
        to_heads(ctx, h, qkv, B, T, C, NH, 3);
        return h;
    }
    float *h = (float *)cuda_scratch(ctx, SCRATCH_HEADS, n * sizeof(*h));
    to_heads(ctx, h, qkv, B, T, C, NH, 3);
    return h;
}

static const void *part_of(const void *heads, int part, size_t per_part, bool bf16) {
    return (const char *)heads + part * per_part * (bf16 ? sizeof(__nv_bfloat16) : sizeof(float));
}

// ---- softmax rows ---------------------------------------------------------------------

#define ATT_ROWS_PER_BLOCK 8 // one warp per row

// Row r of the [rows, T] scores (query t = r % T) in place: entries j <= t become
// softmax(scores[0..t]), the rest exact zeros. Three passes over a row (it stays in L1):
// max, exponentials and their sum, scale.
__global__ void softmax_causal_kernel(float *att, int rows, int T) {
    int r = blockIdx.x * ATT_ROWS_PER_BLOCK + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (r >= rows) return;
    int n = r % T + 1;
    float *a = att + (size_t)r * T;
    float mx = -INFINITY;
    for (int j = lane; j < n; j += 32) mx = fmaxf(mx, a[j]);
    mx = warp_max(mx);
    float sum = 0.0f;
    for (int j = lane; j < n; j += 32) {
        float e = expf(a[j] - mx);
        a[j] = e;
        sum += e;
    }
    float inv = 1.0f / warp_sum(sum);
    for (int j = lane; j < T; j += 32) a[j] = j < n ? a[j] * inv : 0.0f;
}

// In place over row r: d = datt -> dpre = att * (datt - sum_j att * datt) for j <= t,
// exact zeros above the diagonal.
__global__ void softmax_causal_backward_kernel(float *d, const float *att, int rows, int T) {
    int r = blockIdx.x * ATT_ROWS_PER_BLOCK + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (r >= rows) return;
    int n = r % T + 1;
    float *dr = d + (size_t)r * T;
    const float *ar = att + (size_t)r * T;
    float dot = 0.0f;
    for (int j = lane; j < n; j += 32) dot += ar[j] * dr[j];
    dot = warp_sum(dot);
    for (int j = lane; j < T; j += 32) dr[j] = j < n ? ar[j] * (dr[j] - dot) : 0.0f;
}

// ---- the op ---------------------------------------------------------------------------

static void attention_forward(void *ctx, real *out, real *att, const real *qkv, int B, int T, int C,
                              int NH, bool bf16) {
    if (B <= 0 || T <= 0 || C <= 0 || NH <= 0) return; // nothing to do; 0 blocks would abort
    int hs = C / NH, BH = B * NH, rows = BH * T;
    size_t per_part = (size_t)B * T * C;
    long long sT = (long long)T * hs, sTT = (long long)T * T;
    float scale = 1.0f / sqrtf((float)hs);
    const void *heads = gather_qkv(ctx, qkv, B, T, C, NH, bf16);
    const void *q = part_of(heads, 0, per_part, bf16), *k = part_of(heads, 1, per_part, bf16);
    const void *v = part_of(heads, 2, per_part, bf16);

    // scores = scale * q @ k^T per head, then the causal softmax in place
    cuda_gemm(ctx, false, true, T, T, hs, scale, q, hs, sT, k, hs, sT, 0.0f, att, T, sTT, BH, bf16);
    softmax_causal_kernel<<<(rows + ATT_ROWS_PER_BLOCK - 1) / ATT_ROWS_PER_BLOCK,
                            32 * ATT_ROWS_PER_BLOCK, 0, cuda_stream(ctx)>>>(att, rows, T);
    CUDA_LAUNCH_CHECK();

    // y = att @ v per head, then back to [B, T, C]
    const void *a = cuda_operand(ctx, att, (size_t)BH * T * T, SCRATCH_ATT16, bf16);
    float *y = (float *)cuda_scratch(ctx, SCRATCH_HEADS_OUT, per_part * sizeof(float));
    cuda_gemm(ctx, false, false, T, hs, T, 1.0f, a, T, sTT, v, hs, sT, 0.0f, y, hs, sT, BH, bf16);
    from_heads(ctx, out, y, B, T, C, NH, 1, false);
}

// With dO the per-head dout:
//   datt = dO @ v^T,   dpre = att * (datt - rowsum(att * datt))
//   dq += scale dpre @ k,  dk += scale dpre^T @ q,  dv += att^T @ dO
// datt (the model's scratch, [B, NH, T, T]) is left holding dpre, as on the CPU.
static void attention_backward(void *ctx, real *dqkv, real *datt, const real *dout, const real *qkv,
                               const real *att, int B, int T, int C, int NH, bool bf16) {
    if (B <= 0 || T <= 0 || C <= 0 || NH <= 0) return; // nothing to do; 0 blocks would abort
    int hs = C / NH, BH = B * NH, rows = BH * T;
    size_t per_part = (size_t)B * T * C;
    long long sT = (long long)T * hs, sTT = (long long)T * T;
    float scale = 1.0f / sqrtf((float)hs);
    const void *heads = gather_qkv(ctx, qkv, B, T, C, NH, bf16);
    const void *q = part_of(heads, 0, per_part, bf16), *k = part_of(heads, 1, per_part, bf16);
    const void *v = part_of(heads, 2, per_part, bf16);
    const void *dO;
    if (bf16) {
        __nv_bfloat16 *h =
            (__nv_bfloat16 *)cuda_scratch(ctx, SCRATCH_DOUT, per_part * sizeof(__nv_bfloat16));
        to_heads(ctx, h, dout, B, T, C, NH, 1);
        dO = h;
    } else {
        float *h = (float *)cuda_scratch(ctx, SCRATCH_DOUT, per_part * sizeof(float));
        to_heads(ctx, h, dout, B, T, C, NH, 1);
        dO = h;
    }

    cuda_gemm(ctx, false, true, T, T, hs, 1.0f, dO, hs, sT, v, hs, sT, 0.0f, datt, T, sTT, BH,
              bf16);
    softmax_causal_backward_kernel<<<(rows + ATT_ROWS_PER_BLOCK - 1) / ATT_ROWS_PER_BLOCK,
                                     32 * ATT_ROWS_PER_BLOCK, 0, cuda_stream(ctx)>>>(datt, att,
                                                                                     rows, T);
    CUDA_LAUNCH_CHECK();

    size_t natt = (size_t)BH * T * T;
    const void *dpre = cuda_operand(ctx, datt, natt, SCRATCH_DATT16, bf16);
    const void *a = cuda_operand(ctx, att, natt, SCRATCH_ATT16, bf16);
    float *dh = (float *)cuda_scratch(ctx, SCRATCH_HEADS_OUT, 3 * per_part * sizeof(float));
    float *dq = dh, *dk = dh + per_part, *dv = dh + 2 * per_part;
    cuda_gemm(ctx, false, false, T, hs, T, scale, dpre, T, sTT, k, hs, sT, 0.0f, dq, hs, sT, BH,
              bf16);
    cuda_gemm(ctx, true, false, T, hs, T, scale, dpre, T, sTT, q, hs, sT, 0.0f, dk, hs, sT, BH,
              bf16);
    cuda_gemm(ctx, true, false, T, hs, T, 1.0f, a, T, sTT, dO, hs, sT, 0.0f, dv, hs, sT, BH, bf16);
    from_heads(ctx, dqkv, dh, B, T, C, NH, 3, true);
}

void cuda_attention_forward_fp32(void *ctx, real *out, real *att, const real *qkv, int B, int T,
                                 int C, int NH) {
    attention_forward(ctx, out, att, qkv, B, T, C, NH, false);
}
void cuda_attention_forward_bf16(void *ctx, real *out, real *att, const real *qkv, int B, int T,
                                 int C, int NH) {
    attention_forward(ctx, out, att, qkv, B, T, C, NH, true);
}
void cuda_attention_backward_fp32(void *ctx, real *dqkv, real *datt, const real *dout,
                                  const real *qkv, const real *att, int B, int T, int C, int NH) {
    attention_backward(ctx, dqkv, datt, dout, qkv, att, B, T, C, NH, false);
}
void cuda_attention_backward_bf16(void *ctx, real *dqkv, real *datt, const real *dout,
                                  const real *qkv, const real *att, int B, int T, int C, int NH) {
    attention_backward(ctx, dqkv, datt, dout, qkv, att, B, T, C, NH, true);
}
