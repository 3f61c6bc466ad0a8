/* How the corpus is cut for the prequential code (docs/design.md §1): S streams of
 * L = ceil(N/S) bytes (the last ones shorter), coded T bytes per stream and step, so
 * K = ceil(L/T) steps. Pure arithmetic over the configuration: the loop, the extraction
 * test and the tests share it. */
#ifndef MDL_STREAM_LAYOUT_H
#define MDL_STREAM_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "error.h"

typedef struct stream_layout {
    uint64_t n_bytes;    /* N */
    uint64_t streams;    /* S */
    uint64_t stream_len; /* L */
    uint64_t segment;    /* T */
    uint64_t prefix;     /* P = context - T */
    uint64_t memory;     /* M = model.memory: rows before the window the model also sees */
    uint64_t steps;      /* K */
} stream_layout;

int stream_layout_make(stream_layout *lay, uint64_t n_bytes, const mdl_config *cfg, mdl_err *err);

/* Bytes of stream s (the last streams may be shorter, or empty). */
uint64_t stream_layout_stream_bytes(const stream_layout *lay, uint64_t s);

/* Sequence length of step k: min(P, k*T) prefix bytes + T. */
uint64_t stream_layout_seq_len(const stream_layout *lay, uint64_t k);

/* Positions step k codes over all S streams. */
uint64_t stream_layout_coded(const stream_layout *lay, uint64_t k);

/* Positions step k trains on over all S streams: the coded ones, and with prefix_loss
 * also the window's prefix positions inside the stream (coded at earlier steps). */
uint64_t stream_layout_trained(const stream_layout *lay, uint64_t k, bool prefix_loss);

#endif
