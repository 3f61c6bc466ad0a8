/* With a zero-initialised head every byte of the first step has probability 1/256: the
 * first step costs exactly 8 bits per byte. With a random head it does not, which shows
 * the check can fail. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prequential.h"
#include "rng.h"
#include "tests_common.h"

typedef struct first_row {
    curve_row row;
    int seen;
} first_row;

static int keep_first(void *ctx, const curve_row *row, mdl_err *err) {
    (void)err;
    first_row *f = ctx;
    if (!f->seen) f->row = *row, f->seen = 1;
    return 0;
}

static double first_step_bpb(const corpus *c, const char *head_setting, preq_result *r) {
    mdl_config cfg;
    mdl_err err;
    CHECK(config_default(&cfg, &err) == 0);
    const char *sets[] = {"model.n_layer=1", "model.d_model=32", "model.n_head=2",
                          "model.d_ff=64",   "model.context=32", "train.segment=16",
                          "train.streams=4", head_setting};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        CHECKF(config_set(&cfg, sets[i], &err) == 0, "%s", err.msg);
    first_row f = {0};
    preq_hooks hooks = {.ctx = &f, .on_step = keep_first};
    CHECKF(prequential_run(&cfg, c, cpu_backend(), &hooks, r, &err) == 0, "%s", err.msg);
    CHECK(f.seen && f.row.step == 0 && f.row.bytes == 4 * 16);
    CHECK(r->first_step_bytes == 64 && r->first_step_bits == f.row.bits);
    return f.row.bits / (double)f.row.bytes;
}

int main(void) {
    char *dir = tests_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/text", dir);
    uint8_t data[4096];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(rng_bits(7, 0, i) % 256);
    tests_write_file(path, data, sizeof data);
    corpus c;
    mdl_err err;
    const char *paths[] = {path};
    CHECKF(corpus_load(&c, paths, 1, &err) == 0, "%s", err.msg);

    preq_result r;
    double zero = first_step_bpb(&c, "model.zero_init_head=true", &r);
    printf("zero-initialised head: first step %.9f bits/byte\n", zero);
    CHECKF(fabs(zero - 8.0) < 1e-6, "first step %.9f bits/byte, expected 8", zero);
    /* the prequential total is the sum of the per-document bits */
    double doc_sum = 0;
    for (size_t i = 0; i < c.n_docs; i++) doc_sum += r.doc_preq_bits[i];
    CHECK(fabs(doc_sum - r.preq_bits) <= 1e-9 * r.preq_bits);
    preq_result_free(&r);

    double random = first_step_bpb(&c, "model.zero_init_head=false", &r);
    printf("random head: first step %.9f bits/byte\n", random);
    CHECK(fabs(random - 8.0) > 1e-4);
    preq_result_free(&r);

    corpus_free(&c);
    remove(path);
    remove(dir);
    free(dir);
    return tests_done("test_first_step");
}
