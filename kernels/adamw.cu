// AdamW (Loshchilov & Hutter) with bias correction and decoupled weight decay, gradients
// first scaled by grad_scale (global-norm clipping); elementwise, as host/cpu/adamw.c.
#include <cmath>

#include "cuda_common.h"
#include "cuda_ops.h"

__global__ void adamw_kernel(float *param, const float *grad, float *m, float *v, size_t n,
                             float lr, float b1, float b2, float eps, float wd, float grad_scale,
                             float c1, float c2) {
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        float g = grad[i] * grad_scale;
        float mi = b1 * m[i] + (1.0f - b1) * g;
        float vi = b2 * v[i] + (1.0f - b2) * g * g;
        m[i] = mi;
        v[i] = vi;
        float mhat = mi / c1, vhat = vi / c2;
        float p = param[i];
        param[i] = p - lr * (mhat / (sqrtf(vhat) + eps) + wd * p);
    }
}

void cuda_adamw_update(real *param, const real *grad, real *m, real *v, size_t n, float lr,
                       float beta1, float beta2, float eps, float weight_decay, float grad_scale,
                       int t) {
    if (!n) return;
    // bias corrections 1 - beta^t, once per call in double on the host, as the CPU does
    float c1 = (float)(1.0 - pow((double)beta1, t));
    float c2 = (float)(1.0 - pow((double)beta2, t));
    adamw_kernel<<<cuda_grid(n, 256), 256, 0, cuda_stream()>>>(
        param, grad, m, v, n, lr, beta1, beta2, eps, weight_decay, grad_scale, c1, c2);
    CUDA_LAUNCH_CHECK();
}
