// GELU, tanh approximation, elementwise; the formula of one element is gelu_formula.h
// (shared with a host test, which runs the same expressions on the CPU).
#include "cuda_common.h"
#include "cuda_ops.h"
#include "gelu_formula.h"

__device__ __forceinline__ float gelu(float x) {
    return mdl_gelu(x);
}
__device__ __forceinline__ float gelu_grad(float x) {
    return mdl_gelu_grad(x);
}

// Each thread handles 4 consecutive elements: 16-byte accesses when the pointers allow
// (vec4), scalar ones otherwise; the last n % 4 elements go to the first thread.
__global__ void gelu_forward_kernel(float *out, const float *inp, size_t n, bool vec4) {
    size_t n4 = n / 4, stride = (size_t)gridDim.x * blockDim.x;
    size_t first = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    for (size_t i = first; i < n4; i += stride) {
        if (vec4) {
            float4 x = reinterpret_cast<const float4 *>(inp)[i];
            reinterpret_cast<float4 *>(out)[i] =
                make_float4(gelu(x.x), gelu(x.y), gelu(x.z), gelu(x.w));
        } else {
            for (size_t j = 4 * i; j < 4 * i + 4; j++) out[j] = gelu(inp[j]);
        }
    }
    if (first == 0)
        for (size_t j = 4 * n4; j < n; j++) out[j] = gelu(inp[j]);
}

__global__ void gelu_backward_kernel(float *dinp, const float *inp, const float *dout, size_t n,
                                     bool vec4) {
    size_t n4 = n / 4, stride = (size_t)gridDim.x * blockDim.x;
    size_t first = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    for (size_t i = first; i < n4; i += stride) {
        if (vec4) {
            float4 x = reinterpret_cast<const float4 *>(inp)[i];
            float4 d = reinterpret_cast<const float4 *>(dout)[i];
            float4 g = reinterpret_cast<float4 *>(dinp)[i];
            g.x += gelu_grad(x.x) * d.x;
            g.y += gelu_grad(x.y) * d.y;
            g.z += gelu_grad(x.z) * d.z;
            g.w += gelu_grad(x.w) * d.w;
            reinterpret_cast<float4 *>(dinp)[i] = g;
        } else {
            for (size_t j = 4 * i; j < 4 * i + 4; j++) dinp[j] += gelu_grad(inp[j]) * dout[j];
        }
    }
    if (first == 0)
        for (size_t j = 4 * n4; j < n; j++) dinp[j] += gelu_grad(inp[j]) * dout[j];
}

void cuda_gelu_forward(void *ctx, real *out, const real *inp, size_t n) {
    if (!n) return;
    bool vec4 = cuda_aligned16(out) && cuda_aligned16(inp);
    gelu_forward_kernel<<<cuda_grid(n / 4, 256), 256, 0, cuda_stream(ctx)>>>(out, inp, n, vec4);
    CUDA_LAUNCH_CHECK();
}

void cuda_gelu_backward(void *ctx, real *dinp, const real *inp, const real *dout, size_t n) {
    if (!n) return;
    bool vec4 = cuda_aligned16(dinp) && cuda_aligned16(inp) && cuda_aligned16(dout);
    gelu_backward_kernel<<<cuda_grid(n / 4, 256), 256, 0, cuda_stream(ctx)>>>(dinp, inp, dout, n,
                                                                              vec4);
    CUDA_LAUNCH_CHECK();
}
