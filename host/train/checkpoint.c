/* Checkpoint files (checkpoint.h). */
#include "checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "h5util.h"
#include "model.h"
#include "version.h"

/* 2: the segment memory; 3: the checksum covers the root attributes and the configuration;
 * 4: XXH3-64 (libxxhash) for the checksum and the corpus fingerprint, in place of FNV-1a */
enum { FORMAT_VERSION = 5 };
static const char FORMAT[] = "mdlbench-checkpoint";

uint64_t corpus_fingerprint(const corpus *c) {
    XXH3_state_t *st = XXH3_createState();
    if (!st) return 0; /* out of memory: a fingerprint that matches no checkpoint */
    XXH3_64bits_reset(st);
    for (size_t d = 0; d < c->n_docs; d++) {
        uint64_t meta[2] = {c->docs[d].size, (uint64_t)(c->docs[d].held_out != 0)};
        XXH3_64bits_update(st, meta, sizeof meta);
        if (c->docs[d].size) XXH3_64bits_update(st, c->docs[d].bytes, (size_t)c->docs[d].size);
    }
    uint64_t h = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return h;
}

/* ---- the payload: every dataset, in one table, so writing, reading and the checksum
 * walk the same list ------------------------------------------------------------------ */

typedef struct column {
    const char *name; /* path in the file */
    void *data;
    size_t n;
    hid_t file_type, mem_type;
    size_t elem;
} column;

#define CURVE_COLUMNS 7
#define MAX_COLUMNS (10 + CURVE_COLUMNS) /* model 4, documents 1, passes 5 */

/* The curve is written column by column from these scratch arrays. */
typedef struct curve_columns {
    int64_t *step, *bytes;
    double *bits, *cum_bits, *lr, *grad_norm, *elapsed_s;
} curve_columns;

static int curve_columns_alloc(curve_columns *cc, size_t n) {
    size_t m = n ? n : 1;
    cc->step = malloc(m * 8), cc->bytes = malloc(m * 8), cc->bits = malloc(m * 8);
    cc->cum_bits = malloc(m * 8), cc->lr = malloc(m * 8), cc->grad_norm = malloc(m * 8);
    cc->elapsed_s = malloc(m * 8);
    return cc->step && cc->bytes && cc->bits && cc->cum_bits && cc->lr && cc->grad_norm &&
                   cc->elapsed_s
               ? 0
               : -1;
}

static void curve_columns_free(curve_columns *cc) {
    free(cc->step), free(cc->bytes), free(cc->bits), free(cc->cum_bits), free(cc->lr);
    free(cc->grad_norm), free(cc->elapsed_s);
}

static size_t list_columns(const preq_checkpoint *cp, double *passes3, curve_columns *cc,
                           column *c) {
    hid_t f32 = sizeof(real) == 4 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
    hid_t m32 = sizeof(real) == 4 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
    size_t P = cp->n_params, E = cp->n_passes, K = cp->n_curve, n = 0;
    c[n++] = (column){"/model/params", cp->params, P, f32, m32, sizeof(real)};
    c[n++] = (column){"/model/adam_m", cp->adam_m, P, f32, m32, sizeof(real)};
    c[n++] = (column){"/model/adam_v", cp->adam_v, P, f32, m32, sizeof(real)};
    static real no_memory; /* init-weights writes none: a valid buffer for 0 values */
    c[n++] = (column){"/model/memory", cp->memory ? cp->memory : &no_memory, cp->n_memory, f32, m32,
                      sizeof(real)};
    c[n++] = (column){"/doc_preq_bits", cp->doc_preq_bits, cp->n_docs,
                      H5T_IEEE_F64LE,   H5T_NATIVE_DOUBLE, 8};
    c[n++] = (column){"/passes/train_bits", passes3, E, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 8};
    c[n++] = (column){"/passes/eval_bits", passes3 + E, E, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 8};
    c[n++] =
        (column){"/passes/heldout_bits", passes3 + 2 * E, E, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 8};
    static double no_rows; /* init-weights has no documents: a valid buffer for 0 values */
    c[n++] = (column){"/passes/document_bits", cp->pass_doc_bits ? cp->pass_doc_bits : &no_rows,
                      E * cp->n_docs,          H5T_IEEE_F64LE,
                      H5T_NATIVE_DOUBLE,       8};
    c[n++] = (column){"/passes/heldout_document_bits",
                      cp->pass_held_bits ? cp->pass_held_bits : &no_rows,
                      E * cp->n_held,
                      H5T_IEEE_F64LE,
                      H5T_NATIVE_DOUBLE,
                      8};
    c[n++] = (column){"/curve/step", cc->step, K, H5T_STD_I64LE, H5T_NATIVE_INT64, 8};
    c[n++] = (column){"/curve/bytes", cc->bytes, K, H5T_STD_I64LE, H5T_NATIVE_INT64, 8};
    c[n++] = (column){"/curve/bits", cc->bits, K, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 8};
    c[n++] = (column){"/curve/cum_bits", cc->cum_bits, K, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 8};
    c[n++] = (column){"/curve/lr", cc->lr, K, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 8};
    c[n++] = (column){"/curve/grad_norm", cc->grad_norm, K, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 8};
    c[n++] = (column){"/curve/elapsed_s", cc->elapsed_s, K, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 8};
    return n;
}

