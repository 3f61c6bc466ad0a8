/* Two runs with one seed and one thread count give bit-identical per-step and
 * per-document bits, and a different seed gives different bits. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prequential.h"
#include "rng.h"
#include "tests_common.h"

typedef struct bits_log {
    double bits[4096];
    size_t n;
} bits_log;

static int log_bits(void *ctx, const curve_row *row, mdl_err *err) {
    (void)err;
    bits_log *l = ctx;
    if (l->n < 4096) l->bits[l->n++] = row->bits;
    return 0;
}

static void run(const corpus *c, const char *seed_setting, bits_log *log, preq_result *r) {
    mdl_config cfg;
    mdl_err err;
    CHECK(config_default(&cfg, &err) == 0);
    const char *sets[] = {"model.n_layer=2", "model.d_model=64",         "model.n_head=4",
                          "model.d_ff=128",  "model.context=48",         "train.segment=16",
                          "train.streams=6", "train.repeats_per_step=2", seed_setting};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        CHECKF(config_set(&cfg, sets[i], &err) == 0, "%s", err.msg);
    memset(log, 0, sizeof *log);
    preq_hooks hooks = {.ctx = log, .on_step = log_bits};
    CHECKF(prequential_run(&cfg, c, cpu_backend(), &hooks, r, &err) == 0, "%s", err.msg);
}

int main(void) {
    omp_set_num_threads(2);
    char *dir = tests_tmpdir(), a[512], b[512];
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    char text[6000];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = "the quick brown fox jumps over the lazy dog. "[rng_bits(3, 0, i / 7) % 45];
    tests_write_file(a, text, 2500);
    tests_write_file(b, text + 2500, sizeof text - 2500);
    const char *paths[] = {a, b};
    corpus c;
    mdl_err err;
    CHECKF(corpus_load(&c, paths, 2, &err) == 0, "%s", err.msg);

    static bits_log first, second, other;
    preq_result r1, r2, r3;
    run(&c, "train.seed=5", &first, &r1);
    run(&c, "train.seed=5", &second, &r2);
    run(&c, "train.seed=6", &other, &r3);
    CHECK(first.n > 10 && first.n == second.n);
    CHECK(memcmp(first.bits, second.bits, first.n * sizeof(double)) == 0);
    CHECK(memcmp(r1.doc_preq_bits, r2.doc_preq_bits, c.n_docs * sizeof(double)) == 0);
    CHECK(memcmp(r1.doc_final_bits, r2.doc_final_bits, c.n_docs * sizeof(double)) == 0);
    CHECK(r1.preq_bits == r2.preq_bits && r1.final_bits == r2.final_bits);
    CHECK(memcmp(first.bits + 1, other.bits + 1, (first.n - 1) * sizeof(double)) != 0);
    printf("%zu steps, %.6f bits/byte, bit-identical across two runs\n", first.n,
           r1.preq_bits / (double)c.n_bytes);
    preq_result_free(&r1), preq_result_free(&r2), preq_result_free(&r3);
    corpus_free(&c);
    remove(a), remove(b), remove(dir);
    free(dir);
    return tests_done("test_determinism");
}
