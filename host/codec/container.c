#include "container.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>

static const uint8_t magic[8] = {0x89, 'M', 'D', 'L', 'Z', '\r', '\n', 0x1a};

/* ---- writing ------------------------------------------------------------------------ */

typedef struct bytes {
    uint8_t *p;
    size_t len, cap;
    int failed;
} bytes;

static void put(bytes *b, const void *src, size_t n) {
    if (b->failed) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n) cap *= 2;
        uint8_t *grown = realloc(b->p, cap);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->p = grown, b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_u32(bytes *b, uint32_t v) {
    uint8_t le[4];
    for (int i = 0; i < 4; i++) le[i] = (uint8_t)(v >> (8 * i));
    put(b, le, 4);
}

static void put_u64(bytes *b, uint64_t v) {
    uint8_t le[8];
    for (int i = 0; i < 8; i++) le[i] = (uint8_t)(v >> (8 * i));
    put(b, le, 8);
}

static void put_f64(bytes *b, double v) {
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    put_u64(b, u);
}

static void put_str(bytes *b, const char *s) {
    size_t n = strlen(s);
    put_u32(b, (uint32_t)n);
    put(b, s, n);
}

/* A string stored as a zstd -19 frame (u32 length, frame): the configuration, which is most
 * of the header otherwise. */
static void put_zstd_str(bytes *b, const char *s) {
    size_t n = strlen(s), cap = ZSTD_compressBound(n);
    void *z = malloc(cap);
    size_t zn = z ? ZSTD_compress(z, cap, s, n, 19) : 0;
    if (!z || ZSTD_isError(zn)) {
        b->failed = 1;
    } else {
        put_u32(b, (uint32_t)zn);
        put(b, z, zn);
    }
    free(z);
}

/* The header fields, in file order. */
static void put_fields(bytes *b, const mdlz_header *h) {
    put_str(b, h->mdlbench_version);
    put_str(b, h->commit);
    put_str(b, h->backend);
    put_str(b, h->precision);
    put_u32(b, h->threads);
    put_str(b, h->device);
    put_zstd_str(b, h->config_yaml);
    put_u64(b, h->n_docs);
    for (uint64_t i = 0; i < h->n_docs; i++) {
        put_str(b, h->names[i]);
        put_u64(b, h->sizes[i]);
    }
    put_u64(b, h->n_bytes);
    put_u64(b, h->data_xxh64);
    put_f64(b, h->preq_bits);
    put_f64(b, h->quantized_bits);
    put_u64(b, h->payload_bytes);
    put_u64(b, h->payload_xxh64);
}

/* The file up to and including the header checksum. */
static int serialize(bytes *b, const mdlz_header *h) {
    bytes fields = {0};
    put_fields(&fields, h);
    put(b, magic, sizeof magic);
    put_u32(b, MDLZ_VERSION);
    put_u32(b, (uint32_t)fields.len);
    put(b, fields.p, fields.len);
    int failed = fields.failed || b->failed || fields.len > MDLZ_MAX_HEADER;
    free(fields.p);
    if (!failed) put_u64(b, XXH64(b->p, b->len, 0));
    return failed || b->failed ? -1 : 0;
}

uint64_t mdlz_header_bytes(const mdlz_header *h) {
    bytes b = {0};
    uint64_t n = serialize(&b, h) == 0 ? b.len : 0;
    free(b.p);
    return n;
}

int mdlz_write(const char *path, const mdlz_header *h, const uint8_t *payload, mdl_err *err) {
    bytes b = {0};
    if (serialize(&b, h) != 0) {
        free(b.p);
        return mdl_fail(err, "%s: out of memory for the header (or over %u MiB)", path,
                        MDLZ_MAX_HEADER >> 20);
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(b.p);
        return mdl_fail(err, "%s: %s", path, strerror(errno));
    }
    int ok = fwrite(b.p, 1, b.len, f) == b.len &&
             (h->payload_bytes == 0 ||
              fwrite(payload, 1, (size_t)h->payload_bytes, f) == h->payload_bytes);
    int saved = errno;
    ok = fclose(f) == 0 && ok;
    if (!ok && !saved) saved = errno;
    free(b.p);
    return ok ? 0 : mdl_fail(err, "%s: %s", path, strerror(saved ? saved : EIO));
}

/* ---- reading ------------------------------------------------------------------------ */

typedef struct reader {
    const uint8_t *p;
    size_t len, pos;
    int short_read;
} reader;

static const uint8_t *take(reader *r, size_t n) {
    if (r->short_read || n > r->len - r->pos) {
        r->short_read = 1;
        return NULL;
    }
    const uint8_t *at = r->p + r->pos;
    r->pos += n;
    return at;
}

