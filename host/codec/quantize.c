#include "quantize.h"

#include <math.h>

#include "range_coder.h"

static void uniform(uint32_t cum[QUANT_SYMBOLS + 1]) {
    for (int s = 0; s <= QUANT_SYMBOLS; s++) cum[s] = (uint32_t)s * (RC_TOTAL / QUANT_SYMBOLS);
}

void quantize_logits(const real *logits, uint32_t cum[QUANT_SYMBOLS + 1]) {
    int top = 0;
    for (int s = 0; s < QUANT_SYMBOLS; s++) {
        if (!isfinite(logits[s])) {
            uniform(cum);
            return;
        }
        if (logits[s] > logits[top]) top = s;
    }
    double e[QUANT_SYMBOLS], sum = 0.0, max = (double)logits[top];
    for (int s = 0; s < QUANT_SYMBOLS; s++) sum += e[s] = exp((double)logits[s] - max);
    const double spare = (double)(RC_TOTAL - QUANT_SYMBOLS);
    uint32_t freq[QUANT_SYMBOLS], total = 0;
    for (int s = 0; s < QUANT_SYMBOLS; s++) {
        double share = floor(e[s] / sum * spare); /* <= spare: e[s] <= sum */
        freq[s] = 1 + (share < spare ? (uint32_t)share : (uint32_t)spare);
        total += freq[s];
    }
    /* total <= RC_TOTAL by construction: the top symbol takes the rest */
    freq[top] += RC_TOTAL - total;
    cum[0] = 0;
    for (int s = 0; s < QUANT_SYMBOLS; s++) cum[s + 1] = cum[s] + freq[s];
}

int quantize_find(const uint32_t cum[QUANT_SYMBOLS + 1], uint32_t value) {
    int lo = 0, hi = QUANT_SYMBOLS; /* cum[lo] <= value < cum[hi] */
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (cum[mid] <= value)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}
