/* Every op of the CUDA backend against the CPU reference, in both precisions.
 *
 * Fresh random inputs on every run (never zeros; MDL_TEST_SEED=<seed> repeats a run),
 * outputs poisoned with NaN before every call so that an unwritten element fails, and
 * accumulated gradients started from the same random values on both sides. Each output is
 * compared by ||gpu - cpu|| / ||cpu||: below 1e-5 in fp32, below 2e-2 for the products
 * that the bf16 table computes from bf16 operands (matmul, attention). Shapes include
 * sizes that are not multiples of 32 (or of 4: the scalar paths). The gradient ops are
 * also run twice on the GPU and must give the same bits. The elementwise ops also see
 * extreme inputs (x = -100..100 and beyond: finite, as the CPU), and empty shapes must
 * launch nothing. Exits 77 without a GPU. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cuda_backend.h"
#include "cuda_device.h"
#include "model.h"
#include "ops.h"
#include "rng.h"
#include "tests_common.h"

#define TOL_FP32 1e-5
#define TOL_BF16 2e-2

static const mdl_ops *cpu, *gpu; /* gpu: the table under test */
static void *gctx;               /* its context */
static int bf16;                 /* gpu is the bf16 table */

/* ---- random numbers: the project's counter-based RNG (host/util/rng.h), one draw each ----- */

static uint64_t rng_seed, rng_count;

static uint64_t rng_next(void) {
    return rng_bits(rng_seed, 0, rng_count++);
}

/* uniform in [-1, 1), never exactly 0 */
static float urand(void) {
    float x = (float)((double)(rng_next() >> 11) * 0x1.0p-52 - 1.0);
    return x != 0.0f ? x : 0.5f;
}
static int irand(int n) {
    return (int)(rng_next() % (uint64_t)n);
}

/* ---- host and device buffers -------------------------------------------------------- */

/* at least one value, so that n = 0 still gives an initialised buffer to upload */
static float *rand_host(size_t n, float scale) {
    float *x = malloc((n ? n : 1) * sizeof *x);
    for (size_t i = 0; i < (n ? n : 1); i++) x[i] = scale * urand();
    return x;
}

