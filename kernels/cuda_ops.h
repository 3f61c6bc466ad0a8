// Private to kernels/: the CUDA twins of host/cpu/cpu_ops.h, one file per op family. Same
// arguments and semantics (see cpu_ops.h): forward ops overwrite, backward ops accumulate
// into gradients, crossentropy_backward overwrites. Pointers are device memory. The
// products in matmul and attention come in two precisions, the rest is fp32.
#ifndef MDL_CUDA_OPS_H
#define MDL_CUDA_OPS_H

#include <cstddef>
#include <cstdint>

#include "real.h"

// embedding.cu
void cuda_embedding_forward(void *ctx, real *out, const int *tokens, const real *wte,
                            const real *wpe, int B, int T, int C);
void cuda_embedding_backward(void *ctx, real *dwte, real *dwpe, const real *dout, const int *tokens,
                             int B, int T, int C);

// rows.cu
void cuda_rows_gather_add(void *ctx, real *out, const real *table, const int *idx, int N, int K,
                          int C);
void cuda_rows_scatter_add(void *ctx, real *dtable, const real *dout, const int *idx, int N, int K,
                           int C);

// layernorm.cu
void cuda_layernorm_forward(void *ctx, real *out, real *mean, real *rstd, const real *inp,
                            const real *weight, const real *bias, int N, int C);
void cuda_layernorm_backward(void *ctx, real *dinp, real *dweight, real *dbias, const real *dout,
                             const real *inp, const real *weight, const real *mean,
                             const real *rstd, int N, int C);

// matmul.cu
void cuda_matmul_forward_fp32(void *ctx, real *out, const real *inp, const real *weight,
                              const real *bias, int N, int C, int OC);
void cuda_matmul_forward_bf16(void *ctx, real *out, const real *inp, const real *weight,
                              const real *bias, int N, int C, int OC);
void cuda_matmul_backward_fp32(void *ctx, real *dinp, real *dweight, real *dbias, const real *dout,
                               const real *inp, const real *weight, int N, int C, int OC);
void cuda_matmul_backward_bf16(void *ctx, real *dinp, real *dweight, real *dbias, const real *dout,
                               const real *inp, const real *weight, int N, int C, int OC);

// attention.cu
void cuda_attention_forward_fp32(void *ctx, real *out, real *att, const real *qkv, int B, int T,
                                 int C, int NH);
void cuda_attention_forward_bf16(void *ctx, real *out, real *att, const real *qkv, int B, int T,
                                 int C, int NH);
void cuda_attention_backward_fp32(void *ctx, real *dqkv, real *datt, const real *dout,
                                  const real *qkv, const real *att, int B, int T, int C, int NH);
void cuda_attention_backward_bf16(void *ctx, real *dqkv, real *datt, const real *dout,
                                  const real *qkv, const real *att, int B, int T, int C, int NH);

// rope.cu
void cuda_rope_forward(void *ctx, real *qkv, int B, int T, int C, int NH, int64_t pos0);
void cuda_rope_backward(void *ctx, real *dqkv, int B, int T, int C, int NH, int64_t pos0);

// copy.cu
void cuda_copy_blocks(void *ctx, real *dst, size_t dst_stride, const real *src, size_t src_stride,
                      int B, size_t n);

// gelu.cu
void cuda_gelu_forward(void *ctx, real *out, const real *inp, size_t n);
void cuda_gelu_backward(void *ctx, real *dinp, const real *inp, const real *dout, size_t n);

// residual.cu
void cuda_residual_forward(void *ctx, real *out, const real *a, const real *b, size_t n);
void cuda_residual_backward(void *ctx, real *da, real *db, const real *dout, size_t n);

// crossentropy.cu
void cuda_crossentropy_forward(void *ctx, real *bits, const real *logits, const int *targets, int N,
                               int V);
void cuda_crossentropy_backward(void *ctx, real *dlogits, const real *logits, const int *targets,
                                const real *weights, int N, int V);

// adamw.cu
void cuda_adamw_update(void *ctx, real *param, const real *grad, real *m, real *v, size_t n,
                       float lr, float beta1, float beta2, float eps, float weight_decay,
                       float grad_scale, int t);
void cuda_adamw_update_rows(void *ctx, real *param, real *grad, real *m, real *v, const int *rows,
                            int nrows, int C, float lr, float beta1, float beta2, float eps,
                            float weight_decay, float grad_scale, int t);

// gradnorm.cu
double cuda_sum_of_squares(void *ctx, const real *x, size_t n);
double cuda_sum_of_squares_rows(void *ctx, const real *x, const int *rows, int nrows, int C);

#endif
