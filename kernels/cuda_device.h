/* CUDA device discovery, callable from C. */
#ifndef MDL_CUDA_DEVICE_H
#define MDL_CUDA_DEVICE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

int mdl_cuda_device_count(void);
int mdl_cuda_device_describe(int i, char *buf, size_t n);
const char *mdl_cuda_build_version(void);

#ifdef __cplusplus
}
#endif

#endif
