/* Serialized quantized weights (host/model/two_part.c): fp32 round-trips bit for bit, bf16 is
 * round-to-nearest-even, int8 and int4 stay within half a scale step with the row or
 * group maximum on the top level, sizes follow the documented layout, and malformed
 * buffers are errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "two_part.h"
#include "tests_common.h"

/* d_model 40: rows of 32 + 8 int4 values; d_ff 73: odd rows in the fc projection */
static model *make_model(unsigned d_model) {
    model_config mc = {.n_layer = 2,
                       .n_head = 4,
                       .d_model = d_model,
                       .context = 16,
                       .d_ff = 73,
                       .zero_init_head = false};
    model *m;
    mdl_err err;
    if (model_create(&m, &mc, 2, cpu_backend(), &err) != 0) {
        fprintf(stderr, "model_create: %s\n", err.msg);
        exit(2);
    }
    return m;
}

static uint32_t bits_of(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}

static float from_bits(uint32_t u) {
    float x;
    memcpy(&x, &u, 4);
    return x;
}

/* bfloat16 by hand: keep the upper 16 bits, round up above half, ties to the even one */
static uint32_t bf16_expected(float x) {
    uint32_t u = bits_of(x), hi = u >> 16, lo = u & 0xFFFF;
    if (lo > 0x8000 || (lo == 0x8000 && (hi & 1))) hi++;
    return hi << 16;
}

static size_t expected_size(const model *m, weight_format f) {
    size_t total = 16;
    for (int t = 0; t < MDL_NUM_PARAM_TENSORS; t++) {
        size_t r, c;
        model_tensor_shape(m, t, &r, &c);
        total += 16;
        if (f == WFMT_FP32 || (f != WFMT_BF16 && c == 1))
            total += r * c * 4;
        else if (f == WFMT_BF16)
            total += r * c * 2;
        else if (f == WFMT_INT8)
            total += r * (4 + c);
        else
            total += r * (4 * ((c + 31) / 32) + (c + 1) / 2);
    }
    return total;
}

static size_t roundtrip(const model *m, const real *p, weight_format f, real *out) {
    uint8_t *buf;
    size_t n;
    mdl_err err;
    CHECKF(weights_serialize(m, p, f, &buf, &n, &err) == 0, "%s: %s", weight_format_name(f),
           err.msg);
    CHECKF(weights_deserialize(m, buf, n, f, out, &err) == 0, "%s: %s", weight_format_name(f),
           err.msg);
    free(buf);
    return n;
}

/* Every matrix row cut into groups of `group` values: |w - deq| <= scale/2 with scale =
 * max|w|/qmax, and the largest value of a group lands on +-qmax. Vectors are exact. */
static void check_groups(const model *m, const real *p, const real *d, size_t group, float qmax,
                         const char *name) {
    size_t off = 0, worst = 0;
    for (int t = 0; t < MDL_NUM_PARAM_TENSORS; t++) {
        size_t rows, cols;
        model_tensor_shape(m, t, &rows, &cols);
        for (size_t r = 0; r < rows && cols > 1; r++)
            for (size_t c0 = 0; c0 < cols; c0 += group) {
                size_t c1 = c0 + group < cols ? c0 + group : cols, imax = off + r * cols + c0;
                float amax = 0.0f;
                for (size_t i = off + r * cols + c0; i < off + r * cols + c1; i++)
                    if (fabsf((float)p[i]) > amax) amax = fabsf((float)p[imax = i]);
                float s = amax / qmax;
                for (size_t i = off + r * cols + c0; i < off + r * cols + c1; i++) {
                    float e = fabsf((float)p[i] - (float)d[i]);
                    if (e > s * 0.5f * (1.0f + 1e-5f)) worst++;
                }
                CHECKF((float)d[imax] == copysignf(qmax * s, (float)p[imax]),
                       "%s tensor %d row %zu group at %zu: max %g dequantized to %g", name, t, r,
                       c0, (double)p[imax], (double)d[imax]);
            }
        if (cols == 1)
            CHECKF(memcmp(p + off, d + off, rows * sizeof(real)) == 0,
                   "%s: vector tensor %d not kept exact", name, t);
        off += rows * cols;
    }
    CHECKF(worst == 0, "%s: %zu values off by more than half a step", name, worst);
}

