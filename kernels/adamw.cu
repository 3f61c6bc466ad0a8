// AdamW (Loshchilov & Hutter) with bias correction and decoupled weight decay, gradients
// first scaled by grad_scale (global-norm clipping); elementwise, as host/cpu/adamw.c.
#include <cmath>

#include "cuda_common.h"
#include "cuda_ops.h"

struct adamw_step {
    float lr, b1, b2, eps, wd, scale, c1, c2;
};

// bias corrections 1 - beta^t, once per call in double on the host, as the CPU does
static adamw_step adamw_step_at(float lr, float beta1, float beta2, float eps, float weight_decay,
                                float grad_scale, int t) {
    adamw_step s = {lr, beta1, beta2, eps, weight_decay, grad_scale, 0.0f, 0.0f};
    s.c1 = (float)(1.0 - pow((double)beta1, t));
    s.c2 = (float)(1.0 - pow((double)beta2, t));
    return s;
}

__device__ __forceinline__ void adamw_element(float *param, float grad, float *m, float *v,
                                              const adamw_step &s) {
    float g = grad * s.scale;
    float mi = s.b1 * *m + (1.0f - s.b1) * g;
    float vi = s.b2 * *v + (1.0f - s.b2) * g * g;
    *m = mi;
    *v = vi;
    float mhat = mi / s.c1, vhat = vi / s.c2;
    float p = *param;
    *param = p - s.lr * (mhat / (sqrtf(vhat) + s.eps) + s.wd * p);
}

__global__ void adamw_kernel(float *param, const float *grad, float *m, float *v, size_t n,
                             adamw_step s) {
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        adamw_element(param + i, grad[i], m + i, v + i, s);
}

// one thread per (listed row, column); the gradient element is cleared once consumed
__global__ void adamw_rows_kernel(float *param, float *grad, float *m, float *v, const int *rows,
                                  int nrows, int C, adamw_step s) {
    size_t total = (size_t)nrows * C, stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        size_t o = (size_t)rows[i / C] * C + i % C;
        adamw_element(param + o, grad[o], m + o, v + o, s);
        grad[o] = 0.0f;
    }
}

void cuda_adamw_update(void *ctx, real *param, const real *grad, real *m, real *v, size_t n,
                       float lr, float beta1, float beta2, float eps, float weight_decay,
                       float grad_scale, int t) {
    if (!n) return;
    adamw_step s = adamw_step_at(lr, beta1, beta2, eps, weight_decay, grad_scale, t);
    adamw_kernel<<<cuda_grid(n, 256), 256, 0, cuda_stream(ctx)>>>(param, grad, m, v, n, s);
    CUDA_LAUNCH_CHECK();
}

void cuda_adamw_update_rows(void *ctx, real *param, real *grad, real *m, real *v, const int *rows,
                            int nrows, int C, float lr, float beta1, float beta2, float eps,
                            float weight_decay, float grad_scale, int t) {
    size_t total = (size_t)nrows * C;
    if (!total) return;
    adamw_step s = adamw_step_at(lr, beta1, beta2, eps, weight_decay, grad_scale, t);
    adamw_rows_kernel<<<cuda_grid(total, 256), 256, 0, cuda_stream(ctx)>>>(param, grad, m, v, rows,
                                                                           nrows, C, s);
    CUDA_LAUNCH_CHECK();
}
