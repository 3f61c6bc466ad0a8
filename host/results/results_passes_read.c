/* Reader of /passes (results_passes_read.h):
 *   /passes        attributes bytes, heldout_bytes (uint64); one row per pass:
 *     pass           int64    1-based
 *     train_bits     float64
 *     eval_bits      float64  NaN: not evaluated
 *     heldout_bits   float64  NaN: none */
#include "results_passes_read.h"

#include <stdlib.h>
#include <string.h>

#include "h5util.h"
#include "results_internal.h"

/* Length of g/name; -1 (err set) when it is missing or not 1-D. */
static int passes_length(hid_t g, const char *name, size_t *n, const h5ctx *c) {
    long long len = dataset_length(g, name);
    if (len < 0) return mdl_fail(c->err, "%s: /passes/%s is missing or not 1-D", c->path, name);
    *n = (size_t)len;
    return 0;
}

/* Reads the n values of g/name (mem_type elements) into out. */
static int passes_column(hid_t g, const char *name, hid_t mem_type, void *out, size_t n,
                         const h5ctx *c) {
    size_t len = 0;
    if (passes_length(g, name, &len, c) < 0) return -1;
    if (len != n)
        return mdl_fail(c->err, "%s: /passes/%s has %zu rows but /passes/pass has %zu", c->path,
                        name, len, n);
    return dataset_read_1d(g, name, mem_type, out, n, c);
}

int results_read_passes(const char *path, pass_table *t, mdl_err *err) {
    memset(t, 0, sizeof *t);
    h5ctx ctx = {path, err};
    hid_t f = results_open_complete(path, err);
    if (f < 0) return -1;
    htri_t exists = H5Lexists(f, "passes", H5P_DEFAULT);
    if (exists <= 0) {
        int rc = exists == 0 ? 0 : h5_fail(&ctx, "cannot look for /passes");
        H5Fclose(f);
        return rc;
    }
    hid_t g = H5Gopen2(f, "passes", H5P_DEFAULT);
    int rc = g < 0 ? h5_fail(&ctx, "cannot open group /passes") : 0;
    static const char *const attrs[] = {"bytes", "heldout_bytes"};
    uint64_t *attr_out[] = {&t->bytes, &t->heldout_bytes};
    for (size_t j = 0; j < 2 && rc == 0; j++) {
        int found = attr_read_num(g, attrs[j], H5T_NATIVE_UINT64, attr_out[j], &ctx);
        if (found == 0) rc = mdl_fail(err, "%s: /passes has no attribute %s", path, attrs[j]);
        if (found < 0) rc = -1;
    }
    size_t n = 0;
    if (rc == 0) rc = passes_length(g, "pass", &n, &ctx);
    int64_t *pass = rc == 0 ? malloc((n ? n : 1) * sizeof *pass) : NULL;
    double *cols = rc == 0 ? malloc((n ? n : 1) * 3 * sizeof *cols) : NULL;
    if (rc == 0 && (!pass || !cols)) rc = mdl_fail(err, "%s: out of memory for /passes", path);
    if (rc == 0) rc = passes_column(g, "pass", H5T_NATIVE_INT64, pass, n, &ctx);
    static const char *const names[] = {"train_bits", "eval_bits", "heldout_bits"};
    for (size_t j = 0; j < 3 && rc == 0; j++)
        rc = passes_column(g, names[j], H5T_NATIVE_DOUBLE, cols + j * n, n, &ctx);
    if (rc == 0 && n && !(t->rows = malloc(n * sizeof *t->rows)))
        rc = mdl_fail(err, "%s: out of memory for /passes", path);
    for (size_t i = 0; rc == 0 && i < n; i++)
        t->rows[i] = (pass_row){cols[i], cols[n + i], cols[2 * n + i]};
    if (rc == 0) {
        t->pass = n ? pass : NULL;
        t->n = n;
    }
    if (rc != 0 || !n) free(pass);
    free(cols);
    if (g >= 0) H5Gclose(g);
    H5Fclose(f);
    if (rc != 0) pass_table_free(t);
    return rc < 0 ? -1 : 1;
}

void pass_table_free(pass_table *t) {
    free(t->pass);
    free(t->rows);
    t->pass = NULL;
    t->rows = NULL;
    t->n = 0;
}
