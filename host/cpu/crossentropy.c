/* Cross-entropy in bits of the target under softmax(logits), row by row. */
#include <tgmath.h>

#include "cpu_ops.h"

#include "vec_exp.h"

#define LOG2E ((real)1.4426950408889634) /* 1/ln 2 */

/* bits = log2(sum_j exp(l_j - max)) - (l_target - max) / ln 2. Written with log2 so that
 * uniform logits give exactly log2(V) bits (8 for 256 zero logits, even in fp32). */
void crossentropy_forward(void *ctx, real *bits, const real *logits, const int *targets, int N,
                          int V) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        const real *l = logits + (size_t)i * V;
        real mx = l[0];
#pragma omp simd reduction(max : mx)
        for (int j = 1; j < V; j++) mx = l[j] > mx ? l[j] : mx;
        real sum = 0;
#pragma omp simd reduction(+ : sum)
        for (int j = 0; j < V; j++) sum += exp_real(l[j] - mx);
        bits[i] = log2(sum) - (l[targets[i]] - mx) * LOG2E;
    }
}

/* Gradient of sum_i weights[i] * (-ln p_i): overwrites dlogits. */
void crossentropy_backward(void *ctx, real *dlogits, const real *logits, const int *targets,
                           const real *weights, int N, int V) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        const real *l = logits + (size_t)i * V;
        real *d = dlogits + (size_t)i * V;
        real w = weights[i], scale = w / exp_shifted(d, l, V);
        for (int j = 0; j < V; j++) d[j] *= scale;
        d[targets[i]] -= w;
    }
}
