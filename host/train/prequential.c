/* The prequential loop (docs/design.md §1). Every step: build the S windows (prefix + segment),
 * code the segment positions with the current weights, attribute the bits to documents,
 * then train on the same positions. */
#include "prequential.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "dist.h"
#include "extract.h"
#include "flops.h"
#include "lr_schedule.h"
#include "model.h"
#include "timer.h"
#include "two_part.h"

/* The streams of a layout this rank codes (dist.h): [first, first + count). With W ranks
 * rank r owns [r*S/W, (r+1)*S/W); the training layout needs W to divide S, evaluations
 * of other layouts (the held-out documents) may split unevenly. */
typedef struct stream_shard {
    uint64_t first, count;
} stream_shard;

static stream_shard shard_of(const stream_layout *lay) {
    uint64_t W = (uint64_t)dist_world(), r = (uint64_t)dist_rank(), S = lay->streams;
    return (stream_shard){r * S / W, (r + 1) * S / W - r * S / W};
}

/* Host-side buffers of one step: this rank's windows of up to `context` positions. */
typedef struct step_batch {
    int *tokens, *targets;
    real *weights, *bits;
    uint8_t *window;      /* raw bytes of one stream's window plus the byte before it */
    real *logits;         /* with a coder: the shard's logits [count][context][256] */
    real *column;         /* with a coder: one position's logits per stream [count][256] */
    uint64_t *offsets;    /* with a coder: that position's corpus offset per stream */
    size_t *rows;         /* with a coder: and its stream's index within the shard */
    uint64_t n;           /* positions per stream this step */
    uint64_t prefix;      /* of which the first `prefix` are context only */
    uint64_t coded;       /* positions with weight 1 (this rank's streams) */
    uint64_t coded_all;   /* positions coded by the step over all ranks */
    uint64_t trained_all; /* positions with a training weight over all ranks */
} step_batch;

/* Fills the batch for step k with the shard's streams: input = previous byte (begin
 * symbol at a stream's start), target = the byte, weight 1 on segment positions inside
 * the stream (and on prefix positions inside it with prefix_loss), 0 elsewhere. Only the
 * segment positions are coded (attribute_bits). */
static void build_step(step_batch *b, const stream_layout *lay, stream_shard sh, const corpus *c,
                       uint64_t k, bool prefix_loss) {
    uint64_t T = lay->segment, L = lay->stream_len;
    uint64_t n = stream_layout_seq_len(lay, k), p = n - T, first = k * T - p;
    b->n = n;
    b->prefix = p;
    b->coded = 0;
    b->coded_all = stream_layout_coded(lay, k);
    b->trained_all = stream_layout_trained(lay, k, prefix_loss);
    for (uint64_t i = 0; i < sh.count; i++) {
        uint64_t s = sh.first + i, start = s * L, len = stream_layout_stream_bytes(lay, s);
        /* window bytes: stream-relative positions [first - 1, first + n), clipped */
        uint64_t lo = first > 0 ? first - 1 : 0;
        uint64_t hi = first + n < len ? first + n : len;
        if (hi > lo) corpus_copy(c, start + lo, (size_t)(hi - lo), b->window);
        int *tok = b->tokens + i * n, *tgt = b->targets + i * n;
        real *w = b->weights + i * n;
        for (uint64_t j = 0; j < n; j++) {
            uint64_t pos = first + j; /* stream-relative position of the target */
            int inside = pos < len;
            tgt[j] = inside ? b->window[pos - lo] : 0;
            tok[j] = pos == 0 ? MDL_BOS : (pos - 1 < len ? b->window[pos - 1 - lo] : 0);
            w[j] = (inside && (j >= p || prefix_loss)) ? 1 : 0;
            b->coded += inside && j >= p;
        }
    }
}

/* Sums the coded positions' bits of the shard's streams in fp64, in a fixed order, also
 * per document. */
static double attribute_bits(const step_batch *b, const stream_layout *lay, stream_shard sh,
                             const corpus *c, uint64_t k, double *doc_bits) {
    uint64_t first = k * lay->segment - b->prefix;
    double total = 0.0;
    for (uint64_t i = 0; i < sh.count; i++) {
        uint64_t s = sh.first + i;
        const real *bits = b->bits + i * b->n;
        const real *w = b->weights + i * b->n;
        size_t d = SIZE_MAX;
        uint64_t doc_end = 0;
        for (uint64_t j = b->prefix; j < b->n; j++) {
            if (w[j] == 0) continue; /* past the stream's end */
            uint64_t abs = s * lay->stream_len + first + j;
            if (d == SIZE_MAX || abs >= doc_end) {
                d = corpus_doc_index(c, abs);
                doc_end = c->docs[d].offset + c->docs[d].size;
            }
            total += (double)bits[j];
            doc_bits[d] += (double)bits[j];
        }
    }
    return total;
}

static int alloc_batch(step_batch *b, uint64_t S, uint64_t context, bool coder) {
    size_t N = (size_t)(S * context);
    b->tokens = malloc(N * sizeof *b->tokens);
    b->targets = malloc(N * sizeof *b->targets);
    b->weights = malloc(N * sizeof *b->weights);
    b->bits = malloc(N * sizeof *b->bits);
    b->window = malloc((size_t)context + 1);
    if (coder) {
        b->logits = malloc((N ? N : 1) * MDL_VOCAB_OUT * sizeof *b->logits);
        b->column = malloc((S ? S : 1) * MDL_VOCAB_OUT * sizeof *b->column);
        b->offsets = malloc((S ? S : 1) * sizeof *b->offsets);
        b->rows = malloc((S ? S : 1) * sizeof *b->rows);
        if (!b->logits || !b->column || !b->offsets || !b->rows) return -1;
    }
    return b->tokens && b->targets && b->weights && b->bits && b->window ? 0 : -1;
}

static void free_batch(step_batch *b) {
    free(b->tokens), free(b->targets), free(b->weights), free(b->bits), free(b->window);
    free(b->logits), free(b->column), free(b->offsets), free(b->rows);
}

