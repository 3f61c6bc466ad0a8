/* Gradient test of the CPU reference ops, built in double precision (mdl_model_f64).
 *
 * For every op with a backward pass: the forward against a naive reference, the analytic
 * backward against central finite differences of L = sum(out * g) for a random upstream
 * gradient g (every input and parameter element), and that backward accumulates. Plus
 * exact attention causality, the 8-bit uniform cross-entropy, AdamW against a scalar
 * reference (and its row form against the dense one) and sum_of_squares against a naive
 * sum. Inputs are fresh random numbers on
 * every run; the seed is printed and MDL_TEST_SEED=<seed> repeats a run. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu_ops.h"
#include "ops.h"
#include "rng.h"
#include "tests_common.h"

_Static_assert(sizeof(real) == sizeof(double), "test_ops_grad needs the fp64 build");

#define FD_STEP 1e-5    /* central difference step */
#define GRAD_TOL 1e-6   /* relative error, analytic vs numeric */
#define GRAD_FLOOR 1e-3 /* below this magnitude the error is measured absolutely */

/* ---- random numbers: the project's counter-based RNG (host/util/rng.h), one draw each ----- */

static uint64_t rng_seed, rng_count;

static uint64_t rng_next(void) {
    return rng_bits(rng_seed, 0, rng_count++);
}

/* uniform in [-1, 1) */
static double urand(void) {
    return (double)(rng_next() >> 11) * 0x1.0p-52 - 1.0;
}
static int irand(int n) {
    return (int)(rng_next() % (uint64_t)n);
}

static double *rand_array(size_t n, double scale) {
    double *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = scale * urand();
    return x;
}

static double *zeros(size_t n) {
    return calloc(n ? n : 1, sizeof(double));
}

static double *copy_of(const double *x, size_t n) {
    double *y = malloc(n * sizeof *y);
    memcpy(y, x, n * sizeof *y);
    return y;
}

/* ---- checking helpers --------------------------------------------------------------- */

/* The forward pass of the op under test, recomputing `out` from the current inputs. */
typedef void (*forward_fn)(void *ctx);

static double worst_grad_err = 0;

/* Central differences of L = sum(out * g) with respect to every element of x, compared
 * with the analytic gradient. Differences are taken per output element before summing,
 * which keeps the rounding error far below the step. Returns the largest relative error. */
static double check_grad(const char *name, double *x, const double *analytic, size_t n,
                         forward_fn forward, void *ctx, const double *out, const double *g,
                         size_t nout) {
    double *plus = malloc(nout * sizeof *plus), *minus = malloc(nout * sizeof *minus);
    double max_err = 0, at_num = 0, at_ana = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double saved = x[i];
        x[i] = saved + FD_STEP;
        forward(ctx);
        memcpy(plus, out, nout * sizeof *plus);
        x[i] = saved - FD_STEP;
        forward(ctx);
        memcpy(minus, out, nout * sizeof *minus);
        x[i] = saved;
        double num = 0;
        for (size_t k = 0; k < nout; k++) num += (plus[k] - minus[k]) * g[k];
        num /= 2 * FD_STEP;
        double scale = fmax(fmax(fabs(num), fabs(analytic[i])), GRAD_FLOOR);
        double err = fabs(num - analytic[i]) / scale;
        if (err > max_err || i == 0) max_err = err, at = i, at_num = num, at_ana = analytic[i];
    }
    forward(ctx); /* leave out consistent with the unperturbed inputs */
    printf("  %-34s %4zu elements, max rel err %.2e\n", name, n, max_err);
    CHECKF(max_err < GRAD_TOL, "%s[%zu]: analytic %.15g vs numeric %.15g (rel err %.2e)", name, at,
           at_ana, at_num, max_err);
    if (max_err > worst_grad_err) worst_grad_err = max_err;
    free(plus);
    free(minus);
    return max_err;
}

/* After a second identical backward call, grad must hold twice the first result. */
static void check_doubled(const char *name, const double *grad, const double *once, size_t n) {
    double max_err = 0;
    for (size_t i = 0; i < n; i++) {
        double err = fabs(grad[i] - 2 * once[i]) / fmax(1.0, fabs(once[i]));
        if (err > max_err) max_err = err;
    }
    CHECKF(max_err < 1e-12, "%s: backward does not accumulate (err %.2e)", name, max_err);
}

