/* Serialized quantized weights for the two-part code. Every number is little-endian,
 * written byte by byte so the bytes do not depend on the host.
 *
 *   header   "MDLW", u32 version (1), u32 format (weight_format), u32 n_tensors
 *   tensors  for t = 0 .. n_tensors-1, in the P_* order of model.h:
 *              u64 rows, u64 cols (model_tensor_shape), then the data:
 *     fp32   rows*cols float32
 *     bf16   rows*cols u16: the upper half of the float32, rounded to nearest-even
 *     int8   matrices (cols > 1), per row: float32 scale = max|w|/127, then cols int8
 *            q = round(w/scale) in -127..127; vectors (cols == 1): float32
 *     int4   matrices, per row: ceil(cols/32) float32 scales (groups of 32 consecutive
 *            values, the last one possibly shorter, scale = max|w|/7), then ceil(cols/2)
 *            bytes of q = round(w/scale) in -7..7 as 4-bit two's complement, two per byte,
 *            low nibble first, the high nibble of an odd row's last byte 0; vectors: float32
 *
 * A row or group of zeros has scale 0 and q = 0; round() is half away from zero. Values
 * are converted to float32 first, whatever `real` is, and dequantize as (float)q * scale.
 * int8 and int4 refuse non-finite parameters (no scale holds them); the reader refuses
 * codes the writer never makes (-128, -8, a nonzero pad nibble, a negative scale). */
#include "two_part.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

enum { VERSION = 1, HEADER_BYTES = 16, TENSOR_HEADER_BYTES = 16, INT4_GROUP = 32 };

/* ---- float bits and bfloat16 --------------------------------------------------------- */

static uint32_t f32_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}

static float f32_from_bits(uint32_t u) {
    float x;
    memcpy(&x, &u, 4);
    return x;
}

static uint16_t bf16_round(float x) {
    uint32_t u = f32_bits(x);
    /* truncating a NaN could leave an infinity: force a quiet-NaN mantissa bit */
    if (isnan(x)) return (uint16_t)((u >> 16) | 0x0040);
    return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

/* ---- little-endian bytes ------------------------------------------------------------- */

static uint8_t *put_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return p + 2;
}

static uint8_t *put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
    return p + 4;
}

static uint8_t *put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
    return p + 8;
}

