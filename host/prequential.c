/* The prequential loop (DESIGN §1). Every step: build the S windows (prefix + segment),
 * code the segment positions with the current weights, attribute the bits to documents,
 * then train on the same positions. */
#include "prequential.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "flops.h"
#include "lr_schedule.h"
#include "model.h"
#include "timer.h"

int stream_layout_make(stream_layout *lay, uint64_t n_bytes, const mdl_config *cfg, mdl_err *err) {
    memset(lay, 0, sizeof *lay);
    uint64_t S = cfg->train.streams, T = cfg->train.segment;
    if (S == 0) return mdl_fail(err, "train.streams must be at least 1");
    if (S > n_bytes)
        return mdl_fail(err, "train.streams (%llu) is larger than the corpus (%llu bytes)",
                        (unsigned long long)S, (unsigned long long)n_bytes);
    if (T == 0 || T > cfg->model.context)
        return mdl_fail(err, "train.segment (%llu) must be between 1 and model.context (%u)",
                        (unsigned long long)T, cfg->model.context);
    lay->n_bytes = n_bytes;
    lay->streams = S;
    lay->stream_len = (n_bytes + S - 1) / S;
    lay->segment = T;
    lay->prefix = cfg->model.context - T;
    lay->steps = (lay->stream_len + T - 1) / T;
    return 0;
}

uint64_t stream_layout_seq_len(const stream_layout *lay, uint64_t k) {
    uint64_t coded_before = k * lay->segment;
    return (coded_before < lay->prefix ? coded_before : lay->prefix) + lay->segment;
}

/* Host-side buffers of one step: S windows of up to `context` positions. */
typedef struct step_batch {
    int *tokens, *targets;
    real *weights, *bits;
    uint8_t *window; /* raw bytes of one stream's window plus the byte before it */
    uint64_t n;      /* positions per stream this step */
    uint64_t prefix; /* of which the first `prefix` are context only */
    uint64_t coded;  /* positions with weight 1 */
} step_batch;

/* Fills the batch for step k: input = previous byte (begin symbol at a stream's start),
 * target = the byte, weight 1 on segment positions inside the stream, 0 elsewhere. */
static void build_step(step_batch *b, const stream_layout *lay, const corpus *c, uint64_t k) {
    uint64_t T = lay->segment, L = lay->stream_len;
    uint64_t n = stream_layout_seq_len(lay, k), p = n - T, first = k * T - p;
    b->n = n;
    b->prefix = p;
    b->coded = 0;
    for (uint64_t s = 0; s < lay->streams; s++) {
        uint64_t start = s * L;
        uint64_t end = start + L < lay->n_bytes ? start + L : lay->n_bytes;
        uint64_t len = end > start ? end - start : 0;
        /* window bytes: stream-relative positions [first - 1, first + n), clipped */
        uint64_t lo = first > 0 ? first - 1 : 0;
        uint64_t hi = first + n < len ? first + n : len;
        if (hi > lo) corpus_copy(c, start + lo, (size_t)(hi - lo), b->window);
        int *tok = b->tokens + s * n, *tgt = b->targets + s * n;
        real *w = b->weights + s * n;
        for (uint64_t j = 0; j < n; j++) {
            uint64_t pos = first + j; /* stream-relative position of the target */
            int inside = pos < len;
            tgt[j] = inside ? b->window[pos - lo] : 0;
            tok[j] = pos == 0 ? MDL_BOS : (pos - 1 < len ? b->window[pos - 1 - lo] : 0);
            w[j] = (inside && j >= p) ? 1 : 0;
            b->coded += inside && j >= p;
        }
    }
}

