// LayerNorm over the channels of each row: biased variance, eps 1e-5. One warp per row
// (rows are independent: exact causality); the parameter gradients sum over rows with
// the fixed-order column reduction of colsum.cu.
#include "cuda_common.h"
#include "cuda_ops.h"

#define LN_EPS 1e-5f
#define LN_ROWS_PER_BLOCK 8 // warps per block

__global__ void layernorm_forward_kernel(float *out, float *mean, float *rstd, const float *inp,
                                         const float *weight, const float *bias, int N, int C) {
    int row = blockIdx.x * LN_ROWS_PER_BLOCK + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= N) return; // whole warps leave together
    const float *x = inp + (size_t)row * C;
    float *o = out + (size_t)row * C;
    float sum = 0.0f;
    for (int c = lane; c < C; c += 32) sum += x[c];
    float m = warp_sum(sum) / C;
    float var = 0.0f; // two passes: no cancellation (the row stays in L1)
    for (int c = lane; c < C; c += 32) {
        float d = x[c] - m;
        var += d * d;
    }
    float s = 1.0f / sqrtf(warp_sum(var) / C + LN_EPS); // IEEE sqrt and division, as the CPU
    for (int c = lane; c < C; c += 32) o[c] = (x[c] - m) * s * weight[c] + bias[c];
    if (lane == 0) {
        mean[row] = m;
        rstd[row] = s;
    }
}

void cuda_layernorm_forward(void *ctx, real *out, real *mean, real *rstd, const real *inp,
                            const real *weight, const real *bias, int N, int C) {
    if (N <= 0 || C <= 0) return; // a grid of 0 blocks is a launch error
    int blocks = (N + LN_ROWS_PER_BLOCK - 1) / LN_ROWS_PER_BLOCK;
    layernorm_forward_kernel<<<blocks, 32 * LN_ROWS_PER_BLOCK, 0, cuda_stream(ctx)>>>(
        out, mean, rstd, inp, weight, bias, N, C);
    CUDA_LAUNCH_CHECK();
}

// With xhat = (x - mean) * rstd and g = dout * weight:
//   dinp += rstd * (g - mean(g) - xhat * mean(g * xhat))
__global__ void layernorm_backward_inp_kernel(float *dinp, const float *dout, const float *inp,
                                              const float *weight, const float *mean,
                                              const float *rstd, int N, int C) {
    int row = blockIdx.x * LN_ROWS_PER_BLOCK + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (row >= N) return;
    const float *x = inp + (size_t)row * C, *d = dout + (size_t)row * C;
    float *dx = dinp + (size_t)row * C;
    float m = mean[row], s = rstd[row];
    float gsum = 0.0f, gxsum = 0.0f;
    for (int c = lane; c < C; c += 32) {
        float g = d[c] * weight[c];
        gsum += g;
        gxsum += g * (x[c] - m) * s;
    }
    float gmean = warp_sum(gsum) / C, gxmean = warp_sum(gxsum) / C;
    for (int c = lane; c < C; c += 32) {
        float xhat = (x[c] - m) * s;
        dx[c] += s * (d[c] * weight[c] - gmean - xhat * gxmean);
    }
}

// Stage 1 of dweight = sum_n dout * xhat and dbias = sum_n dout: per chunk of COLSUM_ROWS
// rows, 32 columns x 8 row lanes per block, lanes combined in a fixed order.
#define LN_LANES 8

__global__ void layernorm_param_partial_kernel(float *pw, float *pb, const float *dout,
                                               const float *inp, const float *mean,
                                               const float *rstd, int N, int C) {
    __shared__ float sw[LN_LANES][33], sb[LN_LANES][33];
    int c = blockIdx.x * 32 + threadIdx.x;
    int nchunks = colsum_chunks(N);
    for (int chunk = blockIdx.y; chunk < nchunks; chunk += gridDim.y) {
        int n0 = chunk * COLSUM_ROWS, n1 = min(n0 + COLSUM_ROWS, N);
        float w = 0.0f, b = 0.0f;
        if (c < C)
            for (int n = n0 + threadIdx.y; n < n1; n += LN_LANES) {
                float d = dout[(size_t)n * C + c];
                w += d * (inp[(size_t)n * C + c] - mean[n]) * rstd[n];
                b += d;
            }
        sw[threadIdx.y][threadIdx.x] = w;
        sb[threadIdx.y][threadIdx.x] = b;
        __syncthreads();
        if (threadIdx.y == 0 && c < C) {
            float tw = sw[0][threadIdx.x], tb = sb[0][threadIdx.x];
            for (int k = 1; k < LN_LANES; k++) {
                tw += sw[k][threadIdx.x];
                tb += sb[k][threadIdx.x];
            }
            pw[(size_t)chunk * C + c] = tw;
            pb[(size_t)chunk * C + c] = tb;
        }
        __syncthreads();
    }
}

void cuda_layernorm_backward(void *ctx, real *dinp, real *dweight, real *dbias, const real *dout,
                             const real *inp, const real *weight, const real *mean,
                             const real *rstd, int N, int C) {
    if (N <= 0 || C <= 0) return;
    int blocks = (N + LN_ROWS_PER_BLOCK - 1) / LN_ROWS_PER_BLOCK;
    layernorm_backward_inp_kernel<<<blocks, 32 * LN_ROWS_PER_BLOCK, 0, cuda_stream(ctx)>>>(
        dinp, dout, inp, weight, mean, rstd, N, C);
    CUDA_LAUNCH_CHECK();

    int nchunks = colsum_chunks(N);
    size_t np = (size_t)nchunks * C;
    float *pw = (float *)cuda_scratch(ctx, SCRATCH_REDUCE, 2 * np * sizeof(float)), *pb = pw + np;
    dim3 grid((C + 31) / 32, nchunks < 65535 ? nchunks : 65535), block(32, LN_LANES);
    layernorm_param_partial_kernel<<<grid, block, 0, cuda_stream(ctx)>>>(pw, pb, dout, inp, mean,
                                                                         rstd, N, C);
    CUDA_LAUNCH_CHECK();
    cuda_colsum_finish(ctx, dweight, pw, nchunks, C);
    cuda_colsum_finish(ctx, dbias, pb, nchunks, C);
}
