/* bzip2 through libbz2: block size level * 100 kB and the default work factor (30), the
 * parameters of `bzip2 -<level>`, so the stream is the command's byte for byte. */
#include <bzlib.h>
#include <stdlib.h>
#include <string.h>

#include "codec_impl.h"

/* "1.0.8, 13-Jul-2019" -> "1.0.8" */
static const char *bzip2_version(void) {
    static char version[32];
    const char *full = BZ2_bzlibVersion();
    size_t len = strcspn(full, ",");
    if (len >= sizeof version) len = sizeof version - 1;
    memcpy(version, full, len);
    version[len] = '\0';
    return version;
}

static int bzip2_enc_init(void **state, const codec_spec *s, uint64_t total, mdl_err *err) {
    (void)total;
    bz_stream *b = calloc(1, sizeof *b);
    if (!b) return mdl_fail(err, "out of memory");
    int rc = BZ2_bzCompressInit(b, s->level, 0, 30);
    if (rc != BZ_OK) {
        free(b);
        return mdl_fail(err, "BZ2_bzCompressInit failed (%d)", rc);
    }
    *state = b;
    return 0;
}

/* BZ_RUN until the input is consumed, or BZ_FINISH until the stream ends. */
static int bzip2_run(bz_stream *b, const uint8_t *in, size_t n, int action, codec_buf *out,
                     mdl_err *err) {
    b->next_in = (char *)in;
    b->avail_in = (unsigned)n;
    for (;;) {
        if (codec_buf_reserve(out, 1 << 16, err)) return -1;
        size_t room = out->cap - out->n;
        if (room > CODEC_FEED_MAX) room = CODEC_FEED_MAX;
        b->next_out = (char *)(out->data + out->n);
        b->avail_out = (unsigned)room;
        int rc = BZ2_bzCompress(b, action);
        out->n += room - b->avail_out;
        if (action == BZ_FINISH && rc == BZ_STREAM_END) return 0;
        if (action == BZ_RUN && rc == BZ_RUN_OK && b->avail_in == 0) return 0;
        if (rc != BZ_RUN_OK && rc != BZ_FINISH_OK)
            return mdl_fail(err, "BZ2_bzCompress failed (%d)", rc);
    }
}

static int bzip2_enc_feed(void *state, const uint8_t *in, size_t n, codec_buf *out, mdl_err *err) {
    return bzip2_run(state, in, n, BZ_RUN, out, err);
}

static int bzip2_enc_finish(void *state, codec_buf *out, mdl_err *err) {
    return bzip2_run(state, NULL, 0, BZ_FINISH, out, err);
}

static void bzip2_enc_free(void *state) {
    if (!state) return;
    BZ2_bzCompressEnd(state);
    free(state);
}

static int bzip2_decode(const codec_spec *s, const uint8_t *in, size_t n, codec_sink sink,
                        void *ctx, mdl_err *err) {
    (void)s;
    uint8_t *chunk = malloc(CODEC_CHUNK);
    bz_stream b = {0};
    if (!chunk) return mdl_fail(err, "out of memory");
    if (BZ2_bzDecompressInit(&b, 0, 0) != BZ_OK) {
        free(chunk);
        return mdl_fail(err, "BZ2_bzDecompressInit failed");
    }
    size_t left = n;
    int result = 0;
    for (int done = 0; !done;) {
        if (b.avail_in == 0 && left > 0) {
            size_t take = left < CODEC_FEED_MAX ? left : CODEC_FEED_MAX;
            b.next_in = (char *)(in + (n - left));
            b.avail_in = (unsigned)take;
            left -= take;
        }
        b.next_out = (char *)chunk;
        b.avail_out = (unsigned)CODEC_CHUNK;
        int rc = BZ2_bzDecompress(&b);
        size_t got = CODEC_CHUNK - b.avail_out;
        if (rc == BZ_STREAM_END) {
            done = 1;
            if (b.avail_in > 0 || left > 0) result = mdl_fail(err, "trailing bytes after stream");
        } else if (rc != BZ_OK) {
            result = mdl_fail(err, "BZ2_bzDecompress failed (%d)", rc);
        } else if (got == 0 && b.avail_in == 0 && left == 0) {
            result = mdl_fail(err, "truncated stream");
        }
        if (result == 0 && got > 0) result = sink(ctx, chunk, got, err);
        if (result) break;
    }
    BZ2_bzDecompressEnd(&b);
    free(chunk);
    return result;
}

const codec_ops codec_bzip2_ops = {
    .name = "bzip2",
    .min_level = 1,
    .max_level = 9,
    .version = bzip2_version,
    .enc_init = bzip2_enc_init,
    .enc_feed = bzip2_enc_feed,
    .enc_finish = bzip2_enc_finish,
    .enc_free = bzip2_enc_free,
    .decode = bzip2_decode,
};