/* ---- root attributes ------------------------------------------------------------------ */

typedef struct scalar_attr {
    const char *name;
    void *value;
    int is_double;
} scalar_attr;

static size_t list_scalars(preq_checkpoint *cp, uint64_t *sum, scalar_attr *a) {
    size_t n = 0;
    a[n++] = (scalar_attr){"corpus_bytes", &cp->corpus_bytes, 0};
    a[n++] = (scalar_attr){"corpus_documents", &cp->corpus_documents, 0};
    a[n++] = (scalar_attr){"corpus_hash", &cp->corpus_hash, 0};
    a[n++] = (scalar_attr){"pass", &cp->pass, 0};
    a[n++] = (scalar_attr){"step", &cp->step, 0};
    a[n++] = (scalar_attr){"adam_t", &cp->adam_t, 0};
    a[n++] = (scalar_attr){"first_step_bytes", &cp->first_step_bytes, 0};
    a[n++] = (scalar_attr){"checksum", sum, 0};
    a[n++] = (scalar_attr){"pass_bits", &cp->pass_bits, 1};
    a[n++] = (scalar_attr){"first_step_bits", &cp->first_step_bits, 1};
    a[n++] = (scalar_attr){"model_flops", &cp->model_flops, 1};
    a[n++] = (scalar_attr){"train_s", &cp->train_s, 1};
    return n;
}

/* Everything the reader uses: the datasets, the scalar attributes (but the checksum
 * itself) and the configuration, so that an edited step or one flipped bit in any of them
 * is caught. */
_Static_assert(sizeof(double) == 8 && sizeof(uint64_t) == 8, "scalar attributes are 8 bytes");
static uint64_t checksum(const column *c, size_t n, const scalar_attr *a, size_t na,
                         const char *config) {
    XXH3_state_t *st = XXH3_createState();
    if (!st) return 0; /* out of memory: a checksum no file holds */
    XXH3_64bits_reset(st);
    for (size_t i = 0; i < n; i++) XXH3_64bits_update(st, c[i].data, c[i].n * c[i].elem);
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i].name, "checksum") != 0) XXH3_64bits_update(st, a[i].value, 8);
    if (config) XXH3_64bits_update(st, config, strlen(config));
    uint64_t h = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return h;
}

