/* Private to the codec files: one small table of functions per library (codec_<name>.c),
 * driven by codecs.c, which owns parsing, labels, the corpus walk, verification and
 * timing. The encoder is fed the input in order, in slices of at most CODEC_FEED_MAX
 * bytes, and must produce the same stream however the input is sliced (no flushes). */
#ifndef MDL_CODEC_IMPL_H
#define MDL_CODEC_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "baselines.h"

/* Largest slice handed to enc_feed (fits every library's avail_in type). */
#define CODEC_FEED_MAX ((size_t)1 << 20)
/* Bytes the decoders write per sink call. */
#define CODEC_CHUNK ((size_t)1 << 18)

/* Growable output buffer; the compressed stream is kept in memory. */
typedef struct codec_buf {
    uint8_t *data;
    size_t n, cap;
} codec_buf;

/* Makes room for at least min_free more bytes after data[n]. */
int codec_buf_reserve(codec_buf *b, size_t min_free, mdl_err *err);

/* Receives the decoded bytes in order, in pieces of at most CODEC_CHUNK bytes. */
typedef int (*codec_sink)(void *ctx, const uint8_t *bytes, size_t n, mdl_err *err);

typedef struct codec_ops {
    const char *name;
    int min_level, max_level;
    const char *(*version)(void);
    /* total: the exact input size, for libraries that record it or size their window. */
    int (*enc_init)(void **state, const codec_spec *s, uint64_t total, mdl_err *err);
    int (*enc_feed)(void *state, const uint8_t *in, size_t n, codec_buf *out, mdl_err *err);
    int (*enc_finish)(void *state, codec_buf *out, mdl_err *err);
    void (*enc_free)(void *state);
    /* Decodes one complete stream from memory through a CODEC_CHUNK-byte buffer; a
     * truncated stream or trailing bytes are errors. */
    int (*decode)(const codec_spec *s, const uint8_t *in, size_t n, codec_sink sink, void *ctx,
                  mdl_err *err);
} codec_ops;

extern const codec_ops codec_gzip_ops;
extern const codec_ops codec_bzip2_ops;
extern const codec_ops codec_xz_ops;
extern const codec_ops codec_zstd_ops;
extern const codec_ops codec_brotli_ops;

#endif
