/* What dist.c calls in dist_nccl.c (a build with NCCL); private to the ranks code.
 * dist_nccl.c builds on dist.h's rank primitives, dist.c dispatches here, so neither
 * copies the other's prototypes. */
#ifndef MDL_DIST_NCCL_H
#define MDL_DIST_NCCL_H

#include <stddef.h>

#include "error.h"
#include "real.h"

/* Non-zero once dist_nccl_init has created the communicator. */
int dist_nccl_ready(void);
/* Sums x[0..n) (device memory) over the ranks on the backend's stream. */
void dist_nccl_sum(real *x, size_t n);
int dist_nccl_init(void *stream, mdl_err *err);
void dist_nccl_finalize(void);

#endif
