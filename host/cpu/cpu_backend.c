/* The CPU reference backend: host memory and the ops of host/cpu/. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "cpu_describe.h"
#include "cpu_ops.h"

/* The CPU reference keeps no state: every function takes the context (ops.h) and ignores
 * it; the one backend is static. */

/* Zeroed, 64-byte aligned (cache lines and AVX-512 loads). */
static void *cpu_alloc(void *ctx, size_t bytes) {
    (void)ctx;
    size_t rounded = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (p) memset(p, 0, rounded);
    return p;
}

static void cpu_release(void *ctx, void *p) {
    (void)ctx;
    free(p);
}
static void cpu_copy(void *ctx, void *dst, const void *src, size_t bytes) {
    (void)ctx;
    if (bytes) memcpy(dst, src, bytes);
}
static void cpu_zero(void *ctx, void *p, size_t bytes) {
    (void)ctx;
    if (bytes) memset(p, 0, bytes);
}

/* The host's MemAvailable (/proc/meminfo) in bytes, 0 when unknown. */
static size_t cpu_free_memory(void *ctx) {
    (void)ctx;
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return 0;
    char line[256];
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) break;
    fclose(f);
    return (size_t)kb * 1024;
}

static void cpu_describe_backend(void *ctx, char *buf, size_t len) {
    (void)ctx;
    cpu_describe(buf, len, omp_get_max_threads());
}

/* Every op has returned when its call does: nothing is queued. */
static void cpu_synchronize(void *ctx) {
    (void)ctx;
}

static const mdl_ops cpu_ops = {
    .name = "cpu",
    .describe = cpu_describe_backend,
    .free_memory = cpu_free_memory,
    .synchronize = cpu_synchronize,
    .destroy = NULL,
    .queue = NULL,
    .alloc = cpu_alloc,
    .release = cpu_release,
    .upload = cpu_copy,
    .download = cpu_copy,
    .zero = cpu_zero,
    .embedding_forward = embedding_forward,
    .embedding_backward = embedding_backward,
    .rows_gather_add = rows_gather_add,
    .rows_scatter_add = rows_scatter_add,
    .layernorm_forward = layernorm_forward,
    .layernorm_backward = layernorm_backward,
    .matmul_forward = matmul_forward,
    .matmul_backward = matmul_backward,
    .attention_forward = attention_forward,
    .attention_backward = attention_backward,
    .rope_forward = rope_forward,
    .rope_backward = rope_backward,
    .copy_blocks = copy_blocks,
    .gelu_forward = gelu_forward,
    .gelu_backward = gelu_backward,
    .residual_forward = residual_forward,
    .residual_backward = residual_backward,
    .crossentropy_forward = crossentropy_forward,
    .crossentropy_backward = crossentropy_backward,
    .adamw_update = adamw_update,
    .adamw_update_rows = adamw_update_rows,
    .sum_of_squares = sum_of_squares,
    .sum_of_squares_rows = sum_of_squares_rows,
};

static const mdl_backend cpu = {&cpu_ops, NULL};

const mdl_backend *cpu_backend(void) {
    return &cpu;
}
