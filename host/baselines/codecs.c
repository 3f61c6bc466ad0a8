/* Classical codecs (baselines.h): the --codecs list, labels, and the measurement driver
 * shared by every library. A measurement compresses a corpus range by streaming the
 * mapped documents through the encoder (no concatenated copy; the compressed stream is
 * kept in memory), decodes it through a fixed-size chunk and compares each chunk with the
 * documents in place. Per-library code is in codec_<name>.c behind codec_ops. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timer.h"
#include "codec_impl.h"

/* indexed by codec_id */
static const codec_ops *const codec_table[] = {&codec_gzip_ops, &codec_bzip2_ops, &codec_xz_ops,
                                               &codec_zstd_ops, &codec_brotli_ops};
#define N_CODECS (sizeof codec_table / sizeof codec_table[0])
#define CODEC_NAMES "gzip, bzip2, xz, zstd, brotli"

static const codec_ops *codec_ops_of(codec_id id) {
    return (unsigned)id < N_CODECS ? codec_table[id] : NULL;
}

const char *codec_name(codec_id id) {
    const codec_ops *ops = codec_ops_of(id);
    return ops ? ops->name : "?";
}

const char *codec_version(codec_id id) {
    const codec_ops *ops = codec_ops_of(id);
    return ops ? ops->version() : "?";
}

void codec_level_text(const codec_spec *s, char *buf, size_t n) {
    snprintf(buf, n, "%d%s%s", s->level, s->extreme ? "e" : "", s->long_mode ? "-long" : "");
}

void codec_label(const codec_spec *s, char *buf, size_t n) {
    const char *name = codec_name(s->id), *version = codec_version(s->id);
    switch (s->id) {
    case CODEC_GZIP:
        snprintf(buf, n, "gzip (zlib %s) -%d", version, s->level);
        break;
    case CODEC_XZ:
        snprintf(buf, n, "xz %s -%d%s", version, s->level, s->extreme ? "e" : "");
        break;
    case CODEC_ZSTD:
        snprintf(buf, n, "zstd %s %s-%d%s", version, s->level > 19 ? "--ultra " : "", s->level,
                 s->long_mode ? " --long" : "");
        break;
    case CODEC_BROTLI:
        snprintf(buf, n, "brotli %s -%d --large_window", version, s->level);
        break;
    default:
        snprintf(buf, n, "%s %s -%d", name, version, s->level);
    }
}

/* ---- --codecs ---------------------------------------------------------------------------- */

static int push_spec(codec_spec **specs, size_t *n, size_t *cap, codec_spec s, mdl_err *err) {
    if (*n == *cap) {
        size_t new_cap = *cap ? 2 * *cap : 16;
        codec_spec *p = realloc(*specs, new_cap * sizeof *p);
        if (!p) return mdl_fail(err, "out of memory");
        *specs = p;
        *cap = new_cap;
    }
    (*specs)[(*n)++] = s;
    return 0;
}

static int level_error(codec_id id, const char *item, mdl_err *err) {
    const codec_ops *ops = codec_table[id];
    const char *more = id == CODEC_XZ     ? " or 0e-9e (extreme)"
                       : id == CODEC_ZSTD ? " or 1-long to 22-long (long-distance matching)"
                                          : "";
    return mdl_fail(err, "--codecs %s: %s levels are %d-%d%s", item, ops->name, ops->min_level,
                    ops->max_level, more);
}

/* One "name:level" item. */
static int parse_item(const char *item, codec_spec *s, mdl_err *err) {
    const char *colon = strchr(item, ':');
    size_t name_len = colon ? (size_t)(colon - item) : strlen(item);
    size_t id = 0;
    while (id < N_CODECS && !(strlen(codec_table[id]->name) == name_len &&
                              memcmp(codec_table[id]->name, item, name_len) == 0))
        id++;
    if (id == N_CODECS)
        return mdl_fail(err, "--codecs %s: unknown codec '%.*s' (codecs: " CODEC_NAMES ")", item,
                        (int)name_len, item);
    if (!colon)
        return mdl_fail(err, "--codecs %s: expected name:level, e.g. %s:%d", item,
                        codec_table[id]->name, codec_table[id]->max_level);
    memset(s, 0, sizeof *s);
    s->id = (codec_id)id;
    const char *p = colon + 1;
    int digits = 0;
    for (; isdigit((unsigned char)*p) && digits < 3; p++, digits++)
        s->level = 10 * s->level + (*p - '0');
    if (digits == 0 || s->level < codec_table[id]->min_level ||
        s->level > codec_table[id]->max_level)
        return level_error(s->id, item, err);
    if (s->id == CODEC_XZ && strcmp(p, "e") == 0)
        s->extreme = 1;
    else if (s->id == CODEC_ZSTD && strcmp(p, "-long") == 0)
        s->long_mode = 1;
    else if (*p)
        return level_error(s->id, item, err);
    return 0;
}

