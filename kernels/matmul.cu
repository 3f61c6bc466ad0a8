// Linear layer with PyTorch's weight layout, out[N,OC] = inp[N,C] @ weight[OC,C]^T + bias,
// through cuBLAS; plus the row-major gemm wrapper and bf16 conversion that attention.cu
// shares. fp32: CUBLAS_COMPUTE_32F under the default math mode (no TF32). bf16: both
// operands rounded to bf16 in scratch buffers, fp32 accumulation and fp32 output.
#include "cuda_common.h"
#include "cuda_ops.h"

// cuBLAS is column-major; a row-major matrix is its transpose in column-major. So the
// row-major C = op(A) op(B) is the column-major C^T = op(B)^T op(A)^T: swap the operands,
// keep each one's transpose flag, and swap M and N.
void cuda_gemm(void *ctx, bool transa, bool transb, int M, int N, int K, float alpha, const void *A,
               int lda, long long sA, const void *B, int ldb, long long sB, float beta, float *C,
               int ldc, long long sC, int batch, bool bf16) {
    if (M <= 0 || N <= 0 || batch <= 0) return;
    cudaDataType ab = bf16 ? CUDA_R_16BF : CUDA_R_32F;
    cublasOperation_t opa = transa ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t opb = transb ? CUBLAS_OP_T : CUBLAS_OP_N;
    if (batch == 1)
        CUBLAS_CHECK(cublasGemmEx(cuda_cublas(ctx), opb, opa, N, M, K, &alpha, B, ab, ldb, A, ab,
                                  lda, &beta, C, CUDA_R_32F, ldc, CUBLAS_COMPUTE_32F,
                                  CUBLAS_GEMM_DEFAULT));
    else
        CUBLAS_CHECK(cublasGemmStridedBatchedEx(
            cuda_cublas(ctx), opb, opa, N, M, K, &alpha, B, ab, ldb, sB, A, ab, lda, sA, &beta, C,
            CUDA_R_32F, ldc, sC, batch, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

// ---- bf16 conversion ----------------------------------------------------------------------

__global__ void to_bf16_kernel(__nv_bfloat16 *dst, const float *src, size_t n) {
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        dst[i] = __float2bfloat16_rn(src[i]);
}

// four at a time: one 16-byte load, two 4-byte stores
__global__ void to_bf16_vec4_kernel(__nv_bfloat16 *dst, const float *src, size_t n4) {
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n4; i += stride) {
        float4 v = reinterpret_cast<const float4 *>(src)[i];
        __nv_bfloat162 *d = reinterpret_cast<__nv_bfloat162 *>(dst) + 2 * i;
        d[0] = __floats2bfloat162_rn(v.x, v.y);
        d[1] = __floats2bfloat162_rn(v.z, v.w);
    }
}

void cuda_to_bf16(void *ctx, __nv_bfloat16 *dst, const float *src, size_t n) {
    if (!n) return;
    size_t n4 = cuda_aligned16(src) && ((uintptr_t)dst & 3) == 0 ? n / 4 : 0;
    if (n4) {
        to_bf16_vec4_kernel<<<cuda_grid(n4, 256), 256, 0, cuda_stream(ctx)>>>(dst, src, n4);
        CUDA_LAUNCH_CHECK();
    }
    if (n > 4 * n4) {
        to_bf16_kernel<<<cuda_grid(n - 4 * n4, 256), 256, 0, cuda_stream(ctx)>>>(
            dst + 4 * n4, src + 4 * n4, n - 4 * n4);
        CUDA_LAUNCH_CHECK();
    }
}

const void *cuda_operand(void *ctx, const float *x, size_t n, scratch_slot slot, bool bf16) {
    if (!bf16) return x;
    __nv_bfloat16 *copy = (__nv_bfloat16 *)cuda_scratch(ctx, slot, n * sizeof(__nv_bfloat16));
    cuda_to_bf16(ctx, copy, x, n);
    return copy;
}

// ---- the layer ------------------------------------------------------------------------

// out[n, k] += bias[k], after the product (the CPU starts from the bias instead: the same
// sum in another order, within rounding)
__global__ void add_bias_kernel(float *out, const float *bias, int N, int OC) {
    for (int n = blockIdx.x; n < N; n += gridDim.x)
        for (int k = threadIdx.x; k < OC; k += blockDim.x) out[(size_t)n * OC + k] += bias[k];
}

static void matmul_forward(void *ctx, real *out, const real *inp, const real *weight,
                           const real *bias, int N, int C, int OC, bool bf16) {
    const void *a = cuda_operand(ctx, inp, (size_t)N * C, SCRATCH_OPERAND_A, bf16);
    const void *w = cuda_operand(ctx, weight, (size_t)OC * C, SCRATCH_OPERAND_B, bf16);
    cuda_gemm(ctx, false, true, N, OC, C, 1.0f, a, C, 0, w, C, 0, 0.0f, out, OC, 0, 1, bf16);
    if (bias) {
        add_bias_kernel<<<cuda_grid(N, 1), 256, 0, cuda_stream(ctx)>>>(out, bias, N, OC);
        CUDA_LAUNCH_CHECK();
    }
}

// dinp += dout @ weight; dweight += dout^T @ inp; dbias += column sums of dout (fp32, a
// fixed order). dinp and dbias may be NULL.
static void matmul_backward(void *ctx, real *dinp, real *dweight, real *dbias, const real *dout,
                            const real *inp, const real *weight, int N, int C, int OC, bool bf16) {
    const void *d = cuda_operand(ctx, dout, (size_t)N * OC, SCRATCH_OPERAND_A, bf16);
    if (dinp) {
        const void *w = cuda_operand(ctx, weight, (size_t)OC * C, SCRATCH_OPERAND_B, bf16);
        cuda_gemm(ctx, false, false, N, C, OC, 1.0f, d, OC, 0, w, C, 0, 1.0f, dinp, C, 0, 1, bf16);
    }
    const void *a = cuda_operand(ctx, inp, (size_t)N * C, SCRATCH_OPERAND_C, bf16);
    cuda_gemm(ctx, true, false, OC, C, N, 1.0f, d, OC, 0, a, C, 0, 1.0f, dweight, C, 0, 1, bf16);
    if (dbias) cuda_colsum_accumulate(ctx, dbias, dout, N, OC);
}

void cuda_matmul_forward_fp32(void *ctx, real *out, const real *inp, const real *weight,
                              const real *bias, int N, int C, int OC) {
    matmul_forward(ctx, out, inp, weight, bias, N, C, OC, false);
}
void cuda_matmul_forward_bf16(void *ctx, real *out, const real *inp, const real *weight,
                              const real *bias, int N, int C, int OC) {
    matmul_forward(ctx, out, inp, weight, bias, N, C, OC, true);
}
void cuda_matmul_backward_fp32(void *ctx, real *dinp, real *dweight, real *dbias, const real *dout,
                               const real *inp, const real *weight, int N, int C, int OC) {
    matmul_backward(ctx, dinp, dweight, dbias, dout, inp, weight, N, C, OC, false);
}
void cuda_matmul_backward_bf16(void *ctx, real *dinp, real *dweight, real *dbias, const real *dout,
                               const real *inp, const real *weight, int N, int C, int OC) {
    matmul_backward(ctx, dinp, dweight, dbias, dout, inp, weight, N, C, OC, true);
}