/* tensor_names and tensor_sizes: small array attributes for readers (scripts/torch_ref.py). */
static int write_tensor_table(hid_t f, const preq_checkpoint *cp, const h5ctx *c) {
    hsize_t dims = MDL_NUM_PARAM_TENSORS;
    uint64_t sizes[MDL_NUM_PARAM_TENSORS];
    const char *names[MDL_NUM_PARAM_TENSORS];
    for (int i = 0; i < MDL_NUM_PARAM_TENSORS; i++) {
        sizes[i] = cp->tensor_sizes[i];
        names[i] = model_tensor_name(i);
    }
    hid_t space = H5Screate_simple(1, &dims, NULL), str = utf8_type();
    hid_t a1 = space < 0 || str < 0
                   ? -1
                   : H5Acreate2(f, "tensor_names", str, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a1 < 0 || H5Awrite(a1, str, names) < 0 ? -1 : 0;
    hid_t a2 =
        rc < 0 ? -1 : H5Acreate2(f, "tensor_sizes", H5T_STD_U64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    if (rc == 0 && (a2 < 0 || H5Awrite(a2, H5T_NATIVE_UINT64, sizes) < 0)) rc = -1;
    if (rc < 0) h5_fail(c, "cannot write the tensor table");
    if (a1 >= 0) H5Aclose(a1);
    if (a2 >= 0) H5Aclose(a2);
    if (str >= 0) H5Tclose(str);
    if (space >= 0) H5Sclose(space);
    return rc;
}

static int sync_path(const char *path, int directory) {
    int fd = open(path, O_RDONLY | (directory ? O_DIRECTORY : 0));
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int checkpoint_write_file(const char *path, const preq_checkpoint *cp_in, mdl_err *err) {
    preq_checkpoint cp = *cp_in;
    size_t E = cp.n_passes;
    double *passes3 = malloc((E ? E : 1) * 3 * sizeof *passes3);
    curve_columns cc = {0};
    if (!passes3 || curve_columns_alloc(&cc, cp.n_curve) != 0) {
        free(passes3);
        curve_columns_free(&cc);
        return mdl_fail(err, "%s: out of memory writing the checkpoint", path);
    }
    for (size_t e = 0; e < E; e++) {
        passes3[e] = cp.passes[e].train_bits;
        passes3[E + e] = cp.passes[e].eval_bits;
        passes3[2 * E + e] = cp.passes[e].heldout_bits;
    }
    for (size_t k = 0; k < cp.n_curve; k++) {
        const curve_row *r = &cp.curve[k];
        cc.step[k] = r->step, cc.bytes[k] = r->bytes, cc.bits[k] = r->bits;
        cc.cum_bits[k] = r->cum_bits, cc.lr[k] = r->lr, cc.grad_norm[k] = r->grad_norm;
        cc.elapsed_s[k] = r->elapsed_s;
    }
    column cols[MAX_COLUMNS];
    size_t nc = list_columns(&cp, passes3, &cc, cols);
    uint64_t sum = 0;
    scalar_attr attrs[16];
    size_t na = list_scalars(&cp, &sum, attrs);
    sum = checksum(cols, nc, attrs, na, cp.config_yaml ? cp.config_yaml : "");

    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    h5ctx ctx = {tmp, err};
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fapl = fapl_no_locking();
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (fapl >= 0) H5Pclose(fapl);
    int rc = f < 0 ? h5_fail(&ctx, "cannot create the checkpoint") : 0;
    hid_t g = -1;
    if (rc == 0)
        rc = attr_write_str(f, "format", FORMAT, &ctx) < 0 ||
                     attr_write_i64(f, "format_version", FORMAT_VERSION, &ctx) < 0 ||
                     attr_write_str(f, "mdlbench_version", mdl_version, &ctx) < 0 ||
                     attr_write_str(f, "config", cp.config_yaml ? cp.config_yaml : "", &ctx) < 0 ||
                     write_tensor_table(f, &cp, &ctx) < 0
                 ? -1
                 : 0;
    for (size_t i = 0; i < na && rc == 0; i++)
        rc = attrs[i].is_double
                 ? attr_write_f64(f, attrs[i].name, *(double *)attrs[i].value, &ctx)
                 : attr_write_u64(f, attrs[i].name, *(uint64_t *)attrs[i].value, &ctx);
    static const char *const groups[] = {"model", "passes", "curve"};
    for (size_t i = 0; i < 3 && rc == 0; i++) {
        rc = group_create(f, groups[i], &g, &ctx);
        if (rc == 0) H5Gclose(g);
    }
    for (size_t i = 0; i < nc && rc == 0; i++)
        rc = dataset_write_1d(f, cols[i].name, cols[i].file_type, cols[i].mem_type, cols[i].n,
                              cols[i].data, &ctx);
    if (f >= 0 && H5Fclose(f) < 0 && rc == 0) rc = h5_fail(&ctx, "cannot close the checkpoint");
    free(passes3);
    curve_columns_free(&cc);
    /* contents on disk before the name, and the name before anyone relies on it */
    if (rc == 0 && sync_path(tmp, 0) != 0)
        rc = mdl_fail(err, "%s: cannot sync (%s)", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0)
        rc = mdl_fail(err, "%s: cannot rename %s to it (%s)", path, tmp, strerror(errno));
    if (rc != 0) {
        unlink(tmp);
        return rc;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    sync_path(slash ? dir : ".", 1);
    return 0;
}

/* ---- the directory ------------------------------------------------------------------- */

static int parse_name(const char *name, uint64_t *pass, uint64_t *step) {
    char tail[8];
    return sscanf(name, "step-%" SCNu64 "-%" SCNu64 "%7s", pass, step, tail) == 3 &&
           strcmp(tail, ".ckpt") == 0;
}

typedef struct found {
    uint64_t pass, step;
    char *name;
} found;

static int by_position(const void *a, const void *b) {
    const found *x = a, *y = b;
    if (x->pass != y->pass) return x->pass < y->pass ? -1 : 1;
    return x->step < y->step ? -1 : x->step > y->step;
}

/* The checkpoints of dir, oldest first; 1 when dir does not exist. */
static int list_dir(const char *dir, found **out, size_t *n, mdl_err *err) {
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d && errno == ENOENT) return 1;
    if (!d)
        return mdl_fail(err, "%s: cannot read the checkpoint directory (%s)", dir, strerror(errno));
    size_t cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) && rc == 0) {
        found f;
        if (!parse_name(e->d_name, &f.pass, &f.step)) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            found *grown = realloc(*out, cap * sizeof *grown);
            if (!grown) {
                rc = mdl_fail(err, "out of memory listing %s", dir);
                break;
            }
            *out = grown;
        }
        if (!(f.name = strdup(e->d_name)))
            rc = mdl_fail(err, "out of memory listing %s", dir);
        else
            (*out)[(*n)++] = f;
    }
    closedir(d);
    if (*n) qsort(*out, *n, sizeof **out, by_position);
    return rc;
}

