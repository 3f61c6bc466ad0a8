/* HDF5 results file of one run (schema in README.md, "Results file").
 *
 * The file is created as PATH.partial and renamed to PATH by results_commit(); it is
 * flushed after every curve append, so an interrupted run leaves a readable .partial
 * file (root attribute status = "running") and never a corrupt PATH. */
#ifndef MDL_RESULTS_H
#define MDL_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "corpus.h"
#include "error.h"
#include "records.h"
#include "summary.h"

typedef struct run_meta {
    const char *version;      /* mdlbench version */
    const char *git_commit;   /* commit the binary was built from */
    const char *command_line; /* argv joined with spaces */
    const char *config_yaml;  /* full effective configuration */
    uint64_t seed;
    const char *device; /* device description */
    int threads;
} run_meta;

typedef struct results_writer results_writer;

/* Called once at program start, before any other HDF5 use: HDF5 then does not run its
 * shutdown at exit. After a write that failed (a full disk) HDF5 1.10's shutdown closes the
 * half-closed file again and crashes; the process's exit frees everything anyway. */
void results_library_init(void);

/* Creates PATH.partial (truncating any previous .partial) with the root attributes and
 * the corpus and document tables. Fails with a one-line message naming the path. */
int results_create(results_writer **w, const char *path, const run_meta *meta, const corpus *c,
                   mdl_err *err);

/* Appends rows to the /curve datasets and flushes the file. */
int results_append_curve(results_writer *w, const curve_row *rows, size_t n, mdl_err *err);

/* Per-document bits (arrays of n_docs values); final_bits may be NULL (not evaluated). */
int results_write_document_bits(results_writer *w, const double *preq_bits,
                                const double *final_bits, mdl_err *err);

int results_write_summary(results_writer *w, const run_summary *s, mdl_err *err);

/* Sets status = "complete", closes the file and renames PATH.partial to PATH. Frees w. */
int results_commit(results_writer *w, mdl_err *err);

/* Sets status (e.g. "interrupted"), closes the file and keeps it as PATH.partial, a
 * readable record of the steps so far. Frees w. */
int results_close_partial(results_writer *w, const char *status, mdl_err *err);

/* Closes and removes PATH.partial (the run failed before it produced anything worth
 * keeping). Frees w. */
void results_discard(results_writer *w);

/* Reads /summary (and the root attributes it needs) of a results file into s. */
int results_read_summary(const char *path, run_summary *s, mdl_err *err);

/* Deletang et al.'s rates of the held-out chunks (analysis.chunk_bytes), in percent: raw =
 * coded size / raw size; adjusted adds the weights at 2 bytes per parameter. NaN without
 * chunks. */
void summary_chunked_rates(const run_summary *s, double *raw_percent, double *adjusted_percent);

/* Reads the /curve datasets of a results file (complete or .partial) into a malloc'd
 * array of *n rows (NULL when there are none); the caller frees *rows. */
int results_read_curve(const char *path, curve_row **rows, size_t *n, mdl_err *err);

#endif
