/* /passes and /extraction of a results file:
 *   /passes        attributes bytes, heldout_bytes (uint64); one row per pass:
 *     pass           int64    1-based
 *     train_bits     float64  bits of each segment just before its update (pass 1: L_preq)
 *     eval_bits      float64  L(D | theta) with the weights at the end of the pass (NaN: off)
 *     heldout_bits   float64  the held-out documents under those weights (NaN: none)
 *     document_bits  float64[passes][documents]  each document's bits under those weights
 *                             (trained: the pass's evaluation, held out: the held-out one;
 *                             the last pass: /documents/final_bits; NaN: not evaluated)
 *   /extraction    attributes prefix, suffix (uint64); one row per sampled position:
 *     document       uint64   index in /documents
 *     offset         int64    first prefix byte relative to the document's start
 *                             (negative: the prefix begins in an earlier document)
 *     held_out       uint8    1: sampled among the held-out documents
 *     matched        uint32   leading decoded bytes equal to the document's (suffix: exact)
 *   /documents/extract_samples, /documents/extract_exact   uint32 per document */
#include "results_analysis.h"

#include <stdlib.h>

#include "h5util.h"
#include "results_internal.h"

int results_write_passes(results_writer *w, const pass_row *rows, size_t n, uint64_t bytes,
                         uint64_t heldout_bytes, const double *doc_bits, size_t n_docs,
                         mdl_err *err) {
    h5ctx ctx = {results_writer_path(w), err};
    hid_t g;
    if (group_create(results_writer_file(w), "passes", &g, &ctx) < 0) return -1;
    int64_t *pass = malloc((n ? n : 1) * sizeof *pass);
    double *cols = malloc((n ? n : 1) * 3 * sizeof *cols);
    int rc = pass && cols ? 0 : mdl_fail(err, "out of memory writing /passes");
    for (size_t i = 0; i < n && rc == 0; i++) {
        pass[i] = (int64_t)i + 1;
        cols[i] = rows[i].train_bits;
        cols[n + i] = rows[i].eval_bits;
        cols[2 * n + i] = rows[i].heldout_bits;
    }
    if (rc == 0)
        rc = attr_write_u64(g, "bytes", bytes, &ctx) < 0 ||
                     attr_write_u64(g, "heldout_bytes", heldout_bytes, &ctx) < 0 ||
                     dataset_write_1d(g, "pass", H5T_STD_I64LE, H5T_NATIVE_INT64, n, pass, &ctx) < 0
                 ? -1
                 : 0;
    static const char *const names[] = {"train_bits", "eval_bits", "heldout_bits"};
    for (size_t j = 0; j < 3 && rc == 0; j++)
        rc =
            dataset_write_1d(g, names[j], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, cols + j * n, &ctx);
    if (rc == 0) rc = dataset_write_f64_2d(g, "document_bits", n, n_docs, doc_bits, &ctx);
    free(pass), free(cols);
    H5Gclose(g);
    return rc < 0 ? -1 : 0;
}

int results_write_extraction(results_writer *w, const extract_sample *const samples[2],
                             const size_t n[2], uint32_t prefix, uint32_t suffix, size_t n_docs,
                             mdl_err *err) {
    h5ctx ctx = {results_writer_path(w), err};
    size_t total = n[0] + n[1], cap = total ? total : 1;
    uint64_t *doc = malloc(cap * sizeof *doc);
    int64_t *off = malloc(cap * sizeof *off);
    uint8_t *held = malloc(cap);
    uint32_t *matched = malloc(cap * sizeof *matched);
    uint32_t *per_doc = calloc(2 * (n_docs ? n_docs : 1), sizeof *per_doc);
    int rc = doc && off && held && matched && per_doc
                 ? 0
                 : mdl_fail(err, "out of memory writing /extraction");
    for (size_t g = 0, r = 0; g < 2 && rc == 0; g++) {
        for (size_t i = 0; i < n[g]; i++, r++) {
            const extract_sample *s = &samples[g][i];
            doc[r] = s->document;
            off[r] = s->offset;
            held[r] = (uint8_t)g;
            matched[r] = s->matched;
            per_doc[s->document]++;
            per_doc[n_docs + s->document] += s->matched == suffix;
        }
    }
    hid_t file = results_writer_file(w), grp = -1;
    if (rc == 0 && group_create(file, "extraction", &grp, &ctx) < 0) rc = -1;
    if (rc == 0)
        rc = attr_write_u64(grp, "prefix", prefix, &ctx) < 0 ||
                     attr_write_u64(grp, "suffix", suffix, &ctx) < 0 ||
                     dataset_write_1d(grp, "document", H5T_STD_U64LE, H5T_NATIVE_UINT64, total, doc,
                                      &ctx) < 0 ||
                     dataset_write_1d(grp, "offset", H5T_STD_I64LE, H5T_NATIVE_INT64, total, off,
                                      &ctx) < 0 ||
                     dataset_write_1d(grp, "held_out", H5T_STD_U8LE, H5T_NATIVE_UINT8, total, held,
                                      &ctx) < 0 ||
                     dataset_write_1d(grp, "matched", H5T_STD_U32LE, H5T_NATIVE_UINT32, total,
                                      matched, &ctx) < 0
                 ? -1
                 : 0;
    hid_t docs = -1;
    if (rc == 0 && (docs = H5Gopen2(file, "documents", H5P_DEFAULT)) < 0)
        rc = h5_fail(&ctx, "cannot open /documents");
    if (rc == 0)
        rc = dataset_write_1d(docs, "extract_samples", H5T_STD_U32LE, H5T_NATIVE_UINT32, n_docs,
                              per_doc, &ctx) < 0 ||
                     dataset_write_1d(docs, "extract_exact", H5T_STD_U32LE, H5T_NATIVE_UINT32,
                                      n_docs, per_doc + n_docs, &ctx) < 0
                 ? -1
                 : 0;
    if (docs >= 0) H5Gclose(docs);
    if (grp >= 0) H5Gclose(grp);
    free(doc), free(off), free(held), free(matched), free(per_doc);
    return rc;
}