static void free_found(found *f, size_t n) {
    for (size_t i = 0; i < n; i++) free(f[i].name);
    free(f);
}

int checkpoint_dir_take(const char *dir, int *fd, mdl_err *err) {
    *fd = -1;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return mdl_fail(err, "%s: cannot create the checkpoint directory (%s)", dir,
                        strerror(errno));
    int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0)
        return mdl_fail(err, "%s: cannot open the checkpoint directory (%s)", dir, strerror(errno));
    if (flock(d, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(d);
        if (e == EWOULDBLOCK)
            return mdl_fail(err,
                            "%s: the checkpoint directory is in use by another run (give "
                            "this one its own --checkpoint-dir)",
                            dir);
        return mdl_fail(err, "%s: cannot lock the checkpoint directory (%s)", dir, strerror(e));
    }
    *fd = d;
    return 0;
}

void checkpoint_dir_release(const char *dir, int fd) {
    if (fd < 0) return;
    rmdir(dir); /* only succeeds when empty */
    close(fd);
}

int checkpoint_write(const char *dir, const preq_checkpoint *cp, unsigned keep, char **written,
                     mdl_err *err) {
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return mdl_fail(err, "%s: cannot create the checkpoint directory (%s)", dir,
                        strerror(errno));
    size_t len = strlen(dir) + 64;
    char *path = malloc(len);
    if (!path) return mdl_fail(err, "out of memory");
    snprintf(path, len, "%s/step-%05" PRIu64 "-%010" PRIu64 ".ckpt", dir, cp->pass, cp->step);
    if (checkpoint_write_file(path, cp, err) != 0) {
        free(path);
        return -1;
    }
    found *all;
    size_t n;
    if (keep > 0 && list_dir(dir, &all, &n, err) == 0) {
        for (size_t i = 0; i + keep < n; i++) {
            char old[4096];
            snprintf(old, sizeof old, "%s/%s", dir, all[i].name);
            unlink(old);
        }
        free_found(all, n);
    }
    *written = path;
    return 0;
}

