/* The /baselines group of a results file:
 *   /baselines             attributes iterations, min_seconds (timing of the speeds)
 *     name, kind, codec, version, level     str[R]     one row per baseline
 *     original_bytes, compressed_bytes      uint64[R]
 *     compressed_bits, bpb, ratio_percent   float64[R]
 *     compress_mb_s, decompress_mb_s        float64[R] (NaN where not applicable)
 *     document_bits                         float64[R, D] (absent without per-document
 *                                           measurements; see baseline_set.h) */
#include "results_baselines.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "h5util.h"
#include "results_internal.h"

typedef enum { COL_STR, COL_U64, COL_F64 } col_kind;

typedef struct row_col {
    const char *name;
    size_t offset;
    col_kind kind;
    size_t size; /* of char arrays */
} row_col;

#define STR_COL(f)                                                                                 \
    { #f, offsetof(baseline_row, f), COL_STR, sizeof(((baseline_row *)0)->f) }
#define NUM_COL(f, k)                                                                              \
    { #f, offsetof(baseline_row, f), k, 8 }
static const row_col row_cols[] = {
    STR_COL(name),
    STR_COL(kind),
    STR_COL(codec),
    STR_COL(version),
    STR_COL(level),
    NUM_COL(original_bytes, COL_U64),
    NUM_COL(compressed_bytes, COL_U64),
    NUM_COL(compressed_bits, COL_F64),
    NUM_COL(bpb, COL_F64),
    NUM_COL(ratio_percent, COL_F64),
    NUM_COL(compress_mb_s, COL_F64),
    NUM_COL(decompress_mb_s, COL_F64),
};
enum { N_COLS = sizeof row_cols / sizeof row_cols[0] };

/* Gathers one column of the rows into a contiguous array (strings as pointers). */
static void *gather(const baseline_set *s, const row_col *col) {
    size_t elem = col->kind == COL_STR ? sizeof(char *) : 8;
    char *out = malloc((s->n_rows ? s->n_rows : 1) * elem);
    for (size_t i = 0; out && i < s->n_rows; i++) {
        const char *field = (const char *)&s->rows[i] + col->offset;
        if (col->kind == COL_STR)
            ((const char **)out)[i] = field;
        else
            memcpy(out + i * 8, field, 8);
    }
    return out;
}

static int write_column(hid_t g, const baseline_set *s, const row_col *col, const h5ctx *c) {
    void *data = gather(s, col);
    if (!data) return mdl_fail(c->err, "%s: out of memory", c->path);
    int rc;
    if (col->kind == COL_STR) {
        hid_t t = utf8_type();
        rc = t < 0 ? h5_fail(c, "cannot create a string type")
                   : dataset_write_1d(g, col->name, t, t, s->n_rows, data, c);
        if (t >= 0) H5Tclose(t);
    } else if (col->kind == COL_U64) {
        rc = dataset_write_1d(g, col->name, H5T_STD_U64LE, H5T_NATIVE_UINT64, s->n_rows, data, c);
    } else {
        rc = dataset_write_1d(g, col->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s->n_rows, data, c);
    }
    free(data);
    return rc;
}

int results_write_baselines(results_writer *w, const baseline_set *s, const bench_opts *timing,
                            mdl_err *err) {
    h5ctx ctx = {results_writer_path(w), err};
    hid_t g;
    if (group_create(results_writer_file(w), "baselines", &g, &ctx) < 0) return -1;
    int rc = attr_write_i64(g, "iterations", timing->iterations, &ctx) < 0 ||
                     attr_write_f64(g, "min_seconds", timing->min_seconds, &ctx) < 0
                 ? -1
                 : 0;
    for (int j = 0; j < N_COLS && rc == 0; j++) rc = write_column(g, s, &row_cols[j], &ctx);
    if (rc == 0 && s->doc_bits)
        rc = dataset_write_f64_2d(g, "document_bits", s->n_rows, s->n_docs, s->doc_bits, &ctx);
    H5Gclose(g);
    if (rc == 0 && H5Fflush(results_writer_file(w), H5F_SCOPE_GLOBAL) < 0)
        rc = h5_fail(&ctx, "cannot flush the file");
    return rc;
}

static int read_column(hid_t g, baseline_set *s, const row_col *col, const h5ctx *c) {
    hid_t d = H5Dopen2(g, col->name, H5P_DEFAULT);
    if (d < 0) return h5_fail(c, "cannot open /baselines/%s", col->name);
    hid_t space = H5Dget_space(d);
    hsize_t len = 0;
    if (space >= 0) H5Sget_simple_extent_dims(space, &len, NULL);
    if (space >= 0) H5Sclose(space);
    int rc = 0;
    if (len != s->n_rows) {
        rc = mdl_fail(c->err, "%s: /baselines/%s has %llu rows, expected %zu", c->path, col->name,
                      (unsigned long long)len, s->n_rows);
    } else if (col->kind == COL_STR) {
        hid_t t = utf8_type();
        char **v = calloc(s->n_rows ? s->n_rows : 1, sizeof *v);
        if (t < 0 || !v || (s->n_rows && H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0))
            rc = h5_fail(c, "cannot read /baselines/%s", col->name);
        for (size_t i = 0; rc == 0 && i < s->n_rows; i++)
            snprintf((char *)&s->rows[i] + col->offset, col->size, "%s", v[i] ? v[i] : "");
        for (size_t i = 0; v && rc == 0 && i < s->n_rows; i++) H5free_memory(v[i]);
        free(v);
        if (t >= 0) H5Tclose(t);
    } else {
        double *v = malloc((s->n_rows ? s->n_rows : 1) * 8);
        hid_t mem = col->kind == COL_U64 ? H5T_NATIVE_UINT64 : H5T_NATIVE_DOUBLE;
        if (!v || (s->n_rows && H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0))
            rc = h5_fail(c, "cannot read /baselines/%s", col->name);
        for (size_t i = 0; rc == 0 && i < s->n_rows; i++)
            memcpy((char *)&s->rows[i] + col->offset, (char *)v + i * 8, 8);
        free(v);
    }
    H5Dclose(d);
    return rc;
}

int results_read_baselines(const char *path, baseline_set *s, mdl_err *err) {
    memset(s, 0, sizeof *s);
    h5ctx ctx = {path, err};
    hid_t f = results_open_complete(path, err);
    if (f < 0) return -1;
    int rc = 0;
    htri_t exists = H5Lexists(f, "baselines", H5P_DEFAULT);
    if (exists > 0) {
        hid_t g = H5Gopen2(f, "baselines", H5P_DEFAULT);
        hid_t d = g < 0 ? -1 : H5Dopen2(g, "name", H5P_DEFAULT);
        hid_t space = d < 0 ? -1 : H5Dget_space(d);
        hsize_t len = 0;
        if (space < 0 || H5Sget_simple_extent_dims(space, &len, NULL) < 0)
            rc = h5_fail(&ctx, "cannot read /baselines");
        if (space >= 0) H5Sclose(space);
        if (d >= 0) H5Dclose(d);
        s->n_rows = len;
        s->rows = calloc(len ? len : 1, sizeof *s->rows);
        if (rc == 0 && !s->rows) rc = mdl_fail(err, "%s: out of memory", path);
        for (int j = 0; j < N_COLS && rc == 0; j++) rc = read_column(g, s, &row_cols[j], &ctx);
        if (g >= 0) H5Gclose(g);
    } else if (exists < 0) {
        rc = h5_fail(&ctx, "cannot read /baselines");
    }
    H5Fclose(f);
    if (rc != 0) baseline_set_free(s);
    return rc;
}

int results_has_summary(const char *path) {
    mdl_err err;
    hid_t f = results_open_complete(path, &err);
    if (f < 0) return -1;
    htri_t exists = H5Lexists(f, "summary", H5P_DEFAULT);
    H5Fclose(f);
    return exists < 0 ? -1 : exists > 0;
}
