/* Small HDF5 helpers (see h5util.h). */
#include "h5util.h"

#include "utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reason_buf {
    char *buf;
    size_t n;
    int done;
} reason_buf;

/* Takes the innermost (most specific) entry of the error stack: the operating system's
 * message when HDF5 recorded one (e.g. "No space left on device"), else HDF5's minor
 * message (e.g. "Unable to open file"). */
static herr_t reason_cb(unsigned idx, const H5E_error2_t *e, void *data) {
    reason_buf *r = data;
    (void)idx;
    if (r->done) return 0;
    r->done = 1;
    static const char key[] = "error message = '";
    const char *os = e->desc ? strstr(e->desc, key) : NULL;
    if (os) {
        os += sizeof key - 1;
        snprintf(r->buf, r->n, "%.*s", (int)strcspn(os, "'"), os);
    } else if (H5Eget_msg(e->min_num, NULL, r->buf, r->n) <= 0) {
        snprintf(r->buf, r->n, "HDF5 error");
    }
    return 0;
}

/* Must run right after the failing call: any further HDF5 call clears the stack. */
static void hdf5_reason(char *buf, size_t n) {
    reason_buf r = {buf, n, 0};
    snprintf(buf, n, "HDF5 error");
    hid_t stack = H5Eget_current_stack();
    if (stack < 0) return;
    H5Ewalk2(stack, H5E_WALK_UPWARD, reason_cb, &r);
    H5Eclose_stack(stack);
}

/* "PATH: WHAT (REASON)" with the reason taken from HDF5's error stack. */
int h5_fail(const h5ctx *c, const char *fmt, ...) {
    char reason[256], what[512];
    hdf5_reason(reason, sizeof reason);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return mdl_fail(c->err, "%s: %s (%s)", c->path, what, reason);
}

/* A variable-length string type of character set cset. */
static hid_t vlen_string_type(H5T_cset_t cset) {
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, cset) < 0)) {
        H5Tclose(t);
        t = -1;
    }
    return t;
}

/* Variable-length UTF-8 string type: h5py reads it as str, not bytes. */
hid_t utf8_type(void) {
    return vlen_string_type(H5T_CSET_UTF8);
}

hid_t bytes_type(void) {
    return vlen_string_type(H5T_CSET_ASCII);
}

/* Creates (or overwrites) a scalar attribute. */
int attr_write(hid_t obj, const char *name, hid_t file_type, hid_t mem_type, const void *value,
               const h5ctx *c) {
    hid_t space = H5Screate(H5S_SCALAR);
    htri_t exists = space < 0 ? -1 : H5Aexists(obj, name);
    hid_t a = exists < 0 ? -1
              : exists   ? H5Aopen(obj, name, H5P_DEFAULT)
                         : H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, mem_type, value);
    if (rc < 0) h5_fail(c, "cannot write attribute %s", name);
    if (a >= 0) H5Aclose(a);
    if (space >= 0) H5Sclose(space);
    return rc < 0 ? -1 : 0;
}

/* The value is stored as valid UTF-8 (a command line may hold file names that are not):
 * bytes that are not become U+FFFD, so that every reader decodes it. */
int attr_write_str(hid_t obj, const char *name, const char *value, const h5ctx *c) {
    char *v = utf8_valid_copy(value ? value : "");
    if (!v) return mdl_fail(c->err, "%s: out of memory", c->path);
    hid_t t = utf8_type();
    int rc = t < 0 ? h5_fail(c, "cannot create a string type") : attr_write(obj, name, t, t, &v, c);
    if (t >= 0) H5Tclose(t);
    free(v);
    return rc;
}

int attr_write_u64(hid_t obj, const char *name, uint64_t v, const h5ctx *c) {
    return attr_write(obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &v, c);
}

int attr_write_i64(hid_t obj, const char *name, int64_t v, const h5ctx *c) {
    return attr_write(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &v, c);
}

int attr_write_f64(hid_t obj, const char *name, double v, const h5ctx *c) {
    return attr_write(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v, c);
}

/* A fixed-size 1-D dataset holding data[0..n). */
int dataset_write_1d(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, size_t n,
                     const void *data, const h5ctx *c) {
    hsize_t dims[1] = {n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t d = space < 0
                  ? -1
                  : H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = d < 0 ? -1 : 0;
    if (rc == 0 && n) rc = H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (rc < 0) h5_fail(c, "cannot write dataset %s", name);
    if (d >= 0) H5Dclose(d);
    if (space >= 0) H5Sclose(space);
    return rc < 0 ? -1 : 0;
}

int dataset_write_f64_2d(hid_t loc, const char *name, size_t rows, size_t cols, const double *data,
                         const h5ctx *c) {
    hsize_t dims[2] = {rows, cols};
    hid_t space = H5Screate_simple(2, dims, NULL);
    hid_t d = space < 0 ? -1
                        : H5Dcreate2(loc, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT,
                                     H5P_DEFAULT);
    herr_t rc = d < 0 ? -1 : 0;
    if (rc == 0 && rows && cols)
        rc = H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (rc < 0) h5_fail(c, "cannot write dataset %s", name);
    if (d >= 0) H5Dclose(d);
    if (space >= 0) H5Sclose(space);
    return rc < 0 ? -1 : 0;
}

/* Overwrites the whole of an existing 1-D dataset. */
int dataset_overwrite(hid_t file, const char *name, const double *data, size_t n, const h5ctx *c) {
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    herr_t rc = d < 0 ? -1 : 0;
    if (rc == 0 && n) rc = H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (rc < 0) h5_fail(c, "cannot write %s", name);
    if (d >= 0) H5Dclose(d);
    return rc < 0 ? -1 : 0;
}

int group_create(hid_t file, const char *name, hid_t *g, const h5ctx *c) {
    *g = H5Gcreate2(file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    return *g < 0 ? h5_fail(c, "cannot create group %s", name) : 0;
}

/* File access properties for every open: HDF5's flock() is off (see the top comment). */
hid_t fapl_no_locking(void) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0 && H5Pset_file_locking(fapl, 0, 1) < 0) {
        H5Pclose(fapl);
        fapl = -1;
    }
    return fapl;
}