/* The shard's streams that reach window position j of step k (j >= prefix): their corpus
 * offsets in b->offsets, their indices within the shard in b->rows; returns the count. */
static size_t coded_column(step_batch *b, const stream_layout *lay, stream_shard sh, uint64_t k,
                           uint64_t j) {
    uint64_t pos = k * lay->segment - b->prefix + j; /* stream-relative */
    size_t n = 0;
    for (uint64_t i = 0; i < sh.count; i++) {
        uint64_t s = sh.first + i;
        if (pos >= stream_layout_stream_bytes(lay, s)) continue;
        b->offsets[n] = s * lay->stream_len + pos;
        b->rows[n++] = (size_t)i;
    }
    return n;
}

/* Encoding: after step k's coding forward, its coded positions in the coder's order. */
static int encode_step(model *m, step_batch *b, const stream_layout *lay, stream_shard sh,
                       uint64_t k, const preq_coder *coder, mdl_err *err) {
    model_download_logits(m, 0, (size_t)(sh.count * b->n), b->logits);
    for (uint64_t j = b->prefix; j < b->n; j++) {
        size_t n = coded_column(b, lay, sh, k, j);
        for (size_t r = 0; r < n; r++)
            memcpy(b->column + r * MDL_VOCAB_OUT,
                   b->logits + (b->rows[r] * b->n + j) * MDL_VOCAB_OUT,
                   MDL_VOCAB_OUT * sizeof *b->column);
        if (n && coder->code(coder->ctx, b->column, b->offsets, n, err) != 0) return -1;
    }
    return 0;
}

/* Decoding: step k's bytes, position by position, each from a forward pass over the window
 * as decoded so far (the positions after it hold placeholders that, by causality, cannot
 * change its logits). The step is then built and trained on as the encoder did. */
static int decode_step(model *m, step_batch *b, const stream_layout *lay, stream_shard sh,
                       const corpus *c, uint64_t k, const preq_coder *coder, mdl_err *err) {
    for (uint64_t j = stream_layout_seq_len(lay, k) - lay->segment;
         j < stream_layout_seq_len(lay, k); j++) {
        build_step(b, lay, sh, c, k, false);
        size_t n = coded_column(b, lay, sh, k, j);
        if (n == 0) continue;
        model_forward(m, b->tokens, (int)sh.count, (int)b->n);
        for (size_t r = 0; r < n; r++)
            model_download_logits(m, b->rows[r] * b->n + j, 1, b->column + r * MDL_VOCAB_OUT);
        if (coder->code(coder->ctx, b->column, b->offsets, n, err) != 0) return -1;
    }
    return 0;
}

/* Codes the shard's windows of the batch (built by build_step) with the current weights:
 * per-position bits in b->bits, their fp64 sum returned (a rank without streams: 0). */
static double code_step(model *m, step_batch *b, const stream_layout *lay, stream_shard sh,
                        const corpus *c, uint64_t k, double *doc_bits) {
    if (sh.count == 0) return 0.0;
    model_forward(m, b->tokens, (int)sh.count, (int)b->n);
    model_bits(m, b->targets, b->bits);
    model_segment_memory_push(m);
    model_segment_memory_commit(m);
    return attribute_bits(b, lay, sh, c, k, doc_bits);
}

/* A hook's stop request, agreed by all ranks (any rank's request stops every rank). */
static int agree(int stop) {
    dist_max_int(&stop, 1);
    return stop;
}

/* Teacher-forced pass with the current weights over layout lay of c: L(D | theta) (NaN
 * when the hook stops it), summed over the ranks; doc_bits gets this rank's streams'
 * bits. `what` names the pass for the hook, which hears done0 + the bytes done of total. */
static double evaluate_span(model *m, step_batch *b, const stream_layout *lay, const corpus *c,
                            preq_eval_kind kind, double *doc_bits, const preq_hooks *hooks,
                            const char *what, uint64_t done0, uint64_t total_bytes) {
    stream_shard sh = shard_of(lay);
    double total = 0.0;
    uint64_t done = done0;
    model_segment_memory_reset(m);
    for (uint64_t k = 0; k < lay->steps; k++) {
        build_step(b, lay, sh, c, k, false);
        total += code_step(m, b, lay, sh, c, k, doc_bits);
        done += b->coded_all;
        int stop =
            hooks && hooks->on_eval && hooks->on_eval(hooks->ctx, kind, what, done, total_bytes);
        if (agree(stop)) return NAN;
    }
    dist_sum_double(&total, 1);
    return total;
}

/* The same over the whole layout. */
static double evaluate(model *m, step_batch *b, const stream_layout *lay, const corpus *c,
                       preq_eval_kind kind, double *doc_bits, const preq_hooks *hooks,
                       const char *what) {
    return evaluate_span(m, b, lay, c, kind, doc_bits, hooks, what, 0, lay->n_bytes);
}

/* The held-out documents c in independent chunks of analysis.chunk_bytes (the tail of
 * fewer bytes left out), by the final weights: each chunk is a stream of its own, coded
 * from the begin symbol with an empty memory, so no context crosses a chunk boundary.
 * Groups of train.streams chunks share a pass (the model's batch). *n_chunks: how many;
 * doc_bits: scratch of at least c->n_docs. NaN when stopped or on err. */
static double evaluate_chunks(model *m, step_batch *b, const mdl_config *cfg, const corpus *c,
                              const preq_hooks *hooks, double *doc_bits, uint64_t *n_chunks,
                              mdl_err *err) {
    uint64_t C = cfg->analysis.chunk_bytes, n = c->n_bytes / C, S = cfg->train.streams;
    double total = 0.0;
    *n_chunks = n;
    for (uint64_t g = 0; g < n && !isnan(total); g += S) {
        uint64_t count = n - g < S ? n - g : S;
        mdl_config gcfg = *cfg;
        gcfg.train.streams = (unsigned)count; /* then every stream is one chunk of C bytes */
        corpus part = {0};
        stream_layout lay;
        int failed = corpus_slice(c, g * C, count * C, &part, err) != 0 ||
                     stream_layout_make(&lay, count * C, &gcfg, err) != 0;
        total = agree(failed) ? NAN /* every rank leaves before the pass's collectives */
                              : total + evaluate_span(m, b, &lay, &part, PREQ_EVAL_FINAL, doc_bits,
                                                      hooks, "held out in chunks", g * C, n * C);
        corpus_view_free(&part);
    }
    return total;
}

