/* What this build can run on: the CUDA devices and their backend (cpu_describe.h describes
 * the CPU, whose backend is cpu_backend()). */
#ifndef MDL_DEVICE_H
#define MDL_DEVICE_H

#include <stddef.h>

#include "error.h"
#include "ops.h"

/* 1 when this build has the CUDA backend. */
int cuda_built(void);

/* Number of usable CUDA devices: 0 without the CUDA build, without a driver or GPU. */
int cuda_device_count(void);

/* "NVIDIA H200 (sm_90, 139.8 GiB)" for device i; 0 on success. */
int cuda_device_describe(int i, char *buf, size_t n);

/* CUDA runtime version the binary was built against, e.g. "13.0", or "none". */
const char *cuda_build_version(void);

/* The CUDA backend on `device` with bf16 or fp32 products (kernels/cuda_backend.h); in a
 * CPU-only build, -1 and a one-line reason. Release with mdl_backend_release. */
int cuda_create(int device, int bf16, mdl_backend **out, mdl_err *err);

#endif
