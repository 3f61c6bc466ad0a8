/* The prequential code is causal: changing one byte of the corpus leaves the bits of
 * every step before the one that codes it bit-identical (all streams share the updates,
 * so the whole step's bits are compared), and changes a later step's bits, so the test
 * can fail. Checked for each learner option that changes what a step sees or trains on:
 * learned and rotary positions, training on the window's prefix, several updates per
 * step, the segment memory (whose rows come from earlier steps) and hashed n-grams. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prequential.h"
#include "rng.h"
#include "tests_common.h"

enum { MAX_STEPS = 512, TEXT = 3000, STREAMS = 3, SEGMENT = 16 };

typedef struct bits_log {
    double bits[MAX_STEPS];
    size_t n;
} bits_log;

static int log_bits(void *ctx, const curve_row *row, mdl_err *err) {
    (void)err;
    bits_log *l = ctx;
    if (l->n < MAX_STEPS) l->bits[l->n++] = row->bits;
    return 0;
}

static void run(const char *path, const char *const *extra, size_t n_extra, bits_log *log) {
    mdl_config cfg;
    mdl_err err;
    CHECK(config_default(&cfg, &err) == 0);
    const char *sets[] = {"model.n_layer=2", "model.d_model=32",     "model.n_head=2",
                          "model.d_ff=64",   "model.context=40",     "train.segment=16",
                          "train.streams=3", "run.eval_final=false", "run.two_part=false"};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        CHECKF(config_set(&cfg, sets[i], &err) == 0, "%s", err.msg);
    for (size_t i = 0; i < n_extra; i++)
        CHECKF(config_set(&cfg, extra[i], &err) == 0, "%s", err.msg);
    corpus c;
    CHECKF(corpus_load(&c, &path, 1, &err) == 0, "%s", err.msg);
    memset(log, 0, sizeof *log);
    preq_hooks hooks = {.ctx = log, .on_step = log_bits};
    preq_result r;
    CHECKF(prequential_run(&cfg, &c, cpu_backend(), &hooks, &r, &err) == 0, "%s", err.msg);
    preq_result_free(&r);
    corpus_free(&c);
}

/* The byte at stream-relative offset `at` of stream `s` is changed; it is coded at step
 * at / SEGMENT. */
static void check_option(const char *name, const char *const *extra, size_t n_extra,
                         const char *dir, const char *text) {
    char path[512], changed[TEXT];
    snprintf(path, sizeof path, "%s/corpus", dir);
    tests_write_file(path, text, TEXT);
    static bits_log base, other;
    run(path, extra, n_extra, &base);
    const size_t L = (TEXT + STREAMS - 1) / STREAMS;
    const size_t cases[][2] = {{1, 5 * SEGMENT + 3}, {2, 17 * SEGMENT}, {0, 40 * SEGMENT + 15}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t s = cases[i][0], at = cases[i][1], step = at / SEGMENT;
        memcpy(changed, text, TEXT);
        changed[s * L + at] ^= 0x20;
        tests_write_file(path, changed, TEXT);
        run(path, extra, n_extra, &other);
        CHECK(base.n == other.n && base.n > step);
        CHECKF(memcmp(base.bits, other.bits, step * sizeof(double)) == 0,
               "%s: a byte coded at step %zu changed the bits of an earlier step", name, step);
        CHECKF(memcmp(base.bits + step, other.bits + step, (base.n - step) * sizeof(double)) != 0,
               "%s: changing the byte coded at step %zu changed nothing", name, step);
    }
    printf("%-28s %zu steps: causal at 3 changed bytes\n", name, base.n);
}

int main(void) {
    omp_set_num_threads(2);
    char *dir = tests_tmpdir(), text[TEXT];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = "the quick brown fox jumps over the lazy dog. "[rng_bits(7, 0, i / 5) % 45];
    const char *learned[] = {"model.position=learned"};
    const char *rope[] = {"model.position=rope"};
    const char *prefix[] = {"model.position=rope", "train.prefix_loss=true"};
    const char *repeats[] = {"train.prefix_loss=true", "train.repeats_per_step=2"};
    const char *memory[] = {"model.position=rope", "model.context=16", "model.memory=40",
                            "train.repeats_per_step=2"};
    check_option("learned positions", learned, 1, dir, text);
    check_option("rotary positions", rope, 1, dir, text);
    check_option("rope + prefix loss", prefix, 2, dir, text);
    check_option("prefix loss + 2 updates/step", repeats, 2, dir, text);
    check_option("segment memory 40", memory, 4, dir, text);
    const char *ngram[] = {"model.ngram_order=5", "model.ngram_buckets=64",
                           "train.prefix_loss=true"};
    const char *ngram_memory[] = {"model.ngram_order=3", "model.context=16", "model.memory=40"};
    check_option("hashed 5-grams", ngram, 3, dir, text);
    check_option("hashed 3-grams + memory", ngram_memory, 3, dir, text);
    char path[512];
    snprintf(path, sizeof path, "%s/corpus", dir);
    remove(path), remove(dir);
    free(dir);
    return tests_done("test_prequential_causality");
}