/* Two-part codes of the final weights: for each format, the zstd -19 size of the
 * serialized quantized weights and the code length of the corpus under the dequantized
 * weights (the same evaluation pass as L_final). The weights are restored afterwards. */
static int measure_two_part(model *m, step_batch *b, const stream_layout *lay, const corpus *c,
                            const preq_hooks *hooks, preq_result *out, mdl_err *err) {
    size_t n_params = model_num_params(m);
    real *orig = malloc(n_params * sizeof *orig), *deq = malloc(n_params * sizeof *deq);
    double *doc_bits = calloc(c->n_docs, sizeof *doc_bits);
    int rc = orig && deq && doc_bits ? 0 : mdl_fail(err, "out of memory for the two-part codes");
    if (rc == 0) model_get_params(m, orig);
    for (int f = 0; f < WFMT_COUNT && rc == 0; f++) {
        uint8_t *buf = NULL;
        size_t n = 0, z = 0;
        rc = weights_serialize(m, orig, (weight_format)f, &buf, &n, err);
        if (rc == 0) rc = zstd19_size(buf, n, &z, err);
        if (rc == 0) rc = weights_deserialize(m, buf, n, (weight_format)f, deq, err);
        free(buf);
        if (rc != 0) break;
        model_set_params(m, deq);
        char what[32];
        snprintf(what, sizeof what, "two-part %s", weight_format_name((weight_format)f));
        two_part_row *row = &out->two_part[out->n_two_part++];
        row->format = (weight_format)f;
        row->raw_bytes = n;
        row->weight_bytes = z;
        row->weight_bits = 8.0 * (double)z;
        row->data_bits = evaluate(m, b, lay, c, PREQ_EVAL_FINAL, doc_bits, hooks, what);
        row->total_bits = row->weight_bits + row->data_bits;
        row->total_bpb = row->total_bits / (double)lay->n_bytes;
        row->data_bpb = row->data_bits / (double)lay->n_bytes;
    }
    if (orig) model_set_params(m, orig);
    free(orig), free(deq), free(doc_bits);
    return rc;
}

/* The held-out documents' layout: their own streams (as many as the training run, at most
 * one per byte) with the same segment and context. */
static int held_out_layout(const mdl_config *cfg, const corpus *held, stream_layout *hlay,
                           mdl_err *err) {
    mdl_config hcfg = *cfg;
    if (hcfg.train.streams > held->n_bytes) hcfg.train.streams = (unsigned)held->n_bytes;
    return stream_layout_make(hlay, held->n_bytes, &hcfg, err);
}

/* The held-out documents coded by the current weights. */
static double evaluate_held_out(model *m, step_batch *b, const mdl_config *cfg, const corpus *held,
                                preq_eval_kind kind, double *doc_bits, const preq_hooks *hooks,
                                mdl_err *err) {
    stream_layout hlay;
    if (held_out_layout(cfg, held, &hlay, err) != 0) return NAN;
    return evaluate(m, b, &hlay, held, kind, doc_bits, hooks, "held out");
}

/* The gradients summed over ranks, and the n-gram table rows any rank touched. */
static void share_gradients(model *m) {
    dist_sum_gradients(model_grads(m), model_num_params(m));
    size_t n;
    int *touched = model_ngram_touched(m, &n);
    if (n) dist_max_int(touched, n);
}

/* The step's inputs besides the model: which pass position and update it is. */
typedef struct step_args {
    uint64_t k, update, total_updates;
    const preq_coder *coder; /* NULL: no entropy coding */
    const preq_hooks *hooks; /* their stop_now is asked between updates */
} step_args;

/* Whether the hooks stop the run between two updates of a step, agreed by the ranks. */
static int stop_between_updates(const preq_hooks *hooks) {
    return hooks && hooks->stop_now && agree(hooks->stop_now(hooks->ctx) != 0);
}

/* Codes step k with the current weights (this rank's bits added to doc_bits), then makes
 * the R updates on the same positions; `update` is the index of the first one in the
 * schedule. Returns the step's bits over all ranks; *lr and *norm are the first update's.
 * With several ranks each one's gradients cover its streams; they are summed before the
 * norm and the update, so every rank makes the same update. *failed: -1 when the coder
 * failed, PREQ_STOPPED when the hooks stopped the run between two updates. */
static double train_step(model *m, step_batch *b, const stream_layout *lay, stream_shard sh,
                         const corpus *c, const train_config *tc, const step_args *a,
                         double *doc_bits, double *lr, double *norm, mdl_err *err, int *failed) {
    uint64_t k = a->k, update = a->update, total_updates = a->total_updates;
    const preq_coder *coder = a->coder;
    if (coder && coder->decoding && decode_step(m, b, lay, sh, c, k, coder, err) != 0)
        return *failed = -1, NAN;
    build_step(b, lay, sh, c, k, tc->prefix_loss);
    model_forward(m, b->tokens, (int)sh.count, (int)b->n);
    model_bits(m, b->targets, b->bits);
    if (coder && !coder->decoding && encode_step(m, b, lay, sh, k, coder, err) != 0)
        return *failed = -1, NAN;
    model_segment_memory_push(m); /* the coding forward's rows are the next step's memory */
    double step_bits = attribute_bits(b, lay, sh, c, k, doc_bits);
    dist_sum_double(&step_bits, 1);
    /* the training loss is the mean over the step's trained positions of all ranks (nats) */
    size_t N = (size_t)(sh.count * b->n);
    for (size_t i = 0; i < N; i++) b->weights[i] /= (real)b->trained_all;
    int ranks = dist_world() > 1;
    for (uint64_t r = 0; r < tc->repeats_per_step; r++) {
        if (r > 0 && stop_between_updates(a->hooks)) {
            mdl_fail(err, "stopped during the updates of step %llu (%llu of %llu done)",
                     (unsigned long long)k, (unsigned long long)r,
                     (unsigned long long)tc->repeats_per_step);
            return *failed = PREQ_STOPPED, NAN;
        }
        if (r > 0) model_forward(m, b->tokens, (int)sh.count, (int)b->n);
        model_backward(m, b->targets, b->weights);
        if (ranks) share_gradients(m);
        double g = model_grad_norm(m), rate = lr_at(tc, update + r, total_updates);
        model_update(m, tc, rate, g);
        if (r == 0) *lr = rate, *norm = g;
    }
    model_segment_memory_commit(m);
    return step_bits;
}

