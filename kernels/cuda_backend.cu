// The CUDA backend: device memory, the one stream and cuBLAS handle every op uses, the
// scratch buffers, and the two op tables (fp32 and bf16 products).
#include "cuda_backend.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include "cuda_common.h"
#include "cuda_ops.h"
#include "op_timer.h"

// cuBLAS's recommended workspace on Hopper. Setting it explicitly (rather than letting
// cuBLAS allocate per stream) keeps its algorithm choice fixed, one of the conditions of
// cuBLAS's run-to-run reproducibility.
#define CUBLAS_WORKSPACE_BYTES ((size_t)32 << 20)

struct cuda_context {
    bool ready;
    int device;
    cudaStream_t stream;
    cublasHandle_t cublas;
    void *cublas_workspace;
    void *scratch[SCRATCH_COUNT];
    size_t scratch_bytes[SCRATCH_COUNT];
};

static cuda_context ctx;

void cuda_die(const char *file, int line, const char *call, const char *why) {
    fprintf(stderr, "%s:%d: CUDA error in %s: %s\n", file, line, call, why);
    fflush(stderr);
    abort();
}

static void require_ready(void) {
    if (!ctx.ready)
        cuda_die(__FILE__, __LINE__, "a CUDA op", "the backend is used before cuda_backend_init");
}

cudaStream_t cuda_stream(void) {
    require_ready();
    return ctx.stream;
}

cublasHandle_t cuda_cublas(void) {
    require_ready();
    return ctx.cublas;
}

void *cuda_scratch(scratch_slot slot, size_t bytes) {
    require_ready();
    if (bytes > ctx.scratch_bytes[slot]) {
        CUDA_CHECK(cudaStreamSynchronize(ctx.stream)); // earlier ops may still read the old one
        if (ctx.scratch[slot]) CUDA_CHECK(cudaFree(ctx.scratch[slot]));
        ctx.scratch[slot] = NULL;
        ctx.scratch_bytes[slot] = 0;
        size_t grown = bytes + bytes / 4; // headroom: shapes change a little from step to step
        CUDA_CHECK(cudaMalloc(&ctx.scratch[slot], grown));
        ctx.scratch_bytes[slot] = grown;
    }
    return ctx.scratch[slot];
}

// ---- init / shutdown -----------------------------------------------------------------

static int init_fail(char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    cuda_backend_shutdown();
    return -1;
}

extern "C" int cuda_backend_init(int device, char *err, size_t errlen) {
    if (ctx.ready && ctx.device == device) return 0;
    cuda_backend_shutdown();
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        cudaGetLastError();
        return init_fail(err, errlen, "no usable CUDA device: %s", cudaGetErrorString(e));
    }
    if (device < 0 || device >= count)
        return init_fail(err, errlen, "CUDA device %d does not exist (%d device%s)", device, count,
                         count == 1 ? "" : "s");
    if ((e = cudaSetDevice(device)) != cudaSuccess ||
        (e = cudaStreamCreateWithFlags(&ctx.stream, cudaStreamNonBlocking)) != cudaSuccess ||
        (e = cudaMalloc(&ctx.cublas_workspace, CUBLAS_WORKSPACE_BYTES)) != cudaSuccess) {
        cudaGetLastError();
        return init_fail(err, errlen, "CUDA device %d: %s", device, cudaGetErrorString(e));
    }
    cublasStatus_t s = cublasCreate(&ctx.cublas);
    if (s == CUBLAS_STATUS_SUCCESS) s = cublasSetStream(ctx.cublas, ctx.stream);
    // DEFAULT_MATH with CUBLAS_COMPUTE_32F: fp32 products stay fp32 (no TF32); bf16 operands
    // still use the tensor cores with fp32 accumulation
    if (s == CUBLAS_STATUS_SUCCESS) s = cublasSetMathMode(ctx.cublas, CUBLAS_DEFAULT_MATH);
    if (s == CUBLAS_STATUS_SUCCESS)
        s = cublasSetAtomicsMode(ctx.cublas, CUBLAS_ATOMICS_NOT_ALLOWED);
    if (s == CUBLAS_STATUS_SUCCESS)
        s = cublasSetWorkspace(ctx.cublas, ctx.cublas_workspace, CUBLAS_WORKSPACE_BYTES);
    if (s != CUBLAS_STATUS_SUCCESS)
        return init_fail(err, errlen, "cuBLAS on CUDA device %d: %s", device,
                         cublasGetStatusString(s));
    ctx.device = device;
    ctx.ready = true;
    return 0;
}

extern "C" void cuda_backend_shutdown(void) {
    op_timer_report();
    // errors are ignored here: shutdown also cleans up after a failed init
    if (ctx.stream) cudaStreamSynchronize(ctx.stream);
    if (ctx.cublas) cublasDestroy(ctx.cublas);
    for (int i = 0; i < SCRATCH_COUNT; i++)
        if (ctx.scratch[i]) cudaFree(ctx.scratch[i]);
    if (ctx.cublas_workspace) cudaFree(ctx.cublas_workspace);
    if (ctx.stream) cudaStreamDestroy(ctx.stream);
    cudaGetLastError();
    ctx = cuda_context{};
}

extern "C" size_t cuda_backend_free_memory(void) {
    size_t free_bytes = 0, total = 0;
    if (cudaMemGetInfo(&free_bytes, &total) != cudaSuccess) {
        cudaGetLastError();
        return 0;
    }
    return free_bytes;
}

extern "C" void *cuda_backend_stream(void) {
    return (void *)cuda_stream();
}

// ---- memory ---------------------------------------------------------------------------

// Zeroed device memory, or NULL when the device has too little (the model reports it).
static void *cuda_alloc(size_t bytes) {
    require_ready();
    void *p = NULL;
    if (cudaMalloc(&p, bytes ? bytes : 1) != cudaSuccess) {
        cudaGetLastError(); // out of memory is not sticky: clear it
        return NULL;
    }
    CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, ctx.stream));
    CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
    return p;
}

static void cuda_release(void *p) {
    if (!p) return;
    CUDA_CHECK(cudaStreamSynchronize(cuda_stream())); // no queued op still uses p
    CUDA_CHECK(cudaFree(p));
}

static void cuda_upload(void *dst, const void *src, size_t bytes) {
    if (!bytes) return;
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, cuda_stream()));
    CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
}

static void cuda_download(void *dst, const void *src, size_t bytes) {
    if (!bytes) return;
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, cuda_stream()));
    CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
}

static void cuda_zero(void *p, size_t bytes) {
    if (!bytes) return;
    CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, cuda_stream()));
    CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
}

// ---- the tables -------------------------------------------------------------------------

// Designated initializers (C++20, accepted by nvcc's C++17 front end and by g++ as an
// extension): a field added to mdl_ops cannot shift the others.
#define CUDA_OPS_TABLE(NAME, PREC)                                                                 \
    {                                                                                              \
        .name = NAME, .alloc = cuda_alloc, .release = cuda_release, .upload = cuda_upload,         \
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

extern "C" const mdl_ops *cuda_backend(mdl_precision p) {
    return op_timer_wrap(p == MDL_PRECISION_BF16 ? &cuda_bf16_ops : &cuda_fp32_ops);
}
