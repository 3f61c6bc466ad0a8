/* CPU reference ops: fp32 (or fp64 in the gradient tests), OpenMP across rows, OpenBLAS
 * sgemm for matmuls. One file per op family; kernels/ holds the CUDA twins.
 *
 * Shapes: B sequences (streams) of T positions, C channels, NH heads, N = B*T rows,
 * V vocabulary entries. All arrays are dense row-major.
 *
 * Conventions (as in llm.c): forward functions overwrite their outputs; backward
 * functions ACCUMULATE (+=) into every gradient they write, so callers zero gradients
 * once per backward pass. Results are deterministic for a fixed thread count, and no
 * reduction depends on the values of rows other than its own (exact causality). */
#ifndef MDL_CPU_OPS_H
#define MDL_CPU_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "real.h"

/* embedding.c: out[b,t,:] = wte[tokens[b,t],:] + wpe[t,:]; wpe (and dwpe) NULL: no
 * position term (the model's position is not learned). */
void embedding_forward(void *ctx, real *out, const int *tokens, const real *wte, const real *wpe,
                       int B, int T, int C);
void embedding_backward(void *ctx, real *dwte, real *dwpe, const real *dout, const int *tokens,
                        int B, int T, int C);

/* rows.c: lookups of table rows by index (the hashed n-gram table, host/model/model.c):
 * out[n,:] += table[idx[n*K + j],:] for j = 0..K-1 (in that order), skipping idx < 0; the
 * backward pass accumulates dout[n,:] into the same rows. */
void rows_gather_add(void *ctx, real *out, const real *table, const int *idx, int N, int K, int C);
void rows_scatter_add(void *ctx, real *dtable, const real *dout, const int *idx, int N, int K,
                      int C);

/* layernorm.c: out = (inp - mean) * rstd * weight + bias over the last axis (eps 1e-5);
 * mean and rstd [N] are saved for the backward pass. */
void layernorm_forward(void *ctx, real *out, real *mean, real *rstd, const real *inp,
                       const real *weight, const real *bias, int N, int C);
void layernorm_backward(void *ctx, real *dinp, real *dweight, real *dbias, const real *dout,
                        const real *inp, const real *weight, const real *mean, const real *rstd,
                        int N, int C);

/* matmul.c: out[N,OC] = inp[N,C] @ weight[OC,C]^T + bias[OC] (bias may be NULL). */
void matmul_forward(void *ctx, real *out, const real *inp, const real *weight, const real *bias,
                    int N, int C, int OC);
void matmul_backward(void *ctx, real *dinp, real *dweight, real *dbias, const real *dout,
                     const real *inp, const real *weight, int N, int C, int OC);

/* attention.c: causal multi-head self-attention. qkv [B,T,3C] holds q, k, v side by side
 * (head h uses channels h*C/NH .. (h+1)*C/NH - 1 of each); out [B,T,C]; att [B,NH,T,T]
 * holds the softmax probabilities (entries above the diagonal exactly 0). datt is scratch
 * of the same size for the backward pass. */
void attention_forward(void *ctx, real *out, real *att, const real *qkv, int B, int T, int C,
                       int NH);
void attention_backward(void *ctx, real *dqkv, real *datt, const real *dout, const real *qkv,
                        const real *att, int B, int T, int C, int NH);

/* rope.c: rotary position embedding of the q and k parts of qkv [B,T,3C] in place, at
 * positions pos0 + t, t = 0..T-1, of each sequence (head size C/NH must be even). The
 * backward pass rotates dq and dk of dqkv back in place (the transpose; not an
 * accumulation). */
void rope_forward(void *ctx, real *qkv, int B, int T, int C, int NH, int64_t pos0);
void rope_backward(void *ctx, real *dqkv, int B, int T, int C, int NH, int64_t pos0);

/* copy.c: dst[b * dst_stride + i] = src[b * src_stride + i] for b < B, i < n (elements;
 * the blocks must not overlap): moves rows between the segment memory, the attention
 * window and the per-segment activations. */
void copy_blocks(void *ctx, real *dst, size_t dst_stride, const real *src, size_t src_stride, int B,
                 size_t n);

/* gelu.c: tanh approximation, elementwise over n values. */
void gelu_forward(void *ctx, real *out, const real *inp, size_t n);
void gelu_backward(void *ctx, real *dinp, const real *inp, const real *dout, size_t n);

/* residual.c: out = a + b. */
void residual_forward(void *ctx, real *out, const real *a, const real *b, size_t n);
void residual_backward(void *ctx, real *da, real *db, const real *dout, size_t n);

/* crossentropy.c: bits[i] = -log2 softmax(logits[i,:])[targets[i]], from the log-softmax
 * in the working precision. The backward writes (overwrites) dlogits[i,:] =
 * weights[i] * (softmax(logits[i,:]) - onehot(targets[i])): the gradient of the loss
 * sum_i weights[i] * (-ln p_i); weight 0 masks a position. */
void crossentropy_forward(void *ctx, real *bits, const real *logits, const int *targets, int N,
                          int V);
void crossentropy_backward(void *ctx, real *dlogits, const real *logits, const int *targets,
                           const real *weights, int N, int V);

/* adamw.c: one AdamW step on n parameters with gradients scaled by grad_scale (clipping);
 * t is the 1-based step number used for bias correction; decoupled weight decay. */
void adamw_update(void *ctx, real *param, const real *grad, real *m, real *v, size_t n, float lr,
                  float beta1, float beta2, float eps, float weight_decay, float grad_scale, int t);
/* The same update on rows[0..nrows) of [*, C] arrays only (rows distinct), then those
 * gradient rows set to 0: the lazy update of the hashed n-gram table, whose other rows
 * keep their weights and moments. */
void adamw_update_rows(void *ctx, real *param, real *grad, real *m, real *v, const int *rows,
                       int nrows, int C, float lr, float beta1, float beta2, float eps,
                       float weight_decay, float grad_scale, int t);

/* gradnorm.c: sum of squares accumulated in double, deterministic for a thread count;
 * the _rows form over rows[0..nrows) of a [*, C] array. */
double sum_of_squares(void *ctx, const real *x, size_t n);
double sum_of_squares_rows(void *ctx, const real *x, const int *rows, int nrows, int C);

#endif
