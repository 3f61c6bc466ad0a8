/* Baseline tables in lzbench's columns (Compressor name | Compression | Decompression |
 * Compressed size | Ratio | Filename), plus bits per byte. */
#ifndef MDL_BASELINE_PRINT_H
#define MDL_BASELINE_PRINT_H

#include <stdio.h>

#include "text_out.h"

#include "baseline_set.h"
#include "cli.h"

/* text, markdown or csv (header included); filename labels every row */
void print_baseline_table(FILE *f, report_format fmt, const baseline_set *s, const char *filename);

/* A JSON array of row objects (no trailing newline). */
void print_baseline_json(FILE *f, const baseline_set *s, const char *filename);

void json_print_number(FILE *f, double v, int is_int);

#endif
