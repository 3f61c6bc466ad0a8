/* Run configuration: YAML files parsed with libcyaml against a schema. A file may give
 * any subset of keys; missing keys keep the values of the embedded default
 * (configs/default.yaml). Unknown keys and wrong types are errors naming file:line.
 * Every key can be overridden with `--set section.key=value`. */
#ifndef MDL_CONFIG_H
#define MDL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

typedef enum { SCHEDULE_CONSTANT = 0, SCHEDULE_COSINE = 1, SCHEDULE_INVERSE_SQRT = 2 } lr_schedule;

/* Arithmetic of the matrix products: fp32 everywhere, or bf16 operands with fp32
 * accumulation (CUDA backend only); weights, optimizer and bits stay fp32 in both. */
typedef enum { PRECISION_FP32 = 0, PRECISION_BF16 = 1 } run_precision;

/* How the model knows where a byte is: learned absolute position embeddings (added to the
 * byte embedding), rotary embeddings of queries and keys (relative), or nothing (the
 * causal mask alone). */
typedef enum { POSITION_LEARNED = 0, POSITION_ROPE = 1, POSITION_NONE = 2 } model_position;

#define MDL_NGRAM_MAX_ORDER 8 /* longest hashed n-gram (model.ngram_order) */

typedef struct model_config {
    unsigned n_layer;    /* transformer blocks */
    unsigned n_head;     /* attention heads; must divide d_model */
    unsigned d_model;    /* residual width */
    unsigned context;    /* positions the model sees: prefix + segment */
    unsigned d_ff;       /* MLP hidden width */
    bool zero_init_head; /* output head starts at zero: first step costs 8 bits/byte */
    model_position position;
    unsigned memory;      /* M: q, k, v rows of the previous M positions kept per stream and layer,
                             attended to without gradient (0: none; needs context == segment) */
    unsigned ngram_order; /* hashed n-gram embeddings of orders 2..ngram_order added to the
                             byte embedding (0 or 1: none) */
    unsigned ngram_buckets; /* rows per order of the hashed n-gram table */
} model_config;

typedef struct train_config {
    unsigned streams;          /* S: parallel streams the corpus is cut into */
    unsigned segment;          /* T: bytes coded per stream per step (<= context) */
    double lr;                 /* peak learning rate */
    unsigned warmup;           /* linear warmup, in optimizer updates */
    lr_schedule schedule;      /* after warmup: constant, cosine or inverse_sqrt */
    double min_lr_ratio;       /* cosine floor as a fraction of lr */
    double beta1, beta2, eps;  /* AdamW moments */
    double weight_decay;       /* decoupled, on matrices and embeddings only */
    double grad_clip;          /* global-norm clipping threshold; 0 disables */
    double head_lr_scale;      /* learning rate of the output head (weights, bias) / lr */
    double embedding_lr_scale; /* learning rate of the byte and position embeddings / lr */
    unsigned repeats_per_step; /* R optimizer updates on each coded segment */
    bool prefix_loss;          /* train on the window's prefix positions too (coded before) */
    unsigned passes;           /* E passes over the corpus; only the first is prequential */
    uint64_t seed;             /* initial weights (part of the decoder) */
} train_config;

typedef struct run_config {
    bool eval_final;      /* teacher-forced pass with the final weights */
    bool two_part;        /* two-part codes for fp32, bf16, int8, int4 weights (needs
                             eval_final) */
    double flush_seconds; /* results file is flushed at least this often */
    run_precision precision;
    unsigned checkpoint_every; /* steps between checkpoints (0: only when preempted) */
    unsigned checkpoint_keep;  /* checkpoints kept (0: all) */
} run_config;

/* A string key's value, NUL-terminated. */
typedef char config_string[512];

typedef struct corpus_config {
    config_string holdout;   /* comma-separated globs of held-out documents ("" none) */
    double holdout_fraction; /* documents held out (never trained on), chosen by seed */
    uint64_t holdout_seed;
} corpus_config;

typedef struct analysis_config {
    unsigned extract_samples; /* K positions sampled per group (trained, held out); 0: off */
    unsigned extract_prefix;  /* P bytes given to the model (0: context - segment) */
    unsigned extract_suffix;  /* S bytes decoded greedily and compared (0: segment) */
    uint64_t extract_seed;    /* which positions are sampled */
    /* held-out documents also coded in independent chunks of this many bytes, each from
     * the begin symbol with an empty memory (Deletang et al.'s protocol: 2048); 0: off */
    unsigned chunk_bytes;
} analysis_config;

typedef struct mdl_config {
    model_config model;
    train_config train;
    run_config run;
    corpus_config corpus;
    analysis_config analysis;
} mdl_config;

/* The embedded configs/default.yaml. */
int config_default(mdl_config *cfg, mdl_err *err);

/* Applies the keys present in a YAML file on top of cfg. */
int config_load_file(mdl_config *cfg, const char *path, mdl_err *err);

/* Applies the keys of YAML text (config_to_yaml's output, say) on top of cfg; name says
 * where the text came from in messages. */
int config_load_text(mdl_config *cfg, const char *text, const char *name, mdl_err *err);

/* Applies one "section.key=value" assignment, typed by the schema. */
int config_set(mdl_config *cfg, const char *assignment, mdl_err *err);

/* Checks relations between keys (n_head divides d_model, segment <= context, ...). */
int config_validate(const mdl_config *cfg, mdl_err *err);

/* The full configuration as YAML text (malloc'd, NUL-terminated), for the results file;
 * loading it back gives the same configuration. */
char *config_to_yaml(const mdl_config *cfg, mdl_err *err);

/* Name of a position encoding as written in YAML. */
const char *model_position_name(model_position p);

/* Name of a schedule as written in YAML. */
const char *lr_schedule_name(lr_schedule s);

#endif
