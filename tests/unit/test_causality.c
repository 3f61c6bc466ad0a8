/* Exact causality (docs/design.md §2): changing the bytes after position t leaves the logits at
 * positions <= t bit-identical, in every stream, for the fp32 CPU model: every position
 * encoding, and hashed n-gram embeddings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "rng.h"
#include "tests_common.h"

enum { B = 3, T = 48 };

static void check_position(model_position position, unsigned ngram, uint64_t seed) {
    static const char *const names[] = {"learned", "rope", "none"};
    printf("position %s, ngram order %u\n", names[position], ngram);
    model_config mc = {.n_layer = 2,
                       .n_head = 4,
                       .d_model = 64,
                       .context = T,
                       .d_ff = 128,
                       .zero_init_head = false,
                       .position = position,
                       .ngram_order = ngram,
                       .ngram_buckets = 64};
    model *m;
    mdl_err err;
    CHECK(model_create(&m, &mc, B, cpu_backend(), &err) == 0);
    CHECK(model_init_weights(m, seed, NULL) == 0);
    size_t V = MDL_VOCAB_OUT, row = V * sizeof(real);

    int tokens[B * T], changed[B * T];
    for (int i = 0; i < B * T; i++) tokens[i] = (int)(rng_bits(seed, 1, i) % 257);
    model_forward(m, tokens, B, T);
    real *base = malloc((size_t)B * T * row);
    memcpy(base, model_logits(m), (size_t)B * T * row);

    int cuts[] = {0, 1, 7, T / 2, T - 2};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        int t = cuts[c];
        memcpy(changed, tokens, sizeof tokens);
        for (int b = 0; b < B; b++)
            for (int j = t + 1; j < T; j++)
                changed[b * T + j] =
                    (tokens[b * T + j] + 1 + (int)(rng_bits(seed, 2 + c, j) % 255)) % 257;
        model_forward(m, changed, B, T);
        const real *logits = model_logits(m);
        for (int b = 0; b < B; b++) {
            size_t first = (size_t)b * T;
            CHECKF(memcmp(logits + first * V, base + first * V, (size_t)(t + 1) * row) == 0,
                   "stream %d: logits at positions <= %d changed when later bytes changed", b, t);
            /* and the change is visible after t, so the test can fail */
            CHECKF(memcmp(logits + (first + t + 1) * V, base + (first + t + 1) * V, row) != 0,
                   "stream %d: logits at %d did not change", b, t + 1);
        }
    }
    free(base);
    model_destroy(m);
}

int main(void) {
    uint64_t seed = (uint64_t)time(NULL);
    printf("seed %llu\n", (unsigned long long)seed);
    model_position positions[] = {POSITION_LEARNED, POSITION_ROPE, POSITION_NONE};
    for (size_t i = 0; i < sizeof positions / sizeof positions[0]; i++)
        check_position(positions[i], 0, seed + i);
    check_position(POSITION_ROPE, 5, seed + 3); /* hashed n-grams of up to 5 bytes */
    return tests_done("test_causality");
}
