#include "range_coder.h"

#include <stdlib.h>

#define RC_BITS 48
#define RC_TOP (UINT64_C(1) << RC_BITS)          /* the interval lives below this */
#define RC_BOTTOM (UINT64_C(1) << (RC_BITS - 8)) /* renormalise below this */
#define RC_LOW_MASK (RC_BOTTOM - 1)

static void put_byte(rc_encoder *e, uint8_t b) {
    if (e->failed) return;
    if (e->len == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 4096;
        uint8_t *grown = realloc(e->buf, cap);
        if (!grown) {
            e->failed = 1;
            return;
        }
        e->buf = grown, e->cap = cap;
    }
    e->buf[e->len++] = b;
}

void rc_encoder_init(rc_encoder *e) {
    *e = (rc_encoder){.range = RC_TOP - 1, .pending = 1};
}

/* Moves the top byte of low out. It is final unless a later carry can still reach it: a
 * byte below 0xFF (a carry would stop there) releases the bytes held back, with the carry
 * if there was one; a 0xFF byte joins them. */
static void shift_low(rc_encoder *e) {
    if (e->low < (UINT64_C(0xFF) << (RC_BITS - 8)) || e->low >= RC_TOP) {
        uint8_t carry = (uint8_t)(e->low >> RC_BITS);
        uint8_t byte = e->cache;
        do {
            put_byte(e, (uint8_t)(byte + carry));
            byte = 0xFF;
        } while (--e->pending != 0);
        e->cache = (uint8_t)(e->low >> (RC_BITS - 8));
    }
    e->pending++;
    e->low = (e->low & RC_LOW_MASK) << 8;
}

void rc_encode(rc_encoder *e, uint32_t cum, uint32_t freq) {
    uint64_t r = e->range >> RC_TOTAL_BITS;
    e->low += r * cum;
    e->range = r * freq;
    while (e->range < RC_BOTTOM) {
        e->range <<= 8;
        shift_low(e);
    }
}

int rc_encoder_finish(rc_encoder *e) {
    for (int i = 0; i < RC_BITS / 8 + 1; i++) shift_low(e);
    return e->failed ? -1 : 0;
}

void rc_encoder_free(rc_encoder *e) {
    free(e->buf);
    *e = (rc_encoder){0};
}

static uint8_t next_byte(rc_decoder *d) {
    if (d->pos < d->len) return d->buf[d->pos++];
    d->overrun++;
    return 0;
}

void rc_decoder_init(rc_decoder *d, const uint8_t *buf, size_t len) {
    *d = (rc_decoder){.range = RC_TOP - 1, .buf = buf, .len = len};
    /* the first byte is the encoder's initial cache (0); then the 48 bits of the value */
    for (int i = 0; i < RC_BITS / 8 + 1; i++) d->code = (d->code << 8) | next_byte(d);
    d->code &= RC_TOP - 1;
}

uint32_t rc_decode_value(rc_decoder *d) {
    d->r = d->range >> RC_TOTAL_BITS;
    uint64_t v = d->code / d->r;
    return v < RC_TOTAL ? (uint32_t)v : RC_TOTAL - 1; /* only a damaged code goes past */
}

void rc_decode_update(rc_decoder *d, uint32_t cum, uint32_t freq) {
    d->code -= d->r * cum;
    d->range = d->r * freq;
    while (d->range < RC_BOTTOM) {
        d->code = ((d->code << 8) | next_byte(d)) & (RC_TOP - 1);
        d->range <<= 8;
    }
}