static int same_spec(const codec_spec *a, const codec_spec *b) {
    return a->id == b->id && a->level == b->level && a->extreme == b->extreme &&
           a->long_mode == b->long_mode;
}

static int all_specs(codec_spec **specs, size_t *n, size_t *cap, mdl_err *err) {
    for (size_t id = 0; id < N_CODECS; id++) {
        const codec_ops *ops = codec_table[id];
        for (int level = ops->min_level; level <= ops->max_level; level++)
            if (push_spec(specs, n, cap, (codec_spec){(codec_id)id, level, 0, 0}, err)) return -1;
        if (id == CODEC_XZ)
            for (int level = ops->min_level; level <= ops->max_level; level++)
                if (push_spec(specs, n, cap, (codec_spec){CODEC_XZ, level, 1, 0}, err)) return -1;
        if (id == CODEC_ZSTD &&
            push_spec(specs, n, cap, (codec_spec){CODEC_ZSTD, ops->max_level, 0, 1}, err))
            return -1;
    }
    return 0;
}

int codec_parse_list(const char *list, codec_spec **specs, size_t *n, mdl_err *err) {
    *specs = NULL;
    *n = 0;
    size_t cap = 0;
    if (!list || !*list) return mdl_fail(err, "--codecs: empty list");
    if (strcmp(list, "default") == 0) list = "gzip:9,bzip2:9,xz:9e,zstd:19,zstd:22-long,brotli:11";
    int rc = 0;
    if (strcmp(list, "all") == 0) {
        rc = all_specs(specs, n, &cap, err);
    } else {
        for (const char *p = list; !rc;) {
            size_t len = strcspn(p, ",");
            char item[64];
            codec_spec s;
            if (len == 0 || len >= sizeof item) {
                rc = mdl_fail(err, "--codecs %s: %s entry", list, len ? "overlong" : "empty");
                break;
            }
            memcpy(item, p, len);
            item[len] = '\0';
            if (strcmp(item, "all") == 0 || strcmp(item, "default") == 0) {
                rc = mdl_fail(err, "--codecs %s: '%s' must be the whole list", list, item);
                break;
            }
            rc = parse_item(item, &s, err);
            for (size_t i = 0; !rc && i < *n; i++)
                if (same_spec(&(*specs)[i], &s))
                    rc = mdl_fail(err, "--codecs %s: listed twice", item);
            if (!rc) rc = push_spec(specs, n, &cap, s, err);
            if (p[len] == '\0') break;
            p += len + 1;
        }
    }
    if (rc) {
        free(*specs);
        *specs = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- the driver ---------------------------------------------------------------------------- */

int codec_buf_reserve(codec_buf *b, size_t min_free, mdl_err *err) {
    if (b->cap - b->n >= min_free) return 0;
    if (min_free > SIZE_MAX / 2 - b->n) return mdl_fail(err, "out of memory");
    size_t cap = b->cap ? b->cap : (size_t)1 << 16;
    while (cap - b->n < min_free) cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) return mdl_fail(err, "out of memory (compressed stream of %zu bytes)", cap);
    b->data = p;
    b->cap = cap;
    return 0;
}

/* Walks bytes [pos, pos + n) of the concatenation as slices of the mapped documents. */
typedef struct range_cursor {
    const corpus *c;
    size_t doc;
    uint64_t in_doc, done, n;
} range_cursor;

static range_cursor cursor_at(const corpus *c, uint64_t pos, uint64_t n) {
    range_cursor r = {c, 0, 0, 0, n};
    if (n > 0) {
        r.doc = corpus_doc_index(c, pos);
        r.in_doc = pos - c->docs[r.doc].offset;
    }
    return r;
}

/* The next slice of at most max bytes; 0 at the end of the range. */
static size_t cursor_next(range_cursor *r, size_t max, const uint8_t **p) {
    while (r->done < r->n) {
        const corpus_doc *d = &r->c->docs[r->doc];
        uint64_t avail = d->size - r->in_doc, left = r->n - r->done;
        if (avail == 0) {
            r->doc++;
            r->in_doc = 0;
            continue;
        }
        size_t take = (size_t)(avail < left ? avail : left);
        if (take > max) take = max;
        *p = d->bytes + r->in_doc;
        r->in_doc += take;
        r->done += take;
        return take;
    }
    return 0;
}

typedef struct codec_job {
    const codec_ops *ops;
    const codec_spec *s;
    const corpus *c;
    uint64_t pos, n;
    codec_buf z; /* the compressed stream */
} codec_job;

static int compress_once(codec_job *j, mdl_err *err) {
    void *st = NULL;
    j->z.n = 0;
    if (j->ops->enc_init(&st, j->s, j->n, err)) return -1;
    range_cursor r = cursor_at(j->c, j->pos, j->n);
    const uint8_t *p;
    int rc = 0;
    for (size_t len; !rc && (len = cursor_next(&r, CODEC_FEED_MAX, &p)) > 0;)
        rc = j->ops->enc_feed(st, p, len, &j->z, err);
    if (!rc) rc = j->ops->enc_finish(st, &j->z, err);
    j->ops->enc_free(st);
    return rc;
}

/* Compares the decoded bytes with the range as they come. */
static int verify_sink(void *ctx, const uint8_t *bytes, size_t n, mdl_err *err) {
    range_cursor *r = ctx;
    while (n > 0) {
        const uint8_t *p;
        uint64_t at = r->done;
        size_t len = cursor_next(r, n, &p);
        if (len == 0)
            return mdl_fail(err, "round trip mismatch: more than %llu bytes decoded",
                            (unsigned long long)r->n);
        if (memcmp(p, bytes, len) != 0) {
            size_t i = 0;
            while (p[i] == bytes[i]) i++;
            return mdl_fail(err, "round trip mismatch at byte %llu", (unsigned long long)(at + i));
        }
        bytes += len;
        n -= len;
    }
    return 0;
}

static int verify_once(codec_job *j, mdl_err *err) {
    range_cursor r = cursor_at(j->c, j->pos, j->n);
    if (j->ops->decode(j->s, j->z.data, j->z.n, verify_sink, &r, err)) return -1;
    if (r.done != j->n)
        return mdl_fail(err, "round trip mismatch: %llu bytes decoded, %llu expected",
                        (unsigned long long)r.done, (unsigned long long)j->n);
    return 0;
}

static int count_sink(void *ctx, const uint8_t *bytes, size_t n, mdl_err *err) {
    (void)bytes;
    (void)err;
    *(uint64_t *)ctx += n;
    return 0;
}

/* Timed decoding: only counts, the comparison was done once by verify_once. */
static int decode_once(codec_job *j, mdl_err *err) {
    uint64_t got = 0;
    if (j->ops->decode(j->s, j->z.data, j->z.n, count_sink, &got, err)) return -1;
    if (got != j->n) return mdl_fail(err, "round trip mismatch: decoded size changed");
    return 0;
}

/* Best time of at least `iterations` runs lasting at least min_seconds together. */
static int bench(int (*once)(codec_job *, mdl_err *), codec_job *j, const bench_opts *o,
                 double *best, mdl_err *err) {
    int iterations = o->iterations > 0 ? o->iterations : 1;
    size_t size = j->z.n;
    double start = now_seconds();
    *best = INFINITY;
    for (int i = 0; i < iterations || now_seconds() - start < o->min_seconds; i++) {
        double t0 = now_seconds();
        if (once(j, err)) return -1;
        double dt = now_seconds() - t0;
        if (dt < *best) *best = dt;
        if (once == compress_once && i > 0 && j->z.n != size)
            return mdl_fail(err, "compressed size changed between runs");
        size = j->z.n;
    }
    return 0;
}

static int check_spec(const codec_spec *s, mdl_err *err) {
    const codec_ops *ops = codec_ops_of(s->id);
    if (!ops || s->level < ops->min_level || s->level > ops->max_level ||
        (s->extreme && s->id != CODEC_XZ) || (s->long_mode && s->id != CODEC_ZSTD))
        return mdl_fail(err, "invalid codec spec (codec %d, level %d)", (int)s->id, s->level);
    return 0;
}

/* Prefixes a failure's message with the codec's label. */
static int fail_labelled(const codec_spec *s, const mdl_err *inner, mdl_err *err) {
    char label[128];
    codec_label(s, label, sizeof label);
    return mdl_fail(err, "%s: %s", label, inner->msg);
}

int codec_measure(const codec_spec *s, const corpus *c, uint64_t pos, uint64_t n,
                  const bench_opts *opts, codec_result *out, mdl_err *err) {
    if (check_spec(s, err)) return -1;
    if (pos > c->n_bytes || n > c->n_bytes - pos)
        return mdl_fail(err, "codec range [%llu, +%llu) outside the corpus (%llu bytes)",
                        (unsigned long long)pos, (unsigned long long)n,
                        (unsigned long long)c->n_bytes);
    codec_job j = {codec_ops_of(s->id), s, c, pos, n, {0}};
    mdl_err inner = {{0}};
    double t_compress = NAN, t_decompress = NAN;
    int rc = opts ? bench(compress_once, &j, opts, &t_compress, &inner) : compress_once(&j, &inner);
    if (!rc) rc = verify_once(&j, &inner);
    if (!rc && opts) rc = bench(decode_once, &j, opts, &t_decompress, &inner);
    if (!rc) {
        out->original_bytes = n;
        out->compressed_bytes = j.z.n;
        out->compress_mb_s = (double)n / t_compress / 1e6;
        out->decompress_mb_s = (double)n / t_decompress / 1e6;
    }
    free(j.z.data);
    return rc ? fail_labelled(s, &inner, err) : 0;
}

/* A one-document corpus over a memory buffer, so buffers take the corpus path. */
static corpus buffer_corpus(corpus_doc *doc, const void *in, size_t n) {
    *doc = (corpus_doc){.name = NULL, .offset = 0, .size = n, .bytes = n ? in : NULL};
    return (corpus){.docs = doc, .n_docs = 1, .n_bytes = n};
}

int codec_compress_buffer(const codec_spec *s, const void *in, size_t n, uint8_t **out,
                          size_t *out_n, mdl_err *err) {
    *out = NULL;
    *out_n = 0;
    if (check_spec(s, err)) return -1;
    corpus_doc doc;
    corpus c = buffer_corpus(&doc, in, n);
    codec_job j = {codec_ops_of(s->id), s, &c, 0, n, {0}};
    mdl_err inner = {{0}};
    if (compress_once(&j, &inner)) {
        free(j.z.data);
        return fail_labelled(s, &inner, err);
    }
    *out = j.z.data;
    *out_n = j.z.n;
    return 0;
}

static int append_sink(void *ctx, const uint8_t *bytes, size_t n, mdl_err *err) {
    codec_buf *b = ctx;
    if (codec_buf_reserve(b, n, err)) return -1;
    memcpy(b->data + b->n, bytes, n);
    b->n += n;
    return 0;
}

int codec_decompress_buffer(const codec_spec *s, const void *in, size_t n, uint8_t **out,
                            size_t *out_n, mdl_err *err) {
    *out = NULL;
    *out_n = 0;
    if (check_spec(s, err)) return -1;
    codec_buf b = {0};
    mdl_err inner = {{0}};
    if (codec_table[s->id]->decode(s, in, n, append_sink, &b, &inner)) {
        free(b.data);
        return fail_labelled(s, &inner, err);
    }
    if (!b.data) b.data = malloc(1); /* a valid pointer for an empty result */
    if (!b.data) return mdl_fail(err, "out of memory");
    *out = b.data;
    *out_n = b.n;
    return 0;
}
