/* Strided block copies (cpu_ops.h): B blocks of n elements. */
#include <string.h>

#include "cpu_ops.h"

void copy_blocks(void *ctx, real *dst, size_t dst_stride, const real *src, size_t src_stride, int B,
                 size_t n) {
    if (n == 0) return;
    for (int b = 0; b < B; b++)
        memcpy(dst + (size_t)b * dst_stride, src + (size_t)b * src_stride, n * sizeof(real));
}
