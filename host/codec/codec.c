#include "codec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quantize.h"
#include "range_coder.h"

typedef struct codec_ctx {
    const corpus *c; /* encoding: the bytes coded */
    uint8_t *out;    /* decoding: where they go */
    rc_encoder enc;
    rc_decoder dec;
    double quantized_bits;
} codec_ctx;

static double symbol_bits(const uint32_t *cum, int s) {
    return -log2((double)(cum[s + 1] - cum[s]) / (double)RC_TOTAL);
}

static int encode_positions(void *ctx, const real *logits, const uint64_t *offsets, size_t n,
                            mdl_err *err) {
    (void)err;
    codec_ctx *x = ctx;
    uint32_t cum[QUANT_SYMBOLS + 1];
    for (size_t i = 0; i < n; i++) {
        uint8_t byte;
        corpus_copy(x->c, offsets[i], 1, &byte);
        quantize_logits(logits + i * QUANT_SYMBOLS, cum);
        rc_encode(&x->enc, cum[byte], cum[byte + 1] - cum[byte]);
        x->quantized_bits += symbol_bits(cum, byte);
    }
    return 0;
}

static int decode_positions(void *ctx, const real *logits, const uint64_t *offsets, size_t n,
                            mdl_err *err) {
    codec_ctx *x = ctx;
    uint32_t cum[QUANT_SYMBOLS + 1];
    for (size_t i = 0; i < n; i++) {
        quantize_logits(logits + i * QUANT_SYMBOLS, cum);
        int s = quantize_find(cum, rc_decode_value(&x->dec));
        rc_decode_update(&x->dec, cum[s], cum[s + 1] - cum[s]);
        x->out[offsets[i]] = (uint8_t)s;
        x->quantized_bits += symbol_bits(cum, s);
    }
    /* the flush leaves 7 bytes beyond the last symbol's: reading further means truncation */
    if (x->dec.overrun > 0)
        return mdl_fail(err, "truncated: the code ends before the data (%zu payload bytes)",
                        x->dec.len);
    return 0;
}

/* The loop with the coder attached: every hook of progress, and the coder. */
static int run_coded(const mdl_config *cfg, const corpus *c, const mdl_backend *be,
                     const preq_hooks *progress, const preq_coder *coder, codec_stats *st,
                     mdl_err *err) {
    preq_hooks hooks = progress ? *progress : (preq_hooks){0};
    hooks.coder = coder;
    preq_result res;
    int rc = prequential_run(cfg, c, be, &hooks, &res, err);
    if (rc != 0) return rc == PREQ_STOPPED ? mdl_fail(err, "stopped") : -1;
    st->preq_bits = res.preq_bits;
    st->seconds = res.train_s;
    preq_result_free(&res);
    return 0;
}

int codec_encode(const mdl_config *cfg, const corpus *c, const mdl_backend *be,
                 const preq_hooks *progress, uint8_t **payload, size_t *n, codec_stats *st,
                 mdl_err *err) {
    *payload = NULL, *n = 0;
    *st = (codec_stats){0};
    if (c->n_bytes == 0) return 0; /* nothing to code: the header says it all */
    codec_ctx x = {.c = c};
    rc_encoder_init(&x.enc);
    preq_coder coder = {&x, 0, encode_positions};
    int rc = run_coded(cfg, c, be, progress, &coder, st, err);
    if (rc == 0 && rc_encoder_finish(&x.enc) != 0) rc = mdl_fail(err, "out of memory for the code");
    if (rc != 0) {
        rc_encoder_free(&x.enc);
        return -1;
    }
    st->quantized_bits = x.quantized_bits;
    *payload = x.enc.buf;
    *n = x.enc.len;
    return 0;
}

int codec_decode(const mdl_config *cfg, const uint64_t *sizes, size_t n_docs, const mdl_backend *be,
                 const preq_hooks *progress, const uint8_t *payload, size_t n, uint8_t *out,
                 codec_stats *st, mdl_err *err) {
    *st = (codec_stats){0};
    corpus c = {.docs = calloc(n_docs ? n_docs : 1, sizeof *c.docs), .n_docs = n_docs};
    if (!c.docs) return mdl_fail(err, "out of memory for the document table");
    for (size_t i = 0; i < n_docs; i++) {
        c.docs[i] = (corpus_doc){.name = "",
                                 .shown = "",
                                 .offset = c.n_bytes,
                                 .size = sizes[i],
                                 .bytes = sizes[i] ? out + c.n_bytes : NULL,
                                 .source = i};
        c.n_bytes += sizes[i];
    }
    int rc = 0;
    if (c.n_bytes > 0) {
        memset(out, 0, (size_t)c.n_bytes); /* the placeholders of bytes not decoded yet */
        codec_ctx x = {.out = out};
        rc_decoder_init(&x.dec, payload, n);
        preq_coder coder = {&x, 1, decode_positions};
        rc = run_coded(cfg, &c, be, progress, &coder, st, err);
        st->quantized_bits = x.quantized_bits;
    } else if (n != 0) {
        rc = mdl_fail(err, "a payload of %zu bytes for an empty corpus", n);
    }
    free(c.docs);
    return rc;
}
