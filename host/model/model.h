/* The byte-level GPT, backend-agnostic: parameter layout, initialisation, forward and
 * backward orchestration and the AdamW update, all through an mdl_ops table.
 *
 * Architecture: byte embedding over 257 input symbols (256 bytes + begin-of-stream), plus
 * optionally hashed embeddings of the last 2..ngram_order symbols; learned, rotary or no
 * positions (model.position), optional segment memory; n_layer pre-LayerNorm blocks (causal
 * multi-head attention, GELU MLP), final LayerNorm, output head over the 256 byte values. */
#ifndef MDL_MODEL_H
#define MDL_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"
#include "ops.h"
#include "real.h"

#define MDL_BOS 256 /* MDL_VOCAB_IN and MDL_VOCAB_OUT: ops.h */

enum {
    P_WTE,
    P_WPE, /* embeddings */
    P_LN1W,
    P_LN1B,
    P_QKVW,
    P_QKVB,
    P_ATTPROJW,
    P_ATTPROJB,
    P_LN2W,
    P_LN2B,
    P_FCW,
    P_FCB,
    P_FCPROJW,
    P_FCPROJB, /* per layer, stacked [L, ...] */
    P_LNFW,
    P_LNFB,
    P_HEADW,
    P_HEADB,
    MDL_NUM_PARAM_TENSORS
};

typedef struct model model;

/* Rows of the hashed n-gram table (model.ngram_order, ngram_buckets): they follow the 257
 * byte rows in the wte tensor, order 2's buckets first (host/cpu/cpu_ops.h, ngram). */
size_t model_ngram_rows(const model_config *c);

/* Allocates parameters, gradients, AdamW moments and activations for up to max_B
 * sequences of model->context positions. */
int model_create(model **out, const model_config *mc, int max_B, const mdl_backend *be,
                 mdl_err *err);
void model_destroy(model *m);

/* Bytes of backend memory model_create would allocate (checked before allocating). */
size_t model_memory_bytes(const model_config *mc, int max_B);

size_t model_num_params(const model *m);
/* Parameters outside the two embedding tables (they do no matmul FLOPs). */
size_t model_num_params_nonembedding(const model *m);
/* Element count of one parameter tensor (all layers together for per-layer tensors). */
size_t model_tensor_size(const model *m, int tensor);

/* Shape of a parameter tensor as a matrix of rows = output channels (all layers stacked)
 * by cols = input channels: wte [257 + n-gram rows, C], wpe [context, C], qkv [L*3C, C], attention
 * projection [L*C, C], fc [L*F, C], fc projection [L*C, F], head [256, C]. Vectors
 * (biases, LayerNorm) have cols = 1. */
void model_tensor_shape(const model *m, int tensor, size_t *rows, size_t *cols);

/* Copies all parameters to or from host memory (model_num_params values). */
void model_get_params(const model *m, real *host);
void model_set_params(model *m, const real *host);

/* The AdamW state: both moments (model_num_params values each) and the update count. */
void model_get_optimizer(const model *m, real *adam_m, real *adam_v, uint64_t *t);
void model_set_optimizer(model *m, const real *adam_m, const real *adam_v, uint64_t t);

/* Tensor names in order ("wte", "wpe", "ln1w", ...), for files other programs read. */
const char *model_tensor_name(int tensor);

/* Deterministic initialisation from the counter-based RNG (host/util/rng.h), computed on the
 * host and uploaded, so every backend starts from identical weights: N(0, 0.02) for
 * matrices and embeddings (the hashed n-gram rows 0), residual projections scaled by
 * 1/sqrt(2 n_layer), LayerNorm weights 1, biases 0, the head zero when zero_init_head. Fails only
 * without host memory. */
int model_init_weights(model *m, uint64_t seed, mdl_err *err);

/* Parameters as one flat array (backend memory), in tensor order; for tests. */
real *model_params(model *m);
real *model_grads(model *m);

/* Forward pass over tokens[B*T] (host memory, values 0..256), T <= context (or up to
 * context + memory with an empty segment memory). Leaves the logits [B,T,256] in backend
 * memory (model_logits). */
void model_forward(model *m, const int *tokens, int B, int T);
const real *model_logits(const model *m);

/* After model_forward: copies the logits of positions [first, first + n) of the B*T
 * positions ([n, 256] values) to host memory. */
void model_download_logits(const model *m, size_t first, size_t n, real *host);

/* Segment memory (model.memory = M > 0): every forward's attention also sees, per layer
 * and stream, the q/k/v rows of the last min(M, positions so far) positions that earlier
 * forwards computed, without gradient (Transformer-XL). Rotary positions then count from
 * the stream's start. A forward never changes the memory: after the forward that codes a
 * segment, push stages its rows as the next memory, and commit (after the updates) makes
 * the staged memory current and advances the position by T. Reset empties it (a new
 * pass, an evaluation, an extraction sample). Without memory all of these do nothing. */
void model_segment_memory_reset(model *m);
void model_segment_memory_push(model *m);
void model_segment_memory_commit(model *m);
/* The memory as saved in checkpoints: n_layer x max_B x M x 3 d_model values. */
size_t model_segment_memory_count(const model *m);
void model_get_segment_memory(const model *m, real *host);
/* Restores it at stream position pos (the next forward's first row; min(M, pos) rows valid). */
void model_set_segment_memory(model *m, const real *host, uint64_t pos);

/* After model_forward: per-position bits[B*T] of targets[B*T] (host memory), copied to
 * the host. Targets of masked positions must still be valid bytes (0..255). */
void model_bits(model *m, const int *targets, real *bits);

/* After model_forward: gradients (overwritten) of sum_i weights[i] * (-ln p_i). */
void model_backward(model *m, const int *targets, const real *weights);

/* The hashed n-gram table's touched-row flags (n = its rows; NULL and 0 without a table),
 * for ranks to agree on the rows to update: after the gradients are summed over ranks,
 * each rank must hold the union (dist_max_int) before model_grad_norm and model_update. */
int *model_ngram_touched(model *m, size_t *n);

/* Global gradient norm (before clipping). */
double model_grad_norm(model *m);

/* One AdamW update (step counter advanced inside) with global-norm clipping at
 * tc->grad_clip (0 disables); grad_norm is model_grad_norm()'s value. The head learns at
 * lr x tc->head_lr_scale, the embeddings at lr x tc->embedding_lr_scale. */
void model_update(model *m, const train_config *tc, double lr, double grad_norm);

#endif
