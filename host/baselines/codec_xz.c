/* xz through liblzma: the .xz format with a preset (optionally LZMA_PRESET_EXTREME) and
 * a CRC64 check, xz's defaults, i.e. `xz -<level>[e]` in its single-threaded mode. */
#include <lzma.h>
#include <stdlib.h>

#include "codec_impl.h"

static const char *xz_version(void) {
    return lzma_version_string();
}

static int xz_enc_init(void **state, const codec_spec *s, uint64_t total, mdl_err *err) {
    (void)total;
    lzma_stream *x = malloc(sizeof *x);
    if (!x) return mdl_fail(err, "out of memory");
    *x = (lzma_stream)LZMA_STREAM_INIT;
    uint32_t preset = (uint32_t)s->level | (s->extreme ? LZMA_PRESET_EXTREME : 0);
    lzma_ret rc = lzma_easy_encoder(x, preset, LZMA_CHECK_CRC64);
    if (rc != LZMA_OK) {
        free(x);
        return mdl_fail(err, "lzma_easy_encoder failed (%d)", (int)rc);
    }
    *state = x;
    return 0;
}

/* LZMA_RUN until the input is consumed, or LZMA_FINISH until the stream ends. */
static int xz_run(lzma_stream *x, const uint8_t *in, size_t n, lzma_action action, codec_buf *out,
                  mdl_err *err) {
    x->next_in = in;
    x->avail_in = n;
    for (;;) {
        if (codec_buf_reserve(out, 1 << 16, err)) return -1;
        size_t room = out->cap - out->n;
        x->next_out = out->data + out->n;
        x->avail_out = room;
        lzma_ret rc = lzma_code(x, action);
        out->n += room - x->avail_out;
        if (rc == LZMA_STREAM_END) return 0;
        if (rc != LZMA_OK) return mdl_fail(err, "lzma_code failed (%d)", (int)rc);
        if (action == LZMA_RUN && x->avail_in == 0) return 0;
    }
}

static int xz_enc_feed(void *state, const uint8_t *in, size_t n, codec_buf *out, mdl_err *err) {
    return xz_run(state, in, n, LZMA_RUN, out, err);
}

static int xz_enc_finish(void *state, codec_buf *out, mdl_err *err) {
    return xz_run(state, NULL, 0, LZMA_FINISH, out, err);
}

static void xz_enc_free(void *state) {
    if (!state) return;
    lzma_end(state);
    free(state);
}

static int xz_decode(const codec_spec *s, const uint8_t *in, size_t n, codec_sink sink, void *ctx,
                     mdl_err *err) {
    (void)s;
    uint8_t *chunk = malloc(CODEC_CHUNK);
    lzma_stream x = LZMA_STREAM_INIT;
    if (!chunk) return mdl_fail(err, "out of memory");
    if (lzma_stream_decoder(&x, UINT64_MAX, 0) != LZMA_OK) {
        free(chunk);
        return mdl_fail(err, "lzma_stream_decoder failed");
    }
    x.next_in = in;
    x.avail_in = n;
    int result = 0;
    for (int done = 0; !done;) {
        x.next_out = chunk;
        x.avail_out = CODEC_CHUNK;
        /* all input is given at once, so LZMA_FINISH: a truncated stream is an error */
        lzma_ret rc = lzma_code(&x, LZMA_FINISH);
        size_t got = CODEC_CHUNK - x.avail_out;
        if (rc == LZMA_STREAM_END) {
            done = 1;
            if (x.avail_in > 0) result = mdl_fail(err, "trailing bytes after stream");
        } else if (rc == LZMA_BUF_ERROR) {
            result = mdl_fail(err, "truncated stream");
        } else if (rc != LZMA_OK) {
            result = mdl_fail(err, "lzma_code failed (%d)", (int)rc);
        }
        if (result == 0 && got > 0) result = sink(ctx, chunk, got, err);
        if (result) break;
    }
    lzma_end(&x);
    free(chunk);
    return result;
}

const codec_ops codec_xz_ops = {
    .name = "xz",
    .min_level = 0,
    .max_level = 9,
    .version = xz_version,
    .enc_init = xz_enc_init,
    .enc_feed = xz_enc_feed,
    .enc_finish = xz_enc_finish,
    .enc_free = xz_enc_free,
    .decode = xz_decode,
};
