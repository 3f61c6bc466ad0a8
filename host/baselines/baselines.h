/* Baselines measured beside the model (issue: classical and statistical baselines):
 * classical compressors through their libraries, in process, and parameter-free
 * prequential context models. Both code the same byte stream as the model (the corpus
 * concatenated in corpus order) and each document on its own. */
#ifndef MDL_BASELINES_H
#define MDL_BASELINES_H

#include <stddef.h>
#include <stdint.h>

#include "corpus.h"
#include "error.h"

/* ---- classical codecs (codecs.c, one codec_<name>.c per library) ---------------------- */

typedef enum { CODEC_GZIP, CODEC_BZIP2, CODEC_XZ, CODEC_ZSTD, CODEC_BROTLI } codec_id;

typedef struct codec_spec {
    codec_id id;
    int level;     /* gzip 1-9, bzip2 1-9, xz 0-9, zstd 1-22, brotli 0-11 */
    int extreme;   /* xz: the "e" presets (LZMA_PRESET_EXTREME) */
    int long_mode; /* zstd: long-distance matching, window covering the input up to the
                      library's limit (implies --ultra for levels > 19) */
} codec_spec;

/* "gzip:9,xz:9e,zstd:19,zstd:22-long,brotli:11" or "all" (every codec and level) or
 * "default" (gzip:9,bzip2:9,xz:9e,zstd:19,zstd:22-long,brotli:11). Unknown names or
 * levels: a one-line error listing the valid ones. *specs is malloc'd. */
int codec_parse_list(const char *list, codec_spec **specs, size_t *n, mdl_err *err);

/* Row label with the library version, as lzbench: "zstd 1.5.4 -19", "xz 5.4.1 -9e",
 * "zstd 1.5.4 --ultra -22 --long", "brotli 1.0.9 -11 --large_window", "gzip (zlib
 * 1.2.13) -9", "bzip2 1.0.8 -9". */
void codec_label(const codec_spec *s, char *buf, size_t n);
const char *codec_name(codec_id id);    /* "gzip", "bzip2", ... */
const char *codec_version(codec_id id); /* the library's runtime version string */
/* Level as written in --codecs: "9", "9e", "22-long". */
void codec_level_text(const codec_spec *s, char *buf, size_t n);

/* Timing of the whole-corpus measurement: best of `iterations` runs and at least
 * `min_seconds` of repeated runs for each direction. */
typedef struct bench_opts {
    int iterations;
    double min_seconds;
} bench_opts;

typedef struct codec_result {
    uint64_t original_bytes;
    uint64_t compressed_bytes;
    double compress_mb_s;   /* 10^6 bytes of input per second */
    double decompress_mb_s; /* 10^6 bytes of output per second */
} codec_result;

/* Compresses bytes [pos, pos + n) of the corpus's concatenation with the library's
 * streaming API, reading the mapped documents in place (no concatenated copy), then
 * decompresses and compares with the corpus; a mismatch or library error is an error
 * (never a result). With opts NULL: one run each way and no speeds (NaN). */
int codec_measure(const codec_spec *s, const corpus *c, uint64_t pos, uint64_t n,
                  const bench_opts *opts, codec_result *out, mdl_err *err);

/* One-shot helpers over a memory buffer, for tests and small inputs: *out malloc'd. */
int codec_compress_buffer(const codec_spec *s, const void *in, size_t n, uint8_t **out,
                          size_t *out_n, mdl_err *err);
int codec_decompress_buffer(const codec_spec *s, const void *in, size_t n, uint8_t **out,
                            size_t *out_n, mdl_err *err);

/* ---- statistical baselines (context_model.c) -------------------------------------------- */

/* Adaptive order-k context model with the Krichevsky-Trofimov estimator: byte x_i after
 * the context c = x_{i-k..i-1} (shorter at the start of the stream, where the missing
 * bytes are a begin symbol distinct from every byte) costs
 *     -log2 (n(c, x_i) + 1/2) / (n(c) + 256/2)
 * with the counts of the bytes seen so far; a prequential code with no parameters to
 * train. Codes bytes [pos, pos + n) of the concatenation as one stream; bits summed in
 * fp64; doc_bits[d] (if not NULL, n_docs entries, zeroed by the caller) receives the bits
 * of the bytes of document d. Memory grows with the distinct (k+1)-grams. */
int context_model_bits(const corpus *c, uint64_t pos, uint64_t n, int order, double *bits,
                       double *doc_bits, mdl_err *err);

/* N * H(empirical byte distribution of the whole range): the order-0 entropy reference. */
double order0_entropy_bits(const corpus *c, uint64_t pos, uint64_t n);

#endif
