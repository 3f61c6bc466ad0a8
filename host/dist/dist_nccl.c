/* Gradient sums on GPUs with NCCL (dist.h's dist_gpu_init and dist_sum_gradients), built
 * when CMake finds CUDA, MPI and NCCL. One GPU per rank; the communicator's unique id
 * travels from rank 0 over MPI. The all-reduce runs on the CUDA backend's stream, so it
 * follows the backward pass and precedes the norm and the update in stream order, and
 * every rank receives the same sums (NCCL reduces each element in one ring order and
 * broadcasts it), so the weights stay identical across ranks. */
#include <cuda_runtime.h>
#include <nccl.h>
#include <stdio.h>
#include <stdlib.h>

#include "dist.h"

#include "dist_nccl.h"

static ncclComm_t comm;
static cudaStream_t comm_stream;
static int ready;

int dist_nccl_ready(void) {
    return ready;
}

int dist_nccl_init(void *stream, mdl_err *err) {
    if (dist_world() <= 1 || ready) return 0;
    ncclUniqueId id;
    int failed = dist_rank() == 0 && ncclGetUniqueId(&id) != ncclSuccess;
    dist_max_int(&failed, 1);
    if (failed) return mdl_fail(err, "NCCL: rank 0 could not create the communicator's id");
    dist_broadcast(&id, sizeof id);
    ncclResult_t r = ncclCommInitRank(&comm, dist_world(), id, dist_rank());
    failed = r != ncclSuccess;
    dist_max_int(&failed, 1);
    if (failed)
        return mdl_fail(err, "NCCL: cannot join the %d ranks (%s)", dist_world(),
                        r != ncclSuccess ? ncclGetErrorString(r) : "another rank failed");
    comm_stream = (cudaStream_t)stream;
    ready = 1;
    return 0;
}

void dist_nccl_sum(real *x, size_t n) {
    ncclDataType_t type = sizeof(real) == 4 ? ncclFloat32 : ncclFloat64;
    ncclResult_t r = ncclAllReduce(x, x, n, type, ncclSum, comm, comm_stream);
    if (r != ncclSuccess) { /* a broken communicator: nothing can go on consistently */
        fprintf(stderr, "mdlbench: ncclAllReduce of %zu gradients failed: %s\n", n,
                ncclGetErrorString(r));
        abort();
    }
}

void dist_nccl_finalize(void) {
    if (ready) ncclCommDestroy(comm);
    ready = 0;
}
