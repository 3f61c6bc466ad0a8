/* Extraction and several passes: a toy model trained many passes on a tiny corpus
 * reproduces it by greedy decoding (exact-match rate near 1) and reproduces none of the
 * random bytes held out; the per-pass rows agree with the prequential and final codes;
 * sampled positions are training-window starts inside their streams, fixed by the seed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "prequential.h"
#include "rng.h"
#include "tests_common.h"

#define PASSES 400
#define STR(x) #x
#define TEXT(x) STR(x)
#define PASSES_TEXT TEXT(PASSES)

static void configure(mdl_config *cfg, const char *const *sets, size_t n) {
    mdl_err err;
    CHECK(config_default(cfg, &err) == 0);
    for (size_t i = 0; i < n; i++) CHECKF(config_set(cfg, sets[i], &err) == 0, "%s", err.msg);
    CHECKF(config_validate(cfg, &err) == 0, "%s", err.msg);
}

/* Every sample is a window start of its stream with its P + S bytes inside the stream. */
static void check_positions(const corpus *c, const mdl_config *cfg) {
    mdl_err err;
    stream_layout lay;
    CHECK(stream_layout_make(&lay, c->n_bytes, cfg, &err) == 0);
    unsigned P, S;
    extract_geometry(cfg, &P, &S);
    CHECK(P == cfg->model.context - cfg->train.segment && S == cfg->train.segment);
    extract_sample a[64], b[64];
    size_t na, nb;
    analysis_config an = cfg->analysis;
    an.extract_samples = 64;
    CHECK(extract_positions(c, &lay, P, S, &an, 0, a, &na, NULL) == 0);
    CHECK(extract_positions(c, &lay, P, S, &an, 0, b, &nb, NULL) == 0);
    CHECK(na == 64 && nb == 64);
    for (size_t i = 0; i < 64; i++) /* fixed by the seed */
        CHECK(a[i].position == b[i].position && a[i].document == b[i].document);
    int differs = 0;
    an.extract_seed++;
    CHECK(extract_positions(c, &lay, P, S, &an, 0, b, &nb, NULL) == 0);
    for (size_t i = 0; i < 64; i++) {
        uint64_t s = a[i].position / lay.stream_len, off = a[i].position % lay.stream_len;
        CHECKF(off == 0 || (off + lay.prefix) % lay.segment == 0,
               "sample %zu at stream offset %llu is not a window start", i,
               (unsigned long long)off);
        CHECK(off + P + S <= lay.stream_len && s < lay.streams);
        CHECK(a[i].stream_start == (off == 0));
        CHECK((int64_t)c->docs[a[i].document].offset + a[i].offset == (int64_t)a[i].position);
        differs |= a[i].position != b[i].position;
    }
    CHECK(differs);
}

int main(void) {
    char *dir = tests_tmpdir(), text_path[512], noise_path[512];
    static char text[512];
    static uint8_t noise[1024];
    const char *words[] = {"weights ", "hold ", "what ", "they ", "compress ", "online "};
    for (size_t i = 0, w = 0; i < sizeof text; w++) {
        const char *word = words[rng_bits(3, 0, w) % 6];
        for (size_t k = 0; word[k] && i < sizeof text; k++) text[i++] = word[k];
    }
    for (size_t i = 0; i < sizeof noise; i++) noise[i] = (uint8_t)rng_bits(4, 0, i);
    snprintf(text_path, sizeof text_path, "%s/text.txt", dir);
    snprintf(noise_path, sizeof noise_path, "%s/noise.bin", dir);
    tests_write_file(text_path, text, sizeof text);
    tests_write_file(noise_path, noise, sizeof noise);
    mdl_err err;
    corpus c;
    const char *paths[] = {text_path, noise_path}, *held[] = {"noise.bin"};
    CHECKF(corpus_load(&c, paths, 2, &err) == 0, "%s", err.msg);
    CHECKF(corpus_mark_holdout(&c, held, 1, 0.0, 1, &err) == 0, "%s", err.msg);

    const char *sets[] = {
        "model.d_model=64", "model.context=64", "train.segment=32", "train.passes=" PASSES_TEXT,
        "train.lr=0.01", "train.warmup=10", "train.weight_decay=0", "run.two_part=false",
        "analysis.extract_samples=32",
        /* the optimizer this memorization test was sized for, whatever the defaults */
        "train.streams=4", "train.beta1=0.9", "train.beta2=0.99", "train.schedule=cosine",
        "train.head_lr_scale=1", "train.embedding_lr_scale=1", "train.prefix_loss=false",
        "model.position=learned"};
    mdl_config cfg;
    configure(&cfg, sets, sizeof sets / sizeof sets[0]);
    check_positions(&c, &cfg);

    preq_result r;
    CHECKF(prequential_run(&cfg, &c, cpu_backend(), NULL, &r, &err) == 0, "%s", err.msg);
    double exact[2], matched[2];
    for (int g = 0; g < 2; g++)
        extract_rates(r.extract[g], r.n_extract[g], 32, &exact[g], &matched[g]);
    printf("after %d passes: %.4f bits/byte; extraction exact %.3f (trained), %.3f (held out); "
           "mean matched %.2f, %.2f of 32 bytes\n",
           PASSES, r.final_bits / 512.0, exact[0], exact[1], matched[0], matched[1]);
    CHECK(r.n_extract[0] == 32 && r.n_extract[1] == 32);
    CHECK(exact[0] >= 0.9);
    CHECK(exact[1] == 0.0 && matched[1] < 1.0);
    for (size_t i = 0; i < r.n_extract[0]; i++) CHECK(r.extract[0][i].document == 0);
    for (size_t i = 0; i < r.n_extract[1]; i++) CHECK(r.extract[1][i].document == 1);

    /* passes: the first is the prequential code, the last evaluation is L_final */
    CHECK(r.n_passes == PASSES);
    CHECK(r.passes[0].train_bits == r.preq_bits);
    CHECK(r.passes[PASSES - 1].eval_bits == r.final_bits);
    CHECK(r.passes[PASSES - 1].heldout_bits == r.heldout_bits);
    CHECK(isfinite(r.passes[0].eval_bits) && isfinite(r.passes[0].heldout_bits));
    CHECK(r.passes[PASSES - 1].eval_bits < 0.2 * r.passes[0].eval_bits);
    CHECK(r.passes[PASSES - 1].train_bits < r.passes[1].train_bits);
    preq_result_free(&r);

    /* one pass by default: one row, equal to the prequential and final codes */
    const char *one[] = {"model.d_model=32", "model.context=64", "train.segment=32",
                         "run.two_part=false"};
    configure(&cfg, one, sizeof one / sizeof one[0]);
    CHECKF(prequential_run(&cfg, &c, cpu_backend(), NULL, &r, &err) == 0, "%s", err.msg);
    CHECK(r.n_passes == 1 && r.passes[0].train_bits == r.preq_bits &&
          r.passes[0].eval_bits == r.final_bits);
    CHECK(r.n_extract[0] == 0 && r.n_extract[1] == 0 && !r.extract[0]);
    preq_result_free(&r);

    corpus_free(&c);
    tests_remove_tmpdir(dir);
    return tests_done("test_extraction");
}