/* 0 when attribute A holds one value of type class CLASS (numbers: integer or float);
 * otherwise -1 with the reason: an array or another type is never read into one value. */
static int attr_check_single(hid_t a, H5T_class_t want, const char *name, const h5ctx *c) {
    hid_t space = H5Aget_space(a), type = H5Aget_type(a);
    hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    H5T_class_t got = type < 0 ? H5T_NO_CLASS : H5Tget_class(type);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    int ok = want == H5T_STRING ? got == H5T_STRING : got == H5T_INTEGER || got == H5T_FLOAT;
    if (n != 1)
        return mdl_fail(c->err, "%s: attribute %s holds %lld values, not one", c->path, name,
                        (long long)n);
    if (!ok)
        return mdl_fail(c->err, "%s: attribute %s is not a %s", c->path, name,
                        want == H5T_STRING ? "string" : "number");
    return 0;
}

/* Reads a string attribute into a malloc'd copy. 1: read, 0: absent, -1: error. */
int attr_read_str(hid_t obj, const char *name, char **out, const h5ctx *c) {
    *out = NULL;
    htri_t exists = H5Aexists(obj, name);
    if (exists == 0) return 0;
    hid_t t = exists < 0 ? -1 : utf8_type();
    hid_t a = t < 0 ? -1 : H5Aopen(obj, name, H5P_DEFAULT);
    char *v = NULL;
    int single = a >= 0 && attr_check_single(a, H5T_STRING, name, c) == 0;
    herr_t rc = single ? H5Aread(a, t, &v) : -1;
    if (a < 0 || (single && rc < 0)) h5_fail(c, "cannot read attribute %s as a string", name);
    if (a >= 0) H5Aclose(a);
    if (t >= 0) H5Tclose(t);
    if (rc < 0) return -1;
    *out = strdup(v ? v : "");
    H5free_memory(v);
    if (!*out) return mdl_fail(c->err, "%s: out of memory", c->path);
    return 1;
}

/* Reads a numeric scalar attribute, converting to mem_type. 1: read, 0: absent, -1: error. */
int attr_read_num(hid_t obj, const char *name, hid_t mem_type, void *out, const h5ctx *c) {
    htri_t exists = H5Aexists(obj, name);
    if (exists == 0) return 0;
    hid_t a = exists < 0 ? -1 : H5Aopen(obj, name, H5P_DEFAULT);
    int single = a >= 0 && attr_check_single(a, H5T_INTEGER, name, c) == 0;
    herr_t rc = single ? H5Aread(a, mem_type, out) : -1;
    if (a < 0 || (single && rc < 0)) h5_fail(c, "cannot read attribute %s", name);
    if (a >= 0) H5Aclose(a);
    return rc < 0 ? -1 : 1;
}

int group_open(hid_t f, const char *name, hid_t *g, const h5ctx *c) {
    htri_t exists = H5Lexists(f, name, H5P_DEFAULT);
    if (exists == 0)
        return mdl_fail(c->err, "%s: not an mdlbench results file (no /%s group)", c->path, name);
    *g = exists < 0 ? -1 : H5Gopen2(f, name, H5P_DEFAULT);
    return *g < 0 ? h5_fail(c, "cannot open group /%s", name) : 0;
}

long long dataset_length(hid_t loc, const char *name) {
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) return -1;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t space = d < 0 ? -1 : H5Dget_space(d);
    hsize_t len = 0;
    long long r = space >= 0 && H5Sget_simple_extent_ndims(space) == 1 ? 0 : -1;
    if (r == 0) H5Sget_simple_extent_dims(space, &len, NULL), r = (long long)len;
    if (space >= 0) H5Sclose(space);
    if (d >= 0) H5Dclose(d);
    return r;
}

int dataset_read_1d(hid_t loc, const char *name, hid_t mem_type, void *out, size_t n,
                    const h5ctx *c) {
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return h5_fail(c, "cannot open dataset %s", name);
    hid_t space = H5Dget_space(d);
    hsize_t len = 0;
    int rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    if (rank == 1) H5Sget_simple_extent_dims(space, &len, NULL);
    if (space >= 0) H5Sclose(space);
    int rc = 0;
    if (rank != 1 || len != n)
        rc = mdl_fail(c->err, "%s: dataset %s has %llu values, expected %zu", c->path, name,
                      (unsigned long long)len, n);
    else if (n > 0 && H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
        rc = h5_fail(c, "cannot read dataset %s", name);
    H5Dclose(d);
    return rc;
}
