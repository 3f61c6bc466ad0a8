/* Results file: a run written through the results_* API reads back exactly (raw HDF5 C
 * API and the results readers), the .partial file is readable by another process while
 * the run goes on, commit replaces the file atomically, and bad paths give one-line
 * errors with nothing on stderr.
 *
 * MDL_RESULTS_KEEP=FILE writes the committed run to FILE instead of a temporary folder
 * (tests/integration/check_results.py can then be run on it). */
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "results.h"
#include "tests_common.h"

extern char **environ;

#define N_ROWS 1503 /* 3 + 1500: crosses the 1024-row chunk */
#define BYTES_PER_STEP 4
#define N_BYTES (N_ROWS * BYTES_PER_STEP)

static const char *const doc_names[3] = {"/data/a/doc1.txt", "/data/b/\u00fcnic\u00f6de.txt",
                                         "/data/c/doc3"};
static const uint64_t doc_sizes[3] = {2000, 0, N_BYTES - 2000};

static const char config_yaml[] = "model:\n  n_layer: 1\n  d_model: 32\ntrain:\n  segment: 16\n";

/* ---- fixtures ----------------------------------------------------------------------- */

static void make_corpus(corpus *c, corpus_doc *docs) {
    uint64_t offset = 0;
    for (int i = 0; i < 3; i++) {
        docs[i] =
            (corpus_doc){.name = (char *)doc_names[i], .offset = offset, .size = doc_sizes[i]};
        offset += doc_sizes[i];
    }
    *c = (corpus){docs, 3, offset};
}

static run_meta make_meta(uint64_t seed) {
    return (run_meta){.version = "0.1.0",
                      .git_commit = "0123456789abcdef0123456789abcdef01234567",
                      .command_line = "mdlbench run --corpus /data -o r.h5 --set model.n_layer=1",
                      .config_yaml = config_yaml,
                      .seed = seed,
                      .device = "cpu: test CPU \u2014 2 threads",
                      .threads = 2};
}

/* Awkward doubles (not short decimals), plus -0, a subnormal and a NaN, so the read back
 * is checked bit for bit. */
static void make_rows(curve_row *rows, size_t n) {
    double cum = 0;
    for (size_t i = 0; i < n; i++) {
        double bits = BYTES_PER_STEP * (8.0 / (1.0 + 0.001 * (double)i) + 1.0 / 3.0);
        cum += bits;
        rows[i] = (curve_row){(int64_t)i,
                              BYTES_PER_STEP,
                              bits,
                              cum,
                              3e-4 * sqrt((double)i + 1),
                              1.0 / (double)(i + 7),
                              0.01 * (double)i + 1e-7};
    }
    rows[0].lr = -0.0;
    rows[1].grad_norm = 4.9e-320;
    rows[2].grad_norm = NAN;
}

static void make_doc_bits(const curve_row *rows, size_t n, double *preq, double *final) {
    double total = rows[n - 1].cum_bits;
    uint64_t n_bytes = doc_sizes[0] + doc_sizes[1] + doc_sizes[2];
    preq[0] = total * (double)doc_sizes[0] / (double)n_bytes;
    preq[1] = 0;
    preq[2] = total - preq[0];
    final[0] = preq[0] / 3.0;
    final[1] = 0;
    final[2] = preq[2] / 7.0;
}

static void make_summary(run_summary *s, const curve_row *rows, size_t n, const double *final) {
    memset(s, 0, sizeof *s); /* device[] compared with memcmp */
    uint64_t n_bytes = doc_sizes[0] + doc_sizes[1] + doc_sizes[2];
    s->corpus_bytes = n_bytes;
    s->n_documents = 3;
    s->n_params = 123456789012ull;
    s->n_params_nonembedding = 6789;
    s->streams = 4;
    s->steps = n;
    s->preq_bits = rows[n - 1].cum_bits;
    s->preq_bpb = s->preq_bits / (double)n_bytes;
    s->ratio_percent = s->preq_bits / (8.0 * (double)n_bytes) * 100.0;
    s->header_bytes = 77;
    s->compressed_bytes = (uint64_t)ceil(s->preq_bits / 8.0) + s->header_bytes;
    s->first_step_bpb = rows[0].bits / (double)rows[0].bytes;
    s->final_bits = final[0] + final[1] + final[2];
    s->final_bpb = s->final_bits / (double)n_bytes;
    s->info_absorbed_bits = s->preq_bits - s->final_bits;
    s->wall_s = 12.345678901234;
    s->train_s = 10.1 / 3.0;
    s->bytes_per_s = (double)n_bytes / s->train_s;
    s->model_flops_per_byte = 6.0 * 6789 * 2;
    s->achieved_flops = s->model_flops_per_byte * s->bytes_per_s;
    s->peak_flops = 1.59e11;
    s->mfu = s->achieved_flops / s->peak_flops;
    s->threads = 2;
    snprintf(s->device, sizeof s->device, "cpu: test CPU \u2014 2 threads");
}

