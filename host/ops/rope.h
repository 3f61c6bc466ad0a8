/* RoPE frequencies, one definition for the CPU op (host/cpu/rope.c) and its CUDA twin
 * (kernels/rope.cu), so both rotate by the same angles. */
#ifndef MDL_ROPE_H
#define MDL_ROPE_H

#include <math.h>

#ifdef __CUDACC__
#define MDL_HOST_DEVICE __host__ __device__
#else
#define MDL_HOST_DEVICE
#endif

#define MDL_ROPE_BASE 10000.0

/* theta_i = base^(-2i/hs) radians per position, for pair i < hs/2 of a head of size hs. */
static inline MDL_HOST_DEVICE double rope_theta(int i, int hs) {
    return pow(MDL_ROPE_BASE, -2.0 * (double)i / (double)hs);
}

#endif
