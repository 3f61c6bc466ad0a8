/* The whole model's gradient against central finite differences, in double precision
 * (this test links the fp64 build of the CPU reference), on fresh random weights,
 * tokens and loss weights; for every position encoding, with a segment memory filled
 * by two earlier forwards (the memory is state: held fixed, it gets no gradient), and
 * with hashed n-gram embeddings (and their lazy update). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "rng.h"
#include "tests_common.h"

enum { B = 2, T = 6 };

/* loss = sum_i w_i * (-ln p_i), from the model's bits */
static double loss_of(model *m, const int *tokens, const int *targets, const real *w) {
    real bits[B * T];
    model_forward(m, tokens, B, T);
    model_bits(m, targets, bits);
    double loss = 0;
    for (int i = 0; i < B * T; i++) loss += w[i] * bits[i] * log(2.0);
    return loss;
}

/* (L(p_i + h) - L(p_i - h)) / 2h, p_i restored. */
static double central_difference(model *m, real *params, size_t i, double h, const int *tokens,
                                 const int *targets, const real *w) {
    real saved = params[i];
    params[i] = saved + h;
    double up = loss_of(m, tokens, targets, w);
    params[i] = saved - h;
    double down = loss_of(m, tokens, targets, w);
    params[i] = saved;
    return (up - down) / (2 * h);
}

static void check_position(model_position position, unsigned memory, unsigned ngram,
                           uint64_t seed) {
    static const char *const names[] = {"learned", "rope", "none"};
    printf("position %s, memory %u, ngram order %u\n", names[position], memory, ngram);
    model_config mc = {.n_layer = 2,
                       .n_head = 2,
                       .d_model = 8,
                       .context = 8,
                       .d_ff = 12,
                       .zero_init_head = false,
                       .position = position,
                       .memory = memory,
                       .ngram_order = ngram,
                       .ngram_buckets = 3}; /* few rows: positions share them */
    model *m;
    mdl_err err;
    CHECK(model_create(&m, &mc, B, cpu_backend(), &err) == 0);
    CHECK(model_init_weights(m, seed, NULL) == 0);
    /* perturb every parameter so LayerNorm weights, biases and the head are generic */
    size_t P = model_num_params(m);
    real *params = model_params(m);
    for (size_t i = 0; i < P; i++) params[i] += 0.3 * rng_normal(seed, 99, i);

    int tokens[B * T], targets[B * T];
    real w[B * T];
    for (int i = 0; i < B * T; i++) {
        tokens[i] = (int)(rng_bits(seed, 1, i) % 257);
        targets[i] = (int)(rng_bits(seed, 2, i) % 256);
        w[i] = rng_uniform(seed, 3, i);
    }
    w[3] = 0;                                        /* a masked position */
    for (int fill = 0; memory && fill < 2; fill++) { /* 2 x T = 12 > memory rows: a full one */
        int earlier[B * T];
        for (int i = 0; i < B * T; i++) earlier[i] = (int)(rng_bits(seed, 4 + fill, i) % 257);
        model_forward(m, earlier, B, T);
        model_segment_memory_push(m);
        model_segment_memory_commit(m);
    }

    model_forward(m, tokens, B, T);
    model_backward(m, targets, w);
    real *analytic = malloc(P * sizeof *analytic);
    memcpy(analytic, model_grads(m), P * sizeof *analytic);

    const double h = 1e-5;
    double worst = 0;
    size_t worst_i = 0, checked = 0;
    for (size_t i = 0; i < P; i++) {
        double numeric = central_difference(m, params, i, h, tokens, targets, w);
        double diff = fabs(numeric - analytic[i]);
        if (diff > 1e-8 + 1e-5 * fabs(numeric)) {
            /* a large third derivative: the O(h^2) term of the central difference shows.
             * Richardson's extrapolation from h and h/2 cancels it (error O(h^4)). */
            double half = central_difference(m, params, i, h / 2, tokens, targets, w);
            numeric = (4 * half - numeric) / 3;
            diff = fabs(numeric - analytic[i]);
        }
        if (fabs(numeric) > 1e-4 && diff / fabs(numeric) > worst)
            worst = diff / fabs(numeric), worst_i = i;
        CHECKF(diff <= 1e-8 + 1e-5 * fabs(numeric),
               "param %zu: analytic %.12g vs finite difference %.12g", i, analytic[i], numeric);
        checked++;
    }
    printf("checked %zu parameters, worst relative error %.3g (param %zu, among |g| > 1e-4)\n",
           checked, worst, worst_i);

    /* the gradient norm is the norm of this vector (a second backward without an update
     * between: the n-gram table's gradient is overwritten, not accumulated) */
    double ss = 0;
    for (size_t i = 0; i < P; i++) ss += analytic[i] * analytic[i];
    model_forward(m, tokens, B, T);
    model_backward(m, targets, w);
    CHECK(fabs(model_grad_norm(m) - sqrt(ss)) <= 1e-12 * sqrt(ss));

    if (memory) { /* the memory is seen: an empty one gives another loss */
        double with = loss_of(m, tokens, targets, w);
        model_segment_memory_reset(m);
        CHECKF(loss_of(m, tokens, targets, w) != with, "memory %u changed nothing", memory);
    }
    free(analytic);
    model_destroy(m);
}

