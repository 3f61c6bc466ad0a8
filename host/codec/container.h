/* The .mdl file of `mdlbench compress` (format in docs/design.md §7 and the README):
 *
 *   magic "\x89MDLZ\r\n\x1a" (8 bytes) | format version u32 | header length H u32 |
 *   header (H bytes of fields) | XXH64 of every byte before it (u64) | payload
 *
 * Integers are little-endian; a string is a u32 length and its bytes (the configuration's
 * bytes are a zstd frame). The header holds all
 * that shapes the computation (configuration, backend, precision, threads, the mdlbench
 * version and commit), the documents' names and sizes, a checksum of the original bytes and
 * the payload's length and checksum; the payload is the range coder's output. */
#ifndef MDL_CONTAINER_H
#define MDL_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define MDLZ_VERSION 1
#define MDLZ_MAX_HEADER (64u << 20) /* header bytes a reader accepts */

typedef struct mdlz_header {
    char *mdlbench_version, *commit;
    char *backend;   /* "cpu" | "cuda" */
    char *precision; /* "fp32" | "bf16" */
    uint32_t threads;
    char *device;      /* the CPU or GPU it ran on, as `mdlbench info` describes it */
    char *config_yaml; /* the full configuration (stored zstd -19) */
    uint64_t n_docs;
    char **names;          /* [n_docs]: relative paths, '/'-separated, no "." or ".." parts */
    uint64_t *sizes;       /* [n_docs] */
    uint64_t n_bytes;      /* sum of sizes */
    uint64_t data_xxh64;   /* of the documents' concatenation */
    double preq_bits;      /* L_preq of the run that wrote it */
    double quantized_bits; /* the same code under the quantised frequencies */
    uint64_t payload_bytes;
    uint64_t payload_xxh64;
} mdlz_header;

/* Writes the file; with out of memory or an I/O error, err names path. */
int mdlz_write(const char *path, const mdlz_header *h, const uint8_t *payload, mdl_err *err);

/* Reads and checks path: magic, version, lengths, header checksum, fields, payload length
 * and checksum; every failure is one message naming path and what is wrong. The payload is
 * malloc'd into *payload. */
int mdlz_read(const char *path, mdlz_header *h, uint8_t **payload, mdl_err *err);

/* Parses a file image already in memory (the fuzz harness's entry); name is for messages. */
int mdlz_parse(const uint8_t *data, size_t len, const char *name, mdlz_header *h,
               const uint8_t **payload, mdl_err *err);

/* Bytes of the file before the payload. */
uint64_t mdlz_header_bytes(const mdlz_header *h);

/* 0 when name may be restored under an output directory: not empty, not absolute, no empty,
 * "." or ".." components, no control characters. */
int mdlz_name_ok(const char *name);

void mdlz_header_free(mdlz_header *h);

#endif
