/* The prequential (online) code of docs/design.md §1: at step k every stream's segment is coded
 * with theta_k, the bits are accumulated in fp64 per step and per document, and then R
 * AdamW updates on the same segments give theta_k+1. */
#ifndef MDL_PREQUENTIAL_H
#define MDL_PREQUENTIAL_H

#include <stdint.h>

#include "config.h"
#include "corpus.h"
#include "error.h"
#include "ops.h"
#include "records.h"
#include "stream_layout.h"

typedef struct preq_checkpoint preq_checkpoint; /* checkpoint.h */

/* Entropy coding of the prequential code (host/codec, docs/design.md §7). Every coded
 * position is handed to `code` with the logits the model gave it, in a fixed order: step by
 * step, within a step position by position, within a position stream by stream. Encoding,
 * ctx reads the corpus bytes at `offsets`. Decoding (`decoding` set), the corpus bytes are
 * not known yet: before each coded position the loop runs a forward pass over the window as
 * decoded so far, and ctx writes the decoded bytes at `offsets` into the corpus's memory;
 * exact causality makes those logits the encoder's. With a coder the run ends after the
 * first pass (the code), without the evaluations. */
typedef struct preq_coder {
    void *ctx;
    int decoding;
    /* n positions: logits [n][256], offsets [n] in the corpus; non-zero with err set stops */
    int (*code)(void *ctx, const real *logits, const uint64_t *offsets, size_t n, mdl_err *err);
} preq_coder;

/* What an on_eval call is part of: training (a pass after the first, or the evaluations
 * after each pass but the last), which a checkpoint at the next boundary can save, or
 * the evaluations after training (L_final, held out, two-part), which a resumed run
 * redoes. Behaviour keys on this, never on the display label. */
typedef enum { PREQ_EVAL_TRAINING = 0, PREQ_EVAL_FINAL = 1 } preq_eval_kind;

typedef struct preq_hooks {
    void *ctx;
    /* called after every step with its curve row; a non-zero return aborts the run */
    int (*on_step)(void *ctx, const curve_row *row, mdl_err *err);
    /* called during every pass after the first one ("pass 2", ...) and every evaluation
     * ("final model", "held out", "two-part int8", "pass 1 eval", ...) with the bytes
     * done so far; a non-zero return stops the run (the evaluation's bits stay NaN) */
    int (*on_eval)(void *ctx, preq_eval_kind kind, const char *what, uint64_t bytes_done,
                   uint64_t bytes_total);
    /* at every boundary between steps, (pass, step) being the next step to run (step 0 of
     * pass train.passes: training is over; offered again after the evaluations): non-zero
     * asks for a checkpoint, which on_checkpoint then receives (its arrays belong to the
     * loop); on_checkpoint returns 0 to go on, 1 to stop the run there (PREQ_STOPPED), or
     * -1 with err set */
    int (*want_checkpoint)(void *ctx, uint64_t pass, uint64_t step);
    int (*on_checkpoint)(void *ctx, const preq_checkpoint *cp, mdl_err *err);
    /* asked between the train.repeats_per_step updates of a step (NULL: never): non-zero
     * abandons the step and the run returns PREQ_STOPPED. Weights between two updates are
     * no step boundary, so no checkpoint is offered; the last one written stays valid. */
    int (*stop_now)(void *ctx);
    const preq_coder *coder; /* NULL: the code length only */
} preq_hooks;

/* prequential_run's return when on_checkpoint stopped the run. */
#define PREQ_STOPPED 1
/* prequential_run's return when a step's bits were not finite (err names the step): the
 * weights have diverged, and no number computed from them may be reported. */
#define PREQ_DIVERGED 2
/* prequential_run's return when a corpus file changed under the run (corpus_fault; err
 * names it): the steps before are valid, the step that read it is not reported. */
#define PREQ_CORPUS_CHANGED 3

typedef struct preq_result {
    stream_layout layout;
    uint64_t n_params;
    uint64_t n_params_nonembedding;
    double preq_bits;
    double first_step_bits;
    uint64_t first_step_bytes;
    double final_bits;      /* NaN when not evaluated */
    uint64_t heldout_bytes; /* bytes of the held-out documents (0: none) */
    double heldout_bits;    /* their code length under the final weights (NaN: none) */
    /* analysis.chunk_bytes: the held-out documents' chunks coded independently by the
     * final weights (docs/design.md §1), how many and their code length (NaN: none) */
    uint64_t heldout_chunks;
    double heldout_chunked_bits;
    double *doc_preq_bits;             /* [n_docs], malloc'd */
    double *doc_final_bits;            /* [n_docs] or NULL */
    two_part_row two_part[WFMT_COUNT]; /* run.two_part: one row per weight format */
    size_t n_two_part;
    pass_row *passes; /* [n_passes], malloc'd */
    size_t n_passes;
    /* run.eval_final: each document's bits under the weights after each pass, [n_passes][n
     * documents of the corpus] in corpus order; trained documents from the pass's
     * evaluation (the last pass's: doc_final_bits), held-out ones from the held-out
     * evaluation; NaN where not evaluated. malloc'd */
    double *pass_doc_bits;
    /* inside the loop, where pass_doc_bits covers the trained documents only: the
     * held-out documents' [n_passes][n_held_docs] (NULL once the run returns) */
    double *pass_held_bits;
    size_t n_held_docs;
    /* analysis.extract_samples: [0] trained, [1] held-out documents; documents are indices
     * in the full corpus; malloc'd */
    extract_sample *extract[2];
    size_t n_extract[2];
    double train_s;     /* seconds in the prequential loop */
    double model_flops; /* model FLOPs of the loop (host/model/flops.h) */
} preq_result;

/* Held-out documents of c (corpus_mark_holdout) are neither coded prequentially nor
 * trained on: the layout covers the trained documents only, and the held-out ones are
 * coded by the final weights alone. Per-document arrays follow c's order. */
int prequential_run(const mdl_config *cfg, const corpus *c, const mdl_backend *be,
                    const preq_hooks *hooks, preq_result *out, mdl_err *err);

/* The same run continued from a checkpoint of it (same configuration and corpus, which
 * the caller has checked): every bit from there on is identical to the uninterrupted
 * run's. */
int prequential_resume(const mdl_config *cfg, const corpus *c, const mdl_backend *be,
                       const preq_hooks *hooks, const preq_checkpoint *resume, preq_result *out,
                       mdl_err *err);
void preq_result_free(preq_result *r);

#endif
