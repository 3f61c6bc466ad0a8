/* Classical codecs (host/baselines/codecs.c): --codecs parsing and labels, round trips of
 * every codec and level on small inputs and on a >16 MiB repetitive input, a >16 MiB mixed
 * input at fast levels (brotli's large window), and codec_measure over a multi-document
 * corpus giving the same stream as the buffer helper on the concatenation.
 *
 * Also a helper for tests/integration/test_codecs_cli.sh, which compares the streams
 * with the command-line tools':
 *   test_codecs --compress SPEC IN OUT   writes the library's stream for file IN
 *   test_codecs --measure SPEC PATH...   prints codec_measure's compressed size of the
 *                                        corpus PATH... (documents fed one by one) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baselines.h"
#include "tests_common.h"

/* xorshift64*: deterministic test data */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t next_u64(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static void fill_random(uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(next_u64() >> 56);
}

/* Words from a small vocabulary with Zipf-like frequencies, so text-like. */
static void fill_text(uint8_t *p, size_t n) {
    static const char *words[] = {"the",     "of",         "and",      "to",         "a",
                                  "in",      "code",       "length",   "model",      "byte",
                                  "online",  "compressor", "is",       "that",       "for",
                                  "entropy", "learning",   "baseline", "bits",       "per",
                                  "context", "window",     "stream",   "prequential"};
    size_t nw = sizeof words / sizeof words[0], i = 0;
    while (i < n) {
        uint64_t r = next_u64();
        size_t w = (size_t)((r >> 40) % nw);
        if ((r & 3) != 0) w = w % 6; /* common words most of the time */
        const char *s = words[w];
        for (size_t k = 0; s[k] && i < n; k++) p[i++] = (uint8_t)s[k];
        if (i < n) p[i++] = (r >> 20) % 13 == 0 ? '\n' : ' ';
    }
}

static int round_trip(const codec_spec *s, const uint8_t *in, size_t n, size_t *z_n) {
    char label[128];
    codec_label(s, label, sizeof label);
    mdl_err err = {{0}};
    uint8_t *z = NULL, *back = NULL;
    size_t zn = 0, back_n = 0;
    int ok = codec_compress_buffer(s, in, n, &z, &zn, &err) == 0;
    CHECKF(ok, "%s: compress %zu bytes: %s", label, n, err.msg);
    if (ok) {
        ok = codec_decompress_buffer(s, z, zn, &back, &back_n, &err) == 0;
        CHECKF(ok, "%s: decompress %zu bytes: %s", label, n, err.msg);
    }
    if (ok) {
        ok = back_n == n && (n == 0 || memcmp(back, in, n) == 0);
        CHECKF(ok, "%s: round trip of %zu bytes gave %zu different bytes", label, n, back_n);
    }
    if (ok && zn > 1) {
        /* a truncated stream is an error, never a shorter result */
        uint8_t *cut = NULL;
        size_t cut_n = 0;
        int rc = codec_decompress_buffer(s, z, zn - 1, &cut, &cut_n, &err);
        CHECKF(rc != 0, "%s: truncated stream of %zu bytes decoded", label, n);
        CHECKF(rc != 0 || !strstr(err.msg, label), "%s: error lacks the label: %s", label, err.msg);
        free(cut);
        /* so are bytes after the end of the stream */
        uint8_t *longer = malloc(zn + 1);
        memcpy(longer, z, zn);
        longer[zn] = 0;
        rc = codec_decompress_buffer(s, longer, zn + 1, &cut, &cut_n, &err);
        CHECKF(rc != 0, "%s: stream of %zu bytes with a trailing byte decoded", label, n);
        free(longer);
        free(cut);
    }
    if (z_n) *z_n = zn;
    free(z);
    free(back);
    return ok;
}

static void test_parse(void) {
    codec_spec *specs = NULL;
    size_t n = 0;
    mdl_err err = {{0}};

    CHECK(codec_parse_list("default", &specs, &n, &err) == 0 && n == 6);
    char text[64];
    const char *want[] = {"gzip:9", "bzip2:9", "xz:9e", "zstd:19", "zstd:22-long", "brotli:11"};
    for (size_t i = 0; i < n && i < 6; i++) {
        codec_level_text(&specs[i], text, sizeof text);
        char both[96];
        snprintf(both, sizeof both, "%s:%s", codec_name(specs[i].id), text);
        CHECKF(strcmp(both, want[i]) == 0, "default[%zu] = %s, want %s", i, both, want[i]);
    }
    free(specs);

    CHECK(codec_parse_list("all", &specs, &n, &err) == 0);
    CHECKF(n == 9 + 9 + 20 + 23 + 12, "all: %zu specs", n);
    free(specs);

    CHECK(codec_parse_list("zstd:3,xz:0e,zstd:3-long,brotli:0", &specs, &n, &err) == 0 && n == 4);
    if (n == 4) {
        CHECK(specs[0].id == CODEC_ZSTD && specs[0].level == 3 && !specs[0].long_mode);
        CHECK(specs[1].id == CODEC_XZ && specs[1].level == 0 && specs[1].extreme);
        CHECK(specs[2].id == CODEC_ZSTD && specs[2].level == 3 && specs[2].long_mode);
        CHECK(specs[3].id == CODEC_BROTLI && specs[3].level == 0);
    }
    free(specs);

    struct {
        const char *list, *msg;
    } bad[] = {
        {"lz4:1", "--codecs lz4:1: unknown codec 'lz4' (codecs: gzip, bzip2, xz, zstd, brotli)"},
        {"gzip:12", "--codecs gzip:12: gzip levels are 1-9"},
        {"gzip:0", "--codecs gzip:0: gzip levels are 1-9"},
        {"bzip2:9e", "--codecs bzip2:9e: bzip2 levels are 1-9"},
        {"xz:10", "--codecs xz:10: xz levels are 0-9 or 0e-9e (extreme)"},
        {"xz:9x", "--codecs xz:9x: xz levels are 0-9 or 0e-9e (extreme)"},
        {"zstd:23", "--codecs zstd:23: zstd levels are 1-22 or 1-long to 22-long "
                    "(long-distance matching)"},
        {"zstd:-5", "--codecs zstd:-5: zstd levels are 1-22 or 1-long to 22-long "
                    "(long-distance matching)"},
        {"brotli:12", "--codecs brotli:12: brotli levels are 0-11"},
        {"brotli:", "--codecs brotli:: brotli levels are 0-11"},
        {"gzip", "--codecs gzip: expected name:level, e.g. gzip:9"},
        {"", "--codecs: empty list"},
        {"gzip:9,", "--codecs gzip:9,: empty entry"},
        {"gzip:9,gzip:9", "--codecs gzip:9: listed twice"},
        {"gzip:9,all", "--codecs gzip:9,all: 'all' must be the whole list"},
        {"GZIP:9", "--codecs GZIP:9: unknown codec 'GZIP' (codecs: gzip, bzip2, xz, zstd, brotli)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        specs = (codec_spec *)&n; /* must be reset */
        err.msg[0] = '\0';
        int rc = codec_parse_list(bad[i].list, &specs, &n, &err);
        CHECKF(rc == -1 && specs == NULL && n == 0, "'%s' accepted", bad[i].list);
        CHECKF(strcmp(err.msg, bad[i].msg) == 0, "'%s': got \"%s\", want \"%s\"", bad[i].list,
               err.msg, bad[i].msg);
    }
}

static void test_labels(void) {
    struct {
        codec_spec s;
        const char *fmt, *version_of;
    } cases[] = {
        {{CODEC_GZIP, 9, 0, 0}, "gzip (zlib %s) -9", "gzip"},
        {{CODEC_BZIP2, 9, 0, 0}, "bzip2 %s -9", "bzip2"},
        {{CODEC_XZ, 9, 1, 0}, "xz %s -9e", "xz"},
        {{CODEC_XZ, 6, 0, 0}, "xz %s -6", "xz"},
        {{CODEC_ZSTD, 19, 0, 0}, "zstd %s -19", "zstd"},
        {{CODEC_ZSTD, 22, 0, 1}, "zstd %s --ultra -22 --long", "zstd"},
        {{CODEC_ZSTD, 20, 0, 0}, "zstd %s --ultra -20", "zstd"},
        {{CODEC_BROTLI, 11, 0, 0}, "brotli %s -11 --large_window", "brotli"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char label[128], want[128];
        const char *v = codec_version(cases[i].s.id);
        CHECKF(strcmp(codec_name(cases[i].s.id), cases[i].version_of) == 0, "name %s",
               codec_name(cases[i].s.id));
        /* versions look like 1.2.13: digits and dots only */
        CHECKF(v[0] >= '0' && v[0] <= '9' && strspn(v, "0123456789.") == strlen(v),
               "%s version '%s'", cases[i].version_of, v);
        codec_label(&cases[i].s, label, sizeof label);
        snprintf(want, sizeof want, cases[i].fmt, v);
        CHECKF(strcmp(label, want) == 0, "label '%s', want '%s'", label, want);
    }
    char text[32];
    codec_level_text(&(codec_spec){CODEC_ZSTD, 22, 0, 1}, text, sizeof text);
    CHECK(strcmp(text, "22-long") == 0);
    codec_level_text(&(codec_spec){CODEC_XZ, 9, 1, 0}, text, sizeof text);
    CHECK(strcmp(text, "9e") == 0);
}

/* Every codec and level on empty, 1-byte, random, one-byte-run and repeated-phrase inputs. */
static void test_round_trips_all_levels(void) {
    enum { N = 64 * 1024 };
    uint8_t *rnd = malloc(N), *run = malloc(N), *phrase = malloc(N);
    fill_random(rnd, N);
    memset(run, 'x', N);
    const char *p = "the quick brown fox jumps over the lazy dog; ";
    for (size_t i = 0; i < N; i++) phrase[i] = (uint8_t)p[i % strlen(p)];
    codec_spec *specs;
    size_t n;
    mdl_err err;
    if (codec_parse_list("all", &specs, &n, &err)) {
        CHECKF(0, "%s", err.msg);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t z_rnd = 0, z_run = 0;
        round_trip(&specs[i], NULL, 0, NULL);
        round_trip(&specs[i], (const uint8_t *)"A", 1, NULL);
        round_trip(&specs[i], rnd, N, &z_rnd);
        round_trip(&specs[i], run, N, &z_run);
        round_trip(&specs[i], phrase, N, NULL);
        char label[128];
        codec_label(&specs[i], label, sizeof label);
        CHECKF(z_rnd > N - N / 16 && z_rnd < N + N / 16, "%s: random 64 KiB -> %zu", label, z_rnd);
        CHECKF(z_run < N / 50, "%s: one-byte run of 64 KiB -> %zu", label, z_run);
    }
    free(specs);
    free(rnd);
    free(run);
    free(phrase);
}

/* A hand-built corpus of documents slicing `all` (some empty), as corpus_load lays out. */
static corpus make_corpus(const uint8_t *all, const size_t *sizes, size_t n_docs) {
    corpus c = {calloc(n_docs, sizeof(corpus_doc)), n_docs, 0};
    for (size_t d = 0; d < n_docs; d++) {
        c.docs[d].offset = c.n_bytes;
        c.docs[d].size = sizes[d];
        c.docs[d].bytes = sizes[d] ? all + c.n_bytes : NULL;
        c.n_bytes += sizes[d];
    }
    return c;
}

/* codec_measure over several documents equals the buffer helper on the concatenation. */
static void check_measure(const codec_spec *s, const corpus *c, const uint8_t *all, uint64_t pos,
                          uint64_t n, const bench_opts *opts) {
    char label[128];
    codec_label(s, label, sizeof label);
    codec_result r;
    mdl_err err = {{0}};
    uint8_t *z = NULL;
    size_t zn = 0;
    int rc = codec_measure(s, c, pos, n, opts, &r, &err);
    CHECKF(rc == 0, "%s: measure: %s", label, err.msg);
    rc = rc || codec_compress_buffer(s, all + pos, n, &z, &zn, &err);
    if (rc) return;
    CHECKF(r.original_bytes == n, "%s: original %llu", label, (unsigned long long)r.original_bytes);
    CHECKF(r.compressed_bytes == zn, "%s: [%llu, +%llu): measure %llu bytes, buffer %zu", label,
           (unsigned long long)pos, (unsigned long long)n, (unsigned long long)r.compressed_bytes,
           zn);
    if (opts)
        CHECKF(isfinite(r.compress_mb_s) && r.compress_mb_s > 0 && isfinite(r.decompress_mb_s) &&
                   r.decompress_mb_s > 0,
               "%s: speeds %g %g", label, r.compress_mb_s, r.decompress_mb_s);
    else
        CHECKF(isnan(r.compress_mb_s) && isnan(r.decompress_mb_s), "%s: speeds without opts",
               label);
    free(z);
}

static void test_measure_documents(void) {
    size_t sizes[] = {0, 70000, 1, 0, 150000, 33333, 200000, 0};
    size_t n_docs = sizeof sizes / sizeof sizes[0], total = 0;
    for (size_t d = 0; d < n_docs; d++) total += sizes[d];
    uint8_t *all = malloc(total);
    fill_text(all, total);
    fill_random(all + 80000, 20000);
    corpus c = make_corpus(all, sizes, n_docs);
    codec_spec *specs;
    size_t n;
    mdl_err err;
    CHECK(codec_parse_list("gzip:9,bzip2:9,xz:9e,zstd:19,zstd:22-long,brotli:11,zstd:3,brotli:5",
                           &specs, &n, &err) == 0);
    bench_opts opts = {2, 0.05};
    for (size_t i = 0; i < n; i++) {
        check_measure(&specs[i], &c, all, 0, total, i == 0 ? &opts : NULL);
        check_measure(&specs[i], &c, all, 69999, 150003, NULL); /* across empty documents */
        check_measure(&specs[i], &c, all, total, 0, NULL);
    }
    codec_result r;
    CHECK(codec_measure(&specs[0], &c, 1, total, NULL, &r, &err) == -1);
    free(specs);
    free(c.docs);
    free(all);
}

/* > 16 MiB at fast levels: brotli goes past the standard 24-bit window, zstd long mode
 * sizes its window to 2^25. Text with stretches of random bytes, in several documents. */
static void test_large(void) {
    size_t sizes[] = {5u << 20, 0, 7u << 20, (5u << 20) + 12345};
    size_t n_docs = 4, total = 0;
    for (size_t d = 0; d < n_docs; d++) total += sizes[d];
    uint8_t *all = malloc(total);
    fill_text(all, total);
    for (size_t at = 0; at + (1 << 16) < total; at += 3u << 20) fill_random(all + at, 1 << 16);
    /* a repeat farther back than 16 MiB, which only the large windows can reach */
    memcpy(all + total - (1 << 16), all + 100, 1 << 16);
    corpus c = make_corpus(all, sizes, n_docs);
    codec_spec *specs;
    size_t n;
    mdl_err err;
    CHECK(codec_parse_list("gzip:1,bzip2:1,xz:0,zstd:1,zstd:1-long,brotli:0,brotli:5", &specs, &n,
                           &err) == 0);
    for (size_t i = 0; i < n; i++) {
        check_measure(&specs[i], &c, all, 0, total, NULL);
        char label[128];
        codec_label(&specs[i], label, sizeof label);
        if ((specs[i].id == CODEC_BROTLI && specs[i].level >= 2) || specs[i].id == CODEC_ZSTD) {
            /* the distant repeat is cheap only with the large window (not zstd -1; brotli's
             * qualities 0-1 keep too few positions to find it) */
            codec_result a, b;
            CHECK(codec_measure(&specs[i], &c, 0, total - (1 << 16), NULL, &a, &err) == 0);
            CHECK(codec_measure(&specs[i], &c, 0, total, NULL, &b, &err) == 0);
            int reaches = specs[i].id == CODEC_BROTLI || specs[i].long_mode;
            long long extra = (long long)b.compressed_bytes - (long long)a.compressed_bytes;
            CHECKF(reaches ? extra < 4096 : extra > 4096, "%s: last 64 KiB cost %lld bytes", label,
                   extra);
        }
    }
    free(specs);
    free(c.docs);
    free(all);
}

/* Every codec at every level of "all" round-trips a > 16 MiB highly repetitive input in two
 * documents (codec_measure decompresses and compares); repetitive data keeps even the
 * slowest levels quick. */
static void test_large_all_levels(void) {
    size_t sizes[] = {9u << 20, (8u << 20) + 777}, total = sizes[0] + sizes[1];
    uint8_t *all = malloc(total);
    static const char line[] = "the same line again, and again, and again: ";
    for (size_t i = 0; i < total; i++) all[i] = (uint8_t)line[i % (sizeof line - 1)];
    for (size_t i = 0; i < total; i += 4099) all[i] = (uint8_t)('0' + (i / 4099) % 10);
    corpus c = make_corpus(all, sizes, 2);
    codec_spec *specs;
    size_t n;
    mdl_err err = {{0}};
    CHECK(codec_parse_list("all", &specs, &n, &err) == 0);
    for (size_t i = 0; i < n; i++) {
        char label[128];
        codec_label(&specs[i], label, sizeof label);
        codec_result r;
        CHECKF(codec_measure(&specs[i], &c, 0, total, NULL, &r, &err) == 0, "%s: %s", label,
               err.msg);
        CHECKF(r.original_bytes == total && r.compressed_bytes < total / 20,
               "%s: %zu bytes -> %llu", label, total, (unsigned long long)r.compressed_bytes);
    }
    free(specs);
    free(c.docs);
    free(all);
}

/* ---- helper modes for test_codecs_cli.sh ---------------------------------------------------- */

static int parse_one(const char *text, codec_spec *s) {
    codec_spec *specs;
    size_t n;
    mdl_err err;
    if (codec_parse_list(text, &specs, &n, &err) || n != 1) {
        fprintf(stderr, "%s\n", n != 1 ? "expected one codec" : err.msg);
        return -1;
    }
    *s = specs[0];
    free(specs);
    return 0;
}

static int tool_compress(const char *spec_text, const char *in_path, const char *out_path) {
    codec_spec s;
    if (parse_one(spec_text, &s)) return 2;
    FILE *f = fopen(in_path, "rb");
    if (!f) {
        perror(in_path);
        return 2;
    }
    size_t cap = 1 << 20, n = 0;
    uint8_t *in = malloc(cap);
    for (size_t got; (got = fread(in + n, 1, cap - n, f)) > 0;)
        if ((n += got) == cap) in = realloc(in, cap *= 2);
    fclose(f);
    uint8_t *z;
    size_t zn;
    mdl_err err;
    if (codec_compress_buffer(&s, in, n, &z, &zn, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    tests_write_file(out_path, z, zn);
    free(z);
    free(in);
    return 0;
}

static int tool_measure(const char *spec_text, const char *const *paths, size_t n_paths) {
    codec_spec s;
    if (parse_one(spec_text, &s)) return 2;
    corpus c;
    codec_result r;
    mdl_err err;
    if (corpus_load(&c, paths, n_paths, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    int rc = codec_measure(&s, &c, 0, c.n_bytes, NULL, &r, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    else
        printf("%llu\n", (unsigned long long)r.compressed_bytes);
    corpus_free(&c);
    return rc ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "--compress") == 0)
        return tool_compress(argv[2], argv[3], argv[4]);
    if (argc >= 4 && strcmp(argv[1], "--measure") == 0)
        return tool_measure(argv[2], (const char *const *)argv + 3, (size_t)argc - 3);
    test_parse();
    test_labels();
    test_round_trips_all_levels();
    test_measure_documents();
    test_large();
    test_large_all_levels();
    return tests_done("test_codecs");
}
