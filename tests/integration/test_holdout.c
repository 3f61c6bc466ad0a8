/* Held-out documents receive no gradient and no prequential bits: a run with document b
 * held out trains exactly as a run on the corpus without b (bit-identical bits, so
 * identical weights), and b is coded by the final weights only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prequential.h"
#include "rng.h"
#include "tests_common.h"

static void run(const corpus *c, preq_result *r) {
    mdl_config cfg;
    mdl_err err;
    CHECK(config_default(&cfg, &err) == 0);
    const char *sets[] = {"model.n_layer=1", "model.d_model=32",  "model.n_head=2",
                          "model.d_ff=64",   "model.context=32",  "train.segment=16",
                          "train.streams=3", "run.two_part=false"};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        CHECKF(config_set(&cfg, sets[i], &err) == 0, "%s", err.msg);
    CHECKF(prequential_run(&cfg, c, cpu_backend(), NULL, r, &err) == 0, "%s", err.msg);
}

int main(void) {
    char *dir = tests_tmpdir(), path[3][512];
    static char text[9000];
    const char *words[] = {"online ", "learner ", "codes ", "bytes ", "with ", "weights "};
    /* words drawn at random, so every document has the same statistics */
    for (size_t i = 0, w = 0; i < sizeof text; w++) {
        const char *word = words[rng_bits(9, 0, w) % 6];
        for (size_t k = 0; word[k] && i < sizeof text; k++) text[i++] = word[k];
    }
    const char *names[] = {"a.txt", "b.txt", "c.txt"};
    for (int i = 0; i < 3; i++) {
        snprintf(path[i], sizeof path[i], "%s/%s", dir, names[i]);
        tests_write_file(path[i], text + 3000 * i, 3000);
    }
    mdl_err err;
    corpus full, without_b;
    const char *all[] = {path[0], path[1], path[2]}, *ac[] = {path[0], path[2]};
    CHECKF(corpus_load(&full, all, 3, &err) == 0, "%s", err.msg);
    CHECKF(corpus_load(&without_b, ac, 2, &err) == 0, "%s", err.msg);
    const char *globs[] = {"b.*"};
    CHECKF(corpus_mark_holdout(&full, globs, 1, 0.0, 1, &err) == 0, "%s", err.msg);
    CHECK(corpus_count_held_out(&full) == 1 && full.docs[1].held_out);

    preq_result held, plain;
    run(&full, &held);
    run(&without_b, &plain);
    CHECK(held.preq_bits == plain.preq_bits && held.final_bits == plain.final_bits);
    CHECK(held.doc_preq_bits[0] == plain.doc_preq_bits[0]);
    CHECK(held.doc_preq_bits[2] == plain.doc_preq_bits[1]);
    CHECK(held.doc_final_bits[2] == plain.doc_final_bits[1]);
    CHECK(held.doc_preq_bits[1] == 0); /* no prequential bits */
    CHECK(held.heldout_bytes == 3000 && isfinite(held.heldout_bits) && held.heldout_bits > 0);
    CHECK(held.doc_final_bits[1] == held.heldout_bits);
    CHECK(held.layout.n_bytes == 6000);
    printf("trained %.4f bits/byte, held out %.4f bits/byte under the final weights\n",
           held.final_bits / 6000.0, held.heldout_bits / 3000.0);
    preq_result_free(&held);
    preq_result_free(&plain);

    /* a fraction picks documents by seed, the same ones every time */
    CHECK(corpus_mark_holdout(&full, NULL, 0, 0.34, 7, &err) == 0);
    int first[3];
    for (int i = 0; i < 3; i++) first[i] = full.docs[i].held_out;
    CHECK(corpus_count_held_out(&full) == 1);
    CHECK(corpus_mark_holdout(&full, NULL, 0, 0.34, 7, &err) == 0);
    for (int i = 0; i < 3; i++) CHECK(full.docs[i].held_out == first[i]);
    /* a glob that matches nothing is refused, naming it, and marks nothing */
    const char *typo[] = {"b.*", "d.txt"};
    CHECK(corpus_mark_holdout(&full, typo, 2, 0.0, 1, &err) != 0);
    CHECKF(strstr(err.msg, "holdout glob 'd.txt' matches no document") != NULL, "%s", err.msg);
    /* nothing left to train on */
    const char *every[] = {"*"};
    CHECK(corpus_mark_holdout(&full, every, 1, 0.0, 1, &err) != 0);
    CHECK(strstr(err.msg, "held out") != NULL);

    corpus_free(&full);
    corpus_free(&without_b);
    tests_remove_tmpdir(dir);
    return tests_done("test_holdout");
}