/* The hashed n-gram table's lazy update: rows the step looked up move, with their
 * moments; every other row keeps its weights and moments bit for bit, and the next
 * backward starts from a zero table gradient. */
static void check_ngram_update(uint64_t seed) {
    model_config mc = {.n_layer = 1,
                       .n_head = 2,
                       .d_model = 8,
                       .context = 8,
                       .d_ff = 12,
                       .ngram_order = 3,
                       .ngram_buckets = 50};
    train_config tc = {.lr = 1e-2,
                       .beta2 = 0.99,
                       .eps = 1e-8,
                       .weight_decay = 0.1,
                       .head_lr_scale = 1,
                       .embedding_lr_scale = 1};
    model *m;
    mdl_err err;
    CHECK(model_create(&m, &mc, B, cpu_backend(), &err) == 0);
    CHECK(model_init_weights(m, seed, NULL) == 0);
    size_t P = model_num_params(m), C = mc.d_model, R = 2 * 50, lo = 257 * C;
    CHECK(model_tensor_size(m, P_WTE) == (257 + R) * C);
    int tokens[B * T], targets[B * T];
    real w[B * T];
    for (int i = 0; i < B * T; i++) {
        tokens[i] = (int)(rng_bits(seed, 31, i) % 4); /* few symbols: repeated n-grams */
        targets[i] = (int)(rng_bits(seed, 32, i) % 256);
        w[i] = 1.0 / (B * T);
    }
    real *before = malloc(P * sizeof *before), *after = malloc(P * sizeof *after);
    real *m0 = calloc(P, sizeof *m0), *v0 = calloc(P, sizeof *v0), *m1 = malloc(P * sizeof *m1);
    real *v1 = malloc(P * sizeof *v1);
    uint64_t t;
    for (int step = 0; step < 2; step++) {
        model_get_params(m, before);
        model_get_optimizer(m, m0, v0, &t);
        model_forward(m, tokens, B, T);
        model_backward(m, targets, w);
        model_update(m, &tc, tc.lr, model_grad_norm(m));
        model_get_params(m, after);
        model_get_optimizer(m, m1, v1, &t);
        size_t moved = 0, kept = 0;
        for (size_t r = 0; r < R; r++) {
            int same = 1;
            for (size_t k = 0; k < C; k++) {
                size_t i = lo + r * C + k;
                same &= after[i] == before[i] && m1[i] == m0[i] && v1[i] == v0[i];
            }
            moved += !same, kept += same;
        }
        CHECKF(moved > 0 && kept > 0, "step %d: %zu table rows moved, %zu kept", step, moved, kept);
        CHECKF(moved <= 2 * B * T, "step %d: %zu rows moved, more than the lookups", step, moved);
        double ss = 0;
        const real *g = model_grads(m);
        for (size_t i = lo; i < lo + R * C; i++) ss += g[i] * g[i];
        CHECKF(ss == 0, "step %d: the table gradient is not cleared by the update", step);
    }
    free(before), free(after), free(m0), free(v0), free(m1), free(v1);
    model_destroy(m);
}