/* The extraction test on the trained documents c and the held-out ones (or NULL). Every
 * rank holds the same weights, so rank 0 alone runs it (only rank 0 reports results). */
static int run_extraction(model *m, const mdl_config *cfg, const corpus *c, const corpus *held,
                          preq_result *out, mdl_err *err) {
    if (dist_rank() != 0) return 0;
    const analysis_config *a = &cfg->analysis;
    const corpus *groups[2] = {c, held};
    stream_layout lays[2] = {out->layout};
    if (held && held_out_layout(cfg, held, &lays[1], err) != 0) return -1;
    unsigned P, S;
    extract_geometry(cfg, &P, &S);
    for (int g = 0; g < 2; g++) {
        if (!groups[g] || groups[g]->n_docs == 0) continue;
        out->extract[g] = malloc(a->extract_samples * sizeof *out->extract[g]);
        if (!out->extract[g]) return mdl_fail(err, "out of memory for the extraction samples");
        if (extract_positions(groups[g], &lays[g], P, S, a, (uint64_t)g, out->extract[g],
                              &out->n_extract[g], err) != 0)
            return -1;
        model_segment_memory_reset(m); /* a sample is decoded from its P bytes alone */
        if (extract_decode(m, (int)(cfg->train.streams / (unsigned)dist_world()), groups[g], P, S,
                           out->extract[g], out->n_extract[g], err) != 0)
            return -1;
    }
    return 0;
}

/* Memory rows step k attends to (model.h): min(M, k T). */
static uint64_t memory_rows(const model_config *mc, const stream_layout *lay, uint64_t k) {
    uint64_t before = k * lay->segment;
    return before < mc->memory ? before : mc->memory;
}

/* What the loop carries from step to step besides the model. */
typedef struct loop_state {
    uint64_t pass, step; /* the next step */
    double pass_bits;    /* bits of the current pass so far */
    double train_base;   /* seconds of the prequential pass before this process */
    double start;        /* when this process's loop began */
    size_t n_docs;       /* trained documents */
    double *doc_all;     /* [n_docs]: doc_preq_bits summed over the ranks (several ranks) */
    const model_config *mc;
} loop_state;

/* Values of one stream's segment memory in one layer (model.h: M rows of q, k, v). */
static size_t memory_per_stream(const model_config *mc) {
    return (size_t)mc->memory * 3 * mc->d_model;
}

/* Values of the memory of all streams, [n_layer][S][M][3C], as checkpoints hold it. */
static size_t memory_count_all(const model_config *mc, const stream_layout *lay) {
    return (size_t)mc->n_layer * lay->streams * memory_per_stream(mc);
}

/* Copies this rank's streams' rows between its memory [n_layer][shard][M][3C] and the
 * memory of all streams [n_layer][S][M][3C]: dst is the latter when to_all, src otherwise. */
static void copy_memory_shard(real *dst, const real *src, const model_config *mc,
                              const stream_layout *lay, bool to_all) {
    stream_shard sh = shard_of(lay);
    size_t per = memory_per_stream(mc);
    for (size_t l = 0; l < mc->n_layer; l++) {
        size_t all = (l * lay->streams + sh.first) * per, mine = l * sh.count * per;
        memcpy(dst + (to_all ? all : mine), src + (to_all ? mine : all),
               sh.count * per * sizeof *dst);
    }
}

/* The memory of all streams from every rank's shard: each rank fills its streams' rows and
 * the zeros elsewhere are summed away (exactly). */
static real *gather_memory(model *m, const model_config *mc, const stream_layout *lay,
                           size_t *count) {
    size_t local = model_segment_memory_count(m);
    *count = memory_count_all(mc, lay);
    real *all = calloc(*count ? *count : 1, sizeof *all),
         *mine = malloc((local ? local : 1) * sizeof *mine);
    if (all && mine) {
        model_get_segment_memory(m, mine);
        copy_memory_shard(all, mine, mc, lay, true);
        if (dist_world() > 1 && *count) dist_sum_gradients(all, *count);
    } else {
        free(all), all = NULL;
    }
    free(mine);
    return all;
}

/* This rank's streams' rows of a gathered memory, restored at the step's position. */
static int scatter_memory(model *m, const model_config *mc, const stream_layout *lay,
                          const real *all, uint64_t step) {
    size_t local = model_segment_memory_count(m);
    real *mine = malloc((local ? local : 1) * sizeof *mine);
    if (!mine) return -1;
    copy_memory_shard(mine, all, mc, lay, false);
    model_set_segment_memory(m, mine, step * lay->segment);
    free(mine);
    return 0;
}

/* Offers a checkpoint at the boundary before (ls->pass, ls->step); 0 to go on, PREQ_STOPPED
 * or -1. With several ranks the decisions are agreed (any rank's wish or stop counts for
 * all) and the checkpoint holds the per-document bits of every rank. */
