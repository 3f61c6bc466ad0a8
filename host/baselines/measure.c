/* Runs a baseline plan over a corpus: every codec over the whole stream (timed) and each
 * document on its own (sizes only), every context model over the whole stream with
 * per-document attribution, then the order-0 entropy line. */
#include "baseline_set.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timer.h"

static void fill_ratios(baseline_row *r) {
    double n = (double)r->original_bytes;
    r->bpb = n > 0 ? r->compressed_bits / n : NAN;
    r->ratio_percent = n > 0 ? r->compressed_bits / (8.0 * n) * 100.0 : NAN;
}

static int measure_codec(const corpus *c, const codec_spec *s, const baseline_plan *p,
                         baseline_row *r, double *doc_bits, mdl_err *err) {
    codec_label(s, r->name, sizeof r->name);
    snprintf(r->kind, sizeof r->kind, "codec");
    snprintf(r->codec, sizeof r->codec, "%s", codec_name(s->id));
    snprintf(r->version, sizeof r->version, "%s", codec_version(s->id));
    codec_level_text(s, r->level, sizeof r->level);
    codec_result res;
    if (codec_measure(s, c, 0, c->n_bytes, &p->timing, &res, err) != 0) return -1;
    r->original_bytes = res.original_bytes;
    r->compressed_bytes = res.compressed_bytes;
    r->compressed_bits = 8.0 * (double)res.compressed_bytes;
    r->compress_mb_s = res.compress_mb_s;
    r->decompress_mb_s = res.decompress_mb_s;
    fill_ratios(r);
    for (size_t d = 0; doc_bits && d < c->n_docs; d++) {
        if (codec_measure(s, c, c->docs[d].offset, c->docs[d].size, NULL, &res, err) != 0)
            return -1;
        doc_bits[d] = 8.0 * (double)res.compressed_bytes;
    }
    return 0;
}

static int measure_context(const corpus *c, int order, baseline_row *r, double *doc_bits,
                           mdl_err *err) {
    snprintf(r->name, sizeof r->name, "order-%d context model (KT)", order);
    snprintf(r->kind, sizeof r->kind, "context");
    snprintf(r->codec, sizeof r->codec, "kt");
    snprintf(r->level, sizeof r->level, "%d", order);
    double t0 = now_seconds(), bits = 0;
    if (context_model_bits(c, 0, c->n_bytes, order, &bits, doc_bits, err) != 0) return -1;
    double dt = now_seconds() - t0;
    r->original_bytes = c->n_bytes;
    r->compressed_bits = bits;
    r->compressed_bytes = (uint64_t)ceil(bits / 8.0);
    r->compress_mb_s = dt > 0 ? (double)c->n_bytes / dt / 1e6 : NAN;
    r->decompress_mb_s = NAN;
    fill_ratios(r);
    return 0;
}

static void fill_entropy(const corpus *c, baseline_row *r, double *doc_bits) {
    snprintf(r->name, sizeof r->name, "order-0 empirical entropy");
    snprintf(r->kind, sizeof r->kind, "entropy");
    snprintf(r->codec, sizeof r->codec, "entropy");
    snprintf(r->level, sizeof r->level, "0");
    r->original_bytes = c->n_bytes;
    r->compressed_bits = order0_entropy_bits(c, 0, c->n_bytes);
    r->compressed_bytes = (uint64_t)ceil(r->compressed_bits / 8.0);
    r->compress_mb_s = r->decompress_mb_s = NAN;
    fill_ratios(r);
    for (size_t d = 0; doc_bits && d < c->n_docs; d++) doc_bits[d] = NAN;
}

int baselines_measure(const corpus *c, const baseline_plan *p, baseline_set *out, mdl_err *err) {
    memset(out, 0, sizeof *out);
    size_t n = p->n_codecs + p->n_orders + 1;
    out->rows = calloc(n, sizeof *out->rows);
    out->n_docs = c->n_docs;
    if (p->per_document) out->doc_bits = calloc(n * (c->n_docs ? c->n_docs : 1), sizeof(double));
    if (!out->rows || (p->per_document && !out->doc_bits)) {
        baseline_set_free(out);
        return mdl_fail(err, "out of memory for the baselines table");
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        baseline_row *r = &out->rows[i];
        double *doc_bits = out->doc_bits ? out->doc_bits + i * c->n_docs : NULL;
        char label[96];
        if (i < p->n_codecs)
            codec_label(&p->codecs[i], label, sizeof label);
        else if (i < n - 1)
            snprintf(label, sizeof label, "order-%d context model", p->orders[i - p->n_codecs]);
        else
            snprintf(label, sizeof label, "order-0 entropy");
        if (p->on_row) p->on_row(p->ctx, i, n, label);
        if (i < p->n_codecs)
            rc = measure_codec(c, &p->codecs[i], p, r, doc_bits, err);
        else if (i < n - 1)
            rc = measure_context(c, p->orders[i - p->n_codecs], r, doc_bits, err);
        else
            fill_entropy(c, r, doc_bits);
        out->n_rows = i + 1;
    }
    if (rc != 0) baseline_set_free(out);
    return rc;
}

void baseline_set_free(baseline_set *s) {
    free(s->rows);
    free(s->doc_bits);
    memset(s, 0, sizeof *s);
}
