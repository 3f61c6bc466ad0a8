/* Extraction test: how much of the corpus do the final weights reproduce?
 * K positions are sampled in a group of documents (the trained ones, or the held-out
 * ones); at each the model is given the P-byte prefix there and decodes S bytes greedily
 * (argmax, its own bytes fed back), which are compared with the S bytes that follow.
 *
 * The model has learned absolute positions, and training shows every byte at fixed places
 * of its windows and learns to predict only the positions after a window's prefix of
 * context - T bytes. So a sample is a training window as training saw it: it starts at a
 * window start (stream offsets 0 and k*T - (context - T)), the prefix is at least the
 * window's prefix (P >= context - T) and the decoded bytes are trained positions; with
 * the defaults P = context - T and S = T the test asks whether greedy decoding
 * reproduces the training segments. With segment memory (model.memory = M) the model saw
 * M earlier positions too, so "context - T" reads "context + M - T" throughout; the sample
 * is decoded as one window of P + S positions with an empty memory (rotary positions are
 * relative, so the offsets are those training saw). The held-out documents are laid out
 * the same way, in their own streams. */
#ifndef MDL_EXTRACT_H
#define MDL_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "corpus.h"
#include "error.h"
#include "model.h"
#include "records.h"
#include "stream_layout.h"

/* K samples (with replacement, from (seed, group, i)) among the window starts of layout
 * lay over c whose P + S bytes stay inside their stream; *n is 0 when there is none. */
int extract_positions(const corpus *c, const stream_layout *lay, unsigned prefix, unsigned suffix,
                      const analysis_config *a, uint64_t group, extract_sample *samples, size_t *n,
                      mdl_err *err);

/* Decodes every sample (batches of up to max_B sequences of P + S - 1 positions, which
 * the model must allow) and sets its matched count. */
int extract_decode(model *m, int max_B, const corpus *c, unsigned prefix, unsigned suffix,
                   extract_sample *samples, size_t n, mdl_err *err);

/* The prefix and suffix lengths analysis.extract_prefix/suffix stand for (0: defaults). */
void extract_geometry(const mdl_config *cfg, unsigned *prefix, unsigned *suffix);

/* Exact-match rate and mean matched length of n samples (NaN when n is 0). */
void extract_rates(const extract_sample *samples, size_t n, uint32_t suffix, double *exact_rate,
                   double *mean_matched);

#endif
