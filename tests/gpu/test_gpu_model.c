/* The whole model on the CUDA backend against the CPU reference:
 *  (a) logits, bits and every parameter gradient of one forward/backward (fp32);
 *  (b) 50 prequential steps: code length within 1e-4 (fp32) and 1e-2 (bf16) of the CPU's,
 *      and a zero-initialised head codes the first step at exactly 8 bits per byte;
 *  (c) two GPU runs give bit-identical per-step bits (both precisions);
 *  (d) exact causality on the GPU: changing later bytes leaves earlier logits
 *      bit-identical (both precisions).
 * Exits 77 without a GPU. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cuda_backend.h"
#include "cuda_device.h"
#include "model.h"
#include "prequential.h"
#include "rng.h"
#include "tests_common.h"

#define PREQ_STEPS 50

static const model_config small = {
    .n_layer = 2, .n_head = 4, .d_model = 64, .context = 48, .d_ff = 128, .zero_init_head = false};

/* ||got - want|| / ||want|| (NaN when got holds a NaN) */
static double rel_err(const float *got, const float *want, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(got[i])) return NAN;
        double d = (double)got[i] - want[i];
        num += d * d;
        den += (double)want[i] * want[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

/* ---- (a) one forward and backward --------------------------------------------------- */

static const char *tensor_names[MDL_NUM_PARAM_TENSORS] = {
    "wte",  "wpe", "ln1w", "ln1b",    "qkvw",    "qkvb", "attprojw", "attprojb", "ln2w",
    "ln2b", "fcw", "fcb",  "fcprojw", "fcprojb", "lnfw", "lnfb",     "headw",    "headb"};

/* the two CUDA backends under test, made in main */
static mdl_backend *gpu_fp32, *gpu_bf16;

static void test_gradients(const model_config *cfg, uint64_t seed) {
    enum { B = 3, T = 40 }; /* T < context: the strided activation slices */
    const mdl_backend *gpu = gpu_fp32;
    model *mc, *mg;
    mdl_err err;
    CHECKF(model_create(&mc, cfg, B, cpu_backend(), &err) == 0, "%s", err.msg);
    CHECKF(model_create(&mg, cfg, B, gpu, &err) == 0, "%s", err.msg);
    CHECK(model_init_weights(mc, seed, NULL) == 0);
    CHECK(model_init_weights(mg, seed, NULL) == 0);

    int tokens[B * T], targets[B * T];
    real weights[B * T], bits_c[B * T], bits_g[B * T];
    for (int i = 0; i < B * T; i++) {
        tokens[i] = (int)(rng_bits(seed, 10, i) % MDL_VOCAB_IN);
        targets[i] = (int)(rng_bits(seed, 11, i) % MDL_VOCAB_OUT);
        weights[i] = i % 7 == 3 ? 0.0f : (real)(rng_bits(seed, 12, i) % 1000 + 1) / 1000.0f;
    }
    for (int fill = 0; cfg->memory && fill < 2; fill++) { /* a full segment memory on both */
        int earlier[B * T];
        for (int i = 0; i < B * T; i++) earlier[i] = (int)(rng_bits(seed, 13 + fill, i) % 257);
        model *both[2] = {mc, mg};
        for (int k = 0; k < 2; k++) {
            model_forward(both[k], earlier, B, T);
            model_segment_memory_push(both[k]);
            model_segment_memory_commit(both[k]);
        }
    }
    model_forward(mc, tokens, B, T);
    model_forward(mg, tokens, B, T);
    size_t nlog = (size_t)B * T * MDL_VOCAB_OUT;
    float *logits = malloc(nlog * sizeof *logits);
    gpu->ops->download(gpu->ctx, logits, model_logits(mg), nlog * sizeof(float));
    double e = rel_err(logits, model_logits(mc), nlog);
    printf("(a) logits rel err %.2e\n", e);
    CHECKF(e < 1e-5, "logits: rel err %.3e", e);
    model_bits(mc, targets, bits_c);
    model_bits(mg, targets, bits_g);
    e = rel_err(bits_g, bits_c, B * T);
    printf("(a) bits rel err %.2e\n", e);
    CHECKF(e < 1e-5, "bits: rel err %.3e", e);

    model_backward(mc, targets, weights);
    model_backward(mg, targets, weights);
    size_t np = model_num_params(mc);
    float *grads = malloc(np * sizeof *grads);
    gpu->ops->download(gpu->ctx, grads, model_grads(mg), np * sizeof(float));
    const real *want = model_grads(mc);
    size_t off = 0;
    for (int t = 0; t < MDL_NUM_PARAM_TENSORS; t++) {
        size_t n = model_tensor_size(mc, t);
        e = rel_err(grads + off, want + off, n);
        printf("(a) grad %-9s %7zu values  rel err %.2e\n", tensor_names[t], n, e);
        CHECKF(e < 1e-4, "gradient of %s: rel err %.3e", tensor_names[t], e);
        off += n;
    }
    double nc = model_grad_norm(mc), ng = model_grad_norm(mg);
    CHECKF(fabs(ng - nc) <= 1e-5 * nc, "grad norm %.9g vs %.9g", ng, nc);
    /* one update (with a hashed n-gram table: the lazy one of its touched rows) */
    train_config tc = {.lr = 1e-3,
                       .beta2 = 0.9999,
                       .eps = 1e-8,
                       .weight_decay = 0.01,
                       .grad_clip = 1,
                       .head_lr_scale = 10,
                       .embedding_lr_scale = 30};
    model_update(mc, &tc, tc.lr, nc);
    model_update(mg, &tc, tc.lr, ng);
    gpu->ops->download(gpu->ctx, grads, model_params(mg), np * sizeof(float));
    e = rel_err(grads, model_params(mc), np);
    printf("(a) parameters after one update  rel err %.2e\n", e);
    CHECKF(e < 1e-5, "parameters after one update: rel err %.3e", e);
    free(logits), free(grads);
    model_destroy(mc), model_destroy(mg);
}

/* ---- (b), (c) prequential runs ------------------------------------------------------- */

typedef struct bits_log {
    double bits[PREQ_STEPS + 8];
    size_t n;
} bits_log;

static int log_bits(void *ctx, const curve_row *row, mdl_err *err) {
    (void)err;
    bits_log *l = ctx;
    if (l->n < sizeof l->bits / sizeof l->bits[0]) l->bits[l->n++] = row->bits;
    return 0;
}

static double run(const corpus *c, const mdl_backend *be, bits_log *log, preq_result *r) {
    mdl_config cfg;
    mdl_err err;
    CHECK(config_default(&cfg, &err) == 0);
    const char *sets[] = {
        "model.n_layer=2",      "model.d_model=64",   "model.n_head=4",           "model.d_ff=128",
        "model.context=48",     "train.segment=16",   "train.streams=4",          "train.seed=11",
        "run.eval_final=false", "run.two_part=false", "model.zero_init_head=true"};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        CHECKF(config_set(&cfg, sets[i], &err) == 0, "%s", err.msg);
    memset(log, 0, sizeof *log);
    preq_hooks hooks = {.ctx = log, .on_step = log_bits};
    memset(r, 0, sizeof *r);
    CHECKF(prequential_run(&cfg, c, be, &hooks, r, &err) == 0, "%s: %s", be->ops->name, err.msg);
    CHECKF(log->n == PREQ_STEPS, "%s: %zu steps, want %d", be->ops->name, log->n, PREQ_STEPS);
    double bpb = r->preq_bits / (double)c->n_bytes;
    printf("(b) %-9s %zu steps  %.6f bits/byte  first step %.6f bits/byte\n", be->ops->name, log->n,
           bpb, r->first_step_bits / (double)r->first_step_bytes);
    return r->preq_bits;
}

static void test_prequential(const corpus *c) {
    static bits_log lc, lg, lg2, lb, lb2;
    preq_result rc, rg, rg2, rb, rb2;
    const mdl_backend *fp32 = gpu_fp32, *bf = gpu_bf16;
    double cpu_bits = run(c, cpu_backend(), &lc, &rc);
    double g = run(c, fp32, &lg, &rg), b = run(c, bf, &lb, &rb);
    double eg = fabs(g - cpu_bits) / cpu_bits, eb = fabs(b - cpu_bits) / cpu_bits;
    printf("(b) code length vs CPU: fp32 rel diff %.2e (tol 1e-4), bf16 %.2e (tol 1e-2)\n", eg, eb);
    CHECKF(eg < 1e-4, "fp32 code length %.3f bits vs CPU %.3f (rel %.3e)", g, cpu_bits, eg);
    CHECKF(eb < 1e-2, "bf16 code length %.3f bits vs CPU %.3f (rel %.3e)", b, cpu_bits, eb);
    /* zero-initialised head: 8 bits per byte in the first step, on every backend */
    const preq_result *all[] = {&rc, &rg, &rb};
    for (int i = 0; i < 3; i++)
        CHECKF(fabs(all[i]->first_step_bits - 8.0 * all[i]->first_step_bytes) < 1e-9,
               "run %d: first step %.9f bits for %llu bytes, want 8 per byte", i,
               all[i]->first_step_bits, (unsigned long long)all[i]->first_step_bytes);

    /* (c) a second run of each precision: the same bits, step by step */
    run(c, fp32, &lg2, &rg2);
    run(c, bf, &lb2, &rb2);
    CHECKF(lg.n == lg2.n && !memcmp(lg.bits, lg2.bits, lg.n * sizeof(double)),
           "cuda-fp32: two runs differ");
    CHECKF(lb.n == lb2.n && !memcmp(lb.bits, lb2.bits, lb.n * sizeof(double)),
           "cuda-bf16: two runs differ");
    CHECK(rg.preq_bits == rg2.preq_bits && rb.preq_bits == rb2.preq_bits);
    CHECK(memcmp(rg.doc_preq_bits, rg2.doc_preq_bits, c->n_docs * sizeof(double)) == 0);
    printf("(c) two runs per precision: bit-identical per-step bits\n");
    preq_result_free(&rc), preq_result_free(&rg), preq_result_free(&rg2);
    preq_result_free(&rb), preq_result_free(&rb2);
}

/* ---- (d) causality ------------------------------------------------------------------- */

static void test_causality(const mdl_backend *gpu, model_position position, unsigned ngram,
                           uint64_t seed) {
    enum { B = 3, T = 48 };
    model_config mc = small;
    mc.position = position;
    mc.ngram_order = ngram;
    mc.ngram_buckets = 64;
    model *m;
    mdl_err err;
    CHECKF(model_create(&m, &mc, B, gpu, &err) == 0, "%s", err.msg);
    CHECK(model_init_weights(m, seed, NULL) == 0);
    size_t V = MDL_VOCAB_OUT, row = V * sizeof(real), nlog = (size_t)B * T * V;
    int tokens[B * T], changed[B * T];
    for (int i = 0; i < B * T; i++) tokens[i] = (int)(rng_bits(seed, 1, i) % MDL_VOCAB_IN);
    model_forward(m, tokens, B, T);
    real *base = malloc(nlog * sizeof(real)), *logits = malloc(nlog * sizeof(real));
    gpu->ops->download(gpu->ctx, base, model_logits(m), nlog * sizeof(real));

    int cuts[] = {0, 1, 7, T / 2, T - 2};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        int t = cuts[c];
        memcpy(changed, tokens, sizeof tokens);
        for (int b = 0; b < B; b++)
            for (int j = t + 1; j < T; j++)
                changed[b * T + j] =
                    (tokens[b * T + j] + 1 + (int)(rng_bits(seed, 2 + c, j) % 255)) % 257;
        model_forward(m, changed, B, T);
        gpu->ops->download(gpu->ctx, logits, model_logits(m), nlog * sizeof(real));
        for (int b = 0; b < B; b++) {
            size_t first = (size_t)b * T;
            CHECKF(memcmp(logits + first * V, base + first * V, (size_t)(t + 1) * row) == 0,
                   "%s stream %d: logits at positions <= %d changed when later bytes changed",
                   gpu->ops->name, b, t);
            CHECKF(memcmp(logits + (first + t + 1) * V, base + (first + t + 1) * V, row) != 0,
                   "%s stream %d: logits at %d did not change", gpu->ops->name, b, t + 1);
        }
    }
    printf("(d) %-9s causality: earlier logits bit-identical at %zu cuts\n", gpu->ops->name,
           sizeof cuts / sizeof cuts[0]);
    free(base), free(logits);
    model_destroy(m);
}

