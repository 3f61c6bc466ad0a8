/* gzip through zlib: the gzip format (windowBits 15 + 16) with mtime 0 and no name, as
 * `gzip -n`, and memLevel 9 (zlib's default is 8). GNU gzip has its own deflate; at -9 it
 * chooses as zlib does at memLevel 9 (the same 32 KiB literal buffer), so the streams are
 * equal byte for byte on text, random and repetitive data, except that gzip also ends a
 * block early when a stretch of literals compresses well (zlib compiles that heuristic
 * out), a fraction of a percent where text meets random bytes. memLevel 8 would end
 * blocks twice as often, unlike gzip. (tests/integration/test_codecs_cli.sh) */
#include <stdlib.h>
#include <zlib.h>

#include "codec_impl.h"

static const char *gzip_version(void) {
    return zlibVersion();
}

static int gzip_enc_init(void **state, const codec_spec *s, uint64_t total, mdl_err *err) {
    (void)total;
    z_stream *z = calloc(1, sizeof *z);
    if (!z) return mdl_fail(err, "out of memory");
    int rc = deflateInit2(z, s->level, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
    if (rc != Z_OK) {
        free(z);
        return mdl_fail(err, "deflateInit2 failed (%d)", rc);
    }
    *state = z;
    return 0;
}

/* Runs deflate until the input is consumed (Z_NO_FLUSH) or the stream ends (Z_FINISH). */
static int gzip_run(z_stream *z, const uint8_t *in, size_t n, int flush, codec_buf *out,
                    mdl_err *err) {
    z->next_in = (Bytef *)in;
    z->avail_in = (uInt)n;
    for (;;) {
        if (codec_buf_reserve(out, 1 << 16, err)) return -1;
        size_t room = out->cap - out->n;
        if (room > CODEC_FEED_MAX) room = CODEC_FEED_MAX;
        z->next_out = out->data + out->n;
        z->avail_out = (uInt)room;
        int rc = deflate(z, flush);
        out->n += room - z->avail_out;
        if (rc == Z_STREAM_END) return 0;
        if (rc != Z_OK && rc != Z_BUF_ERROR) return mdl_fail(err, "deflate failed (%d)", rc);
        if (flush == Z_NO_FLUSH && z->avail_in == 0 && z->avail_out > 0) return 0;
    }
}

static int gzip_enc_feed(void *state, const uint8_t *in, size_t n, codec_buf *out, mdl_err *err) {
    return gzip_run(state, in, n, Z_NO_FLUSH, out, err);
}

static int gzip_enc_finish(void *state, codec_buf *out, mdl_err *err) {
    return gzip_run(state, NULL, 0, Z_FINISH, out, err);
}

static void gzip_enc_free(void *state) {
    if (!state) return;
    deflateEnd(state);
    free(state);
}

static int gzip_decode(const codec_spec *s, const uint8_t *in, size_t n, codec_sink sink, void *ctx,
                       mdl_err *err) {
    (void)s;
    uint8_t *chunk = malloc(CODEC_CHUNK);
    z_stream z = {0};
    if (!chunk) return mdl_fail(err, "out of memory");
    if (inflateInit2(&z, 15 + 16) != Z_OK) {
        free(chunk);
        return mdl_fail(err, "inflateInit2 failed");
    }
    size_t left = n;
    int result = 0;
    for (int done = 0; !done;) {
        if (z.avail_in == 0 && left > 0) {
            size_t take = left < CODEC_FEED_MAX ? left : CODEC_FEED_MAX;
            z.next_in = (Bytef *)(in + (n - left));
            z.avail_in = (uInt)take;
            left -= take;
        }
        z.next_out = chunk;
        z.avail_out = (uInt)CODEC_CHUNK;
        int rc = inflate(&z, Z_NO_FLUSH);
        size_t got = CODEC_CHUNK - z.avail_out;
        if (rc == Z_STREAM_END) {
            done = 1;
            if (z.avail_in > 0 || left > 0) result = mdl_fail(err, "trailing bytes after stream");
        } else if (rc == Z_BUF_ERROR && z.avail_in == 0 && left == 0) {
            result = mdl_fail(err, "truncated stream");
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            result =
                mdl_fail(err, "inflate failed (%d%s%s)", rc, z.msg ? ": " : "", z.msg ? z.msg : "");
        }
        if (result == 0 && got > 0) result = sink(ctx, chunk, got, err);
        if (result) break;
    }
    inflateEnd(&z);
    free(chunk);
    return result;
}

const codec_ops codec_gzip_ops = {
    .name = "gzip",
    .min_level = 1,
    .max_level = 9,
    .version = gzip_version,
    .enc_init = gzip_enc_init,
    .enc_feed = gzip_enc_feed,
    .enc_finish = gzip_enc_finish,
    .enc_free = gzip_enc_free,
    .decode = gzip_decode,
};
