/* Reader of the /passes group of a results file (written by results_analysis.c; schema
 * there and in the README), for `mdlbench report --passes`. */
#ifndef MDL_RESULTS_PASSES_READ_H
#define MDL_RESULTS_PASSES_READ_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* One row of /passes. */
typedef struct pass_read_row {
    int64_t pass;        /* 1-based */
    double train_bits;   /* bits of each segment just before its update (pass 1: L_preq) */
    double eval_bits;    /* L(D | theta) at the end of the pass (NaN: not evaluated) */
    double heldout_bits; /* the held-out documents under those weights (NaN: none) */
} pass_read_row;

typedef struct pass_table {
    uint64_t bytes;         /* trained bytes per pass (attribute bytes) */
    uint64_t heldout_bytes; /* attribute heldout_bytes (0: none) */
    pass_read_row *rows;    /* malloc'd, NULL when n is 0 */
    size_t n;
} pass_table;

/* Reads /passes of a complete results file into t. Returns 1 when read, 0 when the file
 * has no /passes group (written before train.passes; t is then empty) and -1 on an
 * error (err set). Free t with pass_table_free. */
int results_read_passes(const char *path, pass_table *t, mdl_err *err);
void pass_table_free(pass_table *t);

#endif