static int boundary(model *m, const loop_state *ls, const preq_hooks *hooks, preq_result *out,
                    mdl_err *err) {
    int want = hooks && hooks->want_checkpoint && hooks->on_checkpoint &&
               hooks->want_checkpoint(hooks->ctx, ls->pass, ls->step);
    if (!agree(want)) return 0;
    double *doc_bits = out->doc_preq_bits;
    if (dist_world() > 1) {
        memcpy(ls->doc_all, out->doc_preq_bits, ls->n_docs * sizeof *ls->doc_all);
        dist_sum_double(ls->doc_all, ls->n_docs);
        doc_bits = ls->doc_all;
    }
    size_t sizes[MDL_NUM_PARAM_TENSORS];
    for (int t = 0; t < MDL_NUM_PARAM_TENSORS; t++) sizes[t] = model_tensor_size(m, t);
    size_t n_params = model_num_params(m);
    preq_checkpoint cp = {
        .pass = ls->pass,
        .step = ls->step,
        .n_params = n_params,
        .params = malloc(n_params * sizeof(real)),
        .adam_m = malloc(n_params * sizeof(real)),
        .adam_v = malloc(n_params * sizeof(real)),
        .tensor_sizes = sizes,
        .pass_bits = ls->pass_bits,
        .first_step_bits = out->first_step_bits,
        .first_step_bytes = out->first_step_bytes,
        .model_flops = out->model_flops,
        .train_s = ls->pass == 0 ? ls->train_base + now_seconds() - ls->start : out->train_s,
        .n_passes = out->n_passes,
        .passes = out->passes,
        .n_docs = ls->n_docs,
        .doc_preq_bits = doc_bits,
        .pass_doc_bits = out->pass_doc_bits,
        .n_held = out->n_held_docs,
        .pass_held_bits = out->pass_held_bits,
    };
    cp.memory = gather_memory(m, ls->mc, &out->layout, &cp.n_memory);
    int rc = cp.params && cp.adam_m && cp.adam_v && cp.memory
                 ? 0
                 : mdl_fail(err, "out of memory for a checkpoint");
    if (rc == 0) {
        model_get_params(m, cp.params);
        model_get_optimizer(m, cp.adam_m, cp.adam_v, &cp.adam_t);
        rc = hooks->on_checkpoint(hooks->ctx, &cp, err);
    }
    free(cp.params), free(cp.adam_m), free(cp.adam_v), free(cp.memory);
    int agreed[2] = {rc < 0, rc == PREQ_STOPPED};
    dist_max_int(agreed, 2);
    if (agreed[0] && rc >= 0) return mdl_fail(err, "a checkpoint failed on another rank");
    if (agreed[1] && rc == 0) return PREQ_STOPPED;
    return rc;
}

/* Restores a checkpoint into the model and out; the loop then starts at its step. */
static int restore(model *m, const preq_checkpoint *cp, const corpus *c, loop_state *ls,
                   preq_result *out, mdl_err *err) {
    if (cp->n_params != model_num_params(m) || cp->n_docs != c->n_docs ||
        cp->n_passes != out->n_passes || (cp->step > 0 && cp->step >= out->layout.steps) ||
        cp->pass > out->n_passes || cp->n_held != out->n_held_docs)
        return mdl_fail(err,
                        "the checkpoint does not match this run (%zu parameters, %zu "
                        "documents, %zu passes)",
                        cp->n_params, cp->n_docs, cp->n_passes);
    const model_config *mc = ls->mc;
    size_t n_memory = memory_count_all(mc, &out->layout);
    if (cp->step > 0 && cp->n_memory != n_memory) /* a pass starts with an empty memory */
        return mdl_fail(err,
                        "the checkpoint's segment memory (%zu values) does not match this run's "
                        "(%zu: model.memory %u)",
                        cp->n_memory, n_memory, mc->memory);
    model_set_params(m, cp->params);
    model_set_optimizer(m, cp->adam_m, cp->adam_v, cp->adam_t);
    if (cp->step > 0 && n_memory && scatter_memory(m, mc, &out->layout, cp->memory, cp->step) != 0)
        return mdl_fail(err, "out of memory restoring the segment memory");
    /* the checkpoint's per-document bits are every rank's: rank 0 carries them on */
    if (dist_rank() == 0) memcpy(out->doc_preq_bits, cp->doc_preq_bits, c->n_docs * sizeof(double));
    memcpy(out->passes, cp->passes, cp->n_passes * sizeof *out->passes);
    memcpy(out->pass_doc_bits, cp->pass_doc_bits, cp->n_passes * cp->n_docs * sizeof(double));
    memcpy(out->pass_held_bits, cp->pass_held_bits, cp->n_passes * cp->n_held * sizeof(double));
    out->first_step_bits = cp->first_step_bits;
    out->first_step_bytes = cp->first_step_bytes;
    out->model_flops = cp->model_flops;
    out->train_s = cp->train_s;
    out->preq_bits = cp->pass > 0 ? cp->passes[0].train_bits : 0.0;
    ls->pass = cp->pass;
    ls->step = cp->step;
    ls->pass_bits = cp->pass_bits;
    ls->train_base = cp->train_s;
    return 0;
}

/* The loop over the trained documents c (a view); held (or NULL) are the held-out ones,
 * whose final-model bits go to held_bits. Starts from resume when given. */
/* What one run of the loop works with: its inputs, the model and the buffers. */
typedef struct trainer {
    const mdl_config *cfg;
    const corpus *c, *held; /* held: NULL unless there are held-out documents */
    const preq_hooks *hooks;
    preq_result *out;
    const stream_layout *lay;
    stream_shard sh;
    model *m;
    step_batch b;
    double *scratch; /* per-document bits nobody keeps */
    loop_state ls;
} trainer;