int main(void) {
    if (mdl_cuda_device_count() == 0) {
        printf("SKIP: no CUDA device\n");
        return 77;
    }
    mdl_err err;
    if (cuda_backend_create(0, 0, &gpu_fp32, &err) != 0 ||
        cuda_backend_create(0, 1, &gpu_bf16, &err) != 0) {
        fprintf(stderr, "cuda_backend_create: %s\n", err.msg);
        return 1;
    }
    uint64_t seed = (uint64_t)time(NULL);
    printf("test_gpu_model: seed %llu\n", (unsigned long long)seed);

    test_gradients(&small, seed);
    model_config rope = small;
    rope.position = POSITION_ROPE;
    test_gradients(&rope, seed + 1);
    model_config memory = rope;
    memory.memory = 32;
    test_gradients(&memory, seed + 2);
    model_config ngram = rope; /* hashed 2..4-grams, few buckets: shared rows */
    ngram.ngram_order = 4;
    ngram.ngram_buckets = 64;
    test_gradients(&ngram, seed + 3);
    ngram.memory = 32;
    test_gradients(&ngram, seed + 4);

    /* 50 steps of 4 streams x 16 bytes, over two documents */
    char *dir = tests_tmpdir(), a[512], b[512];
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    char text[PREQ_STEPS * 4 * 16];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = "the quick brown fox jumps over the lazy dog. "[rng_bits(3, 0, i / 7) % 45];
    tests_write_file(a, text, 1300);
    tests_write_file(b, text + 1300, sizeof text - 1300);
    const char *paths[] = {a, b};
    corpus c;
    CHECKF(corpus_load(&c, paths, 2, &err) == 0, "%s", err.msg);
    test_prequential(&c);
    corpus_free(&c);
    remove(a), remove(b), remove(dir);
    free(dir);

    for (int p = POSITION_LEARNED; p <= POSITION_NONE; p++) {
        test_causality(gpu_fp32, (model_position)p, 0, seed);
        test_causality(gpu_bf16, (model_position)p, 0, seed);
    }
    test_causality(gpu_fp32, POSITION_ROPE, 5, seed);
    mdl_backend_release(gpu_fp32);
    mdl_backend_release(gpu_bf16);
    return tests_done("test_gpu_model");
}
