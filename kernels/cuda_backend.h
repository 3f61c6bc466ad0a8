/* The CUDA backend: the mdl_ops table of kernels/, callable from C.
 *
 * cuda_backend_init selects a device and creates the cuBLAS handle and the one stream
 * every op runs on; the tables are usable after it and until cuda_backend_shutdown. Two
 * tables share everything but the matrix products (matmul and the two products inside
 * attention): "cuda-fp32" multiplies in fp32 (no TF32), "cuda-bf16" rounds both operands to
 * bf16 and accumulates and writes fp32. Parameters, optimizer moments, softmax and
 * log-likelihoods are fp32 in both. Results are bit-identical run to run on one GPU model
 * and software stack (no float atomics, fixed reduction orders). */
#ifndef MDL_CUDA_BACKEND_H
#define MDL_CUDA_BACKEND_H

#include <stddef.h>

#include "ops.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { MDL_PRECISION_FP32 = 0, MDL_PRECISION_BF16 = 1 } mdl_precision;

/* The static op table of a precision ("cuda-fp32" or "cuda-bf16"). */
const mdl_ops *cuda_backend(mdl_precision p);

/* Selects the device and creates the cuBLAS handle and the stream. Returns 0, or non-zero
 * with a one-line reason in err (no device, no driver, out of memory, ...). Calling it
 * again for the same device does nothing; for another device it shuts down first. */
int cuda_backend_init(int device, char *err, size_t errlen);

/* Releases the handle, the stream and the backend's scratch memory (not the buffers
 * allocated through the table). Safe to call when not initialised. */
void cuda_backend_shutdown(void);

/* Free device memory in bytes (cudaMemGetInfo), 0 if unavailable. */
size_t cuda_backend_free_memory(void);

/* The stream every op runs on (a cudaStream_t), for NCCL's reductions of the gradients
 * (host/dist/dist_nccl.c) to run in order with the ops. */
void *cuda_backend_stream(void);

#ifdef __cplusplus
}
#endif

#endif