static uint64_t get_le(reader *r, int n) {
    const uint8_t *at = take(r, (size_t)n);
    uint64_t v = 0;
    for (int i = n - 1; at && i >= 0; i--) v = (v << 8) | at[i];
    return v;
}

static double get_f64(reader *r) {
    uint64_t u = get_le(r, 8);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* A string field (NUL-free), malloc'd; NULL on a short read, NUL bytes or no memory. */
static char *get_str(reader *r, int *bad) {
    uint32_t n = (uint32_t)get_le(r, 4);
    const uint8_t *at = take(r, n);
    if (!at) return NULL;
    if (memchr(at, 0, n)) {
        *bad = 1;
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (!s) return NULL;
    memcpy(s, at, n);
    s[n] = '\0';
    return s;
}

int mdlz_name_ok(const char *name) {
    if (!name[0] || name[0] == '/') return -1;
    for (const char *c = name; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) return -1;
    for (const char *part = name; part;) {
        const char *slash = strchr(part, '/');
        size_t n = slash ? (size_t)(slash - part) : strlen(part);
        if (n == 0 || (n == 1 && part[0] == '.') || (n == 2 && part[0] == '.' && part[1] == '.'))
            return -1;
        part = slash ? slash + 1 : NULL;
    }
    return 0;
}

/* put_zstd_str's field: NULL when damaged (*bad set) or short. */
static char *get_zstd_str(reader *r, int *bad) {
    uint32_t n = (uint32_t)get_le(r, 4);
    const uint8_t *at = take(r, n);
    if (!at) return NULL;
    unsigned long long size = ZSTD_getFrameContentSize(at, n);
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
        size > MDLZ_MAX_HEADER) {
        *bad = 1;
        return NULL;
    }
    char *s = malloc((size_t)size + 1);
    if (!s) return NULL;
    size_t got = ZSTD_decompress(s, (size_t)size, at, n);
    if (ZSTD_isError(got) || got != size || memchr(s, 0, got)) {
        free(s);
        *bad = 1;
        return NULL;
    }
    s[got] = '\0';
    return s;
}

static int read_strings(reader *r, mdlz_header *h, int *bad) {
    char **fields[] = {&h->mdlbench_version, &h->commit, &h->backend, &h->precision};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (!(*fields[i] = get_str(r, bad))) return -1;
    h->threads = (uint32_t)get_le(r, 4);
    if (!(h->device = get_str(r, bad)) || !(h->config_yaml = get_zstd_str(r, bad))) return -1;
    return 0;
}

/* The document table: names checked, sizes summed without overflow. */
static int read_documents(reader *r, mdlz_header *h, const char *name, int *bad, mdl_err *err) {
    h->n_docs = get_le(r, 8);
    /* each document takes at least 12 header bytes: a count past that is damage */
    if (r->short_read || h->n_docs > (r->len - r->pos) / 12)
        return mdl_fail(err, "%s: damaged header (document count %llu)", name,
                        (unsigned long long)h->n_docs);
    h->names = calloc(h->n_docs ? h->n_docs : 1, sizeof *h->names);
    h->sizes = calloc(h->n_docs ? h->n_docs : 1, sizeof *h->sizes);
    if (!h->names || !h->sizes) return mdl_fail(err, "%s: out of memory", name);
    uint64_t sum = 0;
    for (uint64_t i = 0; i < h->n_docs; i++) {
        if (!(h->names[i] = get_str(r, bad)))
            return mdl_fail(err, "%s: damaged header (document %llu)", name,
                            (unsigned long long)i + 1);
        if (mdlz_name_ok(h->names[i]) != 0)
            return mdl_fail(err, "%s: document %llu has a name that cannot be restored safely",
                            name, (unsigned long long)i + 1);
        h->sizes[i] = get_le(r, 8);
        if (sum + h->sizes[i] < sum)
            return mdl_fail(err, "%s: damaged header (document sizes overflow)", name);
        sum += h->sizes[i];
    }
    h->n_bytes = get_le(r, 8);
    if (!r->short_read && sum != h->n_bytes)
        return mdl_fail(err, "%s: damaged header (documents hold %llu bytes, total says %llu)",
                        name, (unsigned long long)sum, (unsigned long long)h->n_bytes);
    return 0;
}

static int parse_fields(reader *r, mdlz_header *h, const char *name, mdl_err *err) {
    int bad = 0;
    if (read_strings(r, h, &bad) != 0)
        return mdl_fail(err, "%s: damaged header (%s)", name,
                        bad ? "a string holds a NUL byte or a bad zstd frame"
                            : "a field runs past its end");
    if (read_documents(r, h, name, &bad, err) != 0) return -1;
    h->data_xxh64 = get_le(r, 8);
    h->preq_bits = get_f64(r);
    h->quantized_bits = get_f64(r);
    h->payload_bytes = get_le(r, 8);
    h->payload_xxh64 = get_le(r, 8);
    if (r->short_read) return mdl_fail(err, "%s: damaged header (a field runs past its end)", name);
    if (r->pos != r->len) return mdl_fail(err, "%s: damaged header (bytes after its fields)", name);
    return 0;
}

int mdlz_parse(const uint8_t *data, size_t len, const char *name, mdlz_header *h,
               const uint8_t **payload, mdl_err *err) {
    memset(h, 0, sizeof *h);
    if (len < sizeof magic || memcmp(data, magic, sizeof magic) != 0)
        return mdl_fail(err, "%s: not an mdlbench compressed file (no MDLZ signature)", name);
    reader r = {data, len, sizeof magic, 0};
    uint32_t version = (uint32_t)get_le(&r, 4), hlen = (uint32_t)get_le(&r, 4);
    if (r.short_read) return mdl_fail(err, "%s: truncated (the header is cut short)", name);
    if (version != MDLZ_VERSION)
        return mdl_fail(err, "%s: format version %u, this mdlbench reads version %u", name, version,
                        MDLZ_VERSION);
    if (hlen > MDLZ_MAX_HEADER) return mdl_fail(err, "%s: damaged header (length %u)", name, hlen);
    if (len - r.pos < (size_t)hlen + 8)
        return mdl_fail(err, "%s: truncated (the header is cut short)", name);
    uint64_t want = 0;
    for (int i = 7; i >= 0; i--) want = (want << 8) | data[r.pos + hlen + i];
    if (XXH64(data, r.pos + hlen, 0) != want)
        return mdl_fail(err, "%s: header checksum mismatch (the file is damaged)", name);
    reader fields = {data + r.pos, hlen, 0, 0};
    if (parse_fields(&fields, h, name, err) != 0) {
        mdlz_header_free(h);
        return -1;
    }
    size_t at = r.pos + hlen + 8;
    if (len - at < h->payload_bytes) {
        mdl_fail(err, "%s: truncated (%llu of %llu payload bytes)", name,
                 (unsigned long long)(len - at), (unsigned long long)h->payload_bytes);
        mdlz_header_free(h);
        return -1;
    }
    if (len - at > h->payload_bytes) {
        mdl_fail(err, "%s: %llu unexpected bytes after the payload", name,
                 (unsigned long long)(len - at - h->payload_bytes));
        mdlz_header_free(h);
        return -1;
    }
    if (XXH64(data + at, (size_t)h->payload_bytes, 0) != h->payload_xxh64) {
        mdl_fail(err, "%s: payload checksum mismatch (the file is damaged)", name);
        mdlz_header_free(h);
        return -1;
    }
    *payload = data + at;
    return 0;
}

/* The whole file in memory (malloc'd). */
static uint8_t *slurp(const char *path, size_t *len, mdl_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return mdl_fail(err, "%s: %s", path, strerror(errno)), NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        uint8_t *grown = cap < SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
        if (!grown) free(buf);
        buf = grown, cap *= 2;
    }
    int failed = ferror(f);
    fclose(f);
    if (!buf) return mdl_fail(err, "%s: out of memory reading it", path), NULL;
    if (failed) {
        free(buf);
        return mdl_fail(err, "%s: read error", path), NULL;
    }
    *len = n;
    return buf;
}

int mdlz_read(const char *path, mdlz_header *h, uint8_t **payload, mdl_err *err) {
    size_t len;
    uint8_t *data = slurp(path, &len, err);
    if (!data) return -1;
    const uint8_t *at;
    int rc = mdlz_parse(data, len, path, h, &at, err);
    if (rc == 0) {
        /* the payload moved to the front of the buffer, which the caller frees */
        memmove(data, at, (size_t)h->payload_bytes);
        *payload = data;
    } else {
        free(data);
    }
    return rc;
}

void mdlz_header_free(mdlz_header *h) {
    free(h->mdlbench_version), free(h->commit), free(h->backend), free(h->precision);
    free(h->device), free(h->config_yaml);
    for (uint64_t i = 0; h->names && i < h->n_docs; i++) free(h->names[i]);
    free(h->names), free(h->sizes);
    memset(h, 0, sizeof *h);
}