static char *path_join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static char *partial_of(const char *path) {
    size_t n = strlen(path) + sizeof ".partial";
    char *p = malloc(n);
    snprintf(p, n, "%s.partial", path);
    return p;
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static int same_bits(double a, double b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

/* The j-th float64 column of the curve (0: bits ... 4: elapsed_s). */
static double curve_real(const curve_row *r, int j) {
    const double v[5] = {r->bits, r->cum_bits, r->lr, r->grad_norm, r->elapsed_s};
    return v[j];
}

/* ---- stderr capture: HDF5 must print nothing of its own --------------------------- */

static int saved_stderr = -1;

static void stderr_capture_begin(const char *file) {
    fflush(stderr);
    saved_stderr = dup(2);
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
}

/* Returns the bytes written to stderr since stderr_capture_begin. */
static long stderr_capture_end(const char *file) {
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    struct stat st;
    return stat(file, &st) == 0 ? (long)st.st_size : -1;
}

/* ---- raw HDF5 read-back helpers --------------------------------------------------- */

/* Reads a string attribute, checking that it is a variable-length UTF-8 string. */
static char *raw_attr_str(hid_t obj, const char *name) {
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    CHECKF(a >= 0, "attribute %s missing", name);
    if (a < 0) return strdup("");
    hid_t ft = H5Aget_type(a);
    CHECKF(H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) > 0 &&
               H5Tget_cset(ft) == H5T_CSET_UTF8,
           "attribute %s is not a variable-length UTF-8 string", name);
    H5Tclose(ft);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char *v = NULL;
    CHECK(H5Aread(a, t, &v) >= 0);
    char *copy = strdup(v ? v : "");
    H5free_memory(v);
    H5Tclose(t);
    H5Aclose(a);
    return copy;
}

static void check_attr_str(hid_t obj, const char *name, const char *want) {
    char *got = raw_attr_str(obj, name);
    CHECKF(strcmp(got, want) == 0, "attribute %s = \"%s\", want \"%s\"", name, got, want);
    free(got);
}

/* Checks the stored type of an attribute (class and, for integers, signedness). */
static void check_attr_type(hid_t obj, const char *name, H5T_class_t cls, H5T_sign_t sign) {
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    CHECKF(a >= 0, "attribute %s missing", name);
    if (a < 0) return;
    hid_t t = H5Aget_type(a);
    CHECKF(H5Tget_class(t) == cls && H5Tget_size(t) == 8, "attribute %s: wrong type", name);
    if (cls == H5T_INTEGER) CHECKF(H5Tget_sign(t) == sign, "attribute %s: wrong sign", name);
    H5Tclose(t);
    H5Aclose(a);
}

static void check_attr_u64(hid_t obj, const char *name, uint64_t want) {
    check_attr_type(obj, name, H5T_INTEGER, H5T_SGN_NONE);
    uint64_t got = 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a >= 0) {
        H5Aread(a, H5T_NATIVE_UINT64, &got);
        H5Aclose(a);
    }
    CHECKF(got == want, "attribute %s = %llu, want %llu", name, (unsigned long long)got,
           (unsigned long long)want);
}

static void check_attr_i64(hid_t obj, const char *name, int64_t want) {
    check_attr_type(obj, name, H5T_INTEGER, H5T_SGN_2);
    int64_t got = 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a >= 0) {
        H5Aread(a, H5T_NATIVE_INT64, &got);
        H5Aclose(a);
    }
    CHECKF(got == want, "attribute %s = %lld, want %lld", name, (long long)got, (long long)want);
}