/* The model with the initial weights, on every rank or on none. */
static int create_model(trainer *t, const mdl_backend *be, mdl_err *err) {
    int failed = model_create(&t->m, &t->cfg->model, (int)t->sh.count, be, err) != 0;
    if (agree(failed)) {
        if (!failed) model_destroy(t->m);
        t->m = NULL; /* a failed model_create has cleaned up after itself */
        return failed ? -1 : mdl_fail(err, "the model could not be created on another rank");
    }
    failed = model_init_weights(t->m, t->cfg->train.seed, err) != 0;
    if (agree(failed))
        return failed ? -1 : mdl_fail(err, "the weights could not be initialised on another rank");
    t->out->n_params = model_num_params(t->m);
    t->out->n_params_nonembedding = model_num_params_nonembedding(t->m);
    return 0;
}

/* The step buffers, the per-document arrays and the pass table. */
static int alloc_buffers(trainer *t, mdl_err *err) {
    const mdl_config *cfg = t->cfg;
    const corpus *c = t->c;
    preq_result *out = t->out;
    size_t n_held = t->held ? t->held->n_docs : 0;
    size_t n_scratch = (c->n_docs > n_held ? c->n_docs : n_held) + 1;
    t->scratch = calloc(n_scratch, sizeof *t->scratch);
    out->n_passes = cfg->train.passes;
    out->passes = malloc(cfg->train.passes * sizeof *out->passes);
    out->doc_preq_bits = calloc(c->n_docs, sizeof(double));
    if (cfg->run.eval_final) out->doc_final_bits = calloc(c->n_docs, sizeof(double));
    size_t E = cfg->train.passes, cells = E * c->n_docs, held_cells = E * out->n_held_docs;
    out->pass_doc_bits = malloc((cells ? cells : 1) * sizeof(double));
    out->pass_held_bits = malloc((held_cells ? held_cells : 1) * sizeof(double));
    t->ls = (loop_state){
        .n_docs = c->n_docs, .doc_all = calloc(c->n_docs + 1, sizeof(double)), .mc = &cfg->model};
    if (agree(alloc_batch(&t->b, t->sh.count, cfg->model.context, t->hooks && t->hooks->coder) !=
                  0 ||
              !out->doc_preq_bits || !t->scratch || !out->passes || !t->ls.doc_all ||
              !out->pass_doc_bits || !out->pass_held_bits ||
              (cfg->run.eval_final && !out->doc_final_bits)))
        return mdl_fail(err, "out of memory for the step buffers");
    for (size_t e = 0; e < out->n_passes; e++) out->passes[e] = (pass_row){0.0, NAN, NAN};
    for (size_t i = 0; i < cells; i++) out->pass_doc_bits[i] = NAN;
    for (size_t i = 0; i < held_cells; i++) out->pass_held_bits[i] = NAN;
    return 0;
}

static void trainer_free(trainer *t) {
    free_batch(&t->b);
    free(t->scratch);
    free(t->ls.doc_all);
    model_destroy(t->m);
}

/* Step k of pass e: code, then train. The first pass is the prequential code and gives
 * the curve row; a later pass reports its progress, which may stop the run. */
static int run_step(trainer *t, uint64_t e, uint64_t k, const char *what, mdl_err *err) {
    const train_config *tc = &t->cfg->train;
    const stream_layout *lay = t->lay;
    const preq_hooks *hooks = t->hooks;
    preq_result *out = t->out;
    uint64_t R = tc->repeats_per_step, total_updates = lay->steps * R * tc->passes;
    double lr = 0.0, norm = 0.0;
    step_args args = {k, (e * lay->steps + k) * R, total_updates,
                      e == 0 && hooks ? hooks->coder : NULL, hooks};
    int failed = 0;
    double step_bits =
        train_step(t->m, &t->b, lay, t->sh, t->c, tc, &args,
                   e == 0 ? out->doc_preq_bits : t->scratch, &lr, &norm, err, &failed);
    if (failed) return failed == PREQ_STOPPED ? PREQ_STOPPED : -1;
    if (corpus_fault()) {
        mdl_fail(err,
                 "%s: the file changed (truncated?) during the run: its bytes for pass %llu, "
                 "step %llu could not be read",
                 corpus_fault(), (unsigned long long)e + 1, (unsigned long long)k);
        return PREQ_CORPUS_CHANGED;
    }
    if (!isfinite(step_bits)) { /* summed over the ranks: every rank stops here */
        mdl_fail(err,
                 "diverged: the bits of pass %llu, step %llu are not finite (learning rate "
                 "%.3g, gradient norm %.3g)",
                 (unsigned long long)e + 1, (unsigned long long)k, lr, norm);
        return PREQ_DIVERGED;
    }
    t->ls.pass_bits += step_bits;
    if (e > 0) {
        uint64_t done = (k + 1) * lay->segment * lay->streams;
        int stop = hooks && hooks->on_eval &&
                   hooks->on_eval(hooks->ctx, PREQ_EVAL_TRAINING, what,
                                  done < lay->n_bytes ? done : lay->n_bytes, lay->n_bytes) != 0;
        return agree(stop) ? mdl_fail(err, "stopped during %s", what) : 0;
    }
    if (k == 0) {
        out->first_step_bits = step_bits;
        out->first_step_bytes = t->b.coded_all;
    }
    out->model_flops +=
        (double)R * model_flops_fwd_bwd(&t->cfg->model, out->n_params_nonembedding, lay->streams,
                                        t->b.n, memory_rows(&t->cfg->model, lay, k));
    curve_row row = {(int64_t)k,
                     (int64_t)t->b.coded_all,
                     step_bits,
                     t->ls.pass_bits,
                     lr,
                     norm,
                     t->ls.train_base + now_seconds() - t->ls.start};
    int rc = hooks && hooks->on_step ? hooks->on_step(hooks->ctx, &row, err) : 0;
    if (agree(rc != 0) && rc == 0) rc = mdl_fail(err, "another rank stopped the run");
    return rc;
}

/* Row e of a [passes][n] table, zeroed for an evaluation to add into. */
static double *pass_row_start(double *table, uint64_t e, size_t n) {
    double *row = table + e * n;
    memset(row, 0, n * sizeof *row);
    return row;
}

/* Pass e is trained: its bits, and before the last pass L(D | theta) under its weights
 * (the last pass's is L_final, evaluated after training). */
