/* Rotary position embedding (RoPE, Su et al. 2021) on the q and k parts of qkv [B,T,3C],
 * in place. In every head (size hs, even) channel pairs (i, i + hs/2), i < hs/2, of the
 * query and the key at position t are rotated by the angle t * theta_i, with
 * theta_i = 10000^(-2i/hs):
 *   x_i' = x_i cos - x_{i+hs/2} sin,   x_{i+hs/2}' = x_i sin + x_{i+hs/2} cos.
 * A rotation keeps q.k a function of q, k and the offset between their positions only,
 * so "look k bytes back" is the same pattern at every position. The backward pass
 * applies the transpose (the rotation by -angle) to dq and dk, in place; dv is untouched.
 * Angles, cosines and sines are computed in double, so both backends use the same ones. */
#include <math.h>

#include "cpu_ops.h"

#include "rope.h"

static void rotate_head(real *x, const real *cs, const real *sn, int half) {
    for (int i = 0; i < half; i++) {
        real a = x[i], b = x[i + half];
        x[i] = a * cs[i] - b * sn[i];
        x[i + half] = a * sn[i] + b * cs[i];
    }
}

/* Each row's angles are computed once and shared by its 2 NH q and k heads; sign -1
 * gives the transpose's sines. */
static void rope_apply(real *qkv, int B, int T, int C, int NH, int64_t pos0, double sign) {
    int hs = C / NH, half = hs / 2;
#pragma omp parallel for schedule(static)
    for (int n = 0; n < B * T; n++) {
        real cs[half > 0 ? half : 1], sn[half > 0 ? half : 1];
        for (int i = 0; i < half; i++) {
            double angle = (double)(pos0 + n % T) * rope_theta(i, hs);
            cs[i] = (real)cos(angle);
            sn[i] = (real)(sign * sin(angle));
        }
        real *row = qkv + (size_t)n * 3 * C;
        for (int h = 0; h < 2 * NH; h++) rotate_head(row + (size_t)h * hs, cs, sn, half);
    }
}

void rope_forward(void *ctx, real *qkv, int B, int T, int C, int NH, int64_t pos0) {
    rope_apply(qkv, B, T, C, NH, pos0, 1.0);
}

void rope_backward(void *ctx, real *dqkv, int B, int T, int C, int NH, int64_t pos0) {
    rope_apply(dqkv, B, T, C, NH, pos0, -1.0);
}
