// Strided block copies, the twin of host/cpu/copy.c: one 2D copy on the backend's stream
// (B rows of n elements, pitches in bytes), queued like every op.
#include "cuda_common.h"
#include "cuda_ops.h"

void cuda_copy_blocks(void *ctx, real *dst, size_t dst_stride, const real *src, size_t src_stride,
                      int B, size_t n) {
    if (n == 0 || B <= 0) return;
    CUDA_CHECK(cudaMemcpy2DAsync(dst, dst_stride * sizeof(real), src, src_stride * sizeof(real),
                                 n * sizeof(real), (size_t)B, cudaMemcpyDeviceToDevice,
                                 cuda_stream(ctx)));
}
