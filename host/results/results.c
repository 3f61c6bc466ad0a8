/* HDF5 results file of one run.
 *
 * Schema (format "mdlbench-results", format_version 1). Every string is a
 * variable-length UTF-8 string (h5py reads it as str).
 *
 *   /                      root attributes
 *     format             str      "mdlbench-results"
 *     format_version     int64    1
 *     mdlbench_version   str      version of the binary
 *     git_commit         str      commit the binary was built from
 *     command_line       str      argv joined with spaces
 *     config             str      full effective configuration (YAML)
 *     seed               uint64
 *     device             str      device description
 *     threads            int64
 *     created            str      ISO 8601 UTC, e.g. 2026-01-31T12:00:00Z
 *     status             str      "running" until results_commit, then "complete";
 *                                 "interrupted", "preempted", "diverged" or
 *                                 "corpus changed" in a .partial left by a stopped run
 *   /corpus                group, attributes n_bytes (uint64), n_documents (uint64)
 *   /documents             1-D datasets of length n_documents, in corpus order
 *     name               str      path as given (relative when the --corpus argument was),
 *                                 as valid UTF-8: bytes that are not become U+FFFD
 *     name_bytes         bytes    the same paths byte for byte, written only when some
 *                                 path is not valid UTF-8 (variable-length ASCII-set
 *                                 strings: h5py reads bytes)
 *     resolved           str      absolute path, symlinks followed (provenance; files
 *                                 written before it existed hold this path in name)
 *     offset             uint64   first byte in the concatenated corpus
 *     bytes              uint64   size
 *     held_out           uint8    1: never trained on, coded by the final weights only
 *     preq_bits          float64  prequential bits of the document (NaN until written)
 *     final_bits         float64  bits under the final weights (NaN when not evaluated)
 *   /curve                 one row per step; 1-D, extendable (maxshape None), chunks of
 *                          1024 rows, flushed after every append; attribute description
 *     step               int64    0-based
 *     bytes              int64    bytes coded in the step (all streams)
 *     bits               float64  prequential bits of the step
 *     cum_bits           float64  bits of steps 0..step
 *     lr                 float64  learning rate of the step's (first) update
 *     grad_norm          float64  global gradient norm before clipping
 *     elapsed_s          float64  seconds since the loop started, at the end of the step
 *   /summary               group; one attribute per run_summary field (summary.h), same
 *                          names: counts uint64, reals float64, threads int64, device str
 *
 * The writer creates PATH.partial and renames it to PATH on commit, so PATH is either
 * absent, the previous complete file, or the new complete file. While it writes, it
 * holds an open-file-description lock (fcntl F_OFD_SETLK) on PATH.partial so that a
 * second run with the same output fails cleanly instead of truncating the first one's
 * file; HDF5's own flock() is switched off in the writer so that readers (h5py with
 * default settings, `mdlbench report`) can open the .partial while the run goes on. */
#include "results.h"

#include "h5util.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RESULTS_FORMAT "mdlbench-results"
#define RESULTS_FORMAT_VERSION 1
#define CURVE_CHUNK 1024

/* ---- table of the /curve columns --------------------------------------------------- */

typedef struct curve_col {
    const char *name;
    size_t offset; /* in curve_row */
    int is_int;    /* int64, else float64 */
} curve_col;