/* Sums the coded positions' bits in fp64, in a fixed order, also per document. */
static double attribute_bits(const step_batch *b, const stream_layout *lay, const corpus *c,
                             uint64_t k, double *doc_bits) {
    uint64_t first = k * lay->segment - b->prefix;
    double total = 0.0;
    for (uint64_t s = 0; s < lay->streams; s++) {
        const real *bits = b->bits + s * b->n;
        const real *w = b->weights + s * b->n;
        size_t d = SIZE_MAX;
        uint64_t doc_end = 0;
        for (uint64_t j = b->prefix; j < b->n; j++) {
            if (w[j] == 0) continue;
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

static int alloc_batch(step_batch *b, uint64_t S, uint64_t context) {
    size_t N = (size_t)(S * context);
    b->tokens = malloc(N * sizeof *b->tokens);
    b->targets = malloc(N * sizeof *b->targets);
    b->weights = malloc(N * sizeof *b->weights);
    b->bits = malloc(N * sizeof *b->bits);
    b->window = malloc((size_t)context + 1);
    return b->tokens && b->targets && b->weights && b->bits && b->window ? 0 : -1;
}

static void free_batch(step_batch *b) {
    free(b->tokens), free(b->targets), free(b->weights), free(b->bits), free(b->window);
}

/* Teacher-forced pass with the current weights over the same layout: L_final (NaN when
 * the hook abandons it). */
static double evaluate(model *m, step_batch *b, const stream_layout *lay, const corpus *c,
                       double *doc_bits, const preq_hooks *hooks) {
    double total = 0.0;
    uint64_t done = 0;
    for (uint64_t k = 0; k < lay->steps; k++) {
        build_step(b, lay, c, k);
        model_forward(m, b->tokens, (int)lay->streams, (int)b->n);
        model_bits(m, b->targets, b->bits);
        total += attribute_bits(b, lay, c, k, doc_bits);
        done += b->coded;
        if (hooks && hooks->on_eval && hooks->on_eval(hooks->ctx, done, lay->n_bytes) != 0)
            return NAN;
    }
    return total;
}

/* Two-part codes of the final weights: for each format, the zstd -19 size of the
 * serialized quantized weights and the code length of the corpus under the dequantized
 * weights (the same evaluation pass as L_final). The weights are restored afterwards. */
static int measure_two_part(model *m, step_batch *b, const stream_layout *lay, const corpus *c,
                            const preq_hooks *hooks, preq_result *out, mdl_err *err) {
    size_t P = model_num_params(m);
    real *orig = malloc(P * sizeof *orig), *deq = malloc(P * sizeof *deq);
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
        two_part_row *row = &out->two_part[out->n_two_part++];
        row->format = (weight_format)f;
        row->raw_bytes = n;
        row->weight_bytes = z;
        row->weight_bits = 8.0 * (double)z;
        row->data_bits = evaluate(m, b, lay, c, doc_bits, hooks);
        row->total_bits = row->weight_bits + row->data_bits;
        row->total_bpb = row->total_bits / (double)lay->n_bytes;
        row->data_bpb = row->data_bits / (double)lay->n_bytes;
    }
    if (orig) model_set_params(m, orig);
    free(orig), free(deq), free(doc_bits);
    return rc;
}

/* The held-out documents coded by the final weights, in their own streams (as many as the
 * training run, at most one per byte) with the same segment and context. */
static double evaluate_held_out(model *m, step_batch *b, const mdl_config *cfg, const corpus *held,
                                double *doc_bits, const preq_hooks *hooks, mdl_err *err) {
    mdl_config hcfg = *cfg;
    if (hcfg.train.streams > held->n_bytes) hcfg.train.streams = (unsigned)held->n_bytes;
    stream_layout hlay;
    if (stream_layout_make(&hlay, held->n_bytes, &hcfg, err) != 0) return NAN;
    return evaluate(m, b, &hlay, held, doc_bits, hooks);
}

/* The loop over the trained documents c (a view); held (or NULL) are the held-out ones. */
static int run_trained(const mdl_config *cfg, const corpus *c, const corpus *held,
                       double *held_bits, const mdl_ops *ops, const preq_hooks *hooks,
                       preq_result *out, mdl_err *err) {
    memset(out, 0, sizeof *out);
    out->final_bits = NAN;
    out->heldout_bits = NAN;
    stream_layout *lay = &out->layout;
    if (stream_layout_make(lay, c->n_bytes, cfg, err) != 0) return -1;
    const train_config *tc = &cfg->train;

    model *m = NULL;
    if (model_create(&m, &cfg->model, (int)lay->streams, ops, err) != 0) return -1;
    model_init_weights(m, tc->seed);
    out->n_params = model_num_params(m);
    out->n_params_nonembedding = model_num_params_nonembedding(m);

    step_batch b = {0};
    out->doc_preq_bits = calloc(c->n_docs, sizeof(double));
    if (cfg->run.eval_final) out->doc_final_bits = calloc(c->n_docs, sizeof(double));
    if (alloc_batch(&b, lay->streams, cfg->model.context) != 0 || !out->doc_preq_bits ||
        (cfg->run.eval_final && !out->doc_final_bits)) {
        free_batch(&b);
        model_destroy(m);
        preq_result_free(out);
        return mdl_fail(err, "out of memory for the step buffers");
    }

    int rc = 0;
    uint64_t R = tc->repeats_per_step, total_updates = lay->steps * R;
    double start = now_seconds(), cum_bits = 0.0;
    for (uint64_t k = 0; k < lay->steps && rc == 0; k++) {
        build_step(&b, lay, c, k);
        model_forward(m, b.tokens, (int)lay->streams, (int)b.n);
        model_bits(m, b.targets, b.bits);
        double step_bits = attribute_bits(&b, lay, c, k, out->doc_preq_bits);
        cum_bits += step_bits;
        if (k == 0) {
            out->first_step_bits = step_bits;
            out->first_step_bytes = b.coded;
        }
        /* the training loss is the mean over the coded positions (in nats) */
        size_t N = (size_t)(lay->streams * b.n);
        for (size_t i = 0; i < N; i++) b.weights[i] /= (real)b.coded;
        double first_lr = 0.0, first_norm = 0.0;
        for (uint64_t r = 0; r < R; r++) {
            if (r > 0) model_forward(m, b.tokens, (int)lay->streams, (int)b.n);
            model_backward(m, b.targets, b.weights);
            double norm = model_grad_norm(m);
            double lr = lr_at(tc, k * R + r, total_updates);
            model_update(m, tc, lr, norm);
            if (r == 0) first_lr = lr, first_norm = norm;
            out->model_flops +=
                model_flops_fwd_bwd(&cfg->model, out->n_params_nonembedding, lay->streams, b.n);
        }
        curve_row row = {(int64_t)k, (int64_t)b.coded,     step_bits, cum_bits, first_lr,
                         first_norm, now_seconds() - start};
        if (hooks && hooks->on_step) rc = hooks->on_step(hooks->ctx, &row, err);
    }
    out->train_s = now_seconds() - start;
    out->preq_bits = cum_bits;
    if (rc == 0 && cfg->run.eval_final)
        out->final_bits = evaluate(m, &b, lay, c, out->doc_final_bits, hooks);
    if (rc == 0 && cfg->run.eval_final && held && held->n_bytes > 0) {
        out->heldout_bytes = held->n_bytes;
        out->heldout_bits = evaluate_held_out(m, &b, cfg, held, held_bits, hooks, err);
    }
    if (rc == 0 && cfg->run.eval_final && cfg->run.two_part && !isnan(out->final_bits))
        rc = measure_two_part(m, &b, lay, c, hooks, out, err);
    free_batch(&b);
    model_destroy(m);
    if (rc != 0) preq_result_free(out);
    return rc;
}

void preq_result_free(preq_result *r) {
    free(r->doc_preq_bits);
    free(r->doc_final_bits);
    r->doc_preq_bits = r->doc_final_bits = NULL;
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
    for (size_t i = 0; i < tv->n_docs; i++) {
        preq[tv->docs[i].source] = out->doc_preq_bits[i];
        if (final) final[tv->docs[i].source] = out->doc_final_bits[i];
    }
    for (size_t i = 0; hv && i < hv->n_docs; i++)
        if (final) final[hv->docs[i].source] = held_bits ? held_bits[i] : NAN;
    free(out->doc_preq_bits);
    free(out->doc_final_bits);
    out->doc_preq_bits = preq;
    out->doc_final_bits = final;
    return 0;
}

int prequential_run(const mdl_config *cfg, const corpus *c, const mdl_ops *ops,
                    const preq_hooks *hooks, preq_result *out, mdl_err *err) {
    corpus tv = {0}, hv = {0};
    int has_held = corpus_count_held_out(c) > 0;
    double *held_bits = NULL;
    int rc = corpus_view(c, 0, &tv, err);
    if (rc == 0 && has_held) rc = corpus_view(c, 1, &hv, err);
    if (rc == 0 && has_held && !(held_bits = calloc(hv.n_docs, sizeof *held_bits)))
        rc = mdl_fail(err, "out of memory for the held-out documents");
    if (rc == 0) rc = run_trained(cfg, &tv, has_held ? &hv : NULL, held_bits, ops, hooks, out, err);
    if (rc == 0) rc = scatter_documents(out, c, &tv, has_held ? &hv : NULL, held_bits, err);
    if (rc != 0) preq_result_free(out);
    free(held_bits);
    corpus_view_free(&tv);
    corpus_view_free(&hv);
    return rc;
}
