#include "device.h"

#include <stddef.h>

#ifdef MDL_HAVE_CUDA
#include "cuda_device.h"

int cuda_device_count(void) {
    return mdl_cuda_device_count();
}
int cuda_device_describe(int i, char *buf, size_t n) {
    return mdl_cuda_device_describe(i, buf, n);
}
const char *cuda_build_version(void) {
    return mdl_cuda_build_version();
}
#else
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
#endif
