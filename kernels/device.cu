// CUDA device discovery. Links only the runtime API: without a driver (CI, build
// machines) cudaGetDeviceCount fails with cudaErrorInsufficientDriver and we report 0.
#include "cuda_device.h"

#include <cstdio>
#include <cuda_runtime.h>

extern "C" int mdl_cuda_device_count(void) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
        cudaGetLastError(); // clear the sticky error for later calls
        return 0;
    }
    return count;
}

extern "C" int mdl_cuda_device_describe(int i, char *buf, size_t n) {
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) {
        cudaGetLastError();
        if (n) buf[0] = '\0';
        return -1;
    }
    snprintf(buf, n, "%s (sm_%d%d, %.1f GiB)", prop.name, prop.major, prop.minor,
             (double)prop.totalGlobalMem / (1024.0 * 1024.0 * 1024.0));
    return 0;
}

extern "C" const char *mdl_cuda_build_version(void) {
    static char version[32];
    snprintf(version, sizeof version, "%d.%d", CUDART_VERSION / 1000, (CUDART_VERSION % 1000) / 10);
    return version;
}
