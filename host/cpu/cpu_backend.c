/* The CPU reference backend: host memory and the ops of host/cpu/. */
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "cpu_ops.h"

/* Zeroed, 64-byte aligned (cache lines and AVX-512 loads). */
static void *cpu_alloc(size_t bytes) {
    size_t rounded = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (p) memset(p, 0, rounded);
    return p;
}

static void cpu_release(void *p) {
    free(p);
}
static void cpu_copy(void *dst, const void *src, size_t bytes) {
    if (bytes) memcpy(dst, src, bytes);
}
static void cpu_zero(void *p, size_t bytes) {
    if (bytes) memset(p, 0, bytes);
}

static const mdl_ops cpu_ops = {
    .name = "cpu",
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

const mdl_ops *cpu_backend(void) {
    return &cpu_ops;
}
