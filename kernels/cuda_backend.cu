// The CUDA backend: its context (the device, the one stream and cuBLAS handle every op
// uses, the scratch buffers), device memory, and the two op tables (fp32 and bf16
// products) that share it.
#include "cuda_backend.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include "cuda_common.h"
#include "cuda_device.h"
#include "cuda_ops.h"
#include "op_timer.h"

// cuBLAS's recommended workspace on Hopper. Setting it explicitly (rather than letting
// cuBLAS allocate per stream) keeps its algorithm choice fixed, one of the conditions of
// cuBLAS's run-to-run reproducibility.
#define CUBLAS_WORKSPACE_BYTES ((size_t)32 << 20)

// The backend's state, one per backend created (cuda_backend_create): the table handed out
// is `backend`, whose ctx points back here.
struct cuda_context {
    mdl_backend backend;
    int device;
    cudaStream_t stream;
    cublasHandle_t cublas;
    void *cublas_workspace;
    void *scratch[SCRATCH_COUNT];
    size_t scratch_bytes[SCRATCH_COUNT];
};

void cuda_die(const char *file, int line, const char *call, const char *why) {
    fprintf(stderr, "%s:%d: CUDA error in %s: %s\n", file, line, call, why);
    fflush(stderr);
    abort();
}

static cuda_context *as_context(void *ctx) {
    if (!ctx) cuda_die(__FILE__, __LINE__, "a CUDA op", "called without the backend's context");
    return (cuda_context *)ctx;
}

cudaStream_t cuda_stream(void *ctx) {
    return as_context(ctx)->stream;
}

cublasHandle_t cuda_cublas(void *ctx) {
    return as_context(ctx)->cublas;
}

void *cuda_scratch(void *ctx, scratch_slot slot, size_t bytes) {
    cuda_context *c = as_context(ctx);
    if (bytes > c->scratch_bytes[slot]) {
        CUDA_CHECK(cudaStreamSynchronize(c->stream)); // earlier ops may still read the old one
        if (c->scratch[slot]) CUDA_CHECK(cudaFree(c->scratch[slot]));
        c->scratch[slot] = NULL;
        c->scratch_bytes[slot] = 0;
        size_t grown = bytes + bytes / 4; // headroom: shapes change a little from step to step
        CUDA_CHECK(cudaMalloc(&c->scratch[slot], grown));
        c->scratch_bytes[slot] = grown;
    }
    return c->scratch[slot];
}

// ---- device functions ------------------------------------------------------------------

// Releases what the context holds and the context; errors are ignored, since this also
// cleans up after a failed create.
static void cuda_destroy(void *ctx) {
    cuda_context *c = (cuda_context *)ctx;
    if (!c) return;
    op_timer_report();
    if (c->stream) cudaStreamSynchronize(c->stream);
    if (c->cublas) cublasDestroy(c->cublas);
    for (int i = 0; i < SCRATCH_COUNT; i++)
        if (c->scratch[i]) cudaFree(c->scratch[i]);
    if (c->cublas_workspace) cudaFree(c->cublas_workspace);
    if (c->stream) cudaStreamDestroy(c->stream);
    cudaGetLastError();
    free(c);
}

static void cuda_describe(void *ctx, char *buf, size_t len) {
    int device = as_context(ctx)->device;
    if (mdl_cuda_device_describe(device, buf, len) != 0)
        snprintf(buf, len, "CUDA device %d", device);
}

static size_t cuda_free_memory(void *ctx) {
    CUDA_CHECK(cudaSetDevice(as_context(ctx)->device));
    size_t free_bytes = 0, total = 0;
    if (cudaMemGetInfo(&free_bytes, &total) != cudaSuccess) {
        cudaGetLastError();
        return 0;
    }
    return free_bytes;
}

static void cuda_synchronize(void *ctx) {
    CUDA_CHECK(cudaStreamSynchronize(cuda_stream(ctx)));
}

static void *cuda_queue(void *ctx) {
    return (void *)cuda_stream(ctx);
}

// ---- memory ---------------------------------------------------------------------------

// Zeroed device memory, or NULL when the device has too little (the model reports it).
static void *cuda_alloc(void *ctx, size_t bytes) {
    cudaStream_t s = cuda_stream(ctx);
    void *p = NULL;
    if (cudaMalloc(&p, bytes ? bytes : 1) != cudaSuccess) {
        cudaGetLastError(); // out of memory is not sticky: clear it
        return NULL;
    }
    CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, s));
    CUDA_CHECK(cudaStreamSynchronize(s));
    return p;
}

static void cuda_release(void *ctx, void *p) {
    if (!p) return;
    CUDA_CHECK(cudaStreamSynchronize(cuda_stream(ctx))); // no queued op still uses p
    CUDA_CHECK(cudaFree(p));
}

static void cuda_upload(void *ctx, void *dst, const void *src, size_t bytes) {
    if (!bytes) return;
    cudaStream_t s = cuda_stream(ctx);
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, s));
    CUDA_CHECK(cudaStreamSynchronize(s));
}

