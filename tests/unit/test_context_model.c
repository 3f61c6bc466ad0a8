/* The KT context models against a direct O(n^2) recount, per-document attribution,
 * convergence to the entropy rate of known sources, and the order-0 entropy reference. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "baselines.h"
#include "corpus.h"
#include "tests_common.h"

static uint64_t rng_state = 0x853c49e6748fea9bull;
static uint64_t next_u64(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static double next_unit(void) {
    return (double)(next_u64() >> 11) * 0x1p-53;
}

static int close_rel(double a, double b, double tol) {
    return fabs(a - b) <= tol * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static char *root; /* every test's files, removed at the end */

/* Writes the documents as files root/name/00, 01, ... (walk order = this order) and loads
 * them. */
static void load_docs(corpus *c, const char *name, const uint8_t *const *docs, const size_t *sizes,
                      size_t n_docs) {
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    mkdir(dir, 0755);
    for (size_t d = 0; d < n_docs; d++) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/%02zu", dir, d);
        tests_write_file(path, docs[d], sizes[d]);
    }
    mdl_err err;
    const char *paths[] = {dir};
    if (corpus_load(c, paths, 1, &err) != 0) {
        fprintf(stderr, "corpus_load: %s\n", err.msg);
        exit(2);
    }
}

/* The definition, spelled out: the context of x_i is the array (x_{i-k}, ..., x_{i-1})
 * with BEGIN before the start; n(c) and n(c, x) are found by scanning every earlier
 * position with an equal context array. */
#define BEGIN 256
static double direct_bits(const uint8_t *x, size_t i, int k) {
    int ctx_i[8], ctx_j[8];
    for (int t = 0; t < k; t++) ctx_i[t] = (long)i - k + t >= 0 ? x[i - k + t] : BEGIN;
    size_t total = 0, count = 0;
    for (size_t j = 0; j < i; j++) {
        for (int t = 0; t < k; t++) ctx_j[t] = (long)j - k + t >= 0 ? x[j - k + t] : BEGIN;
        if (memcmp(ctx_i, ctx_j, k * sizeof(int)) != 0) continue;
        total++;
        count += x[j] == x[i];
    }
    return -log2((count + 0.5) / (total + 128.0));
}

/* context_model_bits on [pos, pos + n) equals the direct count, in total and per document. */
static void check_direct(const corpus *c, uint64_t pos, uint64_t n, int k, const char *what) {
    uint8_t *x = malloc(n);
    corpus_copy(c, pos, n, x);
    double *want_doc = calloc(c->n_docs, sizeof *want_doc);
    double *got_doc = calloc(c->n_docs, sizeof *got_doc);
    double want = 0, got = -1;
    for (size_t i = 0; i < n; i++) {
        double b = direct_bits(x, i, k);
        want += b;
        want_doc[corpus_doc_index(c, pos + i)] += b;
    }
    mdl_err err = {{0}};
    CHECKF(context_model_bits(c, pos, n, k, &got, got_doc, &err) == 0, "%s", err.msg);
    CHECKF(close_rel(got, want, 1e-9), "%s order %d: %.12f bits, direct count %.12f", what, k, got,
           want);
    double sum = 0;
    for (size_t d = 0; d < c->n_docs; d++) {
        sum += got_doc[d];
        CHECKF(close_rel(got_doc[d], want_doc[d], 1e-9), "%s order %d doc %zu: %.12f vs %.12f",
               what, k, d, got_doc[d], want_doc[d]);
        if (c->docs[d].size == 0) CHECK(got_doc[d] == 0);
    }
    CHECKF(close_rel(sum, got, 1e-9), "%s order %d: documents sum to %.12f of %.12f", what, k, sum,
           got);
    double no_docs = -1; /* doc_bits NULL: the same total */
    CHECK(context_model_bits(c, pos, n, k, &no_docs, NULL, &err) == 0 && no_docs == got);
    free(x), free(want_doc), free(got_doc);
}

static const char text[] =
    "It is a truth universally acknowledged, that a single man in possession of a good "
    "fortune, must be in want of a wife. However little known the feelings or views of such "
    "a man may be on his first entering a neighbourhood, this truth is so well fixed in the "
    "minds of the surrounding families, that he is considered the rightful property of some "
    "one or other of their daughters.\n";

