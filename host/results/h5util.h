/* Small HDF5 helpers shared by the results writer and readers: every helper reports its
 * own failure as "PATH: WHAT (REASON)", the reason taken from HDF5's error stack. */
#ifndef MDL_H5UTIL_H
#define MDL_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Where an HDF5 failure is reported: the results path the user gave, and the message. */
typedef struct h5ctx {
    const char *path;
    mdl_err *err;
} h5ctx;

/* "PATH: WHAT (REASON)"; call right after the failing HDF5 call. Returns -1. */
int h5_fail(const h5ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Variable-length UTF-8 string type: h5py reads it as str, not bytes. */
hid_t utf8_type(void);

/* Variable-length byte string type (ASCII set, any bytes): h5py reads it as bytes. */
hid_t bytes_type(void);

/* Scalar attributes, created or overwritten. */
int attr_write(hid_t obj, const char *name, hid_t file_type, hid_t mem_type, const void *value,
               const h5ctx *c);
int attr_write_str(hid_t obj, const char *name, const char *value, const h5ctx *c);
int attr_write_u64(hid_t obj, const char *name, uint64_t v, const h5ctx *c);
int attr_write_i64(hid_t obj, const char *name, int64_t v, const h5ctx *c);
int attr_write_f64(hid_t obj, const char *name, double v, const h5ctx *c);

/* A fixed-size 1-D dataset holding data[0..n). */
int dataset_write_1d(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, size_t n,
                     const void *data, const h5ctx *c);
/* A float64 dataset [rows][cols] from row-major data. */
int dataset_write_f64_2d(hid_t loc, const char *name, size_t rows, size_t cols, const double *data,
                         const h5ctx *c);

/* Overwrites the whole of an existing 1-D float64 dataset. */
int dataset_overwrite(hid_t file, const char *name, const double *data, size_t n, const h5ctx *c);

int group_create(hid_t file, const char *name, hid_t *g, const h5ctx *c);
/* Opens group `name`; absent: "not an mdlbench results file (no /name group)". */
int group_open(hid_t f, const char *name, hid_t *g, const h5ctx *c);

/* File access properties for every open: HDF5's flock() is off (see results.c). */
hid_t fapl_no_locking(void);

/* Length of the 1-D dataset loc/name; -1 when it is missing or not 1-D. */
long long dataset_length(hid_t loc, const char *name);

/* Reads a whole 1-D dataset that must hold exactly n values (mem_type elements). */
int dataset_read_1d(hid_t loc, const char *name, hid_t mem_type, void *out, size_t n,
                    const h5ctx *c);

/* Attribute readers. 1: read, 0: absent, -1: error. Strings are malloc'd copies. */
int attr_read_str(hid_t obj, const char *name, char **out, const h5ctx *c);
int attr_read_num(hid_t obj, const char *name, hid_t mem_type, void *out, const h5ctx *c);

#endif
