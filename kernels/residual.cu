// Residual connection: out = a + b, so both branches receive dout unchanged.
// Elementwise, 4 elements per thread (16-byte accesses when the pointers allow).
#include "cuda_common.h"
#include "cuda_ops.h"

__global__ void residual_forward_kernel(float *out, const float *a, const float *b, size_t n,
                                        bool vec4) {
    size_t n4 = n / 4, stride = (size_t)gridDim.x * blockDim.x;
    size_t first = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    for (size_t i = first; i < n4; i += stride) {
        if (vec4) {
            float4 x = reinterpret_cast<const float4 *>(a)[i];
            float4 y = reinterpret_cast<const float4 *>(b)[i];
            reinterpret_cast<float4 *>(out)[i] =
                make_float4(x.x + y.x, x.y + y.y, x.z + y.z, x.w + y.w);
        } else {
            for (size_t j = 4 * i; j < 4 * i + 4; j++) out[j] = a[j] + b[j];
        }
    }
    if (first == 0)
        for (size_t j = 4 * n4; j < n; j++) out[j] = a[j] + b[j];
}

__global__ void residual_backward_kernel(float *da, float *db, const float *dout, size_t n,
                                         bool vec4) {
    size_t n4 = n / 4, stride = (size_t)gridDim.x * blockDim.x;
    size_t first = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    for (size_t i = first; i < n4; i += stride) {
        if (vec4) {
            float4 d = reinterpret_cast<const float4 *>(dout)[i];
            float4 x = reinterpret_cast<float4 *>(da)[i];
            reinterpret_cast<float4 *>(da)[i] =
                make_float4(x.x + d.x, x.y + d.y, x.z + d.z, x.w + d.w);
            float4 y = reinterpret_cast<float4 *>(db)[i]; // after the da store: da may be db
            reinterpret_cast<float4 *>(db)[i] =
                make_float4(y.x + d.x, y.y + d.y, y.z + d.z, y.w + d.w);
        } else {
            for (size_t j = 4 * i; j < 4 * i + 4; j++) {
                da[j] += dout[j];
                db[j] += dout[j];
            }
        }
    }
    if (first == 0)
        for (size_t j = 4 * n4; j < n; j++) {
            da[j] += dout[j];
            db[j] += dout[j];
        }
}

void cuda_residual_forward(void *ctx, real *out, const real *a, const real *b, size_t n) {
    if (!n) return;
    bool vec4 = cuda_aligned16(out) && cuda_aligned16(a) && cuda_aligned16(b);
    residual_forward_kernel<<<cuda_grid(n / 4, 256), 256, 0, cuda_stream(ctx)>>>(out, a, b, n,
                                                                                 vec4);
    CUDA_LAUNCH_CHECK();
}

void cuda_residual_backward(void *ctx, real *da, real *db, const real *dout, size_t n) {
    if (!n) return;
    bool vec4 = cuda_aligned16(da) && cuda_aligned16(db) && cuda_aligned16(dout);
    residual_backward_kernel<<<cuda_grid(n / 4, 256), 256, 0, cuda_stream(ctx)>>>(da, db, dout, n,
                                                                                  vec4);
    CUDA_LAUNCH_CHECK();
}