static void test_direct(void) {
    enum { N = 3000 };
    static uint8_t random_bytes[N], prose[N], mixed[N];
    for (size_t i = 0; i < N; i++) {
        random_bytes[i] = (uint8_t)next_u64();
        prose[i] = (uint8_t)text[i % (sizeof text - 1)];
        mixed[i] = i % 3 ? prose[i] : (uint8_t)(next_u64() % 4); /* a few 4-grams recur */
    }
    const uint8_t *one[] = {random_bytes}, *two[] = {prose};
    size_t n_one = N, n_two = N;
    /* several documents, one empty, one of a single byte: the stream runs across them */
    const uint8_t *many[] = {prose, mixed, random_bytes, mixed + 5, prose + 7};
    size_t n_many[] = {700, 0, 1, 1100, 900};
    const struct {
        const char *name;
        const uint8_t *const *docs;
        const size_t *sizes;
        size_t n_docs;
    } sets[] = {
        {"random", one, &n_one, 1}, {"text", two, &n_two, 1}, {"documents", many, n_many, 5}};
    for (size_t s = 0; s < 3; s++) {
        corpus c;
        load_docs(&c, sets[s].name, sets[s].docs, sets[s].sizes, sets[s].n_docs);
        for (int k = 0; k <= 8; k++) {
            if (k > 3 && k < 8 && s != 2) continue; /* the middle orders once */
            check_direct(&c, 0, c.n_bytes, k, sets[s].name);
        }
        /* a sub-range: the begin symbol is at pos, not at the corpus start */
        for (int k = 0; k <= 3; k++) check_direct(&c, 650, c.n_bytes - 900, k, sets[s].name);
        check_direct(&c, 701, 1, 2, sets[s].name);
        corpus_free(&c);
    }
}

/* An order-2 Markov source over 4 symbols: the order-2 model's rate approaches the source's
 * entropy rate, computed from the stationary distribution of the pair chain. KT over 256
 * symbols pays about (255/2) log2 n(c) - log2 127! ~ 1300 bits in each of the 16 contexts
 * (0.02 bits/byte here); order 3 pays it in 64. */
static void test_markov_source(void) {
    enum { M = 4, N = 1 << 20 };
    double p[M][M][M]; /* p[a][b][x] = P(x | previous two a, b) */
    for (int a = 0; a < M; a++)
        for (int b = 0; b < M; b++) {
            double sum = 0;
            for (int x = 0; x < M; x++) sum += p[a][b][x] = pow(next_unit(), 3) + 0.02;
            for (int x = 0; x < M; x++) p[a][b][x] /= sum;
        }
    double pi[M][M], next[M][M];
    for (int a = 0; a < M; a++)
        for (int b = 0; b < M; b++) pi[a][b] = 1.0 / (M * M);
    for (int it = 0; it < 10000; it++) {
        memset(next, 0, sizeof next);
        for (int a = 0; a < M; a++)
            for (int b = 0; b < M; b++)
                for (int x = 0; x < M; x++) next[b][x] += pi[a][b] * p[a][b][x];
        memcpy(pi, next, sizeof pi);
    }
    double rate = 0; /* bits per symbol */
    for (int a = 0; a < M; a++)
        for (int b = 0; b < M; b++)
            for (int x = 0; x < M; x++) rate -= pi[a][b] * p[a][b][x] * log2(p[a][b][x]);

    uint8_t *bytes = malloc(N);
    int a = 0, b = 0;
    for (size_t i = 0; i < N; i++) {
        double u = next_unit(), cum = 0;
        int x = M - 1;
        for (int y = 0; y < M - 1; y++)
            if (u < (cum += p[a][b][y])) {
                x = y;
                break;
            }
        bytes[i] = (uint8_t)('a' + x);
        a = b, b = x;
    }
    corpus c;
    const uint8_t *docs[] = {bytes};
    size_t sizes[] = {N};
    load_docs(&c, "markov", docs, sizes, 1);
    double bits2 = 0, bits3 = 0;
    mdl_err err;
    CHECKF(context_model_bits(&c, 0, N, 2, &bits2, NULL, &err) == 0, "%s", err.msg);
    CHECKF(context_model_bits(&c, 0, N, 3, &bits3, NULL, &err) == 0, "%s", err.msg);
    double bpb2 = bits2 / N, bpb3 = bits3 / N;
    printf("order-2 source, entropy rate %.4f bits: order 2 %.4f, order 3 %.4f bits/byte\n", rate,
           bpb2, bpb3);
    CHECKF(bpb2 > rate * 0.995 && bpb2 < rate * 1.02, "order 2: %.4f bits/byte, entropy %.4f", bpb2,
           rate);
    CHECKF(bpb3 > bpb2 && bpb3 < rate * 1.08, "order 3: %.4f bits/byte, entropy %.4f", bpb3, rate);
    corpus_free(&c);
    free(bytes);
}

/* An i.i.d. skewed source: the adaptive order-0 code approaches N H(p) and stays within
 * the KT regret (255/2) log2 N of the empirical entropy, which it can never beat. */
