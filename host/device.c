#include "device.h"

#include <stdio.h>
#include <string.h>

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

void cpu_describe(char *buf, size_t n, int threads) {
    char model[256] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "model name", 10) == 0) {
                const char *colon = strchr(line, ':');
                if (colon) {
                    snprintf(model, sizeof model, "%s", colon + 2);
                    model[strcspn(model, "\n")] = '\0';
                }
                break;
            }
        }
        fclose(f);
    }
    snprintf(buf, n, "cpu: %s (%d threads)", model, threads);
}
