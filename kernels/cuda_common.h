// Private to kernels/: error checks, the backend's context (stream, cuBLAS handle,
// scratch buffers) and small device helpers the op files share. C++ (nvcc) only.
#ifndef MDL_CUDA_COMMON_H
#define MDL_CUDA_COMMON_H

#include <cstddef>
#include <cstdint>

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "real.h"

static_assert(sizeof(real) == sizeof(float), "the CUDA backend is built for fp32 `real`");

// ---- errors --------------------------------------------------------------------------
// A failing CUDA or cuBLAS call inside an op is a broken device or a bug, not bad input:
// print file:line, the call and the reason, and abort.
[[noreturn]] void cuda_die(const char *file, int line, const char *call, const char *why);

#define CUDA_CHECK(call)                                                                           \
    do {                                                                                           \
        cudaError_t e_ = (call);                                                                   \
        if (e_ != cudaSuccess) cuda_die(__FILE__, __LINE__, #call, cudaGetErrorString(e_));        \
    } while (0)
#define CUBLAS_CHECK(call)                                                                         \
    do {                                                                                           \
        cublasStatus_t s_ = (call);                                                                \
        if (s_ != CUBLAS_STATUS_SUCCESS)                                                           \
            cuda_die(__FILE__, __LINE__, #call, cublasGetStatusString(s_));                        \
    } while (0)
// after every kernel launch: launch-configuration errors show up here
#define CUDA_LAUNCH_CHECK() CUDA_CHECK(cudaGetLastError())

// ---- context (cuda_backend.cu) ---------------------------------------------------------
// Every op runs on this one stream, in order; the host sees results only through the
// backend's synchronous copies.
cudaStream_t cuda_stream(void *ctx);
cublasHandle_t cuda_cublas(void *ctx);

// Grow-only scratch buffers, one per slot. Ops run in stream order, so an op may use any
// slot freely within its own call; two buffers needed at once in one op use two slots.
// Growing waits for the stream, then frees the old buffer.
enum scratch_slot {
    SCRATCH_OPERAND_A, // bf16 copies of matmul operands
    SCRATCH_OPERAND_B,
    SCRATCH_OPERAND_C,
    SCRATCH_HEADS,     // attention: q, k, v in [B, NH, T, hs] layout
    SCRATCH_HEADS_OUT, // attention: per-head output / dq, dk, dv
    SCRATCH_DOUT,      // attention: dout in per-head layout
    SCRATCH_ATT16,     // attention: bf16 copies of att and dpre
    SCRATCH_DATT16,
    SCRATCH_REDUCE, // partial sums of the deterministic reductions
    SCRATCH_COUNT
};
void *cuda_scratch(void *ctx, scratch_slot slot, size_t bytes);

// ---- shared host helpers ----------------------------------------------------------------

// Blocks for n items at per_block items per block, for grid-stride loops (capped: the
// loops cover the rest, and elementwise results do not depend on the grid).
static inline unsigned cuda_grid(size_t n, unsigned per_block) {
    size_t b = (n + per_block - 1) / per_block;
    if (b == 0) b = 1;
    return b > 65535 * 8 ? 65535 * 8 : (unsigned)b;
}

static inline bool cuda_aligned16(const void *p) {
    return ((uintptr_t)p & 15) == 0;
}

// Row-major gemm in blas.h's terms, C = alpha * op(A) @ op(B) + beta * C, as `batch`
// products at element strides sA, sB, sC. A and B are fp32, or bf16 when bf16 is true;
// C is fp32 and the accumulation is fp32 in both cases (matmul.cu).
void cuda_gemm(void *ctx, bool transa, bool transb, int M, int N, int K, float alpha, const void *A,
               int lda, long long sA, const void *B, int ldb, long long sB, float beta, float *C,
               int ldc, long long sC, int batch, bool bf16);

// dst = bf16(src), round to nearest even (matmul.cu).
void cuda_to_bf16(void *ctx, __nv_bfloat16 *dst, const float *src, size_t n);

// The operand of a product in the working precision: x itself, or its bf16 copy in a
// scratch slot (matmul.cu).
const void *cuda_operand(void *ctx, const float *x, size_t n, scratch_slot slot, bool bf16);

// Deterministic column sums (colsum.cu). Row chunks of COLSUM_ROWS rows are summed in a
// fixed order into partial[chunk][c], and the chunks then in chunk order, so the result
// depends only on the shape, never on timing or the device.
#define COLSUM_ROWS 64
__host__ __device__ inline int colsum_chunks(int N) {
    return (N + COLSUM_ROWS - 1) / COLSUM_ROWS;
}
// dst[c] += sum over n of a[n, c], a is [N, C]
void cuda_colsum_accumulate(void *ctx, float *dst, const float *a, int N, int C);
// dst[c] += sum over k < nchunks of partial[k * C + c], in k order
void cuda_colsum_finish(void *ctx, float *dst, const float *partial, int nchunks, int C);

// ---- device helpers -------------------------------------------------------------------
// Butterfly reductions over a warp: every lane ends with the same value (each step adds
// the same two numbers in either lane), and the order is fixed, so results are
// deterministic.
__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

#endif