static float *nan_host(size_t n) {
    float *x = malloc((n ? n : 1) * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = NAN;
    return x;
}

static void *to_gpu(const void *host, size_t bytes) {
    void *d = gpu->alloc(gctx, bytes);
    CHECK(d != NULL);
    gpu->upload(gctx, d, host, bytes);
    return d;
}

static float *gpu_floats(const float *host, size_t n) {
    return to_gpu(host, n * sizeof(float));
}

/* re-poisons a device buffer with NaN */
static void gpu_poison(float *d, size_t n) {
    float *p = nan_host(n);
    gpu->upload(gctx, d, p, n * sizeof(float));
    free(p);
}

static float *from_gpu(const float *d, size_t n) {
    float *h = malloc((n ? n : 1) * sizeof *h);
    gpu->download(gctx, h, d, n * sizeof(float));
    return h;
}

static double worst[2]; /* largest error seen per precision */

/* ||got - want|| / ||want|| over n values, NaN when got holds a NaN (unwritten) */
static double rel_err(const float *got, const float *want, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(got[i]) || isnan(want[i])) return NAN;
        double d = (double)got[i] - want[i];
        num += d * d;
        den += (double)want[i] * want[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

/* Downloads a GPU output and compares it with the CPU's. */
static void compare(const char *name, const float *d, const float *want, size_t n, double tol) {
    float *got = from_gpu(d, n);
    double e = rel_err(got, want, n);
    size_t nans = 0;
    for (size_t i = 0; i < n; i++) nans += isnan(got[i]) != 0;
    printf("  %-9s %-44s %8zu values  rel err %.2e\n", gpu->name, name, n, e);
    CHECKF(e < tol, "%s %s: rel err %.3e (tolerance %.0e, %zu NaN of %zu)", gpu->name, name, e, tol,
           nans, n);
    if (!isnan(e) && e > worst[bf16]) worst[bf16] = e;
    free(got);
}

/* The same, bit for bit (ops whose GPU kernels add in the CPU's order). */
static void compare_exact(const char *name, const float *d, const float *want, size_t n) {
    float *got = from_gpu(d, n);
    size_t differ = 0;
    for (size_t i = 0; i < n; i++) differ += memcmp(got + i, want + i, sizeof(float)) != 0;
    printf("  %-9s %-44s %8zu values  %zu differ\n", gpu->name, name, n, differ);
    CHECKF(differ == 0, "%s %s: %zu of %zu values not bit-identical", gpu->name, name, differ, n);
    free(got);
}

/* The GPU result of a gradient op must not change when the op runs again on the same
 * inputs (first holds the first run's download). */
static void check_repeat(const char *name, const float *d, const float *first, size_t n) {
    float *again = from_gpu(d, n);
    CHECKF(memcmp(again, first, n * sizeof(float)) == 0, "%s %s: two runs differ", gpu->name, name);
    free(again);
}

/* tolerance of the products that the bf16 table computes from bf16 operands */
static double product_tol(void) {
    return bf16 ? TOL_BF16 : TOL_FP32;
}

/* ---- embedding ---------------------------------------------------------------------- */

static void test_embedding(int B, int T, int C) {
    int N = B * T, V = MDL_VOCAB_IN;
    char name[96];
    int *tokens = malloc(N * sizeof *tokens);
    for (int i = 0; i < N; i++) tokens[i] = i % 3 ? irand(V) : irand(5); /* repeats */
    tokens[N - 1] = V - 1;                                               /* the last row */
    float *wte = rand_host((size_t)V * C, 1), *wpe = rand_host((size_t)T * C, 1);
    float *out = nan_host((size_t)N * C), *dout = rand_host((size_t)N * C, 1);
    float *dwte = rand_host((size_t)V * C, 0.1f), *dwpe = rand_host((size_t)T * C, 0.1f);

    int *d_tok = to_gpu(tokens, N * sizeof(int));
    float *d_wte = gpu_floats(wte, (size_t)V * C), *d_wpe = gpu_floats(wpe, (size_t)T * C);
    float *d_out = gpu_floats(out, (size_t)N * C), *d_dout = gpu_floats(dout, (size_t)N * C);
    float *d_dwte = gpu_floats(dwte, (size_t)V * C), *d_dwpe = gpu_floats(dwpe, (size_t)T * C);

    cpu->embedding_forward(NULL, out, tokens, wte, wpe, B, T, C);
    gpu->embedding_forward(gctx, d_out, d_tok, d_wte, d_wpe, B, T, C);
    snprintf(name, sizeof name, "embedding fwd B=%d T=%d C=%d", B, T, C);
    compare(name, d_out, out, (size_t)N * C, TOL_FP32);

    gpu->embedding_backward(gctx, d_dwte, d_dwpe, d_dout, d_tok, B, T, C);
    float *once_te = from_gpu(d_dwte, (size_t)V * C), *once_pe = from_gpu(d_dwpe, (size_t)T * C);
    gpu->upload(gctx, d_dwte, dwte, (size_t)V * C * sizeof(float));
    gpu->upload(gctx, d_dwpe, dwpe, (size_t)T * C * sizeof(float));
    gpu->embedding_backward(gctx, d_dwte, d_dwpe, d_dout, d_tok, B, T, C);
    cpu->embedding_backward(NULL, dwte, dwpe, dout, tokens, B, T, C);
    snprintf(name, sizeof name, "embedding bwd dwte C=%d", C);
    compare(name, d_dwte, dwte, (size_t)V * C, TOL_FP32);
    check_repeat(name, d_dwte, once_te, (size_t)V * C);
    snprintf(name, sizeof name, "embedding bwd dwpe C=%d", C);
    compare(name, d_dwpe, dwpe, (size_t)T * C, TOL_FP32);
    check_repeat(name, d_dwpe, once_pe, (size_t)T * C);

    gpu->release(gctx, d_tok), gpu->release(gctx, d_wte), gpu->release(gctx, d_wpe),
        gpu->release(gctx, d_out);
    gpu->release(gctx, d_dout), gpu->release(gctx, d_dwte), gpu->release(gctx, d_dwpe);
    free(tokens), free(wte), free(wpe), free(out), free(dout), free(dwte), free(dwpe);
    free(once_te), free(once_pe);
}

/* Without learned positions (wpe NULL): the byte embedding alone, and dwte as before. */
static void test_embedding_no_positions(int B, int T, int C) {
    int N = B * T, V = MDL_VOCAB_IN;
    int *tokens = malloc(N * sizeof *tokens);
    for (int i = 0; i < N; i++) tokens[i] = irand(V);
    float *wte = rand_host((size_t)V * C, 1), *out = nan_host((size_t)N * C);
    float *dout = rand_host((size_t)N * C, 1), *dwte = rand_host((size_t)V * C, 0.1f);
    int *d_tok = to_gpu(tokens, N * sizeof(int));
    float *d_wte = gpu_floats(wte, (size_t)V * C), *d_out = gpu_floats(out, (size_t)N * C);
    float *d_dout = gpu_floats(dout, (size_t)N * C), *d_dwte = gpu_floats(dwte, (size_t)V * C);
    cpu->embedding_forward(NULL, out, tokens, wte, NULL, B, T, C);
    gpu->embedding_forward(gctx, d_out, d_tok, d_wte, NULL, B, T, C);
    compare("embedding fwd without positions", d_out, out, (size_t)N * C, TOL_FP32);
    cpu->embedding_backward(NULL, dwte, NULL, dout, tokens, B, T, C);
    gpu->embedding_backward(gctx, d_dwte, NULL, d_dout, d_tok, B, T, C);
    compare("embedding bwd without positions", d_dwte, dwte, (size_t)V * C, TOL_FP32);
    gpu->release(gctx, d_tok), gpu->release(gctx, d_wte), gpu->release(gctx, d_out),
        gpu->release(gctx, d_dout);
    gpu->release(gctx, d_dwte);
    free(tokens), free(wte), free(out), free(dout), free(dwte);
}

/* ---- row lookups of the hashed n-gram table: bit-identical sums (same order) ---------- */

static int *rand_rows_index(int n, int R) {
    int *idx = malloc((size_t)n * sizeof *idx);
    for (int i = 0; i < n; i++) idx[i] = irand(R + 1) - 1; /* -1: no lookup */
    return idx;
}

static void test_rows(int N, int K, int C, int R) {
    char name[96];
    int *idx = rand_rows_index(N * K, R), *d_idx = to_gpu(idx, (size_t)N * K * sizeof(int));
    float *out = rand_host((size_t)N * C, 1), *table = rand_host((size_t)R * C, 1);
    float *d_out = gpu_floats(out, (size_t)N * C), *d_table = gpu_floats(table, (size_t)R * C);
    cpu->rows_gather_add(NULL, out, table, idx, N, K, C);
    gpu->rows_gather_add(gctx, d_out, d_table, d_idx, N, K, C);
    snprintf(name, sizeof name, "rows gather N=%d K=%d C=%d R=%d", N, K, C, R);
    compare_exact(name, d_out, out, (size_t)N * C);
    float *dt = rand_host((size_t)R * C, 1), *d_dt = gpu_floats(dt, (size_t)R * C);
    cpu->rows_scatter_add(NULL, dt, out, idx, N, K, C);
    gpu->rows_scatter_add(gctx, d_dt, d_out, d_idx, N, K, C);
    snprintf(name, sizeof name, "rows scatter N=%d K=%d C=%d R=%d", N, K, C, R);
    compare_exact(name, d_dt, dt, (size_t)R * C);
    gpu->release(gctx, d_idx), gpu->release(gctx, d_out), gpu->release(gctx, d_table),
        gpu->release(gctx, d_dt);
    free(idx), free(out), free(table), free(dt);
}

/* ---- rope: in place on q and k of qkv; v must come back untouched ------------------ */

static void test_rope(int B, int T, int C, int NH, int64_t pos0) {
    size_t n = (size_t)B * T * 3 * C;
    char name[96];
    float *x = rand_host(n, 2), *d_x = gpu_floats(x, n);
    cpu->rope_forward(NULL, x, B, T, C, NH, pos0);
    gpu->rope_forward(gctx, d_x, B, T, C, NH, pos0);
    snprintf(name, sizeof name, "rope fwd B=%d T=%d C=%d NH=%d", B, T, C, NH);
    compare(name, d_x, x, n, TOL_FP32);
    cpu->rope_backward(NULL, x, B, T, C, NH, pos0);
    gpu->rope_backward(gctx, d_x, B, T, C, NH, pos0);
    snprintf(name, sizeof name, "rope bwd B=%d T=%d C=%d NH=%d", B, T, C, NH);
    compare(name, d_x, x, n, TOL_FP32);
    gpu->release(gctx, d_x);
    free(x);
}

/* ---- copy_blocks: strided rows, as the segment memory moves them ----------------------- */

static void test_copy_blocks(void) {
    enum { B = 3, SRC = 50, DST = 70, OFF = 9, N = 41 };
    float *src = rand_host((size_t)B * SRC, 1), *dst = rand_host((size_t)B * DST, 1);
    float *d_src = gpu_floats(src, (size_t)B * SRC), *d_dst = gpu_floats(dst, (size_t)B * DST);
    cpu->copy_blocks(NULL, dst + OFF, DST, src + 4, SRC, B, N);
    gpu->copy_blocks(gctx, d_dst + OFF, DST, d_src + 4, SRC, B, N);
    float *got = from_gpu(d_dst, (size_t)B * DST);
    CHECKF(!memcmp(got, dst, (size_t)B * DST * sizeof(float)), "copy_blocks differs from the CPU");
    gpu->release(gctx, d_src), gpu->release(gctx, d_dst);
    free(src), free(dst), free(got);
}

/* ---- layernorm ---------------------------------------------------------------------- */

static void test_layernorm(int N, int C) {
    size_t NC = (size_t)N * C;
    char name[96];
    float *inp = rand_host(NC, 2), *w = rand_host(C, 0.5f), *b = rand_host(C, 1);
    for (size_t i = 0; i < NC; i++) inp[i] += 0.5f; /* a non-zero mean */
    for (int i = 0; i < C; i++) w[i] += 1;
    float *out = nan_host(NC), *mean = nan_host(N), *rstd = nan_host(N);
    float *d_inp = gpu_floats(inp, NC), *d_w = gpu_floats(w, C), *d_b = gpu_floats(b, C);
    float *d_out = gpu_floats(out, NC), *d_mean = gpu_floats(mean, N);
    float *d_rstd = gpu_floats(rstd, N);

    cpu->layernorm_forward(NULL, out, mean, rstd, inp, w, b, N, C);
    gpu->layernorm_forward(gctx, d_out, d_mean, d_rstd, d_inp, d_w, d_b, N, C);
    snprintf(name, sizeof name, "layernorm fwd N=%d C=%d", N, C);
    compare(name, d_out, out, NC, TOL_FP32);
    compare("layernorm fwd mean", d_mean, mean, N, TOL_FP32);
    compare("layernorm fwd rstd", d_rstd, rstd, N, TOL_FP32);

    /* the backward on the CPU's saved statistics, on both sides */
    float *dout = rand_host(NC, 1), *dinp = rand_host(NC, 0.1f);
    float *dw = rand_host(C, 0.1f), *db = rand_host(C, 0.1f);
    gpu->upload(gctx, d_mean, mean, N * sizeof(float));
    gpu->upload(gctx, d_rstd, rstd, N * sizeof(float));
    float *d_dout = gpu_floats(dout, NC), *d_dinp = gpu_floats(dinp, NC);
    float *d_dw = gpu_floats(dw, C), *d_db = gpu_floats(db, C);
    gpu->layernorm_backward(gctx, d_dinp, d_dw, d_db, d_dout, d_inp, d_w, d_mean, d_rstd, N, C);
    float *once = from_gpu(d_dw, C);
    gpu->upload(gctx, d_dinp, dinp, NC * sizeof(float));
    gpu->upload(gctx, d_dw, dw, C * sizeof(float));
    gpu->upload(gctx, d_db, db, C * sizeof(float));
    gpu->layernorm_backward(gctx, d_dinp, d_dw, d_db, d_dout, d_inp, d_w, d_mean, d_rstd, N, C);
    cpu->layernorm_backward(NULL, dinp, dw, db, dout, inp, w, mean, rstd, N, C);
    compare("layernorm bwd dinp", d_dinp, dinp, NC, TOL_FP32);
    compare("layernorm bwd dweight", d_dw, dw, C, TOL_FP32);
    compare("layernorm bwd dbias", d_db, db, C, TOL_FP32);
    check_repeat("layernorm bwd dweight", d_dw, once, C);

    gpu->release(gctx, d_inp), gpu->release(gctx, d_w), gpu->release(gctx, d_b),
        gpu->release(gctx, d_out);
    gpu->release(gctx, d_mean), gpu->release(gctx, d_rstd), gpu->release(gctx, d_dout),
        gpu->release(gctx, d_dinp);
    gpu->release(gctx, d_dw), gpu->release(gctx, d_db);
    free(inp), free(w), free(b), free(out), free(mean), free(rstd), free(dout), free(dinp);
    free(dw), free(db), free(once);
}

/* ---- matmul ------------------------------------------------------------------------- */

/* with_bias: bias in the forward and dbias in the backward; with_dinp: dinp not NULL */
static void test_matmul(int N, int C, int OC, int with_bias, int with_dinp) {
    size_t NC = (size_t)N * C, NO = (size_t)N * OC, WC = (size_t)OC * C;
    char name[96];
    float *inp = rand_host(NC, 1), *w = rand_host(WC, 1), *b = rand_host(OC, 1);
    float *out = nan_host(NO);
    float *d_inp = gpu_floats(inp, NC), *d_w = gpu_floats(w, WC), *d_b = gpu_floats(b, OC);
    float *d_out = gpu_floats(out, NO);
    cpu->matmul_forward(NULL, out, inp, w, with_bias ? b : NULL, N, C, OC);
    gpu->matmul_forward(gctx, d_out, d_inp, d_w, with_bias ? d_b : NULL, N, C, OC);
    snprintf(name, sizeof name, "matmul fwd N=%d C=%d OC=%d%s", N, C, OC,
             with_bias ? " +bias" : "");
    compare(name, d_out, out, NO, product_tol());

    float *dout = rand_host(NO, 1), *dinp = rand_host(NC, 0.1f), *dw = rand_host(WC, 0.1f);
    float *db = rand_host(OC, 0.1f);
    float *d_dout = gpu_floats(dout, NO), *d_dinp = gpu_floats(dinp, NC);
    float *d_dw = gpu_floats(dw, WC), *d_db = gpu_floats(db, OC);
    gpu->matmul_backward(gctx, with_dinp ? d_dinp : NULL, d_dw, with_bias ? d_db : NULL, d_dout,
                         d_inp, d_w, N, C, OC);
    float *once = from_gpu(d_dw, WC);
    gpu->upload(gctx, d_dinp, dinp, NC * sizeof(float));
    gpu->upload(gctx, d_dw, dw, WC * sizeof(float));
    gpu->upload(gctx, d_db, db, OC * sizeof(float));
    gpu->matmul_backward(gctx, with_dinp ? d_dinp : NULL, d_dw, with_bias ? d_db : NULL, d_dout,
                         d_inp, d_w, N, C, OC);
    cpu->matmul_backward(NULL, with_dinp ? dinp : NULL, dw, with_bias ? db : NULL, dout, inp, w, N,
                         C, OC);
    compare("matmul bwd dinp", d_dinp, dinp, NC, product_tol()); /* untouched when NULL */
    compare("matmul bwd dweight", d_dw, dw, WC, product_tol());
    compare("matmul bwd dbias", d_db, db, OC, TOL_FP32); /* fp32 column sums */
    check_repeat("matmul bwd dweight", d_dw, once, WC);

    gpu->release(gctx, d_inp), gpu->release(gctx, d_w), gpu->release(gctx, d_b),
        gpu->release(gctx, d_out);
    gpu->release(gctx, d_dout), gpu->release(gctx, d_dinp), gpu->release(gctx, d_dw),
        gpu->release(gctx, d_db);
    free(inp), free(w), free(b), free(out), free(dout), free(dinp), free(dw), free(db);
    free(once);
}

/* ---- attention ---------------------------------------------------------------------- */

static void test_attention(int B, int T, int C, int NH) {
    size_t nqkv = (size_t)B * T * 3 * C, nout = (size_t)B * T * C, natt = (size_t)B * NH * T * T;
    char name[96];
    float *qkv = rand_host(nqkv, 1.5f), *out = nan_host(nout), *att = nan_host(natt);
    float *d_qkv = gpu_floats(qkv, nqkv), *d_out = gpu_floats(out, nout);
    float *d_att = gpu_floats(att, natt);
    cpu->attention_forward(NULL, out, att, qkv, B, T, C, NH);
    gpu->attention_forward(gctx, d_out, d_att, d_qkv, B, T, C, NH);
    snprintf(name, sizeof name, "attention fwd B=%d T=%d C=%d NH=%d", B, T, C, NH);
    compare(name, d_out, out, nout, product_tol());
    compare("attention fwd att", d_att, att, natt, product_tol());
    /* above the diagonal: exact zeros */
    float *gatt = from_gpu(d_att, natt);
    size_t nonzero = 0;
    for (size_t bh = 0; bh < (size_t)B * NH; bh++)
        for (int t = 0; t < T; t++)
            for (int j = t + 1; j < T; j++) nonzero += gatt[(bh * T + t) * T + j] != 0.0f;
    CHECKF(nonzero == 0, "%s attention: %zu non-zero entries above the diagonal", gpu->name,
           nonzero);

    /* the backward from the CPU's att on both sides; datt is scratch (poisoned, unchecked) */
    float *dout = rand_host(nout, 1), *dqkv = rand_host(nqkv, 0.1f), *datt = nan_host(natt);
    gpu->upload(gctx, d_att, att, natt * sizeof(float));
    float *d_dout = gpu_floats(dout, nout), *d_dqkv = gpu_floats(dqkv, nqkv);
    float *d_datt = gpu_floats(datt, natt);
    gpu->attention_backward(gctx, d_dqkv, d_datt, d_dout, d_qkv, d_att, B, T, C, NH);
    float *once = from_gpu(d_dqkv, nqkv);
    gpu->upload(gctx, d_dqkv, dqkv, nqkv * sizeof(float));
    gpu_poison(d_datt, natt);
    gpu->attention_backward(gctx, d_dqkv, d_datt, d_dout, d_qkv, d_att, B, T, C, NH);
    cpu->attention_backward(NULL, dqkv, datt, dout, qkv, att, B, T, C, NH);
    compare("attention bwd dqkv", d_dqkv, dqkv, nqkv, product_tol());
    check_repeat("attention bwd dqkv", d_dqkv, once, nqkv);

    gpu->release(gctx, d_qkv), gpu->release(gctx, d_out), gpu->release(gctx, d_att),
        gpu->release(gctx, d_dout);
    gpu->release(gctx, d_dqkv), gpu->release(gctx, d_datt);
    free(qkv), free(out), free(att), free(gatt), free(dout), free(dqkv), free(datt), free(once);
}

/* ---- gelu, residual: elementwise, aligned (vector path) and offset by one (scalar) ---- */

static void test_elementwise(size_t n, int offset) {
    char name[96];
    size_t m = n + offset;
    float *x = rand_host(m, 4), *y = rand_host(m, 1), *out = nan_host(m), *dout = rand_host(m, 1);
    float *da = rand_host(m, 0.1f), *db = rand_host(m, 0.1f);
    float *d_x = gpu_floats(x, m), *d_y = gpu_floats(y, m), *d_out = gpu_floats(out, m);
    float *d_dout = gpu_floats(dout, m), *d_da = gpu_floats(da, m), *d_db = gpu_floats(db, m);
    int o = offset;

    cpu->gelu_forward(NULL, out + o, x + o, n);
    gpu->gelu_forward(gctx, d_out + o, d_x + o, n);
    snprintf(name, sizeof name, "gelu fwd n=%zu offset %d", n, o);
    compare(name, d_out + o, out + o, n, TOL_FP32);
    cpu->gelu_backward(NULL, da + o, x + o, dout + o, n);
    gpu->gelu_backward(gctx, d_da + o, d_x + o, d_dout + o, n);
    compare("gelu bwd", d_da + o, da + o, n, TOL_FP32);

    gpu_poison(d_out, m);
    for (size_t i = 0; i < m; i++) out[i] = NAN;
    cpu->residual_forward(NULL, out + o, x + o, y + o, n);
    gpu->residual_forward(gctx, d_out + o, d_x + o, d_y + o, n);
    snprintf(name, sizeof name, "residual fwd n=%zu offset %d", n, o);
    compare(name, d_out + o, out + o, n, TOL_FP32);
    cpu->residual_backward(NULL, da + o, db + o, dout + o, n);
    gpu->residual_backward(gctx, d_da + o, d_db + o, d_dout + o, n);
    compare("residual bwd da", d_da + o, da + o, n, TOL_FP32);
    compare("residual bwd db", d_db + o, db + o, n, TOL_FP32);

    gpu->release(gctx, d_x), gpu->release(gctx, d_y), gpu->release(gctx, d_out),
        gpu->release(gctx, d_dout);
    gpu->release(gctx, d_da), gpu->release(gctx, d_db);
    free(x), free(y), free(out), free(dout), free(da), free(db);
}

/* The elementwise ops at extreme inputs: GELU's exp(-2u) overflows for x < about -10
 * without a clamp (a NaN gradient), and large gradients go through AdamW's squares. Every
 * value must be finite and match the CPU; n = 43 (vector and scalar paths). */
static const float EXTREMES[] = {-12, -20, -100, 20, 100, -10.5f, -11, -44, -1e4f, 1e4f, -9, 0};
#define N_EXTREMES (sizeof EXTREMES / sizeof EXTREMES[0])

static void check_finite(const char *name, const float *d, size_t n) {
    float *h = from_gpu(d, n);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += !isfinite(h[i]);
    CHECKF(bad == 0, "%s %s: %zu of %zu values not finite", gpu->name, name, bad, n);
    free(h);
}

static void test_elementwise_extremes(void) {
    enum { n = 43 };
    float x[n], y[n], dout[n], da[n], db[n], out[n];
    for (size_t i = 0; i < n; i++) {
        x[i] = EXTREMES[i % N_EXTREMES];
        y[i] = EXTREMES[(i + 5) % N_EXTREMES];
        dout[i] = 1.0f + 0.01f * (float)i;
        da[i] = db[i] = 0.25f;
        out[i] = NAN;
    }
    float *d_x = gpu_floats(x, n), *d_y = gpu_floats(y, n), *d_dout = gpu_floats(dout, n);
    float *d_out = gpu_floats(out, n), *d_da = gpu_floats(da, n), *d_db = gpu_floats(db, n);
    cpu->gelu_forward(NULL, out, x, n);
    gpu->gelu_forward(gctx, d_out, d_x, n);
    check_finite("gelu fwd extremes", d_out, n);
    compare("gelu fwd extremes", d_out, out, n, TOL_FP32);
    cpu->gelu_backward(NULL, da, x, dout, n);
    gpu->gelu_backward(gctx, d_da, d_x, d_dout, n);
    check_finite("gelu bwd extremes", d_da, n);
    compare("gelu bwd extremes", d_da, da, n, TOL_FP32);

    gpu_poison(d_out, n);
    cpu->residual_forward(NULL, out, x, y, n);
    gpu->residual_forward(gctx, d_out, d_x, d_y, n);
    check_finite("residual fwd extremes", d_out, n);
    compare("residual fwd extremes", d_out, out, n, TOL_FP32);
    cpu->residual_backward(NULL, da, db, x, n);
    gpu->residual_backward(gctx, d_da, d_db, d_x, n);
    compare("residual bwd extremes da", d_da, da, n, TOL_FP32);
    compare("residual bwd extremes db", d_db, db, n, TOL_FP32);

    /* AdamW with the extremes as gradients, from m = v = 0 */
    float p[n], m[n] = {0}, v[n] = {0};
    for (size_t i = 0; i < n; i++) p[i] = 0.01f * y[i];
    float *d_p = gpu_floats(p, n), *d_m = gpu_floats(m, n), *d_v = gpu_floats(v, n);
    for (int t = 1; t <= 3; t++) {
        cpu->adamw_update(NULL, p, x, m, v, n, 0.01f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.7f, t);
        gpu->adamw_update(gctx, d_p, d_x, d_m, d_v, n, 0.01f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.7f, t);
    }
    check_finite("adamw extremes param", d_p, n);
    compare("adamw extremes param", d_p, p, n, TOL_FP32);
    compare("adamw extremes v", d_v, v, n, TOL_FP32);

    gpu->release(gctx, d_x), gpu->release(gctx, d_y), gpu->release(gctx, d_dout),
        gpu->release(gctx, d_out);
    gpu->release(gctx, d_da), gpu->release(gctx, d_db), gpu->release(gctx, d_p),
        gpu->release(gctx, d_m);
    gpu->release(gctx, d_v);
}

/* Empty shapes are no-ops: a grid of 0 blocks must not be launched (it aborts). */
static void test_empty_shapes(void) {
    float *d = gpu->alloc(gctx, 64 * sizeof(float));
    CHECK(d != NULL);
    gpu->layernorm_forward(gctx, d, d, d, d, d, d, 0, 16);
    gpu->layernorm_backward(gctx, d, d, d, d, d, d, d, d, 0, 16);
    gpu->attention_forward(gctx, d, d, d, 0, 4, 16, 2);
    gpu->attention_backward(gctx, d, d, d, d, d, 0, 4, 16, 2);
    gpu->gelu_forward(gctx, d, d, 0);
    gpu->residual_forward(gctx, d, d, d, 0);
    gpu->crossentropy_forward(gctx, d, d, (const int *)d, 0, 256);
    float back[64];
    gpu->download(gctx, back, d, sizeof back); /* synchronises: a failed launch would abort here */
    for (int i = 0; i < 64; i++) CHECK(back[i] == 0.0f); /* untouched */
    gpu->release(gctx, d);
    printf("  %-9s empty shapes (N = 0, B = 0): no launch, no change\n", gpu->name);
}

/* ---- crossentropy ------------------------------------------------------------------- */

static void test_crossentropy(int N, int V) {
    size_t NV = (size_t)N * V;
    char name[96];
    int *targets = malloc(N * sizeof *targets);
    for (int i = 0; i < N; i++) targets[i] = irand(V);
    float *logits = rand_host(NV, 3), *w = rand_host(N, 1), *bits = nan_host(N);
    float *dlogits = nan_host(NV);
    logits[0] += 40; /* a large logit: the max subtraction must hold */
    w[1] = 0;        /* a masked position */
    int *d_t = to_gpu(targets, N * sizeof(int));
    float *d_l = gpu_floats(logits, NV), *d_w = gpu_floats(w, N), *d_bits = gpu_floats(bits, N);
    float *d_dl = gpu_floats(dlogits, NV);

    cpu->crossentropy_forward(NULL, bits, logits, targets, N, V);
    gpu->crossentropy_forward(gctx, d_bits, d_l, d_t, N, V);
    snprintf(name, sizeof name, "crossentropy fwd N=%d V=%d", N, V);
    compare(name, d_bits, bits, N, TOL_FP32);
    cpu->crossentropy_backward(NULL, dlogits, logits, targets, w, N, V);
    gpu->crossentropy_backward(gctx, d_dl, d_l, d_t, d_w, N, V);
    compare("crossentropy bwd dlogits (overwrites)", d_dl, dlogits, NV, TOL_FP32);
    float *g = from_gpu(d_dl, NV);
    for (int j = 0; j < V; j++) CHECK(g[1 * V + j] == 0.0f); /* weight 0: exact zeros */

    /* uniform prediction over 256 bytes: exactly 8 bits */
    if (V == 256) {
        float *zl = calloc(NV, sizeof *zl);
        gpu->upload(gctx, d_l, zl, NV * sizeof(float));
        gpu->crossentropy_forward(gctx, d_bits, d_l, d_t, N, V);
        float *zb = from_gpu(d_bits, N);
        for (int i = 0; i < N; i++)
            CHECKF(zb[i] == 8.0f, "%s: zero logits give %.9g bits, want 8", gpu->name, zb[i]);
        free(zl), free(zb);
    }
    gpu->release(gctx, d_t), gpu->release(gctx, d_l), gpu->release(gctx, d_w),
        gpu->release(gctx, d_bits);
    gpu->release(gctx, d_dl);
    free(targets), free(logits), free(w), free(bits), free(dlogits), free(g);
}

/* ---- adamw, sum_of_squares ------------------------------------------------------------ */

static void test_adamw(size_t n) {
    const float lr = 0.01f, b1 = 0.9f, b2 = 0.95f, eps = 1e-8f, wd = 0.1f, gs = 0.7f;
    float *p = rand_host(n, 1), *m = rand_host(n, 0.1f), *v = rand_host(n, 0.1f);
    for (size_t i = 0; i < n; i++) v[i] = fabsf(v[i]); /* a second moment */
    float *d_p = gpu_floats(p, n), *d_m = gpu_floats(m, n), *d_v = gpu_floats(v, n);
    for (int t = 1; t <= 3; t++) {
        float *grad = rand_host(n, 2), *d_g = gpu_floats(grad, n);
        cpu->adamw_update(NULL, p, grad, m, v, n, lr, b1, b2, eps, wd, gs, t);
        gpu->adamw_update(gctx, d_p, d_g, d_m, d_v, n, lr, b1, b2, eps, wd, gs, t);
        gpu->release(gctx, d_g);
        free(grad);
    }
    compare("adamw param (3 steps)", d_p, p, n, TOL_FP32);
    compare("adamw m", d_m, m, n, TOL_FP32);
    compare("adamw v", d_v, v, n, TOL_FP32);
    gpu->release(gctx, d_p), gpu->release(gctx, d_m), gpu->release(gctx, d_v);
    free(p), free(m), free(v);
}

/* The lazy row update: listed rows as the CPU, their gradient cleared, the rest as was. */
static void test_adamw_rows(int R, int C, int nrows) {
    const float lr = 0.01f, b1 = 0.0f, b2 = 0.9999f, eps = 1e-8f, wd = 0.01f, gs = 0.7f;
    size_t n = (size_t)R * C;
    int *rows = malloc((size_t)nrows * sizeof *rows);
    for (int i = 0; i < nrows; i++) rows[i] = (int)((size_t)i * R / nrows); /* ascending */
    float *p = rand_host(n, 1), *g = rand_host(n, 2), *m = rand_host(n, 0.1f);
    float *v = rand_host(n, 0.1f);
    for (size_t i = 0; i < n; i++) v[i] = fabsf(v[i]);
    float *d_p = gpu_floats(p, n), *d_g = gpu_floats(g, n), *d_m = gpu_floats(m, n);
    float *d_v = gpu_floats(v, n);
    int *d_rows = to_gpu(rows, (size_t)nrows * sizeof(int));
    cpu->adamw_update_rows(NULL, p, g, m, v, rows, nrows, C, lr, b1, b2, eps, wd, gs, 5);
    gpu->adamw_update_rows(gctx, d_p, d_g, d_m, d_v, d_rows, nrows, C, lr, b1, b2, eps, wd, gs, 5);
    compare("adamw rows param", d_p, p, n, TOL_FP32);
    compare("adamw rows m", d_m, m, n, TOL_FP32);
    compare("adamw rows v", d_v, v, n, TOL_FP32);
    compare_exact("adamw rows grad (listed rows cleared)", d_g, g, n);
    double want = cpu->sum_of_squares_rows(NULL, v, rows, nrows, C);
    double got = gpu->sum_of_squares_rows(gctx, d_v, d_rows, nrows, C);
    CHECKF(fabs(got - want) <= 1e-12 * fmax(1, want), "%s sum_of_squares_rows: %.17g vs %.17g",
           gpu->name, got, want);
    CHECK(gpu->sum_of_squares_rows(gctx, d_v, d_rows, 0, C) == 0.0);
    gpu->release(gctx, d_p), gpu->release(gctx, d_g), gpu->release(gctx, d_m),
        gpu->release(gctx, d_v);
    gpu->release(gctx, d_rows);
    free(rows), free(p), free(g), free(m), free(v);
}

static void test_sum_of_squares(void) {
    size_t sizes[] = {0, 1, 5, 1000, 65537, 1000003};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        float *x = rand_host(n, 3), *d_x = gpu_floats(x, n ? n : 1);
        double want = cpu->sum_of_squares(NULL, x, n), got = gpu->sum_of_squares(gctx, d_x, n);
        CHECKF(fabs(got - want) <= 1e-12 * fmax(1, want), "%s sum_of_squares n=%zu: %.17g vs %.17g",
               gpu->name, n, got, want);
        CHECKF(gpu->sum_of_squares(gctx, d_x, n) == got, "%s sum_of_squares n=%zu: not repeatable",
               gpu->name, n);
        gpu->release(gctx, d_x);
        free(x);
    }
    printf("  %-9s sum_of_squares: within 1e-12 of the CPU, repeatable\n", gpu->name);
}

/* ---- memory ----------------------------------------------------------------------------- */

static void test_memory(void) {
    enum { n = 1000 };
    float *d = gpu->alloc(gctx, n * sizeof(float)), src[n], back[n];
    CHECK(d != NULL);
    gpu->download(gctx, back, d, sizeof back);
    for (int i = 0; i < n; i++) CHECK(back[i] == 0.0f); /* alloc zeroes */
    for (int i = 0; i < n; i++) src[i] = (float)i + 0.5f;
    gpu->upload(gctx, d, src, sizeof src);
    gpu->zero(gctx, d + 10, 20 * sizeof(float));
    gpu->download(gctx, back, d, sizeof back);
    for (int i = 0; i < n; i++) CHECK(back[i] == (i >= 10 && i < 30 ? 0.0f : src[i]));
    gpu->release(gctx, d);
}

int main(void) {
    if (mdl_cuda_device_count() == 0) {
        printf("SKIP: no CUDA device\n");
        return 77;
    }
    const char *env = getenv("MDL_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^ (uint64_t)clock() << 32;
    rng_seed = seed;
    printf("test_gpu_ops: seed %llu (MDL_TEST_SEED=%llu repeats this run)\n",
           (unsigned long long)seed, (unsigned long long)seed);
    cpu = cpu_backend()->ops;

    for (bf16 = 0; bf16 <= 1; bf16++) {
        mdl_backend *be;
        mdl_err err;
        if (cuda_backend_create(0, bf16, &be, &err) != 0) {
            fprintf(stderr, "cuda_backend_create: %s\n", err.msg);
            return 1;
        }
        gpu = be->ops, gctx = be->ctx;
        CHECK(!strcmp(gpu->name, bf16 ? "cuda-bf16" : "cuda-fp32") && gctx != NULL);
        char desc[160];
        gpu->describe(gctx, desc, sizeof desc);
        CHECK(desc[0] != '\0' && gpu->free_memory(gctx) > 0 && gpu->queue(gctx) != NULL);
        test_memory();
        test_embedding(3, 37, 72); /* C % 4 == 0: vector path */
        test_embedding(2, 45, 70); /* scalar path */
        test_embedding(4, 64, 200);
        test_embedding_no_positions(3, 37, 72);
        test_embedding_no_positions(2, 45, 70);
        test_rows(37, 3, 72, 50);
        test_rows(1024, 4, 128, 65536); /* 16 streams x 64 positions, orders 2..5 */
        test_rope(2, 37, 48, 3, 0);
        test_rope(3, 130, 128, 4, 96);
        test_rope(1, 1024, 256, 8, 123456789); /* far into a stream (segment memory) */
        test_copy_blocks();
        test_layernorm(111, 100);
        test_layernorm(256, 128);
        test_layernorm(70, 257);
        test_matmul(97, 70, 45, 1, 1);
        test_matmul(97, 70, 45, 0, 1);
        test_matmul(33, 256, 256, 1, 0);
        test_matmul(128, 128, 384, 1, 1);
        test_matmul(200, 512, 128, 1, 1);
        test_attention(2, 37, 48, 3);
        test_attention(3, 64, 128, 4);
        test_attention(1, 130, 60, 4); /* head size 15 */
        test_elementwise(1000, 0);
        test_elementwise(1003, 0);
        test_elementwise(1003, 1); /* unaligned: scalar path */
        test_elementwise_extremes();
        test_empty_shapes();
        test_crossentropy(77, 256);
        test_crossentropy(50, 100);
        test_adamw(1003);
        test_adamw_rows(300, 72, 40);
        test_adamw_rows(65536, 128, 256);
        test_sum_of_squares();
        gpu->synchronize(gctx);
        mdl_backend_release(be);
    }
    printf("largest relative error: cuda-fp32 %.2e (tolerance %.0e), cuda-bf16 %.2e (tolerance "
           "%.0e for matmul and attention)\n",
           worst[0], TOL_FP32, worst[1], TOL_BF16);
    return tests_done("test_gpu_ops");
}
