/* The per-document table of a results file: /documents, with held_out and, when the
 * extraction test ran, extract_samples and extract_exact (older files lack them), and
 * name_bytes in place of name when some name is not valid UTF-8. */
#include "results_documents_read.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "h5util.h"
#include "results_internal.h"

int results_read_documents(const char *path, document_row **rows, size_t *n, mdl_err *err) {
    *rows = NULL;
    *n = 0;
    h5ctx ctx = {path, err};
    hid_t f = results_open_complete(path, err);
    if (f < 0) return -1;
    hid_t g = H5Gopen2(f, "documents", H5P_DEFAULT);
    int rc =
        g < 0 ? mdl_fail(err, "%s: not an mdlbench results file (no /documents group)", path) : 0;
    long long n_names = rc == 0 ? dataset_length(g, "name") : 0;
    if (n_names < 0) /* absent or not one-dimensional: not a size to allocate */
        rc = mdl_fail(err, "%s: /documents/name is missing or not a 1-d dataset", path);
    size_t len = n_names > 0 ? (size_t)n_names : 0, cap = len ? len : 1;
    /* held_out and the extraction counts are absent from older files */
    int has_held = rc == 0 && H5Lexists(g, "held_out", H5P_DEFAULT) > 0;
    int has_extract = rc == 0 && H5Lexists(g, "extract_samples", H5P_DEFAULT) > 0 &&
                      H5Lexists(g, "extract_exact", H5P_DEFAULT) > 0;
    char **names = calloc(cap, sizeof *names);
    uint64_t *bytes = malloc(cap * sizeof *bytes);
    double *preq = malloc(cap * sizeof *preq);
    double *final = malloc(cap * sizeof *final);
    uint8_t *held = calloc(cap, sizeof *held);
    uint32_t *samples = calloc(cap, sizeof *samples);
    uint32_t *exact = calloc(cap, sizeof *exact);
    document_row *out = calloc(cap, sizeof *out);
    /* the names byte for byte when the file has them (some are not valid UTF-8) */
    int has_bytes = rc == 0 && H5Lexists(g, "name_bytes", H5P_DEFAULT) > 0;
    hid_t str = has_bytes ? bytes_type() : utf8_type();
    if (rc == 0 &&
        (!names || !bytes || !preq || !final || !held || !samples || !exact || !out || str < 0))
        rc = mdl_fail(err, "%s: out of memory", path);
    if (rc == 0) rc = dataset_read_1d(g, has_bytes ? "name_bytes" : "name", str, names, len, &ctx);
    if (rc == 0) rc = dataset_read_1d(g, "bytes", H5T_NATIVE_UINT64, bytes, len, &ctx);
    if (rc == 0) rc = dataset_read_1d(g, "preq_bits", H5T_NATIVE_DOUBLE, preq, len, &ctx);
    if (rc == 0) rc = dataset_read_1d(g, "final_bits", H5T_NATIVE_DOUBLE, final, len, &ctx);
    if (rc == 0 && has_held) rc = dataset_read_1d(g, "held_out", H5T_NATIVE_UINT8, held, len, &ctx);
    if (rc == 0 && has_extract)
        rc = dataset_read_1d(g, "extract_samples", H5T_NATIVE_UINT32, samples, len, &ctx);
    if (rc == 0 && has_extract)
        rc = dataset_read_1d(g, "extract_exact", H5T_NATIVE_UINT32, exact, len, &ctx);
    for (size_t i = 0; rc == 0 && i < len; i++) {
        out[i].name = strdup(names[i] ? names[i] : "");
        out[i].bytes = bytes[i];
        out[i].preq_bits = preq[i];
        out[i].final_bits = final[i];
        out[i].held_out = held[i] != 0;
        out[i].has_extract = has_extract;
        out[i].extract_samples = samples[i];
        out[i].extract_exact = exact[i];
        if (!out[i].name) rc = mdl_fail(err, "%s: out of memory", path);
    }
    for (size_t i = 0; names && i < len; i++) H5free_memory(names[i]);
    free(names), free(bytes), free(preq), free(final), free(held), free(samples), free(exact);
    if (str >= 0) H5Tclose(str);
    if (g >= 0) H5Gclose(g);
    H5Fclose(f);
    if (rc != 0) {
        document_rows_free(out, len);
        return -1;
    }
    *rows = out;
    *n = len;
    return 0;
}

void document_rows_free(document_row *rows, size_t n) {
    for (size_t i = 0; rows && i < n; i++) free(rows[i].name);
    free(rows);
}