static void check_close(const char *name, const double *got, const double *want, size_t n,
                        double tol) {
    double max_err = 0;
    for (size_t i = 0; i < n; i++) {
        double err = fabs(got[i] - want[i]) / fmax(1.0, fabs(want[i]));
        if (err > max_err) max_err = err;
    }
    CHECKF(max_err < tol, "%s: max err %.2e vs reference", name, max_err);
}

/* ---- embedding ---------------------------------------------------------------------- */

typedef struct {
    double *out, *wte, *wpe;
    int *tokens;
    int B, T, C;
} emb_ctx;

static void emb_fwd(void *p) {
    emb_ctx *c = p;
    embedding_forward(NULL, c->out, c->tokens, c->wte, c->wpe, c->B, c->T, c->C);
}

static void test_embedding(void) {
    enum { B = 2, T = 5, C = 8, V = 7, N = B * T };
    int tokens[N];
    for (int i = 0; i < N; i++) tokens[i] = irand(V);
    tokens[N - 1] = tokens[0]; /* a repeated token */
    emb_ctx c = {zeros(N * C), rand_array(V * C, 1), rand_array(T * C, 1), tokens, B, T, C};
    double *g = rand_array(N * C, 1);
    emb_fwd(&c);
    for (int n = 0; n < N; n++)
        for (int k = 0; k < C; k++)
            CHECK(c.out[n * C + k] == c.wte[tokens[n] * C + k] + c.wpe[(n % T) * C + k]);

    double *dwte = zeros(V * C), *dwpe = zeros(T * C);
    embedding_backward(NULL, dwte, dwpe, g, tokens, B, T, C);
    check_grad("embedding dwte", c.wte, dwte, V * C, emb_fwd, &c, c.out, g, N * C);
    check_grad("embedding dwpe", c.wpe, dwpe, T * C, emb_fwd, &c, c.out, g, N * C);
    double *once_te = copy_of(dwte, V * C), *once_pe = copy_of(dwpe, T * C);
    embedding_backward(NULL, dwte, dwpe, g, tokens, B, T, C);
    check_doubled("embedding dwte", dwte, once_te, V * C);
    check_doubled("embedding dwpe", dwpe, once_pe, T * C);

    /* without learned positions (wpe NULL): the byte embedding alone, and dwte the same */
    double *dwte0 = zeros(V * C);
    embedding_forward(NULL, c.out, tokens, c.wte, NULL, B, T, C);
    for (int n = 0; n < N; n++)
        for (int k = 0; k < C; k++) CHECK(c.out[n * C + k] == c.wte[tokens[n] * C + k]);
    embedding_backward(NULL, dwte0, NULL, g, tokens, B, T, C);
    CHECK(!memcmp(dwte0, once_te, V * C * sizeof(double)));
    free(c.out), free(c.wte), free(c.wpe), free(g), free(dwte), free(dwpe), free(once_te),
        free(once_pe), free(dwte0);
}

/* ---- row lookups (the hashed n-gram table) -------------------------------------------- */

typedef struct {
    double *out, *base, *table;
    const int *idx;
    int N, K, C;
} rows_ctx;

static void rows_fwd(void *p) {
    rows_ctx *c = p;
    memcpy(c->out, c->base, (size_t)c->N * c->C * sizeof(double));
    rows_gather_add(NULL, c->out, c->table, c->idx, c->N, c->K, c->C);
}

static void test_rows(void) {
    enum { N = 6, K = 3, C = 5, R = 4 };
    int idx[N * K];
    for (int i = 0; i < N * K; i++) idx[i] = irand(R + 1) - 1; /* -1: no lookup */
    idx[0] = idx[K] = 2;                                       /* a row used twice */
    idx[1] = -1;
    rows_ctx c = {zeros(N * C), rand_array(N * C, 1), rand_array(R * C, 1), idx, N, K, C};
    rows_fwd(&c);
    for (int n = 0; n < N; n++) /* the lookups are added to what out held, in j order */
        for (int k = 0; k < C; k++) {
            double want = c.base[n * C + k];
            for (int j = 0; j < K; j++)
                if (idx[n * K + j] >= 0) want += c.table[idx[n * K + j] * C + k];
            CHECK(c.out[n * C + k] == want);
        }
    double *g = rand_array(N * C, 1), *dt = zeros(R * C);
    rows_scatter_add(NULL, dt, g, idx, N, K, C);
    check_grad("rows table", c.table, dt, R * C, rows_fwd, &c, c.out, g, N * C);
    double *once = copy_of(dt, R * C);
    rows_scatter_add(NULL, dt, g, idx, N, K, C);
    check_doubled("rows table", dt, once, R * C);
    for (int r = 0; r < R; r++) { /* a row nobody looks up gets no gradient */
        int used = 0;
        for (int i = 0; i < N * K; i++) used |= idx[i] == r;
        for (int k = 0; k < C && !used; k++) CHECK(once[r * C + k] == 0.0);
    }
    free(c.out), free(c.base), free(c.table), free(g), free(dt), free(once);
}

