/* The op interface that the backend-agnostic model code calls. host/cpu/ implements it
 * with OpenMP and OpenBLAS (cpu_backend.c); kernels/ implements the same table in CUDA.
 * Pointers to `real` live in the backend's memory (host RAM for the CPU backend). The
 * semantics of every op are documented in host/cpu/cpu_ops.h. */
#ifndef MDL_OPS_H
#define MDL_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "real.h"

/* The byte vocabulary: the head scores 256 bytes, the embedding has one more row for
 * begin-of-stream. Here, not in model.h, because the backends size tables by it. */
#define MDL_VOCAB_OUT 256
#define MDL_VOCAB_IN 257

typedef struct mdl_ops {
    const char *name;

    /* memory: alloc returns zeroed memory or NULL; copies are synchronous */
    void *(*alloc)(size_t bytes);
    void (*release)(void *p);
    void (*upload)(void *dst_backend, const void *src_host, size_t bytes);
    void (*download)(void *dst_host, const void *src_backend, size_t bytes);
    void (*zero)(void *p, size_t bytes);

    void (*embedding_forward)(real *out, const int *tokens, const real *wte, const real *wpe, int B,
                              int T, int C);
    void (*embedding_backward)(real *dwte, real *dwpe, const real *dout, const int *tokens, int B,
                               int T, int C);
    void (*rows_gather_add)(real *out, const real *table, const int *idx, int N, int K, int C);
    void (*rows_scatter_add)(real *dtable, const real *dout, const int *idx, int N, int K, int C);
    void (*layernorm_forward)(real *out, real *mean, real *rstd, const real *inp,
                              const real *weight, const real *bias, int N, int C);
    void (*layernorm_backward)(real *dinp, real *dweight, real *dbias, const real *dout,
                               const real *inp, const real *weight, const real *mean,
                               const real *rstd, int N, int C);
    void (*matmul_forward)(real *out, const real *inp, const real *weight, const real *bias, int N,
                           int C, int OC);
    void (*matmul_backward)(real *dinp, real *dweight, real *dbias, const real *dout,
                            const real *inp, const real *weight, int N, int C, int OC);
    void (*attention_forward)(real *out, real *att, const real *qkv, int B, int T, int C, int NH);
    void (*attention_backward)(real *dqkv, real *datt, const real *dout, const real *qkv,
                               const real *att, int B, int T, int C, int NH);
    void (*rope_forward)(real *qkv, int B, int T, int C, int NH, int64_t pos0);
    void (*rope_backward)(real *dqkv, int B, int T, int C, int NH, int64_t pos0);
    void (*copy_blocks)(real *dst, size_t dst_stride, const real *src, size_t src_stride, int B,
                        size_t n);
    void (*gelu_forward)(real *out, const real *inp, size_t n);
    void (*gelu_backward)(real *dinp, const real *inp, const real *dout, size_t n);
    void (*residual_forward)(real *out, const real *a, const real *b, size_t n);
    void (*residual_backward)(real *da, real *db, const real *dout, size_t n);
    void (*crossentropy_forward)(real *bits, const real *logits, const int *targets, int N, int V);
    void (*crossentropy_backward)(real *dlogits, const real *logits, const int *targets,
                                  const real *weights, int N, int V);
    void (*adamw_update)(real *param, const real *grad, real *m, real *v, size_t n, float lr,
                         float beta1, float beta2, float eps, float weight_decay, float grad_scale,
                         int t);
    void (*adamw_update_rows)(real *param, real *grad, real *m, real *v, const int *rows, int nrows,
                              int C, float lr, float beta1, float beta2, float eps,
                              float weight_decay, float grad_scale, int t);
    double (*sum_of_squares)(const real *x, size_t n);
    double (*sum_of_squares_rows)(const real *x, const int *rows, int nrows, int C);
} mdl_ops;

/* The CPU reference backend (host/cpu/cpu_backend.c). */
const mdl_ops *cpu_backend(void);

#endif
