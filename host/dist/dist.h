/* Ranks of a data-parallel run (docs/design.md §2): launched by mpirun or srun, each rank owns
 * train.streams / world streams and all keep identical weights. Without MDL_HAVE_MPI (or
 * when the process was not started as one of several ranks) everything here is the trivial
 * single-rank version: rank 0 of 1, and the reductions do nothing.
 *
 * Every reduction sums in fp64 in rank order on rank 0 and broadcasts the result, so each
 * rank gets bit-identical values whatever the MPI library's own reduction order is. All
 * functions but dist_rank, dist_world and dist_local_rank are collective: every rank must
 * call them in the same order with the same n. */
#ifndef MDL_DIST_H
#define MDL_DIST_H

#include <stddef.h>

#include "error.h"
#include "real.h"

/* Starts MPI when the launcher says there is more than one rank (OMPI_COMM_WORLD_SIZE,
 * PMI_SIZE, PMIX_SIZE or SLURM_NTASKS above 1), so a plain single run never touches MPI.
 * Fails when launched as several ranks by a build without MPI. Safe to call twice. */
int dist_init(int *argc, char ***argv, mdl_err *err);

int dist_rank(void);       /* 0 .. world - 1 */
int dist_world(void);      /* 1 unless dist_init started MPI */
int dist_local_rank(void); /* rank among the ranks of this node */
int dist_local_world(void);

/* x[0..n) becomes the sum over ranks (in rank order, in fp64) on every rank. */
void dist_sum_double(double *x, size_t n);
/* The same for reals (gradients): summed in fp64, rounded once. */
void dist_sum_real(real *x, size_t n);
/* The gradients of every rank summed: on the GPU with NCCL once dist_gpu_init has run
 * (device memory), else with dist_sum_real (host memory). */
void dist_sum_gradients(real *g, size_t n);

/* Several ranks on GPUs (a build with NCCL): creates the NCCL communicator, its unique id
 * sent from rank 0 over MPI, to reduce gradients on `stream` (the CUDA backend's) in order
 * with the ops. Each rank's GPU is chosen before, by its local rank. Collective. */
int dist_gpu_init(void *stream, mdl_err *err);
/* Non-zero when this build can reduce gradients on GPUs (NCCL). */
int dist_have_gpu_reduce(void);

/* Rank 0's bytes p[0..n) on every rank (collective). */
void dist_broadcast(void *p, size_t n);

/* x[0..n) becomes the maximum over ranks on every rank (to agree on stop flags). */
void dist_max_int(int *x, size_t n);

/* Ends MPI if dist_init started it (collective: every rank calls it). */
void dist_finalize(void);

#endif
