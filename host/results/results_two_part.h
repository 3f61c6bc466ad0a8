/* Two-part codes in the results file (schema in results_two_part.c and the README). */
#ifndef MDL_RESULTS_TWO_PART_H
#define MDL_RESULTS_TWO_PART_H

#include <stddef.h>
#include <stdint.h>

#include "records.h"
#include "results.h"

int results_write_two_part(results_writer *w, const two_part_row *rows, size_t n, mdl_err *err);

/* Reads /two_part of a complete file into rows[WFMT_COUNT]; *n = 0 when absent. */
int results_read_two_part(const char *path, two_part_row *rows, size_t *n, mdl_err *err);

#endif
