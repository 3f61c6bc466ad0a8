#include "backend.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "device.h"
#include "dist.h"
#include "model.h"

/* The CPU backend's memory (the model's arrays, and the checkpoint's copies of the weights
 * and both moments, about 3/4 of them) and the per-pass tables (a row of pass figures, and
 * one double per document, held up to four times: the loop's, a checkpoint's being
 * written or read, the merged table), against what the machine has available: refused
 * before anything is allocated, rather than killed later. */
static int check_host_memory(const mdl_backend *be, const mdl_config *cfg, size_t n_docs) {
    double arrays = (double)model_memory_bytes(&cfg->model, (int)cfg->train.streams);
    double need = arrays * 1.75 + (double)cfg->train.passes * (64.0 + 32.0 * (double)n_docs);
    double have = (double)be->ops->free_memory(be->ctx);
    if (have > 0 && need > have)
        return cli_error("the run needs about %.2f GiB of host memory (%u layers, d_model %u, %u "
                         "streams x %u positions, %u passes) but %.2f GiB are available: use a "
                         "smaller model, fewer train.streams or passes",
                         need / (1 << 30), cfg->model.n_layer, cfg->model.d_model,
                         cfg->train.streams, cfg->model.context, cfg->train.passes,
                         have / (1 << 30));
    return 0;
}

/* The model's arrays against the GPU's free memory, before anything is allocated. */
static int check_device_memory(const mdl_backend *be, const mdl_config *cfg) {
    size_t need = model_memory_bytes(&cfg->model, (int)cfg->train.streams);
    size_t have = be->ops->free_memory(be->ctx);
    if (have > 0 && need > have)
        return cli_error("the model needs %.2f GiB of GPU memory (%u streams x %u positions) but "
                         "%.2f GiB are free: use fewer train.streams or a smaller model",
                         (double)need / (1 << 30), cfg->train.streams, cfg->model.context,
                         (double)have / (1 << 30));
    return 0;
}

static const mdl_backend *select_cpu(const mdl_config *cfg, size_t n_docs, char *desc, size_t n) {
    if (cfg->run.precision != PRECISION_FP32) {
        cli_error("run.precision=bf16 needs the CUDA backend (--device cuda); the CPU "
                  "backend computes in fp32");
        return NULL;
    }
    const mdl_backend *be = cpu_backend();
    if (check_host_memory(be, cfg, n_docs) != 0) return NULL;
    be->ops->describe(be->ctx, desc, n); /* with the thread count cli_set_threads set */
    return be;
}

/* The GPU of this rank (by local rank). */
static const mdl_backend *select_cuda(const mdl_config *cfg, char *desc, size_t n) {
    if (cuda_built() && cuda_device_count() == 0) {
        cli_error("--device cuda: no CUDA device is available (no GPU or driver found)");
        return NULL;
    }
    mdl_err err;
    mdl_backend *be;
    if (cuda_create(dist_local_rank(), cfg->run.precision == PRECISION_BF16, &be, &err) != 0) {
        cli_error("--device cuda: %s", err.msg);
        return NULL;
    }
    if (check_device_memory(be, cfg) != 0) {
        mdl_backend_release(be);
        return NULL;
    }
    char gpu[160];
    be->ops->describe(be->ctx, gpu, sizeof gpu);
    snprintf(desc, n, "cuda: %.100s, %s", gpu,
             cfg->run.precision == PRECISION_BF16 ? "bf16" : "fp32");
    return be;
}

const mdl_backend *cli_select_backend(const char *device, const mdl_config *cfg, size_t n_docs,
                                      char *desc, size_t n) {
    int want_cuda =
        strcmp(device, "cuda") == 0 || (strcmp(device, "auto") == 0 && cuda_device_count() > 0);
    return want_cuda ? select_cuda(cfg, desc, n) : select_cpu(cfg, n_docs, desc, n);
}