static void finish_pass(trainer *t, uint64_t e, mdl_err *err) {
    const mdl_config *cfg = t->cfg;
    preq_result *out = t->out;
    out->passes[e].train_bits = t->ls.pass_bits;
    if (e == 0) {
        out->train_s = t->ls.train_base + now_seconds() - t->ls.start;
        out->preq_bits = t->ls.pass_bits;
    }
    if (cfg->run.eval_final && e + 1 < cfg->train.passes && !(t->hooks && t->hooks->coder)) {
        char what[48];
        snprintf(what, sizeof what, "pass %llu eval", (unsigned long long)e + 1);
        double *row = pass_row_start(out->pass_doc_bits, e, t->c->n_docs);
        out->passes[e].eval_bits =
            evaluate(t->m, &t->b, t->lay, t->c, PREQ_EVAL_TRAINING, row, t->hooks, what);
        if (dist_world() > 1) dist_sum_double(row, t->c->n_docs);
        if (t->held) {
            row = pass_row_start(out->pass_held_bits, e, out->n_held_docs);
            out->passes[e].heldout_bits = evaluate_held_out(t->m, &t->b, cfg, t->held,
                                                            PREQ_EVAL_TRAINING, row, t->hooks, err);
            if (dist_world() > 1) dist_sum_double(row, out->n_held_docs);
        }
    }
}

/* The rest of the current pass from ls.step, with a boundary after every step. */
static int run_pass(trainer *t, mdl_err *err) {
    loop_state *ls = &t->ls;
    uint64_t e = ls->pass, steps = t->lay->steps;
    char what[48];
    snprintf(what, sizeof what, "pass %llu", (unsigned long long)e + 1);
    if (ls->step == 0) model_segment_memory_reset(t->m); /* each pass starts the streams over */
    int rc = 0;
    for (uint64_t k = ls->step; k < steps && rc == 0; k++) {
        rc = run_step(t, e, k, what, err);
        ls->step = k + 1;
        if (rc == 0 && k + 1 < steps) rc = boundary(t->m, ls, t->hooks, t->out, err);
    }
    if (rc != 0) return rc;
    finish_pass(t, e, err);
    *ls = (loop_state){e + 1, 0, 0.0, ls->train_base, ls->start, ls->n_docs, ls->doc_all, ls->mc};
    return boundary(t->m, ls, t->hooks, t->out, err);
}

/* L_final over the trained documents and the held-out documents' code length. */
static void evaluate_final(trainer *t, double *held_bits, mdl_err *err) {
    preq_result *out = t->out;
    out->final_bits = evaluate(t->m, &t->b, t->lay, t->c, PREQ_EVAL_FINAL, out->doc_final_bits,
                               t->hooks, "final model");
    if (t->held) {
        out->heldout_bytes = t->held->n_bytes;
        out->heldout_bits = evaluate_held_out(t->m, &t->b, t->cfg, t->held, PREQ_EVAL_FINAL,
                                              held_bits, t->hooks, err);
        if (t->cfg->analysis.chunk_bytes && !isnan(out->heldout_bits))
            out->heldout_chunked_bits = evaluate_chunks(t->m, &t->b, t->cfg, t->held, t->hooks,
                                                        t->scratch, &out->heldout_chunks, err);
    }
}

/* The analyses of the final weights: the extraction test and the two-part codes. */
static int run_analyses(trainer *t, mdl_err *err) {
    const mdl_config *cfg = t->cfg;
    int rc = 0;
    if (cfg->analysis.extract_samples > 0)
        rc = run_extraction(t->m, cfg, t->c, t->held, t->out, err);
    if (rc == 0 && cfg->run.eval_final && cfg->run.two_part && !isnan(t->out->final_bits))
        rc = measure_two_part(t->m, &t->b, t->lay, t->c, t->hooks, t->out, err);
    return rc;
}

/* Each rank's per-document bits were its streams': the sums over the ranks. */
static void sum_document_bits(trainer *t, double *held_bits) {
    const corpus *c = t->c;
    dist_sum_double(t->out->doc_preq_bits, c->n_docs);
    if (t->out->doc_final_bits) dist_sum_double(t->out->doc_final_bits, c->n_docs);
    if (t->held && held_bits && t->cfg->run.eval_final) dist_sum_double(held_bits, t->held->n_docs);
}

/* The last pass's row of the per-pass document tables: the final evaluations' bits. */
static void last_pass_documents(trainer *t, const double *held_bits) {
    preq_result *out = t->out;
    size_t e = out->n_passes - 1, n = t->c->n_docs, h = out->n_held_docs;
    memcpy(out->pass_doc_bits + e * n, out->doc_final_bits, n * sizeof(double));
    if (t->held && held_bits) memcpy(out->pass_held_bits + e * h, held_bits, h * sizeof(double));
}

