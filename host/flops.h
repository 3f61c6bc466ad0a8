/* Model FLOPs: the one formula mdlbench uses for throughput and MFU.
 *
 * A training step on B sequences of n positions costs
 *     6 * P_ne * B * n                      (matmuls: 2 forward + 4 backward per weight)
 *   + 6 * n_layer * d_model * B * n * n     (attention: QK^T and AV cost 4 n d_model per
 *                                            position forward, x3 with the backward, and
 *                                            the causal mask halves it; the CPU kernel
 *                                            skips most of the masked half too)
 * and each further repeat of the step (train.repeats_per_step) costs the same again.
 * P_ne is the parameter count without the two embedding tables (they are lookups).
 * Per coded byte this is 6 * P_ne * (n / T) + attention, DESIGN §4's formula with n the
 * sequence length (prefix + segment). The final evaluation pass is not counted. */
#ifndef MDL_FLOPS_H
#define MDL_FLOPS_H

#include <stdint.h>

#include "config.h"

/* FLOPs of one forward + backward pass over B sequences of n positions. */
double model_flops_fwd_bwd(const model_config *mc, uint64_t n_params_nonembedding, uint64_t B,
                           uint64_t n);

#endif