/* ---- layernorm ---------------------------------------------------------------------- */

typedef struct {
    double *out, *mean, *rstd, *inp, *weight, *bias;
    int N, C;
} ln_ctx;

static void ln_fwd(void *p) {
    ln_ctx *c = p;
    layernorm_forward(NULL, c->out, c->mean, c->rstd, c->inp, c->weight, c->bias, c->N, c->C);
}

static void test_layernorm(void) {
    enum { N = 10, C = 8 };
    ln_ctx c = {zeros(N * C),     zeros(N),         zeros(N), rand_array(N * C, 2),
                rand_array(C, 1), rand_array(C, 1), N,        C};
    for (int i = 0; i < C; i++) c.weight[i] += 1;
    for (int i = 0; i < N * C; i++) c.inp[i] += 0.5; /* a non-zero mean */
    double *g = rand_array(N * C, 1);
    ln_fwd(&c);
    double ref[N * C];
    for (int n = 0; n < N; n++) {
        const double *x = c.inp + n * C;
        double m = 0, v = 0;
        for (int k = 0; k < C; k++) m += x[k] / C;
        for (int k = 0; k < C; k++) v += (x[k] - m) * (x[k] - m) / C;
        for (int k = 0; k < C; k++)
            ref[n * C + k] = (x[k] - m) / sqrt(v + 1e-5) * c.weight[k] + c.bias[k];
    }
    check_close("layernorm forward", c.out, ref, N * C, 1e-13);

    double *dinp = zeros(N * C), *dw = zeros(C), *db = zeros(C);
    layernorm_backward(NULL, dinp, dw, db, g, c.inp, c.weight, c.mean, c.rstd, N, C);
    check_grad("layernorm dinp", c.inp, dinp, N * C, ln_fwd, &c, c.out, g, N * C);
    check_grad("layernorm dweight", c.weight, dw, C, ln_fwd, &c, c.out, g, N * C);
    check_grad("layernorm dbias", c.bias, db, C, ln_fwd, &c, c.out, g, N * C);
    double *o1 = copy_of(dinp, N * C), *o2 = copy_of(dw, C), *o3 = copy_of(db, C);
    layernorm_backward(NULL, dinp, dw, db, g, c.inp, c.weight, c.mean, c.rstd, N, C);
    check_doubled("layernorm dinp", dinp, o1, N * C);
    check_doubled("layernorm dweight", dw, o2, C);
    check_doubled("layernorm dbias", db, o3, C);
    free(c.out), free(c.mean), free(c.rstd), free(c.inp), free(c.weight), free(c.bias), free(g);
    free(dinp), free(dw), free(db), free(o1), free(o2), free(o3);
}

/* ---- matmul ------------------------------------------------------------------------- */

typedef struct {
    double *out, *inp, *weight, *bias;
    int N, C, OC;
} mm_ctx;

static void mm_fwd(void *p) {
    mm_ctx *c = p;
    matmul_forward(NULL, c->out, c->inp, c->weight, c->bias, c->N, c->C, c->OC);
}

static void matmul_reference(double *out, const double *inp, const double *w, const double *b,
                             int N, int C, int OC) {
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) {
            double s = b ? b[o] : 0;
            for (int k = 0; k < C; k++) s += inp[n * C + k] * w[o * C + k];
            out[n * OC + o] = s;
        }
}