/* Reads a whole 1-D dataset of n 8-byte values (checking its length and stored type). */
static void raw_read_1d(hid_t loc, const char *name, hid_t mem_type, H5T_class_t cls, size_t n,
                        void *out) {
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    CHECKF(d >= 0, "dataset %s missing", name);
    if (d < 0) return;
    hid_t space = H5Dget_space(d), t = H5Dget_type(d);
    hsize_t len = 0;
    CHECK(H5Sget_simple_extent_ndims(space) == 1);
    H5Sget_simple_extent_dims(space, &len, NULL);
    CHECKF(len == n, "dataset %s has %llu values, want %zu", name, (unsigned long long)len, n);
    CHECKF(H5Tget_class(t) == cls && H5Tget_size(t) == 8, "dataset %s: wrong type", name);
    if (len == n) CHECK(H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0);
    H5Tclose(t);
    H5Sclose(space);
    H5Dclose(d);
}

/* ---- checks of a committed file with the raw C API -------------------------------- */

static void check_root_raw(hid_t f, uint64_t seed) {
    run_meta m = make_meta(seed);
    check_attr_str(f, "format", "mdlbench-results");
    check_attr_i64(f, "format_version", 1);
    check_attr_str(f, "mdlbench_version", m.version);
    check_attr_str(f, "git_commit", m.git_commit);
    check_attr_str(f, "command_line", m.command_line);
    check_attr_str(f, "config", m.config_yaml);
    check_attr_u64(f, "seed", seed);
    check_attr_str(f, "device", m.device);
    check_attr_i64(f, "threads", 2);
    check_attr_str(f, "status", "complete");
    char *created = raw_attr_str(f, "created"); /* 2026-01-31T12:00:00Z */
    CHECKF(strlen(created) == 20 && created[4] == '-' && created[10] == 'T' && created[19] == 'Z',
           "created = \"%s\" is not ISO 8601 UTC", created);
    free(created);
}

static void check_documents_raw(hid_t f, const double *preq, const double *final) {
    hid_t c = H5Gopen2(f, "corpus", H5P_DEFAULT);
    CHECK(c >= 0);
    check_attr_u64(c, "n_bytes", N_BYTES);
    check_attr_u64(c, "n_documents", 3);
    H5Gclose(c);

    hid_t g = H5Gopen2(f, "documents", H5P_DEFAULT);
    CHECK(g >= 0);
    hid_t d = H5Dopen2(g, "name", H5P_DEFAULT);
    hid_t ft = H5Dget_type(d);
    CHECK(H5Tis_variable_str(ft) > 0 && H5Tget_cset(ft) == H5T_CSET_UTF8);
    char *names[3] = {0};
    CHECK(H5Dread(d, ft, H5S_ALL, H5S_ALL, H5P_DEFAULT, names) >= 0);
    for (int i = 0; i < 3; i++) {
        CHECKF(names[i] && strcmp(names[i], doc_names[i]) == 0, "document name %d", i);
        H5free_memory(names[i]);
    }
    H5Tclose(ft);
    H5Dclose(d);

    uint64_t u[3];
    double x[3];
    raw_read_1d(g, "offset", H5T_NATIVE_UINT64, H5T_INTEGER, 3, u);
    CHECK(u[0] == 0 && u[1] == doc_sizes[0] && u[2] == doc_sizes[0] + doc_sizes[1]);
    raw_read_1d(g, "bytes", H5T_NATIVE_UINT64, H5T_INTEGER, 3, u);
    CHECK(u[0] == doc_sizes[0] && u[1] == doc_sizes[1] && u[2] == doc_sizes[2]);
    raw_read_1d(g, "preq_bits", H5T_NATIVE_DOUBLE, H5T_FLOAT, 3, x);
    for (int i = 0; i < 3; i++) CHECKF(same_bits(x[i], preq[i]), "preq_bits[%d]", i);
    raw_read_1d(g, "final_bits", H5T_NATIVE_DOUBLE, H5T_FLOAT, 3, x);
    for (int i = 0; i < 3; i++) CHECKF(same_bits(x[i], final[i]), "final_bits[%d]", i);
    H5Gclose(g);
}