static void cuda_download(void *ctx, void *dst, const void *src, size_t bytes) {
    if (!bytes) return;
    cudaStream_t s = cuda_stream(ctx);
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, s));
    CUDA_CHECK(cudaStreamSynchronize(s));
}

static void cuda_zero(void *ctx, void *p, size_t bytes) {
    if (!bytes) return;
    cudaStream_t s = cuda_stream(ctx);
    CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, s));
    CUDA_CHECK(cudaStreamSynchronize(s));
}

// ---- the tables -------------------------------------------------------------------------

// Designated initializers (C++20, accepted by nvcc's C++17 front end and by g++ as an
// extension): a field added to mdl_ops cannot shift the others.
#define CUDA_OPS_TABLE(NAME, PREC)                                                                 \
    {                                                                                              \
        .name = NAME, .describe = cuda_describe, .free_memory = cuda_free_memory,                  \
        .synchronize = cuda_synchronize, .destroy = cuda_destroy, .queue = cuda_queue,             \
        .alloc = cuda_alloc, .release = cuda_release, .upload = cuda_upload,                       \
        .download = cuda_download, .zero = cuda_zero, .embedding_forward = cuda_embedding_forward, \
        .embedding_backward = cuda_embedding_backward, .rows_gather_add = cuda_rows_gather_add,    \
        .rows_scatter_add = cuda_rows_scatter_add, .layernorm_forward = cuda_layernorm_forward,    \
        .layernorm_backward = cuda_layernorm_backward,                                             \
        .matmul_forward = cuda_matmul_forward_##PREC,                                              \
        .matmul_backward = cuda_matmul_backward_##PREC,                                            \
        .attention_forward = cuda_attention_forward_##PREC,                                        \
        .attention_backward = cuda_attention_backward_##PREC, .rope_forward = cuda_rope_forward,   \
        .rope_backward = cuda_rope_backward, .copy_blocks = cuda_copy_blocks,                      \
        .gelu_forward = cuda_gelu_forward, .gelu_backward = cuda_gelu_backward,                    \
        .residual_forward = cuda_residual_forward, .residual_backward = cuda_residual_backward,    \
        .crossentropy_forward = cuda_crossentropy_forward,                                         \
        .crossentropy_backward = cuda_crossentropy_backward, .adamw_update = cuda_adamw_update,    \
        .adamw_update_rows = cuda_adamw_update_rows, .sum_of_squares = cuda_sum_of_squares,        \
        .sum_of_squares_rows = cuda_sum_of_squares_rows,                                           \
    }

static const mdl_ops cuda_fp32_ops = CUDA_OPS_TABLE("cuda-fp32", fp32);
static const mdl_ops cuda_bf16_ops = CUDA_OPS_TABLE("cuda-bf16", bf16);

// ---- create ------------------------------------------------------------------------------

static int create_fail(cuda_context *c, mdl_err *err, const char *what, const char *why) {
    mdl_fail(err, "CUDA device %d: %s: %s", c->device, what, why);
    cuda_destroy(c);
    return -1;
}

extern "C" int cuda_backend_create(int device, int bf16, mdl_backend **out, mdl_err *err) {
    *out = NULL;
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        cudaGetLastError();
        return mdl_fail(err, "no usable CUDA device: %s", cudaGetErrorString(e));
    }
    if (device < 0 || device >= count)
        return mdl_fail(err, "CUDA device %d does not exist (%d device%s)", device, count,
                        count == 1 ? "" : "s");
    cuda_context *c = (cuda_context *)calloc(1, sizeof *c);
    if (!c) return mdl_fail(err, "out of memory for the CUDA backend");
    c->device = device;
    if ((e = cudaSetDevice(device)) != cudaSuccess ||
        (e = cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking)) != cudaSuccess ||
        (e = cudaMalloc(&c->cublas_workspace, CUBLAS_WORKSPACE_BYTES)) != cudaSuccess) {
        cudaGetLastError();
        return create_fail(c, err, "setup", cudaGetErrorString(e));
    }
    cublasStatus_t s = cublasCreate(&c->cublas);
    if (s == CUBLAS_STATUS_SUCCESS) s = cublasSetStream(c->cublas, c->stream);
    // DEFAULT_MATH with CUBLAS_COMPUTE_32F: fp32 products stay fp32 (no TF32); bf16 operands
    // still use the tensor cores with fp32 accumulation
    if (s == CUBLAS_STATUS_SUCCESS) s = cublasSetMathMode(c->cublas, CUBLAS_DEFAULT_MATH);
    if (s == CUBLAS_STATUS_SUCCESS) s = cublasSetAtomicsMode(c->cublas, CUBLAS_ATOMICS_NOT_ALLOWED);
    if (s == CUBLAS_STATUS_SUCCESS)
        s = cublasSetWorkspace(c->cublas, c->cublas_workspace, CUBLAS_WORKSPACE_BYTES);
    if (s != CUBLAS_STATUS_SUCCESS) return create_fail(c, err, "cuBLAS", cublasGetStatusString(s));
    c->backend.ops = op_timer_wrap(bf16 ? &cuda_bf16_ops : &cuda_fp32_ops);
    c->backend.ctx = c;
    *out = &c->backend;
    return 0;
}