static void test_matmul(int with_bias) {
    enum { N = 10, C = 8, OC = 6 };
    mm_ctx c = {zeros(N * OC),
                rand_array(N * C, 1),
                rand_array(OC * C, 1),
                with_bias ? rand_array(OC, 1) : NULL,
                N,
                C,
                OC};
    double *g = rand_array(N * OC, 1), ref[N * OC];
    mm_fwd(&c);
    matmul_reference(ref, c.inp, c.weight, c.bias, N, C, OC);
    check_close("matmul forward", c.out, ref, N * OC, 1e-13);

    double *dinp = zeros(N * C), *dw = zeros(OC * C), *db = with_bias ? zeros(OC) : NULL;
    matmul_backward(NULL, dinp, dw, db, g, c.inp, c.weight, N, C, OC);
    check_grad(with_bias ? "matmul+bias dinp" : "matmul dinp", c.inp, dinp, N * C, mm_fwd, &c,
               c.out, g, N * OC);
    check_grad(with_bias ? "matmul+bias dweight" : "matmul dweight", c.weight, dw, OC * C, mm_fwd,
               &c, c.out, g, N * OC);
    if (with_bias) check_grad("matmul+bias dbias", c.bias, db, OC, mm_fwd, &c, c.out, g, N * OC);
    double *o1 = copy_of(dinp, N * C), *o2 = copy_of(dw, OC * C);
    double *o3 = with_bias ? copy_of(db, OC) : NULL;
    matmul_backward(NULL, dinp, dw, db, g, c.inp, c.weight, N, C, OC);
    check_doubled("matmul dinp", dinp, o1, N * C);
    check_doubled("matmul dweight", dw, o2, OC * C);
    if (with_bias) check_doubled("matmul dbias", db, o3, OC);
    free(c.out), free(c.inp), free(c.weight), free(c.bias), free(g), free(dinp), free(dw);
    free(db), free(o1), free(o2), free(o3);
}

/* Shapes large enough for OpenBLAS's blocked and threaded paths, forward only. */
static void test_matmul_large(void) {
    int N = 130, C = 67, OC = 45;
    double *inp = rand_array((size_t)N * C, 1), *w = rand_array((size_t)OC * C, 1);
    double *b = rand_array(OC, 1), *out = zeros((size_t)N * OC), *ref = zeros((size_t)N * OC);
    matmul_forward(NULL, out, inp, w, b, N, C, OC);
    matmul_reference(ref, inp, w, b, N, C, OC);
    check_close("matmul forward (large)", out, ref, (size_t)N * OC, 1e-12);
    free(inp), free(w), free(b), free(out), free(ref);
}

/* ---- attention ---------------------------------------------------------------------- */

typedef struct {
    double *out, *att, *qkv;
    int B, T, C, NH;
} att_ctx;

static void att_fwd(void *p) {
    att_ctx *c = p;
    attention_forward(NULL, c->out, c->att, c->qkv, c->B, c->T, c->C, c->NH);
}

/* Straight from the definition, one (b, t, h) at a time. */
static void attention_reference(double *out, const double *qkv, int B, int T, int C, int NH) {
    int hs = C / NH;
    double *p = malloc(T * sizeof *p);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int h = 0; h < NH; h++) {
                const double *q = qkv + ((size_t)b * T + t) * 3 * C + h * hs;
                double mx = -INFINITY, sum = 0;
                for (int j = 0; j <= t; j++) {
                    const double *k = qkv + ((size_t)b * T + j) * 3 * C + C + h * hs;
                    double s = 0;
                    for (int d = 0; d < hs; d++) s += q[d] * k[d];
                    p[j] = s / sqrt(hs);
                    mx = fmax(mx, p[j]);
                }
                for (int j = 0; j <= t; j++) sum += (p[j] = exp(p[j] - mx));
                for (int d = 0; d < hs; d++) {
                    double o = 0;
                    for (int j = 0; j <= t; j++)
                        o += p[j] / sum * qkv[((size_t)b * T + j) * 3 * C + 2 * C + h * hs + d];
                    out[((size_t)b * T + t) * C + h * hs + d] = o;
                }
            }
    free(p);
}

