/* The registry of what this build can run on: the one place that knows whether the CUDA
 * backend was built in, so that the rest of the CLI has no #ifdef for it. */
#include "device.h"

#include <stddef.h>
#include <stdio.h>

#ifdef MDL_HAVE_CUDA
#include "cuda_backend.h"
#include "cuda_device.h"

int cuda_built(void) {
    return 1;
}
int cuda_device_count(void) {
    return mdl_cuda_device_count();
}
int cuda_device_describe(int i, char *buf, size_t n) {
    return mdl_cuda_device_describe(i, buf, n);
}
const char *cuda_build_version(void) {
    return mdl_cuda_build_version();
}
int cuda_create(int device, int bf16, mdl_backend **out, mdl_err *err) {
    return cuda_backend_create(device, bf16, out, err);
}
#else
int cuda_built(void) {
    return 0;
}
int cuda_device_count(void) {
    return 0;
}
int cuda_device_describe(int i, char *buf, size_t n) {
    (void)i;
    if (n) buf[0] = '\0';
    return -1;
}
const char *cuda_build_version(void) {
    return "none (CPU-only build)";
}
int cuda_create(int device, int bf16, mdl_backend **out, mdl_err *err) {
    (void)device, (void)bf16;
    *out = NULL;
    return mdl_fail(err, "this is a CPU-only build (configure with CUDA to use a GPU)");
}
#endif
