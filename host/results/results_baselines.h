/* Baselines in the results file (group /baselines; schema in results_baselines.c and the
 * README). */
#ifndef MDL_RESULTS_BASELINES_H
#define MDL_RESULTS_BASELINES_H

#include "baseline_set.h"
#include "results.h"

/* Writes the table (and per-document bits when present) and flushes. */
int results_write_baselines(results_writer *w, const baseline_set *s, const bench_opts *timing,
                            mdl_err *err);

/* Reads the rows (not the per-document bits) of a complete results file; a file without
 * baselines gives an empty set. */
int results_read_baselines(const char *path, baseline_set *s, mdl_err *err);

/* 1 when a complete results file has a /summary group (a model run), 0 when not (a file
 * of `mdlbench baselines`), -1 when it cannot be read. */
int results_has_summary(const char *path);

#endif