int checkpoint_list(const char *dir, char ***paths, size_t *n, mdl_err *err) {
    found *all;
    *paths = NULL, *n = 0;
    size_t count;
    int rc = list_dir(dir, &all, &count, err);
    if (rc == 1) return 0; /* no directory: no checkpoint */
    if (rc != 0) return rc;
    char **list = calloc(count ? count : 1, sizeof *list);
    for (size_t i = 0; list && i < count; i++) {
        size_t len = strlen(dir) + strlen(all[count - 1 - i].name) + 2;
        if (!(list[i] = malloc(len))) break;
        snprintf(list[i], len, "%s/%s", dir, all[count - 1 - i].name);
    }
    free_found(all, count);
    if (!list || (count && !list[count - 1])) {
        checkpoint_list_free(list, count);
        return mdl_fail(err, "out of memory");
    }
    *paths = list, *n = count;
    return 0;
}

void checkpoint_list_free(char **paths, size_t n) {
    for (size_t i = 0; paths && i < n; i++) free(paths[i]);
    free(paths);
}

/* ---- reading ------------------------------------------------------------------------- */

void checkpoint_free(preq_checkpoint *cp) {
    free(cp->params), free(cp->adam_m), free(cp->adam_v), free(cp->memory), free(cp->passes);
    free(cp->doc_preq_bits), free(cp->curve), free(cp->config_yaml);
    free(cp->pass_doc_bits), free(cp->pass_held_bits);
    memset(cp, 0, sizeof *cp);
}

