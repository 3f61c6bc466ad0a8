/* Greedy extraction from sampled training windows (extract.h). */
#include "extract.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

void extract_geometry(const mdl_config *cfg, unsigned *prefix, unsigned *suffix) {
    const analysis_config *a = &cfg->analysis;
    unsigned seen = cfg->model.context + cfg->model.memory - cfg->train.segment;
    *prefix = a->extract_prefix ? a->extract_prefix : seen;
    *suffix = a->extract_suffix ? a->extract_suffix : cfg->train.segment;
}

int extract_positions(const corpus *c, const stream_layout *lay, unsigned prefix, unsigned suffix,
                      const analysis_config *a, uint64_t group, extract_sample *samples, size_t *n,
                      mdl_err *err) {
    uint64_t window = (uint64_t)prefix + suffix;
    /* a window's positions before its segment: the prefix and the memory rows */
    uint64_t T = lay->segment, p = lay->prefix + lay->memory, L = lay->stream_len, count = 0;
    *n = 0;
    /* candidates: every stream's distinct window starts, in order */
    uint64_t *cand = malloc((size_t)(lay->streams * (lay->steps + 1)) * sizeof *cand);
    uint8_t *at_start = malloc((size_t)(lay->streams * (lay->steps + 1)));
    if (!cand || !at_start) {
        free(cand), free(at_start);
        return mdl_fail(err, "out of memory for the extraction test's window starts");
    }
    for (uint64_t s = 0; s < lay->streams; s++) {
        uint64_t len = stream_layout_stream_bytes(lay, s);
        for (uint64_t k = 0; k < lay->steps; k++) {
            uint64_t start = k * T > p ? k * T - p : 0;
            if (k > 0 && start == 0) continue; /* the same window start as step 0 */
            if (start + window > len) break;
            at_start[count] = start == 0;
            cand[count++] = s * L + start;
        }
    }
    for (size_t i = 0; count && i < a->extract_samples; i++) {
        /* modulo bias is below count / 2^64: negligible */
        uint64_t j = rng_bits(a->extract_seed, group, i) % count, pos = cand[j];
        size_t d = corpus_doc_index(c, pos + prefix);
        samples[(*n)++] =
            (extract_sample){pos, d, (int64_t)pos - (int64_t)c->docs[d].offset, 0, at_start[j]};
    }
    free(cand);
    free(at_start);
    return 0;
}

/* Index of the largest logit (the first on ties). */
static int argmax(const real *logits) {
    int best = 0;
    for (int v = 1; v < MDL_VOCAB_OUT; v++)
        if (logits[v] > logits[best]) best = v;
    return best;
}

int extract_decode(model *m, int max_B, const corpus *c, unsigned prefix, unsigned suffix,
                   extract_sample *samples, size_t n, mdl_err *err) {
    /* as in training, position j's input is the byte before its target: a sequence is the
     * byte before the window (begin-of-stream at a stream start), the P prefix bytes and
     * the decoded ones; W positions at most */
    int P = (int)prefix, S = (int)suffix, W = P + S;
    int *tokens = malloc((size_t)max_B * W * sizeof *tokens);
    int *seq = malloc((size_t)max_B * W * sizeof *seq);
    real *logits = malloc((size_t)MDL_VOCAB_OUT * sizeof *logits);
    int *live = malloc((size_t)max_B * sizeof *live);
    uint8_t *truth = malloc((size_t)max_B * W);
    if (!tokens || !seq || !logits || !live || !truth) {
        free(tokens), free(seq), free(logits), free(live), free(truth);
        return mdl_fail(err, "out of memory for the extraction test's decoding");
    }
    for (size_t first = 0; first < n; first += (size_t)max_B) {
        int B = (int)(n - first < (size_t)max_B ? n - first : (size_t)max_B);
        for (int b = 0; b < B; b++) {
            const extract_sample *s = &samples[first + b];
            uint8_t *t = truth + (size_t)b * W;
            corpus_copy(c, s->position, (size_t)W, t);
            uint8_t before = 0;
            if (!s->stream_start) corpus_copy(c, s->position - 1, 1, &before);
            seq[b * W] = s->stream_start ? MDL_BOS : before;
            for (int j = 0; j < P; j++) seq[b * W + 1 + j] = t[j];
            live[b] = 1;
        }
        /* step i predicts byte P + i from the prefix and the i bytes decoded so far */
        for (int i = 0, any = 1; i < S && any; i++) {
            int T = P + 1 + i;
            for (int b = 0; b < B; b++)
                memcpy(tokens + (size_t)b * T, seq + (size_t)b * W, (size_t)T * sizeof *tokens);
            model_forward(m, tokens, B, T);
            any = 0;
            for (int b = 0; b < B; b++) {
                int next = 0; /* a finished sample's row is still fed to the model */
                if (live[b]) {
                    model_download_logits(m, (size_t)b * T + (size_t)(T - 1), 1, logits);
                    next = argmax(logits);
                    /* once a byte differs the sample's count is final */
                    if (next != truth[(size_t)b * W + P + i])
                        live[b] = 0;
                    else
                        samples[first + b].matched++;
                }
                if (i + 1 < S) seq[b * W + T] = next;
                any |= live[b];
            }
        }
    }
    free(tokens), free(seq), free(logits), free(live), free(truth);
    return 0;
}

void extract_rates(const extract_sample *samples, size_t n, uint32_t suffix, double *exact_rate,
                   double *mean_matched) {
    if (n == 0) {
        *exact_rate = *mean_matched = NAN;
        return;
    }
    double exact = 0.0, matched = 0.0;
    for (size_t i = 0; i < n; i++) {
        exact += samples[i].matched == suffix;
        matched += samples[i].matched;
    }
    *exact_rate = exact / (double)n;
    *mean_matched = matched / (double)n;
}