/* head_lr_scale and embedding_lr_scale scale those tensors' first AdamW steps (beta1 = 0,
 * no decay: the step is lr * g / (|g| + eps)), to the fp32 rounding of the learning rate
 * the op receives, and leave the others alone. */
static void check_lr_scales(uint64_t seed) {
    model_config mc = {.n_layer = 1, .n_head = 2, .d_model = 8, .context = 8, .d_ff = 12};
    train_config plain = {.lr = 1e-3,
                          .beta1 = 0,
                          .beta2 = 0.99,
                          .eps = 1e-12,
                          .head_lr_scale = 1,
                          .embedding_lr_scale = 1};
    train_config scaled = plain;
    scaled.head_lr_scale = 10, scaled.embedding_lr_scale = 3;
    model *m[2];
    mdl_err err;
    int tokens[B * T], targets[B * T];
    real w[B * T];
    for (int i = 0; i < B * T; i++) {
        tokens[i] = (int)(rng_bits(seed, 21, i) % 257);
        targets[i] = (int)(rng_bits(seed, 22, i) % 256);
        w[i] = 1.0 / (B * T);
    }
    for (int k = 0; k < 2; k++) {
        CHECK(model_create(&m[k], &mc, B, cpu_backend(), &err) == 0);
        CHECK(model_init_weights(m[k], seed, NULL) == 0);
        model_forward(m[k], tokens, B, T);
        model_backward(m[k], targets, w);
        model_update(m[k], k ? &scaled : &plain, 1e-3, model_grad_norm(m[k]));
    }
    size_t P = model_num_params(m[0]), off = 0;
    real *init = malloc(P * sizeof *init);
    model *fresh;
    CHECK(model_create(&fresh, &mc, B, cpu_backend(), &err) == 0);
    CHECK(model_init_weights(fresh, seed, NULL) == 0);
    model_get_params(fresh, init);
    const real *p0 = model_params(m[0]), *p1 = model_params(m[1]);
    for (int t = 0; t < MDL_NUM_PARAM_TENSORS; t++) {
        double want = t == P_HEADW || t == P_HEADB ? 10 : t == P_WTE || t == P_WPE ? 3 : 1;
        size_t n = model_tensor_size(m[0], t), moved = 0;
        double worst = 0, ratio = want;
        for (size_t i = off; i < off + n; i++) {
            double d0 = p0[i] - init[i], d1 = p1[i] - init[i];
            if (d0 == 0) continue;
            moved++;
            if (fabs(d1 / d0 - want) > worst) worst = fabs(d1 / d0 - want), ratio = d1 / d0;
        }
        CHECKF(worst < 1e-6 * want, "tensor %s: step ratio %.12g, want %g", model_tensor_name(t),
               ratio, want);
        CHECKF(n == 0 || moved > 0, "tensor %s did not move", model_tensor_name(t));
        off += n;
    }
    free(init);
    model_destroy(fresh), model_destroy(m[0]), model_destroy(m[1]);
}

int main(void) {
    const char *env = getenv("MDL_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
    printf("seed %llu (MDL_TEST_SEED=%llu repeats this run)\n", (unsigned long long)seed,
           (unsigned long long)seed);
    model_position positions[] = {POSITION_LEARNED, POSITION_ROPE, POSITION_NONE};
    for (size_t i = 0; i < sizeof positions / sizeof positions[0]; i++)
        check_position(positions[i], 0, 0, seed + i);
    check_position(POSITION_ROPE, 10, 0, seed + 3);
    check_position(POSITION_NONE, 4, 0, seed + 4);
    check_position(POSITION_ROPE, 0, 4, seed + 5);
    check_position(POSITION_ROPE, 10, 3, seed + 6);
    check_ngram_update(seed);
    check_lr_scales(seed);
    return tests_done("test_model_grad");
}
