/* The /two_part group of a results file, one row per weight format:
 *   format                                  str[F]     fp32, bf16, int8, int4
 *   weight_bytes, raw_bytes                 uint64[F]  zstd -19 and raw serialized sizes
 *   weight_bits, data_bits, total_bits      float64[F] L(theta_q), L(D | theta_q), sum
 *   total_bpb, data_bpb                     float64[F] per corpus byte */
#include "results_two_part.h"

#include <stdlib.h>
#include <string.h>

#include "h5util.h"
#include "results_internal.h"

int results_write_two_part(results_writer *w, const two_part_row *rows, size_t n, mdl_err *err) {
    h5ctx ctx = {results_writer_path(w), err};
    hid_t g;
    if (group_create(results_writer_file(w), "two_part", &g, &ctx) < 0) return -1;
    const char *names[WFMT_COUNT];
    uint64_t wbytes[WFMT_COUNT], raw[WFMT_COUNT];
    double wbits[WFMT_COUNT], dbits[WFMT_COUNT], tbits[WFMT_COUNT], tbpb[WFMT_COUNT],
        dbpb[WFMT_COUNT];
    if (n > WFMT_COUNT) n = WFMT_COUNT;
    for (size_t i = 0; i < n; i++) {
        names[i] = weight_format_name(rows[i].format);
        wbytes[i] = rows[i].weight_bytes;
        raw[i] = rows[i].raw_bytes;
        wbits[i] = rows[i].weight_bits;
        dbits[i] = rows[i].data_bits;
        tbits[i] = rows[i].total_bits;
        tbpb[i] = rows[i].total_bpb;
        dbpb[i] = rows[i].data_bpb;
    }
    hid_t str = utf8_type();
    int rc = str < 0 ? h5_fail(&ctx, "cannot create a string type") : 0;
    if (rc == 0) rc = dataset_write_1d(g, "format", str, str, n, names, &ctx);
    if (str >= 0) H5Tclose(str);
    const struct {
        const char *name;
        const void *data;
        int is_u64;
    } cols[] = {{"weight_bytes", wbytes, 1}, {"raw_bytes", raw, 1},    {"weight_bits", wbits, 0},
                {"data_bits", dbits, 0},     {"total_bits", tbits, 0}, {"total_bpb", tbpb, 0},
                {"data_bpb", dbpb, 0}};
    for (size_t j = 0; j < sizeof cols / sizeof cols[0] && rc == 0; j++)
        rc = cols[j].is_u64 ? dataset_write_1d(g, cols[j].name, H5T_STD_U64LE, H5T_NATIVE_UINT64, n,
                                               cols[j].data, &ctx)
                            : dataset_write_1d(g, cols[j].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                               n, cols[j].data, &ctx);
    H5Gclose(g);
    return rc;
}

int results_read_two_part(const char *path, two_part_row *rows, size_t *n, mdl_err *err) {
    *n = 0;
    h5ctx ctx = {path, err};
    hid_t f = results_open_complete(path, err);
    if (f < 0) return -1;
    int rc = 0;
    if (H5Lexists(f, "two_part", H5P_DEFAULT) > 0) {
        hid_t g = H5Gopen2(f, "two_part", H5P_DEFAULT);
        long long found = g < 0 ? -1 : dataset_length(g, "format");
        size_t len = found < 0 ? 0 : (size_t)found;
        if (len > WFMT_COUNT) len = WFMT_COUNT;
        char *names[WFMT_COUNT] = {0};
        uint64_t wbytes[WFMT_COUNT], raw[WFMT_COUNT];
        double wbits[WFMT_COUNT], dbits[WFMT_COUNT], tbits[WFMT_COUNT], tbpb[WFMT_COUNT],
            dbpb[WFMT_COUNT];
        hid_t str = utf8_type();
        rc = g < 0 || str < 0 ? h5_fail(&ctx, "cannot open /two_part") : 0;
        if (rc == 0) rc = dataset_read_1d(g, "format", str, names, len, &ctx);
        if (rc == 0) rc = dataset_read_1d(g, "weight_bytes", H5T_NATIVE_UINT64, wbytes, len, &ctx);
        if (rc == 0) rc = dataset_read_1d(g, "raw_bytes", H5T_NATIVE_UINT64, raw, len, &ctx);
        if (rc == 0) rc = dataset_read_1d(g, "weight_bits", H5T_NATIVE_DOUBLE, wbits, len, &ctx);
        if (rc == 0) rc = dataset_read_1d(g, "data_bits", H5T_NATIVE_DOUBLE, dbits, len, &ctx);
        if (rc == 0) rc = dataset_read_1d(g, "total_bits", H5T_NATIVE_DOUBLE, tbits, len, &ctx);
        if (rc == 0) rc = dataset_read_1d(g, "total_bpb", H5T_NATIVE_DOUBLE, tbpb, len, &ctx);
        if (rc == 0) rc = dataset_read_1d(g, "data_bpb", H5T_NATIVE_DOUBLE, dbpb, len, &ctx);
        for (size_t i = 0; rc == 0 && i < len; i++) {
            two_part_row *r = &rows[(*n)++];
            r->format = WFMT_FP32;
            for (int k = 0; k < WFMT_COUNT; k++)
                if (names[i] && strcmp(names[i], weight_format_name((weight_format)k)) == 0)
                    r->format = (weight_format)k;
            r->weight_bytes = wbytes[i];
            r->raw_bytes = raw[i];
            r->weight_bits = wbits[i];
            r->data_bits = dbits[i];
            r->total_bits = tbits[i];
            r->total_bpb = tbpb[i];
            r->data_bpb = dbpb[i];
        }
        for (size_t i = 0; i < len; i++) H5free_memory(names[i]);
        if (str >= 0) H5Tclose(str);
        if (g >= 0) H5Gclose(g);
    }
    H5Fclose(f);
    return rc;
}