static void check_curve_raw(hid_t f, const curve_row *rows, size_t n) {
    static const char *const names[7] = {"step", "bytes",     "bits",     "cum_bits",
                                         "lr",   "grad_norm", "elapsed_s"};
    hid_t g = H5Gopen2(f, "curve", H5P_DEFAULT);
    CHECK(g >= 0);
    char *desc = raw_attr_str(g, "description");
    CHECK(strstr(desc, "cum_bits") != NULL);
    free(desc);
    int64_t *iv = malloc(n * sizeof *iv);
    double *dv = malloc(n * sizeof *dv);
    for (int j = 0; j < 7; j++) {
        hid_t d = H5Dopen2(g, names[j], H5P_DEFAULT);
        hid_t space = H5Dget_space(d), dcpl = H5Dget_create_plist(d);
        hsize_t maxdims = 0, chunk = 0;
        H5Sget_simple_extent_dims(space, NULL, &maxdims);
        CHECKF(maxdims == H5S_UNLIMITED, "/curve/%s is not extendable", names[j]);
        CHECKF(H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_chunk(dcpl, 1, &chunk) == 1 &&
                   chunk == 1024,
               "/curve/%s is not chunked by 1024", names[j]);
        H5Pclose(dcpl);
        H5Sclose(space);
        H5Dclose(d);
        if (j < 2) {
            raw_read_1d(g, names[j], H5T_NATIVE_INT64, H5T_INTEGER, n, iv);
            for (size_t i = 0; i < n; i++)
                CHECKF(iv[i] == (j == 0 ? rows[i].step : rows[i].bytes), "/curve/%s[%zu]", names[j],
                       i);
        } else {
            raw_read_1d(g, names[j], H5T_NATIVE_DOUBLE, H5T_FLOAT, n, dv);
            for (size_t i = 0; i < n; i++) {
                CHECKF(same_bits(dv[i], curve_real(&rows[i], j - 2)), "/curve/%s[%zu]", names[j],
                       i);
            }
        }
    }
    free(iv);
    free(dv);
    H5Gclose(g);
}

static void check_summary_raw(hid_t f, const run_summary *s) {
    hid_t g = H5Gopen2(f, "summary", H5P_DEFAULT);
    CHECK(g >= 0);
    check_attr_u64(g, "corpus_bytes", s->corpus_bytes);
    check_attr_u64(g, "compressed_bytes", s->compressed_bytes);
    check_attr_i64(g, "threads", s->threads);
    check_attr_type(g, "preq_bits", H5T_FLOAT, H5T_SGN_ERROR);
    check_attr_type(g, "mfu", H5T_FLOAT, H5T_SGN_ERROR);
    check_attr_str(g, "device", s->device);
    H5Gclose(g);
}

/* ---- the run ------------------------------------------------------------------------ */

/* Runs this binary as a second process reading the .partial with default HDF5 settings
 * (file locking on, as h5py would), expecting n_rows curve rows. */
static void check_partial_in_other_process(const char *partial, size_t n_rows) {
    char rows_arg[32];
    snprintf(rows_arg, sizeof rows_arg, "%zu", n_rows);
    char *argv[] = {"test_results", "--read-partial", (char *)partial, rows_arg, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ);
    CHECKF(rc == 0, "posix_spawn: %s", strerror(rc));
    int status = 0;
    if (rc == 0) waitpid(pid, &status, 0);
    CHECKF(rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "reading %s from another process failed", partial);
}

