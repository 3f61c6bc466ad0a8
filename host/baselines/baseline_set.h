/* A table of baseline measurements over one corpus: the codecs and context models of
 * baselines.h, each over the whole concatenation and per document, plus the order-0
 * empirical entropy as a reference line. Written to /baselines of a results file. */
#ifndef MDL_BASELINE_SET_H
#define MDL_BASELINE_SET_H

#include <stddef.h>
#include <stdint.h>

#include "baselines.h"

typedef struct baseline_row {
    char name[96];    /* "zstd 1.5.4 -19", "order-2 context model (KT)", "order-0 entropy" */
    char kind[16];    /* "codec", "context", "entropy" */
    char codec[16];   /* gzip, bzip2, xz, zstd, brotli; "kt"; "entropy" */
    char version[32]; /* library version; "" for the statistical rows */
    char level[16];   /* as in --codecs: "9", "9e", "22-long"; the order for "kt" */
    uint64_t original_bytes;
    uint64_t compressed_bytes; /* codecs: output size; statistical: ceil(bits / 8) */
    double compressed_bits;    /* codecs: 8 x bytes; statistical: the exact code length */
    double bpb;                /* compressed_bits / original_bytes */
    double ratio_percent;      /* compressed_bits / (8 original_bytes) x 100 */
    double compress_mb_s;      /* 10^6 input bytes/s (context models: coding speed) */
    double decompress_mb_s;    /* NaN for the statistical rows */
} baseline_row;

typedef struct baseline_set {
    baseline_row *rows;
    size_t n_rows;
    size_t n_docs;
    /* [n_rows x n_docs]: codecs: 8 x the size of each document compressed on its own;
     * context models: bits of the document's bytes within the whole stream; entropy:
     * NaN. NULL when per-document measurements were skipped. */
    double *doc_bits;
} baseline_set;

typedef struct baseline_plan {
    const codec_spec *codecs;
    size_t n_codecs;
    const int *orders; /* context-model orders */
    size_t n_orders;
    bench_opts timing;
    int per_document;
    /* called before each row with its name (progress); may be NULL */
    void (*on_row)(void *ctx, size_t i, size_t n, const char *name);
    void *ctx;
} baseline_plan;

int baselines_measure(const corpus *c, const baseline_plan *plan, baseline_set *out, mdl_err *err);
void baseline_set_free(baseline_set *s);

#endif
