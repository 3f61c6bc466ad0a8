/* zstd through libzstd's streaming API, set up as the zstd command compresses a file: the
 * size pledged in advance (recorded in the frame header, and it lets the library shrink
 * its tables for small inputs) and a content checksum (the command's default). Long
 * mode adds long-distance matching with a window covering the whole input, up to the
 * library's limit (2^31 on 64-bit), as `zstd --long=<log2 size>`. */
#include <stdlib.h>
#include <zstd.h>

#include "codec_impl.h"

static const char *zstd_version(void) {
    return ZSTD_versionString();
}

/* ceil(log2(total)) within the window-log bounds of this libzstd. */
static int zstd_long_window_log(uint64_t total) {
    ZSTD_bounds b = ZSTD_cParam_getBounds(ZSTD_c_windowLog);
    int log = b.lowerBound;
    while (log < b.upperBound && ((uint64_t)1 << log) < total) log++;
    return log;
}

#define ZSTD_TRY(call, what)                                                                       \
    do {                                                                                           \
        size_t rc_ = (call);                                                                       \
        if (ZSTD_isError(rc_)) {                                                                   \
            ZSTD_freeCCtx(z);                                                                      \
            return mdl_fail(err, "%s failed: %s", what, ZSTD_getErrorName(rc_));                   \
        }                                                                                          \
    } while (0)

static int zstd_enc_init(void **state, const codec_spec *s, uint64_t total, mdl_err *err) {
    ZSTD_CCtx *z = ZSTD_createCCtx();
    if (!z) return mdl_fail(err, "out of memory");
    ZSTD_TRY(ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, s->level), "compression level");
    ZSTD_TRY(ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1), "checksum flag");
    ZSTD_TRY(ZSTD_CCtx_setParameter(z, ZSTD_c_contentSizeFlag, 1), "content size flag");
    if (s->long_mode) {
        ZSTD_TRY(ZSTD_CCtx_setParameter(z, ZSTD_c_enableLongDistanceMatching, 1), "long mode");
        ZSTD_TRY(ZSTD_CCtx_setParameter(z, ZSTD_c_windowLog, zstd_long_window_log(total)),
                 "window log");
    }
    ZSTD_TRY(ZSTD_CCtx_setPledgedSrcSize(z, total), "pledged size");
    *state = z;
    return 0;
}

/* ZSTD_e_continue until the input is consumed, or ZSTD_e_end until the frame is done. */
static int zstd_run(ZSTD_CCtx *z, const uint8_t *in, size_t n, ZSTD_EndDirective op, codec_buf *out,
                    mdl_err *err) {
    ZSTD_inBuffer src = {in, n, 0};
    for (;;) {
        if (codec_buf_reserve(out, ZSTD_CStreamOutSize(), err)) return -1;
        ZSTD_outBuffer dst = {out->data + out->n, out->cap - out->n, 0};
        size_t rc = ZSTD_compressStream2(z, &dst, &src, op);
        out->n += dst.pos;
        if (ZSTD_isError(rc)) return mdl_fail(err, "compression failed: %s", ZSTD_getErrorName(rc));
        if (op == ZSTD_e_end ? rc == 0 : src.pos == src.size) return 0;
    }
}

static int zstd_enc_feed(void *state, const uint8_t *in, size_t n, codec_buf *out, mdl_err *err) {
    return zstd_run(state, in, n, ZSTD_e_continue, out, err);
}

static int zstd_enc_finish(void *state, codec_buf *out, mdl_err *err) {
    return zstd_run(state, NULL, 0, ZSTD_e_end, out, err);
}

static void zstd_enc_free(void *state) {
    ZSTD_freeCCtx(state);
}

static int zstd_decode(const codec_spec *s, const uint8_t *in, size_t n, codec_sink sink, void *ctx,
                       mdl_err *err) {
    (void)s;
    uint8_t *chunk = malloc(CODEC_CHUNK);
    ZSTD_DCtx *d = ZSTD_createDCtx();
    int result = 0;
    if (!chunk || !d) result = mdl_fail(err, "out of memory");
    /* long mode windows exceed the decoder's default limit (2^27) */
    ZSTD_bounds b = ZSTD_dParam_getBounds(ZSTD_d_windowLogMax);
    if (!result && ZSTD_isError(ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, b.upperBound)))
        result = mdl_fail(err, "cannot raise the decoder's window limit");
    ZSTD_inBuffer src = {in, n, 0};
    for (int done = 0; !result && !done;) {
        ZSTD_outBuffer dst = {chunk, CODEC_CHUNK, 0};
        size_t rc = ZSTD_decompressStream(d, &dst, &src);
        if (ZSTD_isError(rc)) {
            result = mdl_fail(err, "decompression failed: %s", ZSTD_getErrorName(rc));
        } else if (rc == 0) {
            done = 1;
            if (src.pos < src.size) result = mdl_fail(err, "trailing bytes after frame");
        } else if (src.pos == src.size && dst.pos == 0) {
            result = mdl_fail(err, "truncated stream");
        }
        if (!result && dst.pos > 0) result = sink(ctx, chunk, dst.pos, err);
    }
    ZSTD_freeDCtx(d);
    free(chunk);
    return result;
}

const codec_ops codec_zstd_ops = {
    .name = "zstd",
    .min_level = 1,
    .max_level = 22,
    .version = zstd_version,
    .enc_init = zstd_enc_init,
    .enc_feed = zstd_enc_feed,
    .enc_finish = zstd_enc_finish,
    .enc_free = zstd_enc_free,
    .decode = zstd_decode,
};