/* The child side of check_partial_in_other_process. */
static int read_partial_main(const char *partial, size_t n_rows) {
    hid_t f = H5Fopen(partial, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECKF(f >= 0, "cannot open %s read-only while the run writes it", partial);
    if (f >= 0) {
        check_attr_str(f, "status", "running");
        hid_t d = H5Dopen2(f, "curve/cum_bits", H5P_DEFAULT);
        hid_t space = H5Dget_space(d);
        hsize_t len = 0;
        H5Sget_simple_extent_dims(space, &len, NULL);
        CHECKF(len == n_rows, "partial curve has %llu rows, want %zu", (unsigned long long)len,
               n_rows);
        H5Sclose(space);
        H5Dclose(d);
        H5Fclose(f);
    }
    mdl_err err = {{0}};
    run_summary s;
    CHECK(results_read_summary(partial, &s, &err) < 0);
    CHECKF(strstr(err.msg, ": run did not complete (status running)"), "got: %s", err.msg);
    H5close();
    return tests_failures ? 1 : 0;
}

/* Writes a full run to path; checks the .partial along the way. */
static void write_run(const char *path, uint64_t seed, const curve_row *rows, size_t n,
                      const double *preq, const double *final, const run_summary *s) {
    corpus_doc docs[3];
    corpus c;
    make_corpus(&c, docs);
    run_meta meta = make_meta(seed);
    char *partial = partial_of(path);
    mdl_err err = {{0}};
    results_writer *w = NULL;

    CHECKF(results_create(&w, path, &meta, &c, &err) == 0, "results_create: %s", err.msg);
    if (!w) {
        free(partial);
        return;
    }
    CHECK(exists(partial));
    CHECK(results_append_curve(w, rows, 0, &err) == 0);
    CHECKF(results_append_curve(w, rows, 3, &err) == 0, "append: %s", err.msg);
    check_partial_in_other_process(partial, 3);
    CHECKF(results_append_curve(w, rows + 3, n - 3, &err) == 0, "append: %s", err.msg);
    check_partial_in_other_process(partial, n);

    /* A second run with the same output must not touch the running one's file. */
    results_writer *w2 = NULL;
    CHECK(results_create(&w2, path, &meta, &c, &err) < 0 && w2 == NULL);
    CHECKF(strstr(err.msg, ".partial is being written by another run"), "got: %s", err.msg);
    check_partial_in_other_process(partial, n);

    /* The results readers see the running file too (same process, file still open). */
    curve_row *got = NULL;
    size_t n_got = 0;
    CHECKF(results_read_curve(partial, &got, &n_got, &err) == 0, "read_curve: %s", err.msg);
    CHECK(n_got == n && got && memcmp(got, rows, n * sizeof *rows) == 0);
    free(got);

    CHECKF(results_write_document_bits(w, preq, NULL, &err) == 0, "doc bits: %s", err.msg);
    CHECKF(results_write_document_bits(w, preq, final, &err) == 0, "doc bits: %s", err.msg);
    CHECKF(results_write_summary(w, s, &err) == 0, "summary: %s", err.msg);
    run_summary tmp;
    CHECK(results_read_summary(partial, &tmp, &err) < 0);
    CHECKF(strstr(err.msg, "run did not complete (status running)"), "got: %s", err.msg);
    CHECKF(results_commit(w, &err) == 0, "commit: %s", err.msg);
    CHECK(!exists(partial));
    CHECK(exists(path));
    free(partial);
}

static void check_committed(const char *path, uint64_t seed, const curve_row *rows, size_t n,
                            const double *preq, const double *final, const run_summary *s) {
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECKF(f >= 0, "cannot open %s", path);
    if (f < 0) return;
    check_root_raw(f, seed);
    check_documents_raw(f, preq, final);
    check_curve_raw(f, rows, n);
    check_summary_raw(f, s);
    CHECK(H5Fget_obj_count(f, H5F_OBJ_ALL) == 1); /* only the file itself is open */
    H5Fclose(f);

    mdl_err err = {{0}};
    run_summary got;
    CHECKF(results_read_summary(path, &got, &err) == 0, "read_summary: %s", err.msg);
    CHECK(memcmp(&got, s, sizeof got) == 0);
    curve_row *cr = NULL;
    size_t n_got = 0;
    CHECKF(results_read_curve(path, &cr, &n_got, &err) == 0, "read_curve: %s", err.msg);
    CHECK(n_got == n && cr && memcmp(cr, rows, n * sizeof *rows) == 0);
    free(cr);
}

static void test_round_trip(const char *path) {
    curve_row *rows = malloc(N_ROWS * sizeof *rows);
    double preq[3], final[3];
    run_summary s;
    make_rows(rows, N_ROWS);
    make_doc_bits(rows, N_ROWS, preq, final);
    make_summary(&s, rows, N_ROWS, final);

    write_run(path, 42, rows, N_ROWS, preq, final, &s);
    check_committed(path, 42, rows, N_ROWS, preq, final, &s);

    /* A second run to the same path replaces the first only on commit. */
    corpus_doc docs[3];
    corpus c;
    make_corpus(&c, docs);
    run_meta meta = make_meta(7);
    mdl_err err = {{0}};
    results_writer *w = NULL;
    CHECKF(results_create(&w, path, &meta, &c, &err) == 0, "results_create: %s", err.msg);
    if (w) {
        CHECK(results_append_curve(w, rows, N_ROWS, &err) == 0);
        CHECK(results_write_document_bits(w, preq, final, &err) == 0);
        CHECK(results_write_summary(w, &s, &err) == 0);
        check_committed(path, 42, rows, N_ROWS, preq, final, &s); /* old file untouched */
        CHECKF(results_commit(w, &err) == 0, "commit: %s", err.msg);
    }
    check_committed(path, 7, rows, N_ROWS, preq, final, &s);
    free(rows);
}

/* An empty corpus still gives a well-formed file (zero-length datasets). */
static void test_empty(const char *dir) {
    char *path = path_join(dir, "empty.h5");
    corpus c = {NULL, 0, 0};
    run_meta meta = {0}; /* NULL strings are written as "" */
    mdl_err err = {{0}};
    results_writer *w = NULL;
    CHECKF(results_create(&w, path, &meta, &c, &err) == 0, "results_create: %s", err.msg);
    if (w) CHECKF(results_commit(w, &err) == 0, "commit: %s", err.msg);
    curve_row *rows = (curve_row *)1;
    size_t n = 99;
    CHECKF(results_read_curve(path, &rows, &n, &err) == 0, "read_curve: %s", err.msg);
    CHECK(rows == NULL && n == 0);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    check_attr_str(f, "git_commit", "");
    check_attr_str(f, "status", "complete");
    H5Fclose(f);
    free(path);
}

static void test_discard(const char *dir) {
    char *path = path_join(dir, "discard.h5");
    char *partial = partial_of(path);
    corpus_doc docs[3];
    corpus c;
    make_corpus(&c, docs);
    run_meta meta = make_meta(1);
    curve_row rows[3];
    make_rows(rows, 3);
    mdl_err err = {{0}};
    results_writer *w = NULL;
    CHECK(results_create(&w, path, &meta, &c, &err) == 0);
    CHECK(results_append_curve(w, rows, 3, &err) == 0);
    CHECK(exists(partial));
    results_discard(w);
    results_discard(NULL);
    CHECK(!exists(partial) && !exists(path));
    free(partial);
    free(path);
}

static void copy_prefix(const char *from, const char *to, size_t n) {
    char buf[4096];
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    CHECK(in && out && n <= sizeof buf);
    if (in && out) {
        size_t got = fread(buf, 1, n, in);
        CHECK(fwrite(buf, 1, got, out) == got);
    }
    if (in) fclose(in);
    if (out) fclose(out);
}

static void expect_msg(const mdl_err *err, const char *want) {
    CHECKF(strcmp(err->msg, want) == 0, "error\n  got:  %s\n  want: %s", err->msg, want);
    CHECKF(!strchr(err->msg, '\n'), "error message has a newline: %s", err->msg);
}

/* Every bad path gives exactly one line in err and nothing on stderr. */
static void test_errors(const char *dir, const char *committed) {
    char *capture = path_join(dir, "stderr.txt");
    char want[2048];
    mdl_err err = {{0}};
    corpus_doc docs[3];
    corpus c;
    make_corpus(&c, docs);
    run_meta meta = make_meta(1);
    run_summary s;
    results_writer *w = NULL;
    curve_row *rows = NULL;
    size_t n = 0;

    stderr_capture_begin(capture);

    /* create in a missing directory */
    char *missing_dir = path_join(dir, "no_such_dir");
    char *missing = path_join(missing_dir, "x.h5");
    CHECK(results_create(&w, missing, &meta, &c, &err) < 0 && w == NULL);
    snprintf(want, sizeof want, "%s: cannot create results file (No such file or directory)",
             missing);
    expect_msg(&err, want);
    CHECK(!exists(missing_dir));

    /* create where PATH is a directory */
    CHECK(results_create(&w, dir, &meta, &c, &err) < 0 && w == NULL);
    snprintf(want, sizeof want, "%s: cannot create results file (Is a directory)", dir);
    expect_msg(&err, want);

    /* read a missing file */
    CHECK(results_read_summary(missing, &s, &err) < 0);
    snprintf(want, sizeof want, "%s: cannot open results file (No such file or directory)",
             missing);
    expect_msg(&err, want);
    CHECK(results_read_curve(missing, &rows, &n, &err) < 0 && rows == NULL && n == 0);
    expect_msg(&err, want);

    /* read a file that is not HDF5 */
    char *text = path_join(dir, "text.h5");
    FILE *fp = fopen(text, "w");
    fputs("hello, not hdf5\n", fp);
    fclose(fp);
    CHECK(results_read_summary(text, &s, &err) < 0);
    snprintf(want, sizeof want, "%s: not an HDF5 file", text);
    expect_msg(&err, want);

    /* read an HDF5 file that is not ours */
    char *other = path_join(dir, "other.h5");
    hid_t f = H5Fcreate(other, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Fclose(f);
    CHECK(results_read_summary(other, &s, &err) < 0);
    snprintf(want, sizeof want, "%s: not an mdlbench results file (no /summary group)", other);
    expect_msg(&err, want);
    CHECK(results_read_curve(other, &rows, &n, &err) < 0);
    snprintf(want, sizeof want, "%s: not an mdlbench results file (no /curve group)", other);
    expect_msg(&err, want);

    /* read a truncated HDF5 file: the reason comes from HDF5's error stack */
    char *trunc = path_join(dir, "truncated.h5");
    copy_prefix(committed, trunc, 1500);
    CHECK(results_read_summary(trunc, &s, &err) < 0);
    snprintf(want, sizeof want, "%s: cannot open results file (", trunc);
    CHECKF(strncmp(err.msg, want, strlen(want)) == 0 && err.msg[strlen(err.msg) - 1] == ')',
           "got: %s", err.msg);
    CHECKF(!strchr(err.msg, '\n'), "error message has a newline: %s", err.msg);

    /* read an interrupted run (the writer never committed) */
    char *run = path_join(dir, "interrupted.h5");
    char *partial = partial_of(run);
    CHECK(results_create(&w, run, &meta, &c, &err) == 0);
    CHECK(results_read_summary(partial, &s, &err) < 0);
    snprintf(want, sizeof want, "%s: run did not complete (status running)", partial);
    expect_msg(&err, want);
    results_discard(w);

    long n_stderr = stderr_capture_end(capture);
    CHECKF(n_stderr == 0, "%ld bytes written to stderr (see %s)", n_stderr, capture);

    free(partial);
    free(run);
    free(trunc);
    free(other);
    free(text);
    free(missing);
    free(missing_dir);
    free(capture);
}

/* A committed file edited afterwards: a missing /summary attribute, a newer format. */
static void test_bad_contents(const char *dir) {
    char *path = path_join(dir, "edited.h5");
    corpus c = {NULL, 0, 0};
    run_meta meta = make_meta(3);
    run_summary s = {0}, got;
    char want[2048];
    mdl_err err = {{0}};
    results_writer *w = NULL;
    CHECK(results_create(&w, path, &meta, &c, &err) == 0);
    if (!w) {
        free(path);
        return;
    }
    CHECK(results_write_summary(w, &s, &err) == 0);
    CHECK(results_write_summary(w, &s, &err) == 0); /* a second write overwrites */
    CHECK(results_commit(w, &err) == 0);
    CHECKF(results_read_summary(path, &got, &err) == 0, "read_summary: %s", err.msg);

    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t g = H5Gopen2(f, "summary", H5P_DEFAULT);
    CHECK(H5Adelete(g, "mfu") >= 0);
    H5Gclose(g);
    H5Fclose(f);
    CHECK(results_read_summary(path, &got, &err) < 0);
    snprintf(want, sizeof want, "%s: /summary has no attribute mfu", path);
    expect_msg(&err, want);

    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
    int64_t v = 2;
    CHECK(H5Awrite(a, H5T_NATIVE_INT64, &v) >= 0);
    H5Aclose(a);
    H5Fclose(f);
    CHECK(results_read_summary(path, &got, &err) < 0);
    snprintf(want, sizeof want, "%s: results format version 2 is newer than this mdlbench (1)",
             path);
    expect_msg(&err, want);
    free(path);
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--read-partial") == 0)
        return read_partial_main(argv[2], (size_t)strtoull(argv[3], NULL, 10));

    char *dir = tests_tmpdir();
    const char *keep = getenv("MDL_RESULTS_KEEP");
    char *path = keep && *keep ? strdup(keep) : path_join(dir, "r.h5");

    test_round_trip(path);
    test_empty(dir);
    test_discard(dir);
    test_errors(dir, path);
    test_bad_contents(dir);
    /* every file, group, dataset and attribute the library opened is closed again */
    CHECK(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0);

    if (!tests_failures) { /* leave nothing behind but a kept file */
        static const char *const files[] = {"r.h5",         "empty.h5",  "text.h5",   "other.h5",
                                            "truncated.h5", "edited.h5", "stderr.txt"};
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            char *p = path_join(dir, files[i]);
            unlink(p);
            free(p);
        }
        rmdir(dir);
    }
    free(path);
    free(dir);
    H5close();
    return tests_done("test_results");
}
