/* `mdlbench compress` and `decompress` without the files (docs/design.md §7): the
 * prequential loop with the range coder attached. Encoding codes every position with the
 * frequencies quantised from the logits the loop computed anyway; decoding repeats the same
 * loop on the bytes as they are decoded, so the weights after every step are the encoder's. */
#ifndef MDL_CODEC_H
#define MDL_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "corpus.h"
#include "error.h"
#include "ops.h"
#include "prequential.h"

typedef struct codec_stats {
    double preq_bits;      /* L_preq: the model's bits, as `mdlbench run` reports them */
    double quantized_bits; /* the same positions under the quantised frequencies */
    double seconds;        /* in the loop */
} codec_stats;

/* The payload (malloc'd, *n bytes; NULL and 0 for an empty corpus) of corpus c. progress may
 * be NULL; its on_step sees the loop's curve rows. */
int codec_encode(const mdl_config *cfg, const corpus *c, const mdl_backend *be,
                 const preq_hooks *progress, uint8_t **payload, size_t *n, codec_stats *st,
                 mdl_err *err);

/* Decodes payload into out (the documents' concatenation, sizes[i] bytes each): the loop
 * runs over a corpus whose documents are slices of out. A payload that runs out before the
 * last byte is reported as truncated. */
int codec_decode(const mdl_config *cfg, const uint64_t *sizes, size_t n_docs, const mdl_backend *be,
                 const preq_hooks *progress, const uint8_t *payload, size_t n, uint8_t *out,
                 codec_stats *st, mdl_err *err);

#endif