static void test_attention(int B, int T, int C, int NH) {
    size_t nqkv = (size_t)B * T * 3 * C, nout = (size_t)B * T * C, natt = (size_t)B * NH * T * T;
    att_ctx c = {zeros(nout), zeros(natt), rand_array(nqkv, 1.5), B, T, C, NH};
    double *g = rand_array(nout, 1), *ref = zeros(nout);
    char name[64];
    printf(" attention B=%d T=%d C=%d NH=%d\n", B, T, C, NH);
    att_fwd(&c);
    attention_reference(ref, c.qkv, B, T, C, NH);
    check_close("attention forward", c.out, ref, nout, 1e-13);

    double *dqkv = zeros(nqkv), *datt = zeros(natt);
    attention_backward(NULL, dqkv, datt, g, c.qkv, c.att, B, T, C, NH);
    snprintf(name, sizeof name, "attention dqkv (T=%d)", T);
    check_grad(name, c.qkv, dqkv, nqkv, att_fwd, &c, c.out, g, nout);
    double *once = copy_of(dqkv, nqkv);
    attention_backward(NULL, dqkv, datt, g, c.qkv, c.att, B, T, C, NH);
    check_doubled("attention dqkv", dqkv, once, nqkv);

    /* Causality: probabilities above the diagonal are exactly 0, and rows <= t0 of out
     * and att are bit-identical whatever rows > t0 of q, k, v hold. */
    for (size_t bh = 0; bh < (size_t)B * NH; bh++)
        for (int t = 0; t < T; t++)
            for (int j = t + 1; j < T; j++) CHECK(c.att[(bh * T + t) * T + j] == 0.0);
    int cuts[] = {0, 1, T / 2, 63, 64, T - 2, irand(T - 1)};
    double *out0 = copy_of(c.out, nout), *att0 = copy_of(c.att, natt);
    double *qkv0 = copy_of(c.qkv, nqkv);
    for (size_t ci = 0; ci < sizeof cuts / sizeof *cuts; ci++) {
        int t0 = cuts[ci];
        if (t0 < 0 || t0 >= T - 1) continue;
        memcpy(c.qkv, qkv0, nqkv * sizeof(double));
        for (int b = 0; b < B; b++)
            for (int t = t0 + 1; t < T; t++)
                for (int k = 0; k < 3 * C; k++)
                    c.qkv[((size_t)b * T + t) * 3 * C + k] = 10 * urand();
        att_fwd(&c);
        for (int b = 0; b < B; b++) {
            size_t row = (size_t)b * T * C, len = (size_t)(t0 + 1) * C;
            CHECKF(!memcmp(c.out + row, out0 + row, len * sizeof(double)),
                   "attention: out rows <= %d changed with later rows (b=%d)", t0, b);
            for (int h = 0; h < NH; h++) {
                size_t a = ((size_t)b * NH + h) * T * T;
                CHECKF(!memcmp(c.att + a, att0 + a, (size_t)(t0 + 1) * T * sizeof(double)),
                       "attention: att rows <= %d changed with later rows (b=%d h=%d)", t0, b, h);
            }
        }
    }
    free(c.out), free(c.att), free(c.qkv), free(g), free(ref), free(dqkv), free(datt);
    free(once), free(out0), free(att0), free(qkv0);
}

/* ---- rope ---------------------------------------------------------------------------- */

typedef struct {
    double *out, *inp;
    int B, T, C, NH;
    int64_t pos0;
} rope_ctx;

static void rope_fwd(void *p) {
    rope_ctx *c = p;
    memcpy(c->out, c->inp, (size_t)c->B * c->T * 3 * c->C * sizeof(double));
    rope_forward(NULL, c->out, c->B, c->T, c->C, c->NH, c->pos0);
}

/* Against the definition (a rotation of pairs (i, i + hs/2) by t * 10000^(-2i/hs)), v
 * untouched; q.k depends only on the positions' offset; the backward is the transpose
 * (finite differences); and with later rows changed, earlier rows are bit-identical. */
static void test_rope(void) {
    enum { B = 2, T = 7, C = 12, NH = 3, hs = C / NH, N = B * T * 3 * C };
    rope_ctx c = {zeros(N), rand_array(N, 1), B, T, C, NH, 1000003};
    rope_fwd(&c);
    double max_err = 0;
    for (int n = 0; n < B * T; n++)
        for (int h = 0; h < 3 * NH; h++)
            for (int i = 0; i < hs; i++) {
                size_t at = (size_t)n * 3 * C + (size_t)h * hs;
                double want = c.inp[at + i];
                if (h < 2 * NH) { /* q and k heads; v heads stay as they are */
                    int p = i % (hs / 2);
                    double t = (double)(c.pos0 + n % T);
                    double a = t * pow(10000.0, -2.0 * p / hs);
                    double x = c.inp[at + p], y = c.inp[at + p + hs / 2];
                    want = i < hs / 2 ? x * cos(a) - y * sin(a) : x * sin(a) + y * cos(a);
                }
                max_err = fmax(max_err, fabs(c.out[at + i] - want));
            }
    CHECKF(max_err < 1e-14, "rope forward: max err %.2e vs the definition", max_err);

    /* relative: the same q and k vectors placed at (t, j) and (t + 2, j + 2) */
    double *qk = zeros(N);
    for (int t = 0; t < T; t++)
        for (int k = 0; k < 2 * C; k++) qk[(size_t)t * 3 * C + k] = c.inp[k];
    rope_forward(NULL, qk, 1, T, C, NH, 0);
    double d1 = 0, d2 = 0;
    for (int k = 0; k < hs; k++) {
        d1 += qk[(size_t)4 * 3 * C + k] * qk[(size_t)1 * 3 * C + C + k];
        d2 += qk[(size_t)6 * 3 * C + k] * qk[(size_t)3 * 3 * C + C + k];
    }
    CHECKF(fabs(d1 - d2) < 1e-12, "rope: q.k at offset 3 differs by position (%g vs %g)", d1, d2);

    double *g = rand_array(N, 1), *dinp = copy_of(g, N);
    rope_backward(NULL, dinp, B, T, C, NH, c.pos0);
    check_grad("rope dqkv", c.inp, dinp, N, rope_fwd, &c, c.out, g, N);

    double *out0 = copy_of(c.out, N);
    for (int k = 0; k < 3 * C; k++) c.inp[(size_t)(T - 1) * 3 * C + k] += 1;
    rope_fwd(&c);
    CHECK(!memcmp(c.out, out0, (size_t)(T - 1) * 3 * C * sizeof(double)));
    free(c.out), free(c.inp), free(qk), free(g), free(dinp), free(out0);
}

