/* The analysis groups of a results file (schema in results_analysis.c and the README):
 * /passes, one row per pass over the corpus, and /extraction, one row per sampled
 * position of the extraction test, with per-document counts in /documents. */
#ifndef MDL_RESULTS_ANALYSIS_H
#define MDL_RESULTS_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "records.h"
#include "results.h"

/* bytes: trained bytes per pass; heldout_bytes: 0 when none; doc_bits: [n][n_docs], each
 * document's bits under the weights after each pass (NaN: not evaluated). */
int results_write_passes(results_writer *w, const pass_row *rows, size_t n, uint64_t bytes,
                         uint64_t heldout_bytes, const double *doc_bits, size_t n_docs,
                         mdl_err *err);

/* samples[0] from trained, samples[1] from held-out documents (document = index in the
 * full corpus of n_docs documents). */
int results_write_extraction(results_writer *w, const extract_sample *const samples[2],
                             const size_t n[2], uint32_t prefix, uint32_t suffix, size_t n_docs,
                             mdl_err *err);

#endif
