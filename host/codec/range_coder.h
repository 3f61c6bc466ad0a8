/* A range coder over integer frequency tables (docs/design.md §7): the interval is kept in
 * 48 bits (low, range), renormalised a byte at a time when range falls below 2^40, with the
 * carry into bytes already produced handled by holding back the last byte and the run of
 * 0xFF bytes before it (the scheme of LZMA's range coder, widened from 32 bits). Frequencies
 * sum to RC_TOTAL = 2^24, so each symbol's share of the range is exact to 2^-16 or better and
 * the coder's own loss is negligible beside the quantisation of the probabilities. */
#ifndef MDL_RANGE_CODER_H
#define MDL_RANGE_CODER_H

#include <stddef.h>
#include <stdint.h>

#define RC_TOTAL_BITS 24
#define RC_TOTAL (UINT32_C(1) << RC_TOTAL_BITS)

typedef struct rc_encoder {
    uint64_t low;     /* interval start: 48 bits and the carry in bit 48 */
    uint64_t range;   /* interval width, in [2^40, 2^48) between symbols */
    uint8_t cache;    /* the byte held back for a carry */
    uint64_t pending; /* bytes held back: the cache and the 0xFF bytes after it */
    uint8_t *buf;     /* output, malloc'd */
    size_t len, cap;
    int failed; /* out of memory */
} rc_encoder;

void rc_encoder_init(rc_encoder *e);
/* Codes the symbol whose frequencies are [cum, cum + freq) of RC_TOTAL (freq >= 1). */
void rc_encode(rc_encoder *e, uint32_t cum, uint32_t freq);
/* Flushes the interval; e->buf then holds the code (e->len bytes). 0, or -1 without memory. */
int rc_encoder_finish(rc_encoder *e);
void rc_encoder_free(rc_encoder *e);

typedef struct rc_decoder {
    uint64_t code;  /* offset of the coded value within the interval */
    uint64_t range; /* as the encoder's */
    uint64_t r;     /* range / RC_TOTAL of the symbol being decoded */
    const uint8_t *buf;
    size_t len, pos;
    uint64_t overrun; /* bytes read past the end (treated as 0): a truncated code */
} rc_decoder;

void rc_decoder_init(rc_decoder *d, const uint8_t *buf, size_t len);
/* The cumulative frequency the next symbol's interval holds (< RC_TOTAL); the caller finds
 * the symbol s with cum[s] <= value < cum[s] + freq[s], then calls rc_decode_update. */
uint32_t rc_decode_value(rc_decoder *d);
void rc_decode_update(rc_decoder *d, uint32_t cum, uint32_t freq);

#endif
