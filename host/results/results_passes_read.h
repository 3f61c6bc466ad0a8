/* Reader of the /passes group of a results file (written by results_analysis.c; schema
 * there and in the README), for `mdlbench report --passes`. */
#ifndef MDL_RESULTS_PASSES_READ_H
#define MDL_RESULTS_PASSES_READ_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "records.h"

typedef struct pass_table {
    uint64_t bytes;         /* trained bytes per pass (attribute bytes) */
    uint64_t heldout_bytes; /* attribute heldout_bytes (0: none) */
    int64_t *pass;          /* [n] the 1-based pass numbers of /passes/pass */
    pass_row *rows;         /* [n] the pass's bits (records.h); both malloc'd, NULL when n is 0 */
    size_t n;
} pass_table;

/* Reads /passes of a complete results file into t. Returns 1 when read, 0 when the file
 * has no /passes group (written before train.passes; t is then empty) and -1 on an
 * error (err set). Free t with pass_table_free. */
int results_read_passes(const char *path, pass_table *t, mdl_err *err);
void pass_table_free(pass_table *t);

#endif