/* ---- gelu, residual ------------------------------------------------------------------ */

typedef struct {
    double *out, *a, *b;
    size_t n;
} ew_ctx;

static void gelu_fwd(void *p) {
    ew_ctx *c = p;
    gelu_forward(NULL, c->out, c->a, c->n);
}

static void test_gelu(void) {
    enum { n = 40 };
    ew_ctx c = {zeros(n), rand_array(n, 4), NULL, n};
    double *g = rand_array(n, 1);
    gelu_fwd(&c);
    for (int i = 0; i < n; i++) {
        double x = c.a[i];
        double ref = 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
        CHECK(fabs(c.out[i] - ref) < 1e-14);
    }
    double *dinp = zeros(n);
    gelu_backward(NULL, dinp, c.a, g, n);
    check_grad("gelu dinp", c.a, dinp, n, gelu_fwd, &c, c.out, g, n);
    double *once = copy_of(dinp, n);
    gelu_backward(NULL, dinp, c.a, g, n);
    check_doubled("gelu dinp", dinp, once, n);
    free(c.out), free(c.a), free(g), free(dinp), free(once);
}

static void residual_fwd(void *p) {
    ew_ctx *c = p;
    residual_forward(NULL, c->out, c->a, c->b, c->n);
}

static void test_residual(void) {
    enum { n = 20 };
    ew_ctx c = {zeros(n), rand_array(n, 1), rand_array(n, 1), n};
    double *g = rand_array(n, 1);
    residual_fwd(&c);
    for (int i = 0; i < n; i++) CHECK(c.out[i] == c.a[i] + c.b[i]);
    double *da = zeros(n), *db = zeros(n);
    residual_backward(NULL, da, db, g, n);
    check_grad("residual da", c.a, da, n, residual_fwd, &c, c.out, g, n);
    check_grad("residual db", c.b, db, n, residual_fwd, &c, c.out, g, n);
    double *o1 = copy_of(da, n), *o2 = copy_of(db, n);
    residual_backward(NULL, da, db, g, n);
    check_doubled("residual da", da, o1, n);
    check_doubled("residual db", db, o2, n);
    free(c.out), free(c.a), free(c.b), free(g), free(da), free(db), free(o1), free(o2);
}

/* ---- crossentropy ------------------------------------------------------------------- */

typedef struct {
    double *bits, *logits;
    int *targets;
    int N, V;
} ce_ctx;

static void ce_fwd(void *p) {
    ce_ctx *c = p;
    crossentropy_forward(NULL, c->bits, c->logits, c->targets, c->N, c->V);
}

