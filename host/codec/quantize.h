/* The probabilities the range coder codes with (docs/design.md §7): integer frequencies
 * computed on the host from one position's fp32 logits, identically by the encoder and the
 * decoder (same logits in, same table out, with nothing but IEEE double arithmetic and exp
 * of the C library between them). */
#ifndef MDL_QUANTIZE_H
#define MDL_QUANTIZE_H

#include <stdint.h>

#include "real.h"

#define QUANT_SYMBOLS 256

/* cum[s] = sum of freq[0..s), cum[256] = RC_TOTAL. With p = softmax(logits) in double,
 * freq[s] = 1 + floor(p[s] * (RC_TOTAL - 256)); what the floors leave over goes to the first
 * most probable symbol. Every symbol keeps frequency >= 1, so every byte stays codable; the
 * cost over -log2 p is at most log2(RC_TOTAL / (RC_TOTAL - 256)) = 2.2e-5 bits per symbol
 * plus the floors' rounding. Non-finite logits (a diverged model) give the uniform table. */
void quantize_logits(const real *logits, uint32_t cum[QUANT_SYMBOLS + 1]);

/* The symbol s with cum[s] <= value < cum[s + 1] (value < RC_TOTAL). */
int quantize_find(const uint32_t cum[QUANT_SYMBOLS + 1], uint32_t value);

#endif