static int run_trained(const mdl_config *cfg, const corpus *c, const corpus *held,
                       double *held_bits, const mdl_backend *be, const preq_hooks *hooks,
                       const preq_checkpoint *resume, preq_result *out, mdl_err *err) {
    memset(out, 0, sizeof *out);
    out->final_bits = NAN;
    out->heldout_bits = NAN;
    out->heldout_chunked_bits = NAN;
    out->n_held_docs = held ? held->n_docs : 0; /* empty ones too: t.held skips those */
    if (stream_layout_make(&out->layout, c->n_bytes, cfg, err) != 0) return -1;
    unsigned W = (unsigned)dist_world();
    if (out->layout.streams % W != 0)
        return mdl_fail(err,
                        "train.streams (%llu) must be a multiple of the number of ranks (%u): "
                        "each rank codes train.streams / ranks streams",
                        (unsigned long long)out->layout.streams, W);
    trainer t = {.cfg = cfg,
                 .c = c,
                 .held = held && held->n_bytes > 0 ? held : NULL,
                 .hooks = hooks,
                 .out = out,
                 .lay = &out->layout,
                 .sh = shard_of(&out->layout)};
    if (create_model(&t, be, err) != 0) {
        model_destroy(t.m);
        return -1;
    }
    int rc = alloc_buffers(&t, err);
    if (rc == 0 && resume) rc = restore(t.m, resume, c, &t.ls, out, err);
    if (agree(rc != 0) && rc == 0) rc = mdl_fail(err, "resuming failed on another rank");
    t.ls.start = now_seconds();
    int coding = hooks && hooks->coder; /* the code is the first pass alone */
    while (rc == 0 && t.ls.pass < (coding ? 1 : cfg->train.passes)) rc = run_pass(&t, err);
    if (rc == 0 && cfg->run.eval_final && !coding) evaluate_final(&t, held_bits, err);
    if (out->passes) {
        out->passes[out->n_passes - 1].eval_bits = out->final_bits;
        out->passes[out->n_passes - 1].heldout_bits = out->heldout_bits;
    }
    if (rc == 0 && !coding) rc = run_analyses(&t, err);
    /* a stop during the evaluations: the end of training is offered once more */
    if (rc == 0 && !coding) rc = boundary(t.m, &t.ls, hooks, out, err);
    if (rc == 0 && W > 1) sum_document_bits(&t, held_bits);
    if (rc == 0 && cfg->run.eval_final && !coding) last_pass_documents(&t, held_bits);
    trainer_free(&t);
    if (rc != 0 && rc != PREQ_STOPPED) preq_result_free(out);
    return rc;
}

void preq_result_free(preq_result *r) {
    free(r->doc_preq_bits);
    free(r->doc_final_bits);
    free(r->passes);
    free(r->extract[0]);
    free(r->extract[1]);
    free(r->pass_doc_bits);
    free(r->pass_held_bits);
    r->pass_doc_bits = r->pass_held_bits = NULL;
    r->doc_preq_bits = r->doc_final_bits = NULL;
    r->passes = NULL;
    r->extract[0] = r->extract[1] = NULL;
    r->n_passes = r->n_extract[0] = r->n_extract[1] = 0;
}

/* One view's per-document values put at their documents' places in the full corpus. */
static void scatter_view(double *full, const corpus *view, const double *values) {
    for (size_t i = 0; view && values && i < view->n_docs; i++)
        full[view->docs[i].source] = values[i];
}

/* The per-pass document tables of the views merged into one in the full corpus's order. */
static int scatter_pass_documents(preq_result *out, const corpus *c, const corpus *tv,
                                  const corpus *hv, mdl_err *err) {
    size_t E = out->n_passes, D = c->n_docs, cells = E * D;
    double *all = malloc((cells ? cells : 1) * sizeof *all);
    if (!all) return mdl_fail(err, "out of memory for the per-pass document table");
    for (size_t e = 0; e < E; e++) {
        scatter_view(all + e * D, tv, out->pass_doc_bits + e * tv->n_docs);
        if (hv && out->pass_held_bits)
            scatter_view(all + e * D, hv, out->pass_held_bits + e * hv->n_docs);
    }
    free(out->pass_doc_bits);
    free(out->pass_held_bits);
    out->pass_doc_bits = all;
    out->pass_held_bits = NULL;
    return 0;
}

/* Per-document arrays of the views, put back in the full corpus's order: held-out
 * documents have no prequential bits (0) and their final bits from held_bits. */
static int scatter_documents(preq_result *out, const corpus *c, const corpus *tv, const corpus *hv,
                             const double *held_bits, mdl_err *err) {
    double *preq = calloc(c->n_docs ? c->n_docs : 1, sizeof *preq);
    double *final = out->doc_final_bits ? calloc(c->n_docs ? c->n_docs : 1, sizeof *final) : NULL;
    if (!preq || (out->doc_final_bits && !final)) {
        free(preq), free(final);
        return mdl_fail(err, "out of memory for the document table");
    }
    scatter_view(preq, tv, out->doc_preq_bits);
    if (final) {
        scatter_view(final, tv, out->doc_final_bits);
        for (size_t i = 0; hv && i < hv->n_docs; i++) final[hv->docs[i].source] = NAN;
        scatter_view(final, hv, held_bits); /* NAN stays where they were not coded */
    }
    const corpus *views[2] = {tv, hv};
    for (int g = 0; g < 2; g++)
        for (size_t i = 0; i < out->n_extract[g]; i++)
            out->extract[g][i].document = views[g]->docs[out->extract[g][i].document].source;
    free(out->doc_preq_bits);
    free(out->doc_final_bits);
    out->doc_preq_bits = preq;
    out->doc_final_bits = final;
    return scatter_pass_documents(out, c, tv, hv, err);
}

int prequential_resume(const mdl_config *cfg, const corpus *c, const mdl_backend *be,
                       const preq_hooks *hooks, const preq_checkpoint *resume, preq_result *out,
                       mdl_err *err) {
    corpus tv = {0}, hv = {0};
    int has_held = corpus_count_held_out(c) > 0;
    double *held_bits = NULL;
    int rc = corpus_view(c, 0, &tv, err);
    if (rc == 0 && has_held) rc = corpus_view(c, 1, &hv, err);
    if (rc == 0 && has_held && !(held_bits = calloc(hv.n_docs, sizeof *held_bits)))
        rc = mdl_fail(err, "out of memory for the held-out documents");
    if (rc == 0)
        rc = run_trained(cfg, &tv, has_held ? &hv : NULL, held_bits, be, hooks, resume, out, err);
    if (rc == 0) rc = scatter_documents(out, c, &tv, has_held ? &hv : NULL, held_bits, err);
    if (rc != 0) preq_result_free(out);
    free(held_bits);
    corpus_view_free(&tv);
    corpus_view_free(&hv);
    return rc;
}

int prequential_run(const mdl_config *cfg, const corpus *c, const mdl_backend *be,
                    const preq_hooks *hooks, preq_result *out, mdl_err *err) {
    return prequential_resume(cfg, c, be, hooks, NULL, out, err);
}
