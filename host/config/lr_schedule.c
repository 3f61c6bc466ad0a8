#include "lr_schedule.h"

#include <math.h>

double lr_at(const train_config *tc, uint64_t u, uint64_t total) {
    const double pi = 3.14159265358979323846;
    if (u < tc->warmup) return tc->lr * (double)(u + 1) / (double)tc->warmup;
    switch (tc->schedule) {
    case SCHEDULE_CONSTANT:
        break;
    case SCHEDULE_COSINE: {
        uint64_t span = total > tc->warmup + 1 ? total - tc->warmup - 1 : 1;
        double progress = (double)(u - tc->warmup) / (double)span;
        if (progress > 1.0) progress = 1.0;
        double floor = tc->lr * tc->min_lr_ratio;
        return floor + (tc->lr - floor) * 0.5 * (1.0 + cos(pi * progress));
    }
    case SCHEDULE_INVERSE_SQRT: {
        double w = tc->warmup > 0 ? (double)tc->warmup : 1.0;
        return tc->lr * sqrt(w / (double)(u + (tc->warmup > 0 ? 0 : 1)));
    }
    }
    return tc->lr;
}
