/* Which CUDA devices this build can use (cpu_describe.h describes the CPU). */
#ifndef MDL_DEVICE_H
#define MDL_DEVICE_H

#include <stddef.h>

/* Number of usable CUDA devices: 0 without the CUDA build, without a driver or GPU. */
int cuda_device_count(void);

/* "NVIDIA H200 (sm_90, 139.8 GiB)" for device i; 0 on success. */
int cuda_device_describe(int i, char *buf, size_t n);

/* CUDA runtime version the binary was built against, e.g. "13.0", or "none". */
const char *cuda_build_version(void);

#endif
