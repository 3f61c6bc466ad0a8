/* The reader of the per-document table (/documents, schema in results.c), for `report
 * --documents`. */
#ifndef MDL_RESULTS_DOCUMENTS_READ_H
#define MDL_RESULTS_DOCUMENTS_READ_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

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
