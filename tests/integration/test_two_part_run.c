/* Two-part codes of a trained toy model: the fp32 format codes the corpus exactly as the
 * final model does (L(D | theta_fp32) = L_final, bit for bit), the quantized formats stay
 * within a stated tolerance of it and cost fewer weight bytes, and the per-document bits
 * add up to the corpus totals. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prequential.h"
#include "tests_common.h"

/* |L(D | theta_q) / L(D | theta_fp32) - 1| allowed per format */
static const double tolerance[WFMT_COUNT] = {0.0, 0.005, 0.01, 0.05};

int main(void) {
    char *dir = tests_tmpdir(), a[512], b[512];
    snprintf(a, sizeof a, "%s/a.txt", dir);
    snprintf(b, sizeof b, "%s/b.txt", dir);
    static char text[24000];
    const char *phrase = "a prequential code pays for what the learner has not yet learnt. ";
    for (size_t i = 0; i < sizeof text; i++) text[i] = phrase[(i * 7 + i / 13) % strlen(phrase)];
    tests_write_file(a, text, 16000);
    tests_write_file(b, text + 16000, sizeof text - 16000);
    const char *paths[] = {a, b};
    corpus c;
    mdl_err err;
    CHECKF(corpus_load(&c, paths, 2, &err) == 0, "%s", err.msg);
    mdl_config cfg;
    CHECK(config_default(&cfg, &err) == 0);
    const char *sets[] = {"model.n_layer=2", "model.d_model=64", "model.n_head=4", "model.d_ff=128",
                          "model.context=32", "train.segment=16", "train.streams=4",
                          "train.lr=0.003", "run.two_part=true", "train.repeats_per_step=2",
                          /* the optimizer these quantization tolerances were sized for */
                          "train.beta1=0.9", "train.beta2=0.99", "train.head_lr_scale=1",
                          "train.embedding_lr_scale=1", "train.prefix_loss=false",
                          "model.position=learned"};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        CHECKF(config_set(&cfg, sets[i], &err) == 0, "%s", err.msg);
    preq_result r;
    CHECKF(prequential_run(&cfg, &c, cpu_backend(), NULL, &r, &err) == 0, "%s", err.msg);
    CHECK(r.n_two_part == WFMT_COUNT);
    double doc_preq = 0, doc_final = 0;
    for (size_t d = 0; d < c.n_docs; d++)
        doc_preq += r.doc_preq_bits[d], doc_final += r.doc_final_bits[d];
    CHECK(fabs(doc_preq - r.preq_bits) <= 1e-9 * r.preq_bits);
    CHECK(fabs(doc_final - r.final_bits) <= 1e-9 * r.final_bits);
    printf("prequential %.4f, final %.4f bits/byte\n", r.preq_bits / (double)c.n_bytes,
           r.final_bits / (double)c.n_bytes);
    const two_part_row *fp32 = &r.two_part[0];
    CHECKF(fp32->format == WFMT_FP32 && fp32->data_bits == r.final_bits,
           "fp32 L(D|theta) %.17g differs from L_final %.17g", fp32->data_bits, r.final_bits);
    for (size_t i = 0; i < r.n_two_part; i++) {
        const two_part_row *t = &r.two_part[i];
        double rel = t->data_bits / fp32->data_bits - 1;
        printf("%-4s weights %7llu bytes (raw %7llu), data %.5f bits/byte (%+.3f%%), total "
               "%.4f bits/byte\n",
               weight_format_name(t->format), (unsigned long long)t->weight_bytes,
               (unsigned long long)t->raw_bytes, t->data_bpb, 100 * rel, t->total_bpb);
        CHECKF(fabs(rel) <= tolerance[t->format], "%s: L(D|theta) %+.3f%% from fp32",
               weight_format_name(t->format), 100 * rel);
        CHECK(t->total_bits == t->weight_bits + t->data_bits &&
              t->weight_bits == 8.0 * (double)t->weight_bytes);
        if (i > 0) CHECK(t->weight_bytes < r.two_part[i - 1].weight_bytes);
    }
    preq_result_free(&r);
    corpus_free(&c);
    tests_remove_tmpdir(dir);
    return tests_done("test_two_part_run");
}
