/* Causal multi-head self-attention on qkv [B,T,3C] (q, k, v side by side), head size
 * hs = C/NH, scale 1/sqrt(hs):
 *   att[t,:] = softmax over j <= t of scale * q_t . k_j   (entries j > t exactly 0)
 *   out_t    = sum_j att[t,j] v_j
 *
 * Each (sequence, head) is cut into blocks of ATT_BLOCK query rows and every block is one
 * task: rows [t0,t1) only need keys and values [0,t1), so gemms over that range skip most
 * of the masked upper triangle. Every value at row t is computed by the same instructions
 * whatever rows > t hold (masked entries are exact zeros), which makes causality exact. */
#include <tgmath.h>

#include "cpu_ops.h"

#include "blas.h"
#include "vec_exp.h"

#define ATT_BLOCK 64

/* Task `task` of B*NH*nblk: its (b,h) and rows [t0,t1). The costliest blocks come first
 * (late rows in the forward pass, early rows for keys) so the dynamic schedule ends with
 * small tasks. */
static void att_task(int task, int nblk, int T, int late_first, int *bh, int *t0, int *t1) {
    int blk = late_first ? nblk - 1 - task % nblk : task % nblk;
    *bh = task / nblk;
    *t0 = blk * ATT_BLOCK;
    *t1 = *t0 + ATT_BLOCK < T ? *t0 + ATT_BLOCK : T;
}

/* Row t of the attention: the first n = t + 1 entries become softmax(row[0..t]), the rest
 * exact zeros. (Loops run to a count n rather than to j <= t: GCC leaves the latter scalar
 * once inlined into the row loop.) */
static void softmax_causal_row(real *row, int n, int T) {
    real inv = 1 / exp_shifted(row, row, n);
    for (int j = 0; j < n; j++) row[j] *= inv;
    for (int j = n; j < T; j++) row[j] = 0;
}

/* In place over the first n entries: d = datt -> dpre = att * (datt - sum(att * datt));
 * zeros above the diagonal. */
static void softmax_causal_row_backward(real *d, const real *att, int n, int T) {
    real dot = 0;
#pragma omp simd reduction(+ : dot)
    for (int j = 0; j < n; j++) dot += att[j] * d[j];
    for (int j = 0; j < n; j++) d[j] = att[j] * (d[j] - dot);
    for (int j = n; j < T; j++) d[j] = 0;
}

void attention_forward(void *ctx, real *out, real *att, const real *qkv, int B, int T, int C,
                       int NH) {
    int hs = C / NH, C3 = 3 * C;
    real scale = (real)1 / sqrt((real)hs);
    int nblk = (T + ATT_BLOCK - 1) / ATT_BLOCK;
    /* Tasks write disjoint rows, so the schedule cannot change any result. */
#pragma omp parallel for schedule(dynamic, 1)
    for (int task = 0; task < B * NH * nblk; task++) {
        int bh, t0, t1;
        att_task(task, nblk, T, 1, &bh, &t0, &t1);
        int b = bh / NH, h = bh % NH;
        const real *q = qkv + (size_t)b * T * C3 + h * hs;
        const real *k = q + C, *v = q + 2 * C;
        real *a = att + (size_t)bh * T * T;

        /* pre-softmax scores, rows [t0,t1) x keys [0,t1) */
        gemm(CblasNoTrans, CblasTrans, t1 - t0, t1, hs, scale, q + (size_t)t0 * C3, C3, k, C3, 0,
             a + (size_t)t0 * T, T);
        for (int t = t0; t < t1; t++) softmax_causal_row(a + (size_t)t * T, t + 1, T);
        /* out rows [t0,t1) of head h = att[t0:t1, 0:t1] @ v[0:t1] */
        gemm(CblasNoTrans, CblasNoTrans, t1 - t0, hs, t1, 1, a + (size_t)t0 * T, T, v, C3, 0,
             out + ((size_t)b * T + t0) * C + h * hs, C);
    }
}

/* With dout_h the head's slice of dout:
 *   datt = dout_h @ v^T,   dpre[t,j] = att[t,j] (datt[t,j] - sum_j' att[t,j'] datt[t,j'])
 *   dq += scale dpre @ k,  dk += scale dpre^T @ q,  dv += att^T @ dout_h
 * Pass 1 (per query block) forms dpre in place of datt and dq; pass 2 (per key block)
 * needs the dpre and att columns of all later rows and forms dk and dv. */
void attention_backward(void *ctx, real *dqkv, real *datt, const real *dout, const real *qkv,
                        const real *att, int B, int T, int C, int NH) {
    int hs = C / NH, C3 = 3 * C;
    real scale = (real)1 / sqrt((real)hs);
    int nblk = (T + ATT_BLOCK - 1) / ATT_BLOCK;

#pragma omp parallel for schedule(dynamic, 1)
    for (int task = 0; task < B * NH * nblk; task++) {
        int bh, t0, t1;
        att_task(task, nblk, T, 1, &bh, &t0, &t1);
        int b = bh / NH, h = bh % NH;
        const real *q = qkv + (size_t)b * T * C3 + h * hs;
        const real *k = q + C, *v = q + 2 * C;
        const real *dout_h = dout + (size_t)b * T * C + h * hs;
        real *dq = dqkv + (size_t)b * T * C3 + h * hs;
        const real *a = att + (size_t)bh * T * T;
        real *da = datt + (size_t)bh * T * T;

        gemm(CblasNoTrans, CblasTrans, t1 - t0, t1, hs, 1, dout_h + (size_t)t0 * C, C, v, C3, 0,
             da + (size_t)t0 * T, T);
        for (int t = t0; t < t1; t++)
            softmax_causal_row_backward(da + (size_t)t * T, a + (size_t)t * T, t + 1, T);
        gemm(CblasNoTrans, CblasNoTrans, t1 - t0, hs, t1, scale, da + (size_t)t0 * T, T, k, C3, 1,
             dq + (size_t)t0 * C3, C3);
    }

#pragma omp parallel for schedule(dynamic, 1)
    for (int task = 0; task < B * NH * nblk; task++) {
        int bh, j0, j1;
        att_task(task, nblk, T, 0, &bh, &j0, &j1);
        int b = bh / NH, h = bh % NH;
        const real *q = qkv + (size_t)b * T * C3 + h * hs;
        const real *dout_h = dout + (size_t)b * T * C + h * hs;
        real *dk = dqkv + (size_t)b * T * C3 + C + h * hs, *dv = dk + C;
        const real *a = att + (size_t)bh * T * T;
        const real *da = datt + (size_t)bh * T * T;

        /* keys/values [j0,j1) are seen by query rows [j0,T) */
        gemm(CblasTrans, CblasNoTrans, j1 - j0, hs, T - j0, scale, da + (size_t)j0 * T + j0, T,
             q + (size_t)j0 * C3, C3, 1, dk + (size_t)j0 * C3, C3);
        gemm(CblasTrans, CblasNoTrans, j1 - j0, hs, T - j0, 1, a + (size_t)j0 * T + j0, T,
             dout_h + (size_t)j0 * C, C, 1, dv + (size_t)j0 * C3, C3);
    }
}