static void expect_reject(const model *m, const uint8_t *buf, size_t n, weight_format f,
                          const char *what) {
    real *out = malloc(model_num_params(m) * sizeof(real));
    mdl_err err = {{0}};
    int rc = weights_deserialize(m, buf, n, f, out, &err);
    CHECKF(rc == -1, "%s: accepted", what);
    if (rc == -1) {
        CHECKF(strstr(err.msg, "serialized weights: ") == err.msg && strstr(err.msg, "at byte") &&
                   !strchr(err.msg, '\n'),
               "%s: message '%s'", what, err.msg);
        printf("  rejects %-22s %s\n", what, err.msg);
    }
    free(out);
}

int main(void) {
    CHECK(strcmp(weight_format_name(WFMT_FP32), "fp32") == 0);
    CHECK(strcmp(weight_format_name(WFMT_BF16), "bf16") == 0);
    CHECK(strcmp(weight_format_name(WFMT_INT8), "int8") == 0);
    CHECK(strcmp(weight_format_name(WFMT_INT4), "int4") == 0);

    model *m = make_model(40);
    CHECK(model_init_weights(m, 1234, NULL) == 0);
    size_t np = model_num_params(m);
    real *p = malloc(np * sizeof(real)), *d = malloc(np * sizeof(real));
    model_get_params(m, p);
    /* outliers, an all-zero embedding row and the bf16 ties, through the real path */
    p[7] = 3.5f;
    p[np / 2] = -100.0f;
    p[np - 300] = 1e-3f;
    for (size_t c = 0; c < 40; c++) p[5 * 40 + c] = 0.0f;
    const uint32_t ties[][2] = {{0x3F808000u, 0x3F800000u}, {0x3F818000u, 0x3F820000u},
                                {0x3F808001u, 0x3F810000u}, {0xBF818000u, 0xBF820000u},
                                {0x3F807FFFu, 0x3F800000u}, {0x477FFFFFu, 0x47800000u}};
    enum { NTIES = sizeof ties / sizeof ties[0] };
    for (int i = 0; i < NTIES; i++) p[100 + i] = from_bits(ties[i][0]);

    /* fp32: bit-identical, deterministic bytes, the documented size */
    uint8_t *a, *b;
    size_t na, nb;
    mdl_err err;
    CHECK(weights_serialize(m, p, WFMT_FP32, &a, &na, &err) == 0);
    CHECK(weights_serialize(m, p, WFMT_FP32, &b, &nb, &err) == 0);
    CHECK(na == nb && memcmp(a, b, na) == 0);
    CHECKF(na == expected_size(m, WFMT_FP32), "fp32 size %zu, expected %zu", na,
           expected_size(m, WFMT_FP32));
    CHECK(memcmp(a, "MDLW", 4) == 0 && a[4] == 1 && a[5] == 0 && a[8] == WFMT_FP32 &&
          a[12] == MDL_NUM_PARAM_TENSORS);
    CHECK(a[16] == 1 && a[17] == 1 && a[24] == 40); /* wte: 257 x 40 */
    CHECK(weights_deserialize(m, a, na, WFMT_FP32, d, &err) == 0);
    CHECK(memcmp(p, d, np * sizeof(real)) == 0);

    /* malformed buffers */
    uint8_t *bad = malloc(na + 1);
    memcpy(bad, a, na);
    bad[0] = 'X';
    expect_reject(m, bad, na, WFMT_FP32, "wrong magic");
    expect_reject(m, a, na, WFMT_BF16, "wrong format");
    size_t cuts[] = {0, 3, 15, 16, 20, 31, 32, 33, na / 2, na - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "truncated at %zu", cuts[i]);
        expect_reject(m, a, cuts[i], WFMT_FP32, what);
    }
    memcpy(bad, a, na);
    bad[na] = 0;
    expect_reject(m, bad, na + 1, WFMT_FP32, "one extra byte");
    memcpy(bad, a, na);
    bad[4] = 2;
    expect_reject(m, bad, na, WFMT_FP32, "wrong version");
    model *other = make_model(44);
    CHECK(model_init_weights(other, 1, NULL) == 0);
    real *po = malloc(model_num_params(other) * sizeof(real));
    model_get_params(other, po);
    uint8_t *o;
    size_t no;
    CHECK(weights_serialize(other, po, WFMT_INT8, &o, &no, &err) == 0);
    expect_reject(m, o, no, WFMT_INT8, "wrong shape");
    free(o);
    free(po);
    model_destroy(other);
    free(bad);
    free(b);

    /* bf16: exactly the hand-rounded value, ties to even */
    size_t n16 = roundtrip(m, p, WFMT_BF16, d);
    size_t off = 0;
    for (size_t i = 0; i < np; i++) {
        float w = (float)p[i], q = (float)d[i];
        if (bits_of(q) != bf16_expected(w)) off++;
        if (isfinite(q) && fabsf(w) >= 1e-37f && fabsf(w - q) > ldexpf(fabsf(w), -8)) off++;
    }
    CHECKF(off == 0, "bf16: %zu values not rounded to nearest-even", off);
    for (int i = 0; i < NTIES; i++)
        CHECKF(bits_of((float)d[100 + i]) == ties[i][1], "bf16 of %08x: %08x, expected %08x",
               ties[i][0], bits_of((float)d[100 + i]), ties[i][1]);
    /* NaN stays NaN even when its payload sits in the dropped low half */
    real keep = p[3];
    p[3] = from_bits(0x7F800001u);
    roundtrip(m, p, WFMT_BF16, d);
    CHECK(isnan((float)d[3]));
    roundtrip(m, p, WFMT_FP32, d);
    CHECK(bits_of((float)d[3]) == 0x7F800001u);
    CHECK(weights_serialize(m, p, WFMT_INT8, &b, &nb, &err) == -1); /* no scale for NaN */
    p[3] = keep;

    /* int8 per row, int4 per group of 32 */
    size_t n8 = roundtrip(m, p, WFMT_INT8, d);
    check_groups(m, p, d, (size_t)-1 / 2, 127.0f, "int8");
    CHECK(d[5 * 40] == 0.0f && d[5 * 40 + 39] == 0.0f); /* the all-zero row */
    size_t n4 = roundtrip(m, p, WFMT_INT4, d);
    check_groups(m, p, d, 32, 7.0f, "int4");
    CHECKF(n16 == expected_size(m, WFMT_BF16), "bf16 size %zu", n16);
    CHECKF(n8 == expected_size(m, WFMT_INT8), "int8 size %zu", n8);
    CHECKF(n4 == expected_size(m, WFMT_INT4), "int4 size %zu", n4);
    CHECK(n16 < na * 0.52 && n8 < na * 0.3 && n4 < na * 0.2);

    /* out-of-range codes are malformed: int8 -128, int4 -8 */
    CHECK(weights_serialize(m, p, WFMT_INT8, &b, &nb, &err) == 0);
    b[16 + 16 + 4] = 0x80; /* first value of wte row 0 */
    expect_reject(m, b, nb, WFMT_INT8, "int8 -128");
    free(b);
    CHECK(weights_serialize(m, p, WFMT_INT4, &b, &nb, &err) == 0);
    b[16 + 16 + 8] = (uint8_t)((b[16 + 16 + 8] & 0xF0) | 0x8); /* after the two scales */
    expect_reject(m, b, nb, WFMT_INT4, "int4 -8");
    free(b);

    /* zstd: compresses a zero model far below its raw size; sizes for the record */
    size_t z;
    weight_format fmts[] = {WFMT_FP32, WFMT_BF16, WFMT_INT8, WFMT_INT4};
    for (int i = 0; i < 4; i++) {
        CHECK(weights_serialize(m, p, fmts[i], &b, &nb, &err) == 0);
        CHECK(zstd19_size(b, nb, &z, &err) == 0 && z > 0);
        printf("  %s: %zu bytes, zstd -19 %zu\n", weight_format_name(fmts[i]), nb, z);
        free(b);
    }
    memset(p, 0, np * sizeof(real));
    CHECK(weights_serialize(m, p, WFMT_FP32, &b, &nb, &err) == 0);
    CHECK(zstd19_size(b, nb, &z, &err) == 0 && z > 0 && z < nb / 10);
    printf("  zero model fp32: %zu bytes, zstd -19 %zu\n", nb, z);
    free(b);

    free(a);
    free(p);
    free(d);
    model_destroy(m);
    return tests_done("test_two_part");
}
