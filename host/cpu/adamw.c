/* AdamW (Loshchilov & Hutter) with bias correction and decoupled weight decay; gradients
 * are first multiplied by grad_scale (global-norm clipping). */
#include <tgmath.h>

#include "cpu_ops.h"

void adamw_update(real *param, const real *grad, real *m, real *v, size_t n, float lr, float beta1,
                  float beta2, float eps, float weight_decay, float grad_scale, int t) {
    /* bias corrections 1 - beta^t, once per call in double */
    real c1 = (real)(1.0 - pow((double)beta1, t));
    real c2 = (real)(1.0 - pow((double)beta2, t));
    real b1 = beta1, b2 = beta2;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        real g = grad[i] * grad_scale;
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        real mhat = m[i] / c1, vhat = v[i] / c2;
        param[i] -= lr * (mhat / (sqrt(vhat) + eps) + weight_decay * param[i]);
    }
}