static void test_iid_source(void) {
    enum { M = 16, N = 1 << 20 };
    double p[M], h = 0, sum = 0;
    for (int x = 0; x < M; x++) sum += p[x] = pow(0.7, x);
    for (int x = 0; x < M; x++) p[x] /= sum;
    for (int x = 0; x < M; x++) h -= p[x] * log2(p[x]);
    uint8_t *bytes = malloc(N);
    for (size_t i = 0; i < N; i++) {
        double u = next_unit(), cum = 0;
        int x = M - 1;
        for (int y = 0; y < M - 1; y++)
            if (u < (cum += p[y])) {
                x = y;
                break;
            }
        bytes[i] = (uint8_t)(x * 13 + 7);
    }
    corpus c;
    const uint8_t *docs[] = {bytes};
    size_t sizes[] = {N};
    load_docs(&c, "iid", docs, sizes, 1);
    double bits = 0;
    mdl_err err;
    CHECKF(context_model_bits(&c, 0, N, 0, &bits, NULL, &err) == 0, "%s", err.msg);
    double empirical = order0_entropy_bits(&c, 0, N);
    printf("i.i.d. source, entropy %.4f bits: order 0 %.4f, empirical %.4f bits/byte\n", h,
           bits / N, empirical / N);
    CHECKF(fabs(bits / N / h - 1) < 0.005, "order 0: %.4f bits/byte, entropy %.4f", bits / N, h);
    CHECKF(bits >= empirical && bits <= empirical + 127.5 * log2(N) + 8,
           "order 0: %.1f bits, empirical entropy %.1f", bits, empirical);
    corpus_free(&c);
    free(bytes);
}

/* order0_entropy_bits is N H(counts) over the range, and the KT code pays a bounded regret. */
static void test_order0_entropy(void) {
    enum { N = 5000 };
    static uint8_t bytes[N];
    for (size_t i = 0; i < N; i++)
        bytes[i] = i % 2 ? (uint8_t)text[i % (sizeof text - 1)] : (uint8_t)(next_u64() % 200);
    const uint8_t *docs[] = {bytes, bytes + 1000, bytes + 3000};
    size_t sizes[] = {1000, 0, 2000};
    corpus c;
    load_docs(&c, "order0", docs, sizes, 3);
    uint8_t concat[3000]; /* the stream: the first and third documents */
    memcpy(concat, bytes, 1000);
    memcpy(concat + 1000, bytes + 3000, 2000);
    const uint64_t ranges[][2] = {{0, 3000}, {500, 1000}, {999, 2}, {2999, 1}};
    for (size_t r = 0; r < 4; r++) {
        uint64_t pos = ranges[r][0], n = ranges[r][1];
        uint64_t counts[256] = {0};
        for (uint64_t i = 0; i < n; i++) counts[concat[pos + i]]++;
        double want = 0;
        for (int x = 0; x < 256; x++)
            if (counts[x]) want += counts[x] * log2((double)n / counts[x]);
        double got = order0_entropy_bits(&c, pos, n), kt = 0;
        CHECKF(close_rel(got, want, 1e-12), "[%llu, +%llu): %.12f vs %.12f",
               (unsigned long long)pos, (unsigned long long)n, got, want);
        mdl_err err;
        CHECKF(context_model_bits(&c, pos, n, 0, &kt, NULL, &err) == 0, "%s", err.msg);
        CHECKF(kt >= got && kt <= got + 127.5 * log2((double)n) + 8, "KT %.3f, entropy %.3f", kt,
               got);
    }
    CHECK(order0_entropy_bits(&c, 0, 0) == 0);
    corpus_free(&c);
}

static void test_errors(void) {
    const uint8_t *docs[] = {(const uint8_t *)text};
    size_t sizes[] = {100};
    corpus c;
    load_docs(&c, "errors", docs, sizes, 1);
    mdl_err err = {{0}};
    double bits = 0;
    CHECK(context_model_bits(&c, 0, 100, 9, &bits, NULL, &err) == -1);
    CHECKF(strcmp(err.msg, "order-k context model: order 9 is out of range 0-8") == 0, "'%s'",
           err.msg);
    CHECK(context_model_bits(&c, 0, 100, -1, &bits, NULL, &err) == -1);
    CHECKF(strstr(err.msg, "order -1 is out of range 0-8"), "'%s'", err.msg);
    CHECK(context_model_bits(&c, 50, 51, 2, &bits, NULL, &err) == -1);
    CHECKF(strstr(err.msg, "outside the corpus"), "'%s'", err.msg);
    bits = -1;
    CHECK(context_model_bits(&c, 100, 0, 2, &bits, NULL, &err) == 0 && bits == 0);
    corpus_free(&c);
}

int main(void) {
    root = tests_tmpdir();
    test_direct();
    test_markov_source();
    test_iid_source();
    test_order0_entropy();
    test_errors();
    tests_remove_tmpdir(root);
    return tests_done("test_context_model");
}
