/* Two-part codes and the per-document table in the results file (schema in
 * results_two_part.c and the README). */
#ifndef MDL_RESULTS_TWO_PART_H
#define MDL_RESULTS_TWO_PART_H

#include <stddef.h>
#include <stdint.h>

#include "records.h"
#include "results.h"

int results_write_two_part(results_writer *w, const two_part_row *rows, size_t n, mdl_err *err);

/* Reads /two_part of a complete file into rows[WFMT_COUNT]; *n = 0 when absent. */
int results_read_two_part(const char *path, two_part_row *rows, size_t *n, mdl_err *err);

typedef struct document_row {
    char *name;
    uint64_t bytes;
    double preq_bits;
    double final_bits; /* NaN when not evaluated */
    int held_out;      /* 1: never trained on */
    /* the extraction test (/documents/extract_samples, extract_exact): has_extract is 1 in
     * every row when the file has them, else 0 and the counts 0 */
    int has_extract;
    uint32_t extract_samples; /* positions sampled in the document */
    uint32_t extract_exact;   /* of which every decoded byte matched */
} document_row;

/* Reads /documents of a complete results file into a malloc'd array of *n rows. */
int results_read_documents(const char *path, document_row **rows, size_t *n, mdl_err *err);
void document_rows_free(document_row *rows, size_t n);

#endif