static void test_crossentropy(void) {
    enum { N = 10, V = 7 };
    int targets[N];
    for (int i = 0; i < N; i++) targets[i] = irand(V);
    ce_ctx c = {zeros(N), rand_array(N * V, 3), targets, N, V};
    c.logits[0] += 40; /* a large logit: the max subtraction must hold */
    double *w = rand_array(N, 1);
    w[1] = 0, w[N - 1] = 0; /* masked positions */
    ce_fwd(&c);
    for (int i = 0; i < N; i++) {
        const double *l = c.logits + i * V;
        double mx = l[0], s = 0;
        for (int j = 1; j < V; j++) mx = fmax(mx, l[j]);
        for (int j = 0; j < V; j++) s += exp(l[j] - mx);
        double ref = -(l[targets[i]] - mx - log(s)) / log(2);
        CHECKF(fabs(c.bits[i] - ref) < 1e-13, "crossentropy bits[%d] %.17g vs %.17g", i, c.bits[i],
               ref);
    }

    /* The loss whose gradient the backward gives: sum_i w_i (-ln p_i) = ln 2 sum w_i bits_i */
    double g[N];
    for (int i = 0; i < N; i++) g[i] = w[i] * log(2);
    double *dlogits = rand_array(N * V, 100); /* garbage: the backward overwrites */
    crossentropy_backward(NULL, dlogits, c.logits, targets, w, N, V);
    check_grad("crossentropy dlogits", c.logits, dlogits, N * V, ce_fwd, &c, c.bits, g, N);
    double *once = copy_of(dlogits, N * V);
    crossentropy_backward(NULL, dlogits, c.logits, targets, w, N, V);
    CHECKF(!memcmp(once, dlogits, N * V * sizeof(double)), "crossentropy backward must overwrite");
    for (int j = 0; j < V; j++) CHECK(dlogits[1 * V + j] == 0.0);

    /* uniform prediction over 256 bytes: exactly 8 bits */
    enum { U = 256, NU = 3 };
    double *zl = zeros(NU * U), zb[NU];
    int zt[NU] = {0, 17, 255};
    crossentropy_forward(NULL, zb, zl, zt, NU, U);
    for (int i = 0; i < NU; i++)
        CHECKF(fabs(zb[i] - 8.0) < 1e-12, "zero logits: %.17g bits, want 8", zb[i]);
    free(c.bits), free(c.logits), free(w), free(dlogits), free(once), free(zl);
}

/* ---- adamw, sum_of_squares ------------------------------------------------------------ */

static void test_adamw(void) {
    enum { n = 7, steps = 3 };
    const float lr = 0.01f, b1 = 0.9f, b2 = 0.95f, eps = 1e-8f, wd = 0.1f, gs = 0.5f;
    double *p = rand_array(n, 1), *m = zeros(n), *v = zeros(n);
    double rp[n], rm[n] = {0}, rv[n] = {0};
    memcpy(rp, p, sizeof rp);
    for (int t = 1; t <= steps; t++) {
        double *grad = rand_array(n, 2);
        adamw_update(NULL, p, grad, m, v, n, lr, b1, b2, eps, wd, gs, t);
        for (int i = 0; i < n; i++) { /* the textbook update, one scalar at a time */
            double gi = grad[i] * gs;
            rm[i] = b1 * rm[i] + (1 - (double)b1) * gi;
            rv[i] = b2 * rv[i] + (1 - (double)b2) * gi * gi;
            double mhat = rm[i] / (1 - pow(b1, t)), vhat = rv[i] / (1 - pow(b2, t));
            rp[i] -= lr * (mhat / (sqrt(vhat) + eps) + wd * rp[i]);
        }
        free(grad);
    }
    check_close("adamw param", p, rp, n, 1e-14);
    check_close("adamw m", m, rm, n, 1e-14);
    check_close("adamw v", v, rv, n, 1e-14);
    /* weight decay alone: zero gradient shrinks the parameter by lr * wd */
    double q = 2.0, zg = 0, zm = 0, zv = 0;
    adamw_update(NULL, &q, &zg, &zm, &zv, 1, lr, b1, b2, eps, wd, gs, 1);
    CHECK(fabs(q - (2.0 - (double)lr * wd * 2.0)) < 1e-15);
    free(p), free(m), free(v);
}

/* The row form: the listed rows get exactly the dense update and their gradient is
 * cleared; every other row, moment and gradient is untouched. */
