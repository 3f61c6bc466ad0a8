/* Learning rate of optimizer update u (0-based) out of total updates. */
#ifndef MDL_LR_SCHEDULE_H
#define MDL_LR_SCHEDULE_H

#include <stdint.h>

#include "config.h"

/* Linear warmup from lr/warmup to lr over the first `warmup` updates, then:
 * constant: lr;
 * cosine: from lr down to lr*min_lr_ratio at the last update;
 * inverse_sqrt: lr * sqrt(warmup / u) (lr / sqrt(u + 1) when warmup is 0). */
double lr_at(const train_config *tc, uint64_t u, uint64_t total);

#endif
