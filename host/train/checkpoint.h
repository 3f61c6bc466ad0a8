/* Checkpoints: everything the prequential loop needs to continue exactly where it stopped.
 * One HDF5 file per checkpoint, DIR/step-PPPPP-SSSSSSSSSS.ckpt (pass, step),
 * written as a temporary file, synced and renamed, so a checkpoint is either complete or
 * absent; a checksum over the payload catches a file damaged afterwards.
 *
 * File layout (format "mdlbench-checkpoint", format_version 5):
 *   /  attributes format, format_version, mdlbench_version, config (YAML), corpus_bytes,
 *      corpus_documents, corpus_hash (XXH3-64 of the sizes, held-out flags and bytes),
 *      pass, step (the next step to run; pass = train.passes: training is done),
 *      adam_t, pass_bits, first_step_bits, first_step_bytes, model_flops, train_s,
 *      checksum (XXH3-64 of every dataset below, the numeric root attributes and
 *      the config: README "Checkpoints and preemption" gives the order),
 *      tensor_names, tensor_sizes (arrays)
 *   /model/params, /model/adam_m, /model/adam_v   float32[n_params], tensor order (model.h)
 *   /model/memory      float32[n_layer x streams x model.memory x 3 d_model]: the segment
 *      memory (model.h) at the boundary, [layer][stream][row][q k v]; empty without memory
 *   /doc_preq_bits     float64[trained documents]
 *   /passes/{train_bits, eval_bits, heldout_bits}  float64[train.passes]
 *   /passes/document_bits          float64[train.passes x trained documents]
 *   /passes/heldout_document_bits  float64[train.passes x held-out documents]: each
 *      document's bits under the weights after each pass done (NaN: not yet, or off)
 *   /curve/{step, bytes, bits, cum_bits, lr, grad_norm, elapsed_s}   the prequential
 *      pass's rows so far (records.h curve_row)
 * A file written by `mdlbench init-weights` has the same layout at pass 0, step 0. */
#ifndef MDL_CHECKPOINT_H
#define MDL_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "corpus.h"
#include "error.h"
#include "real.h"
#include "records.h"

typedef struct preq_checkpoint {
    uint64_t pass, step; /* the next step to run */
    size_t n_params;
    real *params, *adam_m, *adam_v;
    uint64_t adam_t;
    size_t n_memory;
    real *memory;               /* segment memory of every stream (n_memory values; model.memory) */
    const size_t *tensor_sizes; /* MDL_NUM_PARAM_TENSORS; write only (names: model.h) */
    double pass_bits;           /* bits of the current pass so far */
    double first_step_bits;
    uint64_t first_step_bytes;
    double model_flops, train_s;
    size_t n_passes;
    pass_row *passes;
    size_t n_docs; /* trained documents */
    double *doc_preq_bits;
    double *pass_doc_bits;  /* [n_passes][n_docs] (preq_result.pass_doc_bits) */
    size_t n_held;          /* held-out documents */
    double *pass_held_bits; /* [n_passes][n_held] */
    size_t n_curve;
    curve_row *curve;
    char *config_yaml;
    uint64_t corpus_bytes, corpus_documents, corpus_hash;
} preq_checkpoint;

/* XXH3-64 of every document's size and held-out flag (two uint64) and bytes, in order. */
uint64_t corpus_fingerprint(const corpus *c);

/* Writes DIR/step-....ckpt (DIR is created if missing) atomically, then removes the
 * oldest checkpoints beyond `keep` (0 keeps all). *written gets the path (malloc'd). */
int checkpoint_write(const char *dir, const preq_checkpoint *cp, unsigned keep, char **written,
                     mdl_err *err);

/* Writes one checkpoint file at exactly `path` (atomically). */
int checkpoint_write_file(const char *path, const preq_checkpoint *cp, mdl_err *err);

/* Reads and verifies a checkpoint (every array malloc'd; checkpoint_free). */
int checkpoint_read(const char *path, preq_checkpoint *cp, mdl_err *err);

/* Takes the checkpoint directory for this run (creating it): an exclusive flock on the
 * directory, held until checkpoint_dir_release, so that a second run pointed at the same
 * directory is refused instead of overwriting the first one's checkpoints. *fd gets the
 * lock's descriptor. */
int checkpoint_dir_take(const char *dir, int *fd, mdl_err *err);
/* Drops the lock; the directory is removed again when the run left it empty. */
void checkpoint_dir_release(const char *dir, int fd);
void checkpoint_free(preq_checkpoint *cp);

/* Every checkpoint of dir, newest first (malloc'd paths; none when dir does not exist); 0,
 * or -1 with err. */
int checkpoint_list(const char *dir, char ***paths, size_t *n, mdl_err *err);
void checkpoint_list_free(char **paths, size_t n);

#endif