#define CURVE_COL(field, is_int)                                                                   \
    { #field, offsetof(curve_row, field), is_int }
static const curve_col curve_cols[] = {
    CURVE_COL(step, 1), CURVE_COL(bytes, 1),     CURVE_COL(bits, 0),      CURVE_COL(cum_bits, 0),
    CURVE_COL(lr, 0),   CURVE_COL(grad_norm, 0), CURVE_COL(elapsed_s, 0),
};
enum { N_CURVE = sizeof curve_cols / sizeof curve_cols[0] };

static const char curve_description[] =
    "One row per step. step: 0-based step index; bytes: bytes coded in the step (all "
    "streams); bits: prequential bits of the step; cum_bits: bits of steps 0..step; lr: "
    "learning rate of the step's (first) update; grad_norm: global gradient norm before "
    "clipping; elapsed_s: seconds since the loop started, at the end of the step.";

/* ---- table of the /summary attributes ---------------------------------------------- */

typedef enum { F_U64, F_I64, F_F64, F_STR } field_kind;

typedef struct summary_field {
    const char *name;
    size_t offset; /* in run_summary */
    field_kind kind;
    int optional; /* added after format_version 1 shipped: absent reads as 0 or NaN */
} summary_field;

#define SUMMARY_FIELD(field, kind)                                                                 \
    { #field, offsetof(run_summary, field), kind, 0 }
#define SUMMARY_FIELD_OPT(field, kind)                                                             \
    { #field, offsetof(run_summary, field), kind, 1 }
static const summary_field summary_fields[] = {
    SUMMARY_FIELD(corpus_bytes, F_U64),
    SUMMARY_FIELD(n_documents, F_U64),
    SUMMARY_FIELD(n_params, F_U64),
    SUMMARY_FIELD(n_params_nonembedding, F_U64),
    SUMMARY_FIELD(streams, F_U64),
    SUMMARY_FIELD(steps, F_U64),
    SUMMARY_FIELD(preq_bits, F_F64),
    SUMMARY_FIELD(preq_bpb, F_F64),
    SUMMARY_FIELD(ratio_percent, F_F64),
    SUMMARY_FIELD(header_bytes, F_U64),
    SUMMARY_FIELD(compressed_bytes, F_U64),
    SUMMARY_FIELD(first_step_bpb, F_F64),
    SUMMARY_FIELD(final_bits, F_F64),
    SUMMARY_FIELD(final_bpb, F_F64),
    SUMMARY_FIELD(info_absorbed_bits, F_F64),
    SUMMARY_FIELD(heldout_documents, F_U64),
    SUMMARY_FIELD(heldout_bytes, F_U64),
    SUMMARY_FIELD(heldout_bpb, F_F64),
    SUMMARY_FIELD(memorization_gap_bpb, F_F64),
    SUMMARY_FIELD_OPT(chunk_bytes, F_U64),
    SUMMARY_FIELD_OPT(heldout_chunks, F_U64),
    SUMMARY_FIELD_OPT(heldout_chunked_bpb, F_F64),
    SUMMARY_FIELD_OPT(passes, F_U64),
    SUMMARY_FIELD_OPT(extract_prefix, F_U64),
    SUMMARY_FIELD_OPT(extract_suffix, F_U64),
    SUMMARY_FIELD_OPT(trained_extract_samples, F_U64),
    SUMMARY_FIELD_OPT(trained_exact_rate, F_F64),
    SUMMARY_FIELD_OPT(trained_mean_matched, F_F64),
    SUMMARY_FIELD_OPT(heldout_extract_samples, F_U64),
    SUMMARY_FIELD_OPT(heldout_exact_rate, F_F64),
    SUMMARY_FIELD_OPT(heldout_mean_matched, F_F64),
    SUMMARY_FIELD(wall_s, F_F64),
    SUMMARY_FIELD(train_s, F_F64),
    SUMMARY_FIELD(bytes_per_s, F_F64),
    SUMMARY_FIELD(model_flops_per_byte, F_F64),
    SUMMARY_FIELD(achieved_flops, F_F64),
    SUMMARY_FIELD(peak_flops, F_F64),
    SUMMARY_FIELD(mfu, F_F64),
    SUMMARY_FIELD(threads, F_I64),
    SUMMARY_FIELD_OPT(world_size, F_U64),
    SUMMARY_FIELD(device, F_STR),
};

/* 40 eight-byte fields and device[128]: a new field in summary.h must be added above. */
_Static_assert(sizeof(run_summary) == 40 * 8 + 128,
               "run_summary changed: update summary_fields[] in results.c");

/* ---- small HDF5 helpers (each reports its own failure) ----------------------------- */

/* ---- writer ------------------------------------------------------------------------- */

struct results_writer {
    char *path;    /* final name */
    char *partial; /* path + ".partial", written until commit */
    int lock_fd;   /* holds the write lock on partial */
    hid_t file;
    hid_t curve[N_CURVE]; /* open /curve datasets */
    size_t n_docs;
    hsize_t n_rows; /* rows in /curve */
};

static void iso8601_now(char *buf, size_t n) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int write_root_attrs(hid_t file, const run_meta *m, const h5ctx *c) {
    char created[32];
    iso8601_now(created, sizeof created);
    if (attr_write_str(file, "format", RESULTS_FORMAT, c) < 0 ||
        attr_write_i64(file, "format_version", RESULTS_FORMAT_VERSION, c) < 0 ||
        attr_write_str(file, "mdlbench_version", m->version, c) < 0 ||
        attr_write_str(file, "git_commit", m->git_commit, c) < 0 ||
        attr_write_str(file, "command_line", m->command_line, c) < 0 ||
        attr_write_str(file, "config", m->config_yaml, c) < 0 ||
        attr_write_u64(file, "seed", m->seed, c) < 0 ||
        attr_write_str(file, "device", m->device, c) < 0 ||
        attr_write_i64(file, "threads", m->threads, c) < 0 ||
        attr_write_str(file, "created", created, c) < 0 ||
        attr_write_str(file, "status", "running", c) < 0)
        return -1;
    return 0;
}

static int write_corpus_group(hid_t file, const corpus *cp, const h5ctx *c) {
    hid_t g;
    if (group_create(file, "corpus", &g, c) < 0) return -1;
    int rc = attr_write_u64(g, "n_bytes", cp->n_bytes, c);
    if (rc == 0) rc = attr_write_u64(g, "n_documents", cp->n_docs, c);
    H5Gclose(g);
    return rc;
}

/* Columns of the document table, gathered from the corpus. */
typedef struct doc_columns {
    char **name, **resolved; /* valid UTF-8 copies */
    const char **name_bytes; /* the names as they are, when some are not valid UTF-8 */
    int raw_names;           /* some name is not valid UTF-8 */
    uint64_t *offset, *bytes;
    uint8_t *held_out;
    double *nan;
} doc_columns;

static int doc_columns_alloc(doc_columns *d, const corpus *cp, const h5ctx *c) {
    size_t n = cp->n_docs ? cp->n_docs : 1;
    d->name = calloc(n, sizeof *d->name);
    d->resolved = calloc(n, sizeof *d->resolved);
    d->name_bytes = malloc(n * sizeof *d->name_bytes);
    d->offset = malloc(n * sizeof *d->offset);
    d->bytes = malloc(n * sizeof *d->bytes);
    d->nan = malloc(n * sizeof *d->nan);
    d->held_out = malloc(n * sizeof *d->held_out);
    if (!d->name || !d->resolved || !d->name_bytes || !d->offset || !d->bytes || !d->nan ||
        !d->held_out)
        return mdl_fail(c->err, "%s: out of memory for the document table", c->path);
    for (size_t i = 0; i < cp->n_docs; i++) {
        const corpus_doc *doc = &cp->docs[i];
        const char *resolved = doc->name ? doc->name : "";
        d->name_bytes[i] = doc->shown ? doc->shown : resolved;
        d->raw_names |= !utf8_valid(d->name_bytes[i]);
        d->name[i] = utf8_valid_copy(d->name_bytes[i]);
        d->resolved[i] = utf8_valid_copy(resolved);
        if (!d->name[i] || !d->resolved[i])
            return mdl_fail(c->err, "%s: out of memory for the document table", c->path);
        d->offset[i] = cp->docs[i].offset;
        d->bytes[i] = cp->docs[i].size;
        d->nan[i] = NAN;
        d->held_out[i] = cp->docs[i].held_out != 0;
    }
    return 0;
}

static void doc_columns_free(doc_columns *d, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (d->name) free(d->name[i]);
        if (d->resolved) free(d->resolved[i]);
    }
    free(d->name);
    free(d->resolved);
    free(d->name_bytes);
    free(d->offset);
    free(d->bytes);
    free(d->nan);
    free(d->held_out);
}

static int write_documents_group(hid_t file, const corpus *cp, const h5ctx *c) {
    doc_columns d = {0};
    hid_t g = -1, str = -1, raw = -1;
    int rc = -1;
    if (doc_columns_alloc(&d, cp, c) < 0) goto done;
    if (group_create(file, "documents", &g, c) < 0) goto done;
    if ((str = utf8_type()) < 0 || (raw = bytes_type()) < 0) {
        h5_fail(c, "cannot create a string type");
        goto done;
    }
    size_t n = cp->n_docs;
    if (dataset_write_1d(g, "name", str, str, n, d.name, c) < 0 ||
        dataset_write_1d(g, "resolved", str, str, n, d.resolved, c) < 0 ||
        (d.raw_names && dataset_write_1d(g, "name_bytes", raw, raw, n, d.name_bytes, c) < 0) ||
        dataset_write_1d(g, "offset", H5T_STD_U64LE, H5T_NATIVE_UINT64, n, d.offset, c) < 0 ||
        dataset_write_1d(g, "bytes", H5T_STD_U64LE, H5T_NATIVE_UINT64, n, d.bytes, c) < 0 ||
        dataset_write_1d(g, "held_out", H5T_STD_U8LE, H5T_NATIVE_UINT8, n, d.held_out, c) < 0 ||
        dataset_write_1d(g, "preq_bits", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, d.nan, c) < 0 ||
        dataset_write_1d(g, "final_bits", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, d.nan, c) < 0)
        goto done;
    rc = 0;
done:
    if (str >= 0) H5Tclose(str);
    if (raw >= 0) H5Tclose(raw);
    if (g >= 0) H5Gclose(g);
    doc_columns_free(&d, cp->n_docs);
    return rc;
}

/* An empty, extendable, chunked 1-D dataset. */
static hid_t curve_dataset_create(hid_t g, const curve_col *col, const h5ctx *c) {
    hsize_t dims[1] = {0}, maxdims[1] = {H5S_UNLIMITED}, chunk[1] = {CURVE_CHUNK};
    hid_t space = H5Screate_simple(1, dims, maxdims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t type = col->is_int ? H5T_STD_I64LE : H5T_IEEE_F64LE;
    hid_t d = space < 0 || dcpl < 0 || H5Pset_chunk(dcpl, 1, chunk) < 0
                  ? -1
                  : H5Dcreate2(g, col->name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d < 0) h5_fail(c, "cannot create /curve/%s", col->name);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (space >= 0) H5Sclose(space);
    return d;
}

static int create_curve_group(results_writer *w, const h5ctx *c) {
    hid_t g;
    if (group_create(w->file, "curve", &g, c) < 0) return -1;
    int rc = attr_write_str(g, "description", curve_description, c);
    for (int j = 0; j < N_CURVE && rc == 0; j++)
        if ((w->curve[j] = curve_dataset_create(g, &curve_cols[j], c)) < 0) rc = -1;
    H5Gclose(g);
    return rc;
}

static int flush(results_writer *w, const h5ctx *c) {
    return H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0 ? h5_fail(c, "cannot flush the file") : 0;
}

/* Refuses a PATH that is a directory (the final rename would fail after the whole run). */
static int check_target(const char *path, mdl_err *err) {
    struct stat st;
    if (!path || !*path) return mdl_fail(err, "results file: empty path");
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return mdl_fail(err, "%s: cannot create results file (%s)", path, strerror(EISDIR));
    return 0;
}

/* Opens (creating) PATH.partial and takes the write lock, without truncating: a running
 * writer's file must survive a second run that picks the same output path. */
static int lock_partial(results_writer *w, mdl_err *err) {
    w->lock_fd = open(w->partial, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (w->lock_fd < 0)
        return mdl_fail(err, "%s: cannot create results file (%s)", w->path, strerror(errno));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    if (fcntl(w->lock_fd, F_OFD_SETLK, &fl) == 0) return 0;
    int e = errno;
    close(w->lock_fd);
    w->lock_fd = -1;
    if (e == EAGAIN || e == EACCES)
        return mdl_fail(err, "%s: %s is being written by another run", w->path, w->partial);
    return mdl_fail(err, "%s: cannot lock %s (%s)", w->path, w->partial, strerror(e));
}

static results_writer *writer_alloc(const char *path) {
    results_writer *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    size_t n = strlen(path) + sizeof ".partial";
    w->path = strdup(path);
    w->partial = malloc(n);
    if (!w->path || !w->partial) {
        free(w->path);
        free(w->partial);
        free(w);
        return NULL;
    }
    snprintf(w->partial, n, "%s.partial", path);
    w->lock_fd = -1;
    w->file = -1;
    for (int j = 0; j < N_CURVE; j++) w->curve[j] = -1;
    return w;
}

void results_library_init(void) {
    H5dont_atexit();
}

/* Closes every HDF5 handle; returns -1 when closing the file failed. */
static int writer_close_h5(results_writer *w) {
    for (int j = 0; j < N_CURVE; j++) {
        if (w->curve[j] >= 0) H5Dclose(w->curve[j]);
        w->curve[j] = -1;
    }
    herr_t rc = w->file >= 0 ? H5Fclose(w->file) : 0;
    w->file = -1;
    return rc < 0 ? -1 : 0;
}

static void writer_free(results_writer *w) {
    if (w->lock_fd >= 0) close(w->lock_fd);
    free(w->path);
    free(w->partial);
    free(w);
}

int results_create(results_writer **out, const char *path, const run_meta *meta, const corpus *c,
                   mdl_err *err) {
    *out = NULL;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors go into err, not onto stderr */
    if (check_target(path, err) < 0) return -1;
    results_writer *w = writer_alloc(path);
    if (!w) return mdl_fail(err, "%s: out of memory", path);
    if (lock_partial(w, err) < 0) {
        writer_free(w);
        return -1;
    }
    h5ctx ctx = {path, err};
    hid_t fapl = fapl_no_locking();
    w->file = fapl < 0 ? -1 : H5Fcreate(w->partial, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (w->file < 0) h5_fail(&ctx, "cannot create results file");
    if (fapl >= 0) H5Pclose(fapl);
    w->n_docs = c->n_docs;
    if (w->file < 0 || write_root_attrs(w->file, meta, &ctx) < 0 ||
        write_corpus_group(w->file, c, &ctx) < 0 || write_documents_group(w->file, c, &ctx) < 0 ||
        create_curve_group(w, &ctx) < 0 || flush(w, &ctx) < 0) {
        results_discard(w);
        return -1;
    }
    *out = w;
    return 0;
}

/* Extends one /curve dataset by n values and writes them at the end. */
static int curve_append_column(results_writer *w, int j, const void *values, size_t n,
                               const h5ctx *c) {
    hsize_t start[1] = {w->n_rows}, count[1] = {n}, size[1] = {w->n_rows + n};
    hid_t d = w->curve[j];
    hid_t mem_type = curve_cols[j].is_int ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
    hid_t fspace = H5Dset_extent(d, size) < 0 ? -1 : H5Dget_space(d);
    hid_t mspace = fspace < 0 ? -1 : H5Screate_simple(1, count, NULL);
    herr_t rc =
        mspace < 0 ? -1 : H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL);
    if (rc >= 0) rc = H5Dwrite(d, mem_type, mspace, fspace, H5P_DEFAULT, values);
    if (rc < 0) h5_fail(c, "cannot append to /curve/%s", curve_cols[j].name);
    if (mspace >= 0) H5Sclose(mspace);
    if (fspace >= 0) H5Sclose(fspace);
    return rc < 0 ? -1 : 0;
}

int results_append_curve(results_writer *w, const curve_row *rows, size_t n, mdl_err *err) {
    h5ctx ctx = {w->path, err};
    if (n == 0) return 0;
    /* Every column is 8 bytes wide (int64 or double): gather it into one buffer. */
    unsigned char *col = malloc(n * 8);
    if (!col) return mdl_fail(err, "%s: out of memory for %zu curve rows", w->path, n);
    int rc = 0;
    for (int j = 0; j < N_CURVE && rc == 0; j++) {
        for (size_t i = 0; i < n; i++)
            memcpy(col + 8 * i, (const unsigned char *)&rows[i] + curve_cols[j].offset, 8);
        rc = curve_append_column(w, j, col, n, &ctx);
    }
    free(col);
    if (rc < 0) return -1;
    w->n_rows += n;
    return flush(w, &ctx);
}

int results_write_document_bits(results_writer *w, const double *preq_bits,
                                const double *final_bits, mdl_err *err) {
    h5ctx ctx = {w->path, err};
    if (preq_bits &&
        dataset_overwrite(w->file, "/documents/preq_bits", preq_bits, w->n_docs, &ctx) < 0)
        return -1;
    if (final_bits &&
        dataset_overwrite(w->file, "/documents/final_bits", final_bits, w->n_docs, &ctx) < 0)
        return -1;
    return flush(w, &ctx);
}

static int write_summary_field(hid_t g, const summary_field *f, const run_summary *s,
                               const h5ctx *c) {
    const char *p = (const char *)s + f->offset;
    switch (f->kind) {
    case F_U64:
        return attr_write_u64(g, f->name, *(const uint64_t *)p, c);
    case F_I64:
        return attr_write_i64(g, f->name, *(const int64_t *)p, c);
    case F_F64:
        return attr_write_f64(g, f->name, *(const double *)p, c);
    case F_STR: {
        char buf[sizeof s->device]; /* the only string field; may lack its terminator */
        snprintf(buf, sizeof buf, "%.*s", (int)sizeof s->device - 1, p);
        return attr_write_str(g, f->name, buf, c);
    }
    }
    return -1;
}

int results_write_summary(results_writer *w, const run_summary *s, mdl_err *err) {
    h5ctx ctx = {w->path, err};
    htri_t exists = H5Lexists(w->file, "summary", H5P_DEFAULT);
    hid_t g = exists > 0    ? H5Gopen2(w->file, "summary", H5P_DEFAULT)
              : exists == 0 ? H5Gcreate2(w->file, "summary", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                            : -1;
    if (g < 0) return h5_fail(&ctx, "cannot create group summary");
    int rc = 0;
    for (size_t i = 0; i < sizeof summary_fields / sizeof summary_fields[0] && rc == 0; i++)
        rc = write_summary_field(g, &summary_fields[i], s, &ctx);
    H5Gclose(g);
    return rc < 0 ? -1 : flush(w, &ctx);
}

int results_commit(results_writer *w, mdl_err *err) {
    h5ctx ctx = {w->path, err};
    int rc = attr_write_str(w->file, "status", "complete", &ctx);
    if (writer_close_h5(w) < 0 && rc == 0) rc = h5_fail(&ctx, "cannot close the file");
    /* Data on disk before the name: a crash never leaves a PATH with missing contents. */
    if (rc == 0 && fsync(w->lock_fd) != 0)
        rc = mdl_fail(err, "%s: cannot sync %s (%s)", w->path, w->partial, strerror(errno));
    if (rc == 0 && rename(w->partial, w->path) != 0)
        rc = mdl_fail(err, "%s: cannot rename %s to %s (%s)", w->path, w->partial, w->path,
                      strerror(errno));
    writer_free(w);
    return rc;
}

int results_close_partial(results_writer *w, const char *status, mdl_err *err) {
    h5ctx ctx = {w->path, err};
    int rc = attr_write_str(w->file, "status", status, &ctx);
    if (writer_close_h5(w) < 0 && rc == 0) rc = h5_fail(&ctx, "cannot close the file");
    if (rc == 0 && fsync(w->lock_fd) != 0)
        rc = mdl_fail(err, "%s: cannot sync %s (%s)", w->path, w->partial, strerror(errno));
    writer_free(w);
    return rc;
}

void results_discard(results_writer *w) {
    if (!w) return;
    writer_close_h5(w);
    if (w->lock_fd >= 0) unlink(w->partial); /* only a file this writer locked */
    writer_free(w);
}

/* ---- readers ------------------------------------------------------------------------ */

static hid_t open_results(const char *path, mdl_err *err) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    struct stat st;
    if (stat(path, &st) != 0)
        return mdl_fail(err, "%s: cannot open results file (%s)", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return mdl_fail(err, "%s: cannot open results file (%s)", path, strerror(EISDIR));
    if (access(path, R_OK) != 0)
        return mdl_fail(err, "%s: cannot open results file (%s)", path, strerror(errno));
    if (H5Fis_hdf5(path) <= 0) return mdl_fail(err, "%s: not an HDF5 file", path);
    h5ctx ctx = {path, err};
    hid_t fapl = fapl_no_locking();
    hid_t f = fapl < 0 ? -1 : H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (f < 0) h5_fail(&ctx, "cannot open results file");
    if (fapl >= 0) H5Pclose(fapl);
    return f;
}

/* Checks format, format_version and (when complete is set) status. */
static int check_root(hid_t f, int complete, const h5ctx *c) {
    char *s = NULL;
    int found = attr_read_str(f, "format", &s, c);
    if (found < 0) return -1;
    if (found && strcmp(s, RESULTS_FORMAT) != 0) {
        mdl_fail(c->err, "%s: not an mdlbench results file (format %s)", c->path, s);
        free(s);
        return -1;
    }
    free(s);
    int64_t version = RESULTS_FORMAT_VERSION;
    if (attr_read_num(f, "format_version", H5T_NATIVE_INT64, &version, c) < 0) return -1;
    if (version > RESULTS_FORMAT_VERSION)
        return mdl_fail(c->err, "%s: results format version %lld is newer than this mdlbench (%d)",
                        c->path, (long long)version, RESULTS_FORMAT_VERSION);
    if (!complete) return 0;
    if ((found = attr_read_str(f, "status", &s, c)) < 0) return -1;
    if (found && strcmp(s, "complete") != 0) {
        mdl_fail(c->err, "%s: run did not complete (status %s)", c->path, s);
        free(s);
        return -1;
    }
    free(s);
    return 0;
}

static int read_summary_field(hid_t g, const summary_field *f, run_summary *s, const h5ctx *c) {
    char *p = (char *)s + f->offset;
    char *str = NULL;
    int found;
    switch (f->kind) {
    case F_U64:
        found = attr_read_num(g, f->name, H5T_NATIVE_UINT64, p, c);
        break;
    case F_I64:
        found = attr_read_num(g, f->name, H5T_NATIVE_INT64, p, c);
        break;
    case F_F64:
        found = attr_read_num(g, f->name, H5T_NATIVE_DOUBLE, p, c);
        break;
    case F_STR:
        found = attr_read_str(g, f->name, &str, c);
        if (found > 0) snprintf(p, sizeof s->device, "%s", str);
        free(str);
        break;
    default:
        found = -1;
    }
    if (found == 0 && f->optional) {
        if (f->kind == F_F64) *(double *)p = NAN;
        return 0;
    }
    if (found == 0) return mdl_fail(c->err, "%s: /summary has no attribute %s", c->path, f->name);
    return found < 0 ? -1 : 0;
}

int results_read_summary(const char *path, run_summary *s, mdl_err *err) {
    h5ctx ctx = {path, err};
    memset(s, 0, sizeof *s);
    hid_t f = open_results(path, err);
    if (f < 0) return -1;
    hid_t g = -1;
    int rc = check_root(f, 1, &ctx) < 0 || group_open(f, "summary", &g, &ctx) < 0 ? -1 : 0;
    for (size_t i = 0; i < sizeof summary_fields / sizeof summary_fields[0] && rc == 0; i++)
        rc = read_summary_field(g, &summary_fields[i], s, &ctx);
    if (g >= 0) H5Gclose(g);
    H5Fclose(f);
    return rc;
}

/* Reads one /curve column (n values of 8 bytes) into rows; the first column sets n. */
static int curve_read_column(hid_t g, int j, curve_row **rows, size_t *n, const h5ctx *c) {
    const curve_col *col = &curve_cols[j];
    hid_t d = H5Dopen2(g, col->name, H5P_DEFAULT);
    if (d < 0) return h5_fail(c, "cannot open /curve/%s", col->name);
    hid_t space = H5Dget_space(d);
    hsize_t len = 0;
    int rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    if (rank == 1) H5Sget_simple_extent_dims(space, &len, NULL);
    if (space >= 0) H5Sclose(space);
    int rc = 0;
    if (rank != 1) {
        rc = mdl_fail(c->err, "%s: /curve/%s is not 1-D", c->path, col->name);
    } else if (j == 0) {
        *n = len;
        *rows = len ? calloc(len, sizeof **rows) : NULL;
        if (len && !*rows) rc = mdl_fail(c->err, "%s: out of memory for the curve", c->path);
    } else if (len != *n) {
        rc = mdl_fail(c->err, "%s: /curve/%s has %llu rows but /curve/step has %zu", c->path,
                      col->name, (unsigned long long)len, *n);
    }
    unsigned char *buf = rc == 0 && len ? malloc(len * 8) : NULL;
    if (rc == 0 && len && !buf) rc = mdl_fail(c->err, "%s: out of memory for the curve", c->path);
    hid_t mem_type = col->is_int ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
    if (rc == 0 && len && H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        rc = h5_fail(c, "cannot read /curve/%s", col->name);
    for (size_t i = 0; rc == 0 && i < len; i++)
        memcpy((unsigned char *)&(*rows)[i] + col->offset, buf + 8 * i, 8);
    free(buf);
    H5Dclose(d);
    return rc;
}

int results_read_curve(const char *path, curve_row **rows, size_t *n, mdl_err *err) {
    h5ctx ctx = {path, err};
    *rows = NULL;
    *n = 0;
    hid_t f = open_results(path, err);
    if (f < 0) return -1;
    hid_t g = -1;
    int rc = check_root(f, 0, &ctx) < 0 || group_open(f, "curve", &g, &ctx) < 0 ? -1 : 0;
    for (int j = 0; j < N_CURVE && rc == 0; j++) rc = curve_read_column(g, j, rows, n, &ctx);
    if (g >= 0) H5Gclose(g);
    H5Fclose(f);
    if (rc < 0) {
        free(*rows);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- for the other parts of the file format (results_internal.h) ------------------- */

hid_t results_writer_file(const results_writer *w) {
    return w->file;
}
const char *results_writer_path(const results_writer *w) {
    return w->path;
}

hid_t results_open_complete(const char *path, mdl_err *err) {
    h5ctx ctx = {path, err};
    hid_t f = open_results(path, err);
    if (f >= 0 && check_root(f, 1, &ctx) < 0) {
        H5Fclose(f);
        return -1;
    }
    return f;
}

void summary_chunked_rates(const run_summary *s, double *raw_percent, double *adjusted_percent) {
    double raw = (double)(s->heldout_chunks * s->chunk_bytes);
    *raw_percent = *adjusted_percent = NAN;
    if (s->heldout_chunks == 0) return;
    *raw_percent = 100.0 * s->heldout_chunked_bpb / 8.0;
    *adjusted_percent =
        100.0 * (s->heldout_chunked_bpb * raw / 8.0 + 2.0 * (double)s->n_params) / raw;
}
