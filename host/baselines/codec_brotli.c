/* brotli through libbrotlienc/dec, set up as the brotli command compresses a file with
 * --large_window=<lgwin>: lgwin is the smallest window whose reach (2^lgwin - 16 bytes)
 * covers the input, at least 10, up to BROTLI_LARGE_MAX_WINDOW_BITS (30), and the
 * large-window extension of the format is switched on only when lgwin exceeds the
 * standard limit of 24, as the command does. So up to 16 MiB - 16 bytes of input the
 * stream is standard brotli, identical to plain `brotli -q <level>` on the file; beyond,
 * it keeps matching across the whole input where standard brotli would forget. The size
 * hint is the input size capped at 2^30, as the command's. */
#include <brotli/decode.h>
#include <brotli/encode.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec_impl.h"

/* BrotliEncoderVersion(): 0xMMMmmmPPP in 12-bit fields -> "1.0.9" */
static const char *brotli_version(void) {
    static char version[32];
    uint32_t v = BrotliEncoderVersion();
    snprintf(version, sizeof version, "%u.%u.%u", (unsigned)(v >> 24),
             (unsigned)((v >> 12) & 0xFFF), (unsigned)(v & 0xFFF));
    return version;
}

static int brotli_lgwin(uint64_t total) {
    int lgwin = BROTLI_MIN_WINDOW_BITS;
    while (lgwin < BROTLI_LARGE_MAX_WINDOW_BITS && ((uint64_t)1 << lgwin) - 16 < total) lgwin++;
    return lgwin;
}

static int brotli_enc_init(void **state, const codec_spec *s, uint64_t total, mdl_err *err) {
    BrotliEncoderState *b = BrotliEncoderCreateInstance(NULL, NULL, NULL);
    if (!b) return mdl_fail(err, "out of memory");
    int lgwin = brotli_lgwin(total);
    int ok = BrotliEncoderSetParameter(b, BROTLI_PARAM_QUALITY, (uint32_t)s->level);
    if (lgwin > BROTLI_MAX_WINDOW_BITS)
        ok = ok && BrotliEncoderSetParameter(b, BROTLI_PARAM_LARGE_WINDOW, 1);
    ok = ok && BrotliEncoderSetParameter(b, BROTLI_PARAM_LGWIN, (uint32_t)lgwin);
    if (total > 0) {
        uint32_t hint = total < ((uint64_t)1 << 30) ? (uint32_t)total : (uint32_t)1 << 30;
        ok = ok && BrotliEncoderSetParameter(b, BROTLI_PARAM_SIZE_HINT, hint);
    }
    if (!ok) {
        BrotliEncoderDestroyInstance(b);
        return mdl_fail(err, "cannot set the encoder's parameters");
    }
    *state = b;
    return 0;
}

/* PROCESS until the input is consumed, or FINISH until the stream is complete. */
static int brotli_run(BrotliEncoderState *b, const uint8_t *in, size_t n, BrotliEncoderOperation op,
                      codec_buf *out, mdl_err *err) {
    for (;;) {
        if (codec_buf_reserve(out, 1 << 16, err)) return -1;
        size_t room = out->cap - out->n;
        uint8_t *next_out = out->data + out->n;
        if (!BrotliEncoderCompressStream(b, op, &n, &in, &room, &next_out, NULL))
            return mdl_fail(err, "compression failed");
        out->n = (size_t)(next_out - out->data);
        if (op == BROTLI_OPERATION_FINISH ? BrotliEncoderIsFinished(b)
                                          : n == 0 && !BrotliEncoderHasMoreOutput(b))
            return 0;
    }
}

static int brotli_enc_feed(void *state, const uint8_t *in, size_t n, codec_buf *out, mdl_err *err) {
    return brotli_run(state, in, n, BROTLI_OPERATION_PROCESS, out, err);
}

static int brotli_enc_finish(void *state, codec_buf *out, mdl_err *err) {
    return brotli_run(state, NULL, 0, BROTLI_OPERATION_FINISH, out, err);
}

static void brotli_enc_free(void *state) {
    if (state) BrotliEncoderDestroyInstance(state);
}

static int brotli_decode(const codec_spec *s, const uint8_t *in, size_t n, codec_sink sink,
                         void *ctx, mdl_err *err) {
    (void)s;
    uint8_t *chunk = malloc(CODEC_CHUNK);
    BrotliDecoderState *d = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    int result = 0;
    if (!chunk || !d) result = mdl_fail(err, "out of memory");
    if (!result && !BrotliDecoderSetParameter(d, BROTLI_DECODER_PARAM_LARGE_WINDOW, 1))
        result = mdl_fail(err, "cannot allow large windows in the decoder");
    for (int done = 0; !result && !done;) {
        size_t room = CODEC_CHUNK;
        uint8_t *next_out = chunk;
        BrotliDecoderResult rc = BrotliDecoderDecompressStream(d, &n, &in, &room, &next_out, NULL);
        size_t got = CODEC_CHUNK - room;
        if (rc == BROTLI_DECODER_RESULT_SUCCESS) {
            done = 1;
            if (n > 0) result = mdl_fail(err, "trailing bytes after stream");
        } else if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) {
            result = mdl_fail(err, "truncated stream");
        } else if (rc == BROTLI_DECODER_RESULT_ERROR) {
            result = mdl_fail(err, "decompression failed: %s",
                              BrotliDecoderErrorString(BrotliDecoderGetErrorCode(d)));
        }
        if (!result && got > 0) result = sink(ctx, chunk, got, err);
    }
    if (d) BrotliDecoderDestroyInstance(d);
    free(chunk);
    return result;
}

const codec_ops codec_brotli_ops = {
    .name = "brotli",
    .min_level = 0,
    .max_level = 11,
    .version = brotli_version,
    .enc_init = brotli_enc_init,
    .enc_feed = brotli_enc_feed,
    .enc_finish = brotli_enc_finish,
    .enc_free = brotli_enc_free,
    .decode = brotli_decode,
};
