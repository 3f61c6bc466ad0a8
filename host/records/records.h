/* Plain record types that the prequential loop produces and the results file stores:
 * shared by the loop, the model's weight formats and the results writers and readers,
 * which therefore need not depend on each other. No code. */
#ifndef MDL_RECORDS_H
#define MDL_RECORDS_H

#include <stdint.h>

/* One row of the per-step curve. */
typedef struct curve_row {
    int64_t step;     /* 0-based */
    int64_t bytes;    /* bytes coded in this step (all streams) */
    double bits;      /* prequential bits of this step */
    double cum_bits;  /* bits of steps 0..step */
    double lr;        /* learning rate of the step's (first) update */
    double grad_norm; /* global gradient norm before clipping */
    double elapsed_s; /* seconds since the loop started, at the end of the step */
} curve_row;

/* One pass over the trained documents (train.passes). */
typedef struct pass_row {
    double train_bits;   /* bits of each segment just before its update: pass 1's is L_preq */
    double eval_bits;    /* L(D | theta) with the weights at the end of the pass (NaN: off) */
    double heldout_bits; /* the held-out documents under those weights (NaN: none) */
} pass_row;

/* One sample of the extraction test (extract.h). */
typedef struct extract_sample {
    uint64_t position;    /* first prefix byte in the corpus given to extract_positions */
    uint64_t document;    /* the document holding the first decoded byte */
    int64_t offset;       /* the first prefix byte relative to that document's start (negative
                             when the prefix begins in an earlier document) */
    uint32_t matched;     /* leading decoded bytes equal to the corpus's (S: exact match) */
    uint8_t stream_start; /* the window starts its stream: the first input is begin-of-stream */
} extract_sample;

/* Weight formats of the two-part codes (two_part.h). */
typedef enum { WFMT_FP32, WFMT_BF16, WFMT_INT8, WFMT_INT4, WFMT_COUNT } weight_format;

/* "fp32", "bf16", "int8", "int4" */
static inline const char *weight_format_name(weight_format f) {
    static const char *const names[WFMT_COUNT] = {"fp32", "bf16", "int8", "int4"};
    return f >= 0 && f < WFMT_COUNT ? names[f] : "unknown";
}

/* One two-part code (two_part.h): L(theta_q) + L(D | theta_q) for one weight format. */
typedef struct two_part_row {
    weight_format format;
    uint64_t weight_bytes; /* zstd -19 size of the serialized weights */
    uint64_t raw_bytes;    /* serialized size before zstd */
    double weight_bits;    /* 8 x weight_bytes */
    double data_bits;      /* L(D | theta_q) */
    double total_bits;     /* weight_bits + data_bits */
    double total_bpb;      /* total_bits / corpus bytes */
    double data_bpb;       /* data_bits / corpus bytes */
} two_part_row;

#endif
