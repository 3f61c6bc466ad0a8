/* AdamW (Loshchilov & Hutter) with bias correction and decoupled weight decay; gradients
 * are first multiplied by grad_scale (global-norm clipping). */
#include <tgmath.h>

#include "cpu_ops.h"

/* The constants of one update: the bias corrections 1 - beta^t, once per call in double. */
typedef struct adamw_step {
    real lr, b1, b2, eps, wd, scale, c1, c2;
} adamw_step;

static adamw_step adamw_step_at(float lr, float beta1, float beta2, float eps, float weight_decay,
                                float grad_scale, int t) {
    adamw_step s = {lr, beta1, beta2, eps, weight_decay, grad_scale, 0, 0};
    s.c1 = (real)(1.0 - pow((double)beta1, t));
    s.c2 = (real)(1.0 - pow((double)beta2, t));
    return s;
}

static inline void adamw_element(real *param, real grad, real *m, real *v, const adamw_step *s) {
    real g = grad * s->scale;
    *m = s->b1 * *m + (1 - s->b1) * g;
    *v = s->b2 * *v + (1 - s->b2) * g * g;
    real mhat = *m / s->c1, vhat = *v / s->c2;
    *param -= s->lr * (mhat / (sqrt(vhat) + s->eps) + s->wd * *param);
}

void adamw_update(void *ctx, real *param, const real *grad, real *m, real *v, size_t n, float lr,
                  float beta1, float beta2, float eps, float weight_decay, float grad_scale,
                  int t) {
    adamw_step s = adamw_step_at(lr, beta1, beta2, eps, weight_decay, grad_scale, t);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) adamw_element(param + i, grad[i], m + i, v + i, &s);
}

void adamw_update_rows(void *ctx, real *param, real *grad, real *m, real *v, const int *rows,
                       int nrows, int C, float lr, float beta1, float beta2, float eps,
                       float weight_decay, float grad_scale, int t) {
    adamw_step s = adamw_step_at(lr, beta1, beta2, eps, weight_decay, grad_scale, t);
#pragma omp parallel for schedule(static)
    for (int r = 0; r < nrows; r++) {
        size_t o = (size_t)rows[r] * C;
        for (int c = 0; c < C; c++) {
            adamw_element(param + o + c, grad[o + c], m + o + c, v + o + c, &s);
            grad[o + c] = 0;
        }
    }
}