int checkpoint_read(const char *path, preq_checkpoint *cp, mdl_err *err) {
    memset(cp, 0, sizeof *cp);
    h5ctx ctx = {path, err};
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors go into err, not onto stderr */
    if (access(path, R_OK) != 0)
        return mdl_fail(err, "%s: cannot open the checkpoint (%s)", path, strerror(errno));
    hid_t fapl = fapl_no_locking();
    hid_t f = -1;
    H5E_BEGIN_TRY {
        f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    }
    H5E_END_TRY;
    if (fapl >= 0) H5Pclose(fapl);
    if (f < 0)
        return mdl_fail(err, "%s: not a readable checkpoint (truncated or damaged HDF5 file)",
                        path);
    char *format = NULL;
    int64_t version = 0;
    int rc = attr_read_str(f, "format", &format, &ctx) > 0 && strcmp(format, FORMAT) == 0
                 ? 0
                 : mdl_fail(err, "%s: not an mdlbench checkpoint", path);
    free(format);
    if (rc == 0 && (attr_read_num(f, "format_version", H5T_NATIVE_INT64, &version, &ctx) <= 0 ||
                    version != FORMAT_VERSION))
        rc = mdl_fail(err, "%s: checkpoint format version %lld, this mdlbench reads %d", path,
                      (long long)version, FORMAT_VERSION);
    uint64_t sum = 0;
    scalar_attr attrs[16];
    size_t na = list_scalars(cp, &sum, attrs);
    for (size_t i = 0; i < na && rc == 0; i++)
        if (attr_read_num(f, attrs[i].name,
                          attrs[i].is_double ? H5T_NATIVE_DOUBLE : H5T_NATIVE_UINT64,
                          attrs[i].value, &ctx) <= 0)
            rc = mdl_fail(err, "%s: damaged checkpoint (attribute %s missing or not one number)",
                          path, attrs[i].name);
    if (rc == 0 && attr_read_str(f, "config", &cp->config_yaml, &ctx) <= 0)
        rc = mdl_fail(err, "%s: damaged checkpoint (no configuration)", path);
    long long P = rc == 0 ? dataset_length(f, "/model/params") : -1;
    long long D = rc == 0 ? dataset_length(f, "/doc_preq_bits") : -1;
    long long E = rc == 0 ? dataset_length(f, "/passes/train_bits") : -1;
    long long K = rc == 0 ? dataset_length(f, "/curve/step") : -1;
    long long Mem = rc == 0 ? dataset_length(f, "/model/memory") : -1;
    long long ED = rc == 0 ? dataset_length(f, "/passes/document_bits") : -1;
    long long EH = rc == 0 ? dataset_length(f, "/passes/heldout_document_bits") : -1;
    if (rc == 0 && (P < 0 || D < 0 || E < 0 || K < 0 || Mem < 0 || ED < 0 || EH < 0))
        rc = mdl_fail(err, "%s: damaged checkpoint (a dataset is missing)", path);
    if (rc == 0 && (ED != E * D || (E == 0 ? EH != 0 : EH % E != 0)))
        rc = mdl_fail(err,
                      "%s: damaged checkpoint (the per-pass document tables hold %lld and "
                      "%lld values for %lld passes and %lld documents)",
                      path, ED, EH, E, D);
    double *passes3 = NULL;
    curve_columns cc = {0};
    if (rc == 0) {
        cp->n_params = (size_t)P, cp->n_docs = (size_t)D, cp->n_passes = (size_t)E;
        cp->n_curve = (size_t)K, cp->n_memory = (size_t)Mem;
        size_t bytes = cp->n_params ? cp->n_params * sizeof(real) : 1;
        cp->params = malloc(bytes), cp->adam_m = malloc(bytes), cp->adam_v = malloc(bytes);
        cp->doc_preq_bits = malloc((D ? D : 1) * sizeof(double));
        cp->n_held = E ? (size_t)(EH / E) : 0;
        cp->pass_doc_bits = malloc((ED ? ED : 1) * sizeof(double));
        cp->pass_held_bits = malloc((EH ? EH : 1) * sizeof(double));
        cp->memory = malloc((Mem ? Mem : 1) * sizeof(real));
        cp->passes = malloc((E ? E : 1) * sizeof *cp->passes);
        cp->curve = malloc((K ? K : 1) * sizeof *cp->curve);
        passes3 = malloc((E ? E : 1) * 3 * sizeof *passes3);
        if (!cp->params || !cp->adam_m || !cp->adam_v || !cp->memory || !cp->doc_preq_bits ||
            !cp->passes || !cp->curve || !passes3 || !cp->pass_doc_bits || !cp->pass_held_bits ||
            curve_columns_alloc(&cc, cp->n_curve) != 0)
            rc = mdl_fail(err, "%s: out of memory reading the checkpoint", path);
    }
    column cols[MAX_COLUMNS];
    size_t nc = rc == 0 ? list_columns(cp, passes3, &cc, cols) : 0;
    for (size_t i = 0; i < nc && rc == 0; i++)
        if (dataset_read_1d(f, cols[i].name, cols[i].mem_type, cols[i].data, cols[i].n, &ctx) != 0)
            rc = mdl_fail(err, "%s: damaged checkpoint (%s cannot be read)", path, cols[i].name);
    if (rc == 0 && checksum(cols, nc, attrs, na, cp->config_yaml) != sum)
        rc = mdl_fail(err, "%s: damaged checkpoint (checksum mismatch): refusing to resume from it",
                      path);
    for (size_t e = 0; rc == 0 && e < cp->n_passes; e++)
        cp->passes[e] = (pass_row){passes3[e], passes3[E + e], passes3[2 * E + e]};
    for (size_t k = 0; rc == 0 && k < cp->n_curve; k++)
        cp->curve[k] = (curve_row){cc.step[k], cc.bytes[k],     cc.bits[k],     cc.cum_bits[k],
                                   cc.lr[k],   cc.grad_norm[k], cc.elapsed_s[k]};
    free(passes3);
    curve_columns_free(&cc);
    H5Fclose(f);
    if (rc != 0) checkpoint_free(cp);
    return rc;
}
