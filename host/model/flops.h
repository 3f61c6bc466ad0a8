/* Model FLOPs: the one formula mdlbench uses for throughput and MFU.
 *
 * A training step on B sequences of n positions, each also attending to m memory rows
 * (model.memory; 0 without), costs
 *     6 * P_ne * B * n                        (matmuls: 2 forward + 4 backward per weight)
 *   + 6 * n_layer * d_model * B * n * (n + 2m) (attention: QK^T and AV cost 4 d_model per
 *                                            query and key forward, x3 with the backward;
 *                                            query t sees m + t + 1 keys, about m + n/2 on
 *                                            average: the causal mask halves the n x n
 *                                            part, and the CPU kernel skips most of it)
 * and each further repeat of the step (train.repeats_per_step) costs the same again.
 * P_ne is the parameter count without the two embedding tables (they are lookups). The
 * memory rows' own queries, computed and dropped, are not useful work and not counted.
 * Per coded byte this is 6 * P_ne * (n / T) + attention, with n the sequence length
 * (prefix + segment; docs/design.md). The final evaluation pass is not counted. */
#ifndef MDL_FLOPS_H
#define MDL_FLOPS_H

#include <stdint.h>

#include "config.h"

/* FLOPs of one forward + backward pass over B sequences of n positions with m memory rows. */
double model_flops_fwd_bwd(const model_config *mc, uint64_t n_params_nonembedding, uint64_t B,
                           uint64_t n, uint64_t m);

#endif
