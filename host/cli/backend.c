#include "backend.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cpu_describe.h"
#include "device.h"
#include "dist.h"
#include "model.h"
#ifdef MDL_HAVE_CUDA
#include "cuda_backend.h"
#endif

/* MemAvailable of /proc/meminfo in bytes (0: unknown). */
static uint64_t host_memory_available(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return 0;
    char line[256];
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) break;
    fclose(f);
    return (uint64_t)kb * 1024;
}

/* The CPU backend's memory (the model's arrays, and the checkpoint's copies of the weights
 * and both moments, about 3/4 of them) and the per-pass tables, against what the machine
 * has available: refused before anything is allocated, rather than killed later. */
static int check_host_memory(const mdl_config *cfg) {
    double arrays = (double)model_memory_bytes(&cfg->model, (int)cfg->train.streams);
    double need = arrays * 1.75 + (double)cfg->train.passes * 64.0;
    double have = (double)host_memory_available();
    if (have > 0 && need > have)
        return cli_error("the run needs about %.2f GiB of host memory (%u layers, d_model %u, %u "
                         "streams x %u positions, %u passes) but %.2f GiB are available: use a "
                         "smaller model, fewer train.streams or passes",
                         need / (1 << 30), cfg->model.n_layer, cfg->model.d_model,
                         cfg->train.streams, cfg->model.context, cfg->train.passes,
                         have / (1 << 30));
    return 0;
}

/* Picks the backend: cuda when asked (or with auto, when a GPU and the CUDA build are
 * there), else the CPU; checks that the model fits in the device's free memory before
 * anything is allocated. */
const mdl_ops *cli_select_backend(const char *device, const mdl_config *cfg, int threads,
                                  char *desc, size_t n) {
    int want_cuda =
        strcmp(device, "cuda") == 0 || (strcmp(device, "auto") == 0 && cuda_device_count() > 0);
    if (!want_cuda) {
        if (cfg->run.precision != PRECISION_FP32) {
            cli_error("run.precision=bf16 needs the CUDA backend (--device cuda); the CPU "
                      "backend computes in fp32");
            return NULL;
        }
        if (check_host_memory(cfg) != 0) return NULL;
        cpu_describe(desc, n, threads);
        return cpu_backend();
    }
#ifdef MDL_HAVE_CUDA
    char why[256];
    if (cuda_device_count() == 0) {
        cli_error("--device cuda: no CUDA device is available (no GPU or driver found)");
        return NULL;
    }
    if (cuda_backend_init(dist_local_rank(), why, sizeof why) != 0) {
        cli_error("--device cuda: %s", why);
        return NULL;
    }
    size_t need = model_memory_bytes(&cfg->model, (int)cfg->train.streams);
    size_t have = cuda_backend_free_memory();
    if (have > 0 && need > have) {
        cli_error("the model needs %.2f GiB of GPU memory (%u streams x %u positions) but "
                  "%.2f GiB are free: use fewer train.streams or a smaller model",
                  (double)need / (1 << 30), cfg->train.streams, cfg->model.context,
                  (double)have / (1 << 30));
        return NULL;
    }
    char gpu[160];
    if (cuda_device_describe(dist_local_rank(), gpu, sizeof gpu) != 0)
        snprintf(gpu, sizeof gpu, "CUDA device %d", dist_local_rank());
    snprintf(desc, n, "cuda: %.100s, %s", gpu,
             cfg->run.precision == PRECISION_BF16 ? "bf16" : "fp32");
    return cuda_backend(cfg->run.precision == PRECISION_BF16 ? MDL_PRECISION_BF16
                                                             : MDL_PRECISION_FP32);
#else
    cli_error("--device cuda: this is a CPU-only build (configure with CUDA to use a GPU)");
    return NULL;
#endif
}