static void test_adamw_rows(void) {
    enum { R = 5, C = 3, n = R * C };
    const float lr = 0.01f, b1 = 0.0f, b2 = 0.99f, eps = 1e-8f, wd = 0.01f, gs = 0.7f;
    const int rows[] = {1, 3, 4};
    double *p = rand_array(n, 1), *grad = rand_array(n, 2), *m = rand_array(n, 1);
    double *v = rand_array(n, 1);
    for (int i = 0; i < n; i++) v[i] = fabs(v[i]);
    double *p0 = copy_of(p, n), *g0 = copy_of(grad, n), *m0 = copy_of(m, n), *v0 = copy_of(v, n);
    adamw_update_rows(NULL, p, grad, m, v, rows, 3, C, lr, b1, b2, eps, wd, gs, 4);
    for (int r = 0; r < R; r++) {
        int listed = r == 1 || r == 3 || r == 4;
        double q[C], qm[C], qv[C];
        memcpy(q, p0 + r * C, sizeof q), memcpy(qm, m0 + r * C, sizeof qm);
        memcpy(qv, v0 + r * C, sizeof qv);
        if (listed) adamw_update(NULL, q, g0 + r * C, qm, qv, C, lr, b1, b2, eps, wd, gs, 4);
        for (int k = 0; k < C; k++) {
            CHECK(p[r * C + k] == q[k] && m[r * C + k] == qm[k] && v[r * C + k] == qv[k]);
            CHECK(grad[r * C + k] == (listed ? 0.0 : g0[r * C + k]));
        }
    }
    free(p), free(grad), free(m), free(v), free(p0), free(g0), free(m0), free(v0);
}

static void test_sum_of_squares(void) {
    size_t sizes[] = {0, 1, 5, 63, 64, 65, 1000, 1000003};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        double *x = rand_array(n ? n : 1, 3), ref = 0;
        for (size_t i = 0; i < n; i++) ref += x[i] * x[i];
        double got = sum_of_squares(NULL, x, n);
        CHECKF(fabs(got - ref) <= 1e-12 * fmax(1, ref), "sum_of_squares n=%zu: %.17g vs %.17g", n,
               got, ref);
        CHECK(sum_of_squares(NULL, x, n) == got); /* repeatable */
        free(x);
    }
    double *x = rand_array(4 * 3, 2), ref = 0;
    const int rows[] = {0, 2, 3};
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 3; k++) ref += x[rows[r] * 3 + k] * x[rows[r] * 3 + k];
    CHECK(fabs(sum_of_squares_rows(NULL, x, rows, 3, 3) - ref) <= 1e-14 * ref);
    CHECK(sum_of_squares_rows(NULL, x, rows, 0, 3) == 0.0);
    free(x);
}

static void test_backend_table(void) {
    const mdl_backend *be = cpu_backend();
    const mdl_ops *ops = be->ops;
    void *ctx = be->ctx;
    CHECK(ops && ops->name && !strcmp(ops->name, "cpu") && ctx == NULL);
    CHECK(ops->matmul_forward == matmul_forward && ops->sum_of_squares == sum_of_squares);
    double *buf = ops->alloc(ctx, 100 * sizeof(double)), src[100];
    CHECK(buf && (uintptr_t)buf % 64 == 0);
    for (int i = 0; i < 100; i++) {
        CHECK(buf[i] == 0.0);
        src[i] = i;
    }
    ops->upload(ctx, buf, src, sizeof src);
    ops->zero(ctx, buf, 10 * sizeof(double));
    ops->synchronize(ctx);
    double back[100];
    ops->download(ctx, back, buf, sizeof back);
    for (int i = 0; i < 100; i++) CHECK(back[i] == (i < 10 ? 0.0 : i));
    ops->release(ctx, buf);
    /* the device functions: a description, the host's free memory, nothing to release */
    char desc[256];
    ops->describe(ctx, desc, sizeof desc);
    CHECK(!strncmp(desc, "cpu: ", 5));
    CHECK(ops->free_memory(ctx) > 0 && ops->destroy == NULL && ops->queue == NULL);
    mdl_backend_release(be);
}

int main(void) {
    const char *env = getenv("MDL_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^ (uint64_t)clock() << 32;
    rng_seed = seed;
    printf("test_ops_grad: seed %llu (MDL_TEST_SEED=%llu repeats this run)\n",
           (unsigned long long)seed, (unsigned long long)seed);

    test_embedding();
    test_rows();
    test_layernorm();
    test_matmul(1);
    test_matmul(0);
    test_matmul_large();
    test_attention(2, 5, 8, 2);
    test_attention(1, 70, 8, 2); /* more than one block of query rows */
    test_rope();
    test_gelu();
    test_residual();
    test_crossentropy();
    test_adamw();
    test_adamw_rows();
    test_sum_of_squares();
    test_backend_table();
    printf("worst gradient relative error %.2e (tolerance %.0e)\n", worst_grad_err, GRAD_TOL);
    return tests_done("test_ops_grad");
}