static uint8_t *put_f32(uint8_t *p, float x) {
    return put_u32(p, f32_bits(x));
}

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p) {
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* ---- layout -------------------------------------------------------------------------- */

static size_t int4_groups(size_t cols) {
    return (cols + INT4_GROUP - 1) / INT4_GROUP;
}

/* Data bytes of one tensor (after its rows/cols). */
static size_t tensor_bytes(size_t rows, size_t cols, weight_format f) {
    size_t n = rows * cols;
    if (f == WFMT_BF16) return n * 2;
    if (f == WFMT_FP32 || cols == 1) return n * 4;
    if (f == WFMT_INT8) return rows * (4 + cols);
    return rows * (4 * int4_groups(cols) + (cols + 1) / 2);
}

/* Symmetric scale of x[0..n) for levels -qmax..qmax; 0 for all zeros. */
static float sym_scale(const float *x, size_t n, float qmax) {
    float amax = 0.0f;
    for (size_t i = 0; i < n; i++) amax = fmaxf(amax, fabsf(x[i]));
    return amax / qmax;
}

static int quantize(float x, float scale, int qmax) {
    if (scale == 0.0f) return 0;
    float q = roundf(x / scale);
    return (int)fminf(fmaxf(q, (float)-qmax), (float)qmax);
}

/* ---- serialize ----------------------------------------------------------------------- */

static uint8_t *write_tensor(uint8_t *p, const float *w, size_t rows, size_t cols,
                             weight_format f) {
    size_t n = rows * cols;
    if (f == WFMT_BF16) {
        for (size_t i = 0; i < n; i++) p = put_u16(p, bf16_round(w[i]));
    } else if (f == WFMT_FP32 || cols == 1) {
        for (size_t i = 0; i < n; i++) p = put_f32(p, w[i]);
    } else if (f == WFMT_INT8) {
        for (size_t r = 0; r < rows; r++) {
            const float *row = w + r * cols;
            float s = sym_scale(row, cols, 127.0f);
            p = put_f32(p, s);
            for (size_t c = 0; c < cols; c++) *p++ = (uint8_t)(int8_t)quantize(row[c], s, 127);
        }
    } else {
        size_t ng = int4_groups(cols), row_bytes = (cols + 1) / 2;
        for (size_t r = 0; r < rows; r++) {
            uint8_t *q4 = p + 4 * ng;
            memset(q4, 0, row_bytes); /* also the padding nibble of an odd row */
            for (size_t g = 0; g < ng; g++) {
                size_t c0 = g * INT4_GROUP, c1 = c0 + INT4_GROUP < cols ? c0 + INT4_GROUP : cols;
                const float *row = w + r * cols;
                float s = sym_scale(row + c0, c1 - c0, 7.0f);
                put_f32(p + 4 * g, s);
                for (size_t c = c0; c < c1; c++) {
                    unsigned nib = (unsigned)quantize(row[c], s, 7) & 0xFu;
                    q4[c / 2] |= (uint8_t)(c % 2 ? nib << 4 : nib);
                }
            }
            p = q4 + row_bytes;
        }
    }
    return p;
}

int weights_serialize(const model *m, const real *params, weight_format f, uint8_t **out, size_t *n,
                      mdl_err *err) {
    *out = NULL;
    *n = 0;
    if ((unsigned)f >= WFMT_COUNT) return mdl_fail(err, "weights_serialize: bad format %d", (int)f);
    size_t total = HEADER_BYTES, largest = 0;
    for (int t = 0; t < MDL_NUM_PARAM_TENSORS; t++) {
        size_t rows, cols;
        model_tensor_shape(m, t, &rows, &cols);
        total += TENSOR_HEADER_BYTES + tensor_bytes(rows, cols, f);
        if (rows * cols > largest) largest = rows * cols;
    }
    uint8_t *buf = malloc(total);
    float *w = malloc((largest ? largest : 1) * sizeof *w);
    if (!buf || !w) {
        free(buf);
        free(w);
        return mdl_fail(err, "out of memory serializing %zu bytes of weights", total);
    }
    uint8_t *p = buf;
    memcpy(p, "MDLW", 4);
    p = put_u32(p + 4, VERSION);
    p = put_u32(p, (uint32_t)f);
    p = put_u32(p, MDL_NUM_PARAM_TENSORS);
    const real *src = params;
    for (int t = 0; t < MDL_NUM_PARAM_TENSORS; t++) {
        size_t rows, cols;
        model_tensor_shape(m, t, &rows, &cols);
        for (size_t i = 0; i < rows * cols; i++) {
            w[i] = (float)src[i];
            /* a scale cannot represent a non-finite value; fp32 and bf16 keep them */
            if (f >= WFMT_INT8 && !isfinite(w[i])) {
                free(buf);
                free(w);
                return mdl_fail(err, "weights_serialize: non-finite parameter %zu of tensor %d", i,
                                t);
            }
        }
        p = put_u64(p, rows);
        p = put_u64(p, cols);
        p = write_tensor(p, w, rows, cols, f);
        src += rows * cols;
    }
    free(w);
    *out = buf;
    *n = (size_t)(p - buf);
    return 0;
}

/* ---- deserialize --------------------------------------------------------------------- */

#define BAD(...) mdl_fail(err, "serialized weights: " __VA_ARGS__)

/* A scale must be what sym_scale can produce. */
static int read_scale(const uint8_t *p, size_t at, float *s, mdl_err *err) {
    *s = f32_from_bits(get_u32(p));
    if (!(*s >= 0.0f) || isinf(*s)) return BAD("bad scale %g at byte %zu", (double)*s, at);
    return 0;
}

int weights_deserialize(const model *m, const uint8_t *buf, size_t n, weight_format f, real *params,
                        mdl_err *err) {
    if (n < HEADER_BYTES) return BAD("truncated header at byte %zu", n);
    if (memcmp(buf, "MDLW", 4) != 0) return BAD("bad magic at byte 0");
    if (get_u32(buf + 4) != VERSION)
        return BAD("unsupported version %u at byte 4", (unsigned)get_u32(buf + 4));
    uint32_t fmt = get_u32(buf + 8);
    if (fmt != (uint32_t)f)
        return BAD("format %s (%u), expected %s at byte 8",
                   weight_format_name(fmt < WFMT_COUNT ? (weight_format)fmt : WFMT_COUNT),
                   (unsigned)fmt, weight_format_name(f));
    if (get_u32(buf + 12) != MDL_NUM_PARAM_TENSORS)
        return BAD("%u tensors, expected %d at byte 12", (unsigned)get_u32(buf + 12),
                   MDL_NUM_PARAM_TENSORS);
    size_t pos = HEADER_BYTES;
    real *dst = params;
    for (int t = 0; t < MDL_NUM_PARAM_TENSORS; t++) {
        size_t rows, cols;
        model_tensor_shape(m, t, &rows, &cols);
        if (n - pos < TENSOR_HEADER_BYTES)
            return BAD("truncated shape of tensor %d at byte %zu", t, n);
        uint64_t r64 = get_u64(buf + pos), c64 = get_u64(buf + pos + 8);
        if (r64 != rows || c64 != cols)
            return BAD("tensor %d is %llu x %llu, the model's is %zu x %zu at byte %zu", t,
                       (unsigned long long)r64, (unsigned long long)c64, rows, cols, pos);
        pos += TENSOR_HEADER_BYTES;
        size_t bytes = tensor_bytes(rows, cols, f);
        if (n - pos < bytes)
            return BAD("truncated tensor %d (%zu of %zu bytes) at byte %zu", t, n - pos, bytes, n);
        const uint8_t *p = buf + pos;
        if (f == WFMT_BF16) {
            for (size_t i = 0; i < rows * cols; i++, p += 2)
                dst[i] = (real)f32_from_bits((uint32_t)(p[0] | p[1] << 8) << 16);
        } else if (f == WFMT_FP32 || cols == 1) {
            for (size_t i = 0; i < rows * cols; i++, p += 4)
                dst[i] = (real)f32_from_bits(get_u32(p));
        } else if (f == WFMT_INT8) {
            for (size_t r = 0; r < rows; r++) {
                float s;
                if (read_scale(p, (size_t)(p - buf), &s, err)) return -1;
                p += 4;
                for (size_t c = 0; c < cols; c++, p++) {
                    int q = (int8_t)*p;
                    if (q < -127) return BAD("int8 value -128 at byte %zu", (size_t)(p - buf));
                    dst[r * cols + c] = (real)((float)q * s);
                }
            }
        } else {
            size_t ng = int4_groups(cols), row_bytes = (cols + 1) / 2;
            for (size_t r = 0; r < rows; r++) {
                const uint8_t *q4 = p + 4 * ng;
                for (size_t g = 0; g < ng; g++) {
                    size_t c0 = g * INT4_GROUP,
                           c1 = c0 + INT4_GROUP < cols ? c0 + INT4_GROUP : cols;
                    float s;
                    if (read_scale(p + 4 * g, (size_t)(p + 4 * g - buf), &s, err)) return -1;
                    for (size_t c = c0; c < c1; c++) {
                        int q = (((q4[c / 2] >> (c % 2 ? 4 : 0)) & 0xF) ^ 8) - 8; /* sign-extend */
                        if (q < -7)
                            return BAD("int4 value -8 at byte %zu", (size_t)(q4 + c / 2 - buf));
                        dst[r * cols + c] = (real)((float)q * s);
                    }
                }
                if (cols % 2 && q4[cols / 2] >> 4)
                    return BAD("nonzero int4 padding at byte %zu", (size_t)(q4 + cols / 2 - buf));
                p = q4 + row_bytes;
            }
        }
        pos += bytes;
        dst += rows * cols;
    }
    if (pos != n) return BAD("%zu extra bytes at byte %zu", n - pos, pos);
    return 0;
}

/* ---- zstd ---------------------------------------------------------------------------- */

int zstd19_size(const uint8_t *buf, size_t n, size_t *size, mdl_err *err) {
    size_t cap = ZSTD_compressBound(n);
    void *dst = malloc(cap ? cap : 1);
    if (!dst) return mdl_fail(err, "out of memory compressing %zu bytes of weights", n);
    size_t z = ZSTD_compress(dst, cap, buf, n, 19);
    free(dst);
    if (ZSTD_isError(z)) return mdl_fail(err, "zstd -19 of the weights: %s", ZSTD_getErrorName(z));
    *size = z;
    return 0;
}
