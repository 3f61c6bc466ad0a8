/* The range coder and the quantiser: round trips over skewed, uniform and carry-heavy
 * tables, the code length against the ideal -log2 q sum, the quantiser's invariants and its
 * cost against the exact softmax, and truncation detected. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quantize.h"
#include "range_coder.h"
#include "rng.h"
#include "tests_common.h"

/* draws of the project's counter-based RNG; saving the counter replays a sequence */
static uint64_t rng_counter;
static uint64_t next_u64(void) {
    return rng_bits(0x2545f4914f6cdd1dull, 0, rng_counter++);
}
static double next_unit(void) {
    return (double)(next_u64() >> 11) * 0x1p-53;
}

/* Random logits with the given spread (0: uniform; 20: one symbol takes almost everything). */
static void random_logits(real *l, double spread) {
    for (int s = 0; s < QUANT_SYMBOLS; s++) l[s] = (real)(spread * (next_unit() - 0.5));
}

/* A symbol drawn from the table. */
static int draw(const uint32_t *cum) {
    return quantize_find(cum, (uint32_t)(next_u64() % RC_TOTAL));
}

static void check_table(const uint32_t *cum) {
    CHECK(cum[0] == 0 && cum[QUANT_SYMBOLS] == RC_TOTAL);
    for (int s = 0; s < QUANT_SYMBOLS; s++) CHECK(cum[s + 1] > cum[s]);
}

/* n symbols, each from its own table built from logits of the given spread; the tables
 * are rebuilt identically for decoding from a saved RNG state. */
static void round_trip(size_t n, double spread, const char *what) {
    uint64_t seed = rng_counter;
    int *sym = malloc(n * sizeof *sym);
    real l[QUANT_SYMBOLS];
    uint32_t cum[QUANT_SYMBOLS + 1];
    rc_encoder e;
    rc_encoder_init(&e);
    double ideal = 0.0;
    for (size_t i = 0; i < n; i++) {
        random_logits(l, spread);
        quantize_logits(l, cum);
        check_table(cum);
        int s = sym[i] = draw(cum);
        ideal -= log2((double)(cum[s + 1] - cum[s]) / RC_TOTAL);
        rc_encode(&e, cum[s], cum[s + 1] - cum[s]);
    }
    CHECK(rc_encoder_finish(&e) == 0);
    /* the coder's own cost: the 7 flushed bytes and a 2^-16 share per symbol at most */
    double slack = 8.0 * 8 + (double)n * 3e-5;
    CHECKF((double)e.len * 8 <= ideal + slack && (double)e.len * 8 >= ideal - 8,
           "%s: %zu bytes for %.1f ideal bits", what, e.len, ideal);
    rng_counter = seed;
    rc_decoder d;
    rc_decoder_init(&d, e.buf, e.len);
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++) {
        random_logits(l, spread);
        quantize_logits(l, cum);
        draw(cum); /* keep the RNG in step with the encoder */
        int s = quantize_find(cum, rc_decode_value(&d));
        rc_decode_update(&d, cum[s], cum[s + 1] - cum[s]);
        wrong += s != sym[i];
    }
    CHECKF(wrong == 0, "%s: %zu of %zu symbols decoded wrong", what, wrong, n);
    CHECKF(d.overrun == 0 && d.pos == d.len, "%s: read %zu of %zu bytes, %llu past the end", what,
           d.pos, d.len, (unsigned long long)d.overrun);
    /* cut short, the decoder notices it read past the end */
    rc_decoder_init(&d, e.buf, e.len > 8 ? e.len - 8 : 0);
    rng_counter = seed;
    for (size_t i = 0; i < n; i++) {
        random_logits(l, spread);
        quantize_logits(l, cum);
        draw(cum);
        int s = quantize_find(cum, rc_decode_value(&d));
        rc_decode_update(&d, cum[s], cum[s + 1] - cum[s]);
    }
    CHECKF(d.overrun > 0, "%s: a truncated code went unnoticed", what);
    rc_encoder_free(&e);
    free(sym);
}

/* Fixed tables that push low towards the top of the interval, so carries run through long
 * strings of 0xFF bytes. */
static void carries(void) {
    rc_encoder e;
    rc_encoder_init(&e);
    const size_t n = 200000;
    uint32_t top = RC_TOTAL - 3; /* the last symbol of a table: [top, RC_TOTAL) */
    for (size_t i = 0; i < n; i++) {
        if (i % 97 == 0)
            rc_encode(&e, 0, 1); /* now and then the bottom, then the top */
        else
            rc_encode(&e, top, RC_TOTAL - top);
    }
    CHECK(rc_encoder_finish(&e) == 0);
    size_t ff = 0;
    for (size_t i = 0; i < e.len; i++) ff += e.buf[i] == 0xFF;
    CHECKF(ff > 0, "the carry test produced no 0xFF byte");
    rc_decoder d;
    rc_decoder_init(&d, e.buf, e.len);
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = rc_decode_value(&d);
        if (i % 97 == 0) {
            wrong += v != 0;
            rc_decode_update(&d, 0, 1);
        } else {
            wrong += v < top;
            rc_decode_update(&d, top, RC_TOTAL - top);
        }
    }
    CHECKF(wrong == 0 && d.overrun == 0, "carries: %zu wrong, %llu read past the end", wrong,
           (unsigned long long)d.overrun);
    rc_encoder_free(&e);
}

/* The quantised table's cost over the exact softmax: KL(p || q) per symbol, bounded by the
 * floor's share and the rounding. */
static void quantiser_cost(void) {
    real l[QUANT_SYMBOLS];
    uint32_t cum[QUANT_SYMBOLS + 1];
    double worst = 0.0;
    for (int t = 0; t < 2000; t++) {
        random_logits(l, t % 4 == 0 ? 0.0 : 5.0 * (t % 7));
        quantize_logits(l, cum);
        double max = l[0], z = 0.0, kl = 0.0;
        for (int s = 1; s < QUANT_SYMBOLS; s++) max = fmax(max, l[s]);
        for (int s = 0; s < QUANT_SYMBOLS; s++) z += exp(l[s] - max);
        for (int s = 0; s < QUANT_SYMBOLS; s++) {
            double p = exp(l[s] - max) / z, q = (double)(cum[s + 1] - cum[s]) / RC_TOTAL;
            if (p > 0) kl += p * log2(p / q);
        }
        worst = fmax(worst, kl);
    }
    CHECKF(worst < 1e-4, "quantisation costs up to %.3g bits per symbol", worst);
    /* a certain symbol gets all but the 255 floors; a non-finite logit gives the uniform table */
    for (int s = 0; s < QUANT_SYMBOLS; s++) l[s] = s == 7 ? 1000.0f : 0.0f;
    quantize_logits(l, cum);
    CHECK(cum[8] - cum[7] == RC_TOTAL - 255);
    l[3] = NAN;
    quantize_logits(l, cum);
    for (int s = 0; s < QUANT_SYMBOLS; s++) CHECK(cum[s + 1] - cum[s] == RC_TOTAL / 256);
    /* ties go to the first most probable symbol, the same on both sides */
    for (int s = 0; s < QUANT_SYMBOLS; s++) l[s] = 0.0f;
    quantize_logits(l, cum);
    CHECK(cum[1] - cum[0] == RC_TOTAL / 256);
}

int main(void) {
    round_trip(100000, 0.0, "uniform");
    round_trip(100000, 8.0, "skewed");
    round_trip(100000, 30.0, "nearly certain");
    round_trip(1, 8.0, "one symbol");
    carries();
    quantiser_cost();
    return tests_done("test_range_coder");
}
