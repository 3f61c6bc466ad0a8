/* The CUDA backend: the mdl_ops table of kernels/ and its context, callable from C.
 *
 * cuda_backend_create selects a device and creates the context: the cuBLAS handle, the one
 * stream every op runs on, and the scratch memory. Its table's functions take that context
 * (ops.h), so several backends may live in one process; mdl_backend_release frees it. Two
 * tables share everything but the matrix products (matmul and the two products inside
 * attention): "cuda-fp32" multiplies in fp32 (no TF32), "cuda-bf16" rounds both operands to
 * bf16 and accumulates and writes fp32. Parameters, optimizer moments, softmax and
 * log-likelihoods are fp32 in both. Results are bit-identical run to run on one GPU model
 * and software stack (no float atomics, fixed reduction orders). */
#ifndef MDL_CUDA_BACKEND_H
#define MDL_CUDA_BACKEND_H

#include "error.h"
#include "ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A backend on CUDA device `device` with bf16 (non-zero) or fp32 matrix products. Returns
 * 0 with *out set, or -1 with a one-line reason in err (no device, no driver, out of
 * memory, ...). */
int cuda_backend_create(int device, int bf16, mdl_backend **out, mdl_err *err);

#ifdef __cplusplus
}
#endif

#endif
