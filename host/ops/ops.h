/* The op interface that the backend-agnostic model code calls, in ggml's shape: a backend
 * is a table of functions (mdl_ops) and a context (the backend's state: for CUDA the
 * device, its stream, cuBLAS handle and scratch memory; none for the CPU), and every
 * function takes the context first. host/cpu/ fills the table with OpenMP and OpenBLAS
 * (cpu_backend.c); kernels/ fills the same table in CUDA (cuda_backend.cu). Pointers to
 * `real` live in the backend's memory (host RAM for the CPU backend). The semantics of
 * every op are documented in host/cpu/cpu_ops.h. */
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

    /* the device: a one-line description, its free memory in bytes (0: not known), a
     * wait for the work queued so far, the release of the context (NULL: nothing to
     * release), and the native queue the ops run on in order (a cudaStream_t; NULL on the
     * CPU), for collectives that must run in order with them (NCCL) */
    void (*describe)(void *ctx, char *buf, size_t len);
    size_t (*free_memory)(void *ctx);
    void (*synchronize)(void *ctx);
    void (*destroy)(void *ctx);
    void *(*queue)(void *ctx);

    /* memory: alloc returns zeroed memory or NULL; copies are synchronous */
    void *(*alloc)(void *ctx, size_t bytes);
    void (*release)(void *ctx, void *p);
    void (*upload)(void *ctx, void *dst_backend, const void *src_host, size_t bytes);
    void (*download)(void *ctx, void *dst_host, const void *src_backend, size_t bytes);
    void (*zero)(void *ctx, void *p, size_t bytes);

    void (*embedding_forward)(void *ctx, real *out, const int *tokens, const real *wte,
                              const real *wpe, int B, int T, int C);
    void (*embedding_backward)(void *ctx, real *dwte, real *dwpe, const real *dout,
                               const int *tokens, int B, int T, int C);
    void (*rows_gather_add)(void *ctx, real *out, const real *table, const int *idx, int N, int K,
                            int C);
    void (*rows_scatter_add)(void *ctx, real *dtable, const real *dout, const int *idx, int N,
                             int K, int C);
    void (*layernorm_forward)(void *ctx, real *out, real *mean, real *rstd, const real *inp,
                              const real *weight, const real *bias, int N, int C);
    void (*layernorm_backward)(void *ctx, real *dinp, real *dweight, real *dbias, const real *dout,
                               const real *inp, const real *weight, const real *mean,
                               const real *rstd, int N, int C);
    void (*matmul_forward)(void *ctx, real *out, const real *inp, const real *weight,
                           const real *bias, int N, int C, int OC);
    void (*matmul_backward)(void *ctx, real *dinp, real *dweight, real *dbias, const real *dout,
                            const real *inp, const real *weight, int N, int C, int OC);
    void (*attention_forward)(void *ctx, real *out, real *att, const real *qkv, int B, int T, int C,
                              int NH);
    void (*attention_backward)(void *ctx, real *dqkv, real *datt, const real *dout, const real *qkv,
                               const real *att, int B, int T, int C, int NH);
    void (*rope_forward)(void *ctx, real *qkv, int B, int T, int C, int NH, int64_t pos0);
    void (*rope_backward)(void *ctx, real *dqkv, int B, int T, int C, int NH, int64_t pos0);
    void (*copy_blocks)(void *ctx, real *dst, size_t dst_stride, const real *src, size_t src_stride,
                        int B, size_t n);
    void (*gelu_forward)(void *ctx, real *out, const real *inp, size_t n);
    void (*gelu_backward)(void *ctx, real *dinp, const real *inp, const real *dout, size_t n);
    void (*residual_forward)(void *ctx, real *out, const real *a, const real *b, size_t n);
    void (*residual_backward)(void *ctx, real *da, real *db, const real *dout, size_t n);
    void (*crossentropy_forward)(void *ctx, real *bits, const real *logits, const int *targets,
                                 int N, int V);
    void (*crossentropy_backward)(void *ctx, real *dlogits, const real *logits, const int *targets,
                                  const real *weights, int N, int V);
    void (*adamw_update)(void *ctx, real *param, const real *grad, real *m, real *v, size_t n,
                         float lr, float beta1, float beta2, float eps, float weight_decay,
                         float grad_scale, int t);
    void (*adamw_update_rows)(void *ctx, real *param, real *grad, real *m, real *v, const int *rows,
                              int nrows, int C, float lr, float beta1, float beta2, float eps,
                              float weight_decay, float grad_scale, int t);
    double (*sum_of_squares)(void *ctx, const real *x, size_t n);
    double (*sum_of_squares_rows)(void *ctx, const real *x, const int *rows, int nrows, int C);
} mdl_ops;

/* A backend: its table and the context every function of it takes. */
typedef struct mdl_backend {
    const mdl_ops *ops;
    void *ctx;
} mdl_backend;

/* Releases a backend's context (the buffers allocated through it must be released first). */
static inline void mdl_backend_release(const mdl_backend *be) {
    if (be && be->ops && be->ops->destroy) be->ops->destroy(be->ctx);
}

/* The CPU reference backend (host/cpu/cpu_backend.c): no state, so one static backend. */
const mdl_backend *cpu_backend(void);

#endif
