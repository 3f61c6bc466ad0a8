/* Parameter-free statistical baselines (baselines.h): the adaptive order-k context model
 * with the Krichevsky-Trofimov estimator, and the order-0 empirical entropy.
 *
 * With doubled counts the KT probability is a ratio of odd to even integers,
 *     p(x | c) = (2 n(c, x) + 1) / (2 n(c) + 256),
 * so one table of log2 j for small j serves both terms of the code length. */
#include "baselines.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ALPHABET 256
#define MAX_ORDER 8
#define LOG2_TABLE (1u << 17) /* log2 j from the table below this: counts < 65536 */
#define MAX_LOAD(cap) ((cap) / 4 * 3)

/* A context is the last `len` bytes of the stream packed in a uint64 (newest lowest), where
 * len < k only within the first k bytes of the range (the rest are begin symbols). Each
 * context has a dense id: bytes + sum_{l < len} 256^l for k <= 2; for k >= 3 the order of
 * first appearance, from a hash table keyed on the full context (never on a hash of it, so
 * no two contexts can merge). The (context, byte) counts are a flat array for k <= 1, else
 * a hash table keyed on id * 256 + byte. */
typedef struct ctx_slot {
    uint64_t bytes;
    uint32_t len;
    uint32_t id1; /* id + 1; 0 marks an empty slot */
} ctx_slot;

typedef struct pair_slot {
    uint64_t key; /* id * 256 + byte + 1; 0 marks an empty slot */
    uint64_t count;
} pair_slot;

typedef struct kt_model {
    int order;
    double *log2_table;
    uint64_t *totals; /* n(c) by context id */
    size_t n_ctx, totals_cap;
    uint64_t *counts; /* order <= 1: n(c, x) at id * 256 + x */
    ctx_slot *ctx;    /* order >= 3 */
    size_t ctx_cap, ctx_used;
    pair_slot *pairs; /* order >= 2 */
    size_t pairs_cap, pairs_used;
} kt_model;

static inline uint64_t mix64(uint64_t x) { /* splitmix64's finalizer */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* -log2 (num / den) with num < den: from the table when both are small, else with one
 * log2 of the ratio (also the accurate way when the ratio is near 1). */
static inline double code_length(const kt_model *m, uint64_t num, uint64_t den) {
    return den < LOG2_TABLE ? m->log2_table[den] - m->log2_table[num]
                            : -log2((double)num / (double)den);
}

static void kt_free(kt_model *m) {
    free(m->log2_table);
    free(m->totals);
    free(m->counts);
    free(m->ctx);
    free(m->pairs);
}

static int kt_init(kt_model *m, int order, mdl_err *err) {
    memset(m, 0, sizeof *m);
    m->order = order;
    m->log2_table = malloc(LOG2_TABLE * sizeof *m->log2_table);
    static const size_t direct_contexts[] = {1, 1 + 256, 1 + 256 + 65536};
    m->totals_cap = 1024; /* grows as contexts appear */
    if (order <= 2) m->n_ctx = m->totals_cap = direct_contexts[order];
    m->totals = calloc(m->totals_cap, sizeof *m->totals);
    if (order <= 1) {
        m->counts = calloc(m->n_ctx * ALPHABET, sizeof *m->counts);
    } else {
        m->pairs_cap = 1024;
        m->pairs = calloc(m->pairs_cap, sizeof *m->pairs);
    }
    if (order >= 3) {
        m->ctx_cap = 1024;
        m->ctx = calloc(m->ctx_cap, sizeof *m->ctx);
    }
    if (!m->log2_table || !m->totals || (order <= 1 && !m->counts) || (order >= 2 && !m->pairs) ||
        (order >= 3 && !m->ctx)) {
        kt_free(m);
        return mdl_fail(err, "out of memory in the order-%d context model", order);
    }
    m->log2_table[0] = -INFINITY; /* never looked up: both indices are >= 1 */
    for (uint32_t j = 1; j < LOG2_TABLE; j++) m->log2_table[j] = log2((double)j);
    return 0;
}

static inline size_t ctx_home(uint64_t bytes, uint32_t len, size_t cap) {
    return mix64(bytes ^ (uint64_t)len << 59) & (cap - 1);
}

static int grow_contexts(kt_model *m) {
    size_t cap = 2 * m->ctx_cap;
    ctx_slot *t = calloc(cap, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < m->ctx_cap; i++) {
        if (!m->ctx[i].id1) continue;
        size_t h = ctx_home(m->ctx[i].bytes, m->ctx[i].len, cap);
        while (t[h].id1) h = (h + 1) & (cap - 1);
        t[h] = m->ctx[i];
    }
    free(m->ctx);
    m->ctx = t;
    m->ctx_cap = cap;
    return 0;
}

static int grow_pairs(kt_model *m) {
    size_t cap = 2 * m->pairs_cap;
    pair_slot *t = calloc(cap, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < m->pairs_cap; i++) {
        if (!m->pairs[i].key) continue;
        size_t h = mix64(m->pairs[i].key) & (cap - 1);
        while (t[h].key) h = (h + 1) & (cap - 1);
        t[h] = m->pairs[i];
    }
    free(m->pairs);
    m->pairs = t;
    m->pairs_cap = cap;
    return 0;
}

/* The id of the context (bytes, len), numbering it if new; -1 when out of memory. */
static int64_t context_id(kt_model *m, uint64_t bytes, uint32_t len) {
    if (m->order <= 2) return (int64_t)bytes + (len ? 1 : 0) + (len == 2 ? ALPHABET : 0);
    size_t h = ctx_home(bytes, len, m->ctx_cap);
    for (;; h = (h + 1) & (m->ctx_cap - 1)) {
        ctx_slot *s = &m->ctx[h];
        if (!s->id1) break;
        if (s->bytes == bytes && s->len == len) return s->id1 - 1;
    }
    if (m->n_ctx == UINT32_MAX - 1) return -1;
    if (m->n_ctx == m->totals_cap) {
        uint64_t *t = realloc(m->totals, 2 * m->totals_cap * sizeof *t);
        if (!t) return -1;
        memset(t + m->totals_cap, 0, m->totals_cap * sizeof *t);
        m->totals = t;
        m->totals_cap *= 2;
    }
    m->ctx[h] = (ctx_slot){bytes, len, (uint32_t)(m->n_ctx + 1)};
    m->ctx_used++;
    if (m->ctx_used > MAX_LOAD(m->ctx_cap) && grow_contexts(m) != 0) return -1;
    return (int64_t)m->n_ctx++;
}

/* The count n(c, x) of context id c, inserted at 0 if new; NULL when out of memory. */
static uint64_t *pair_count(kt_model *m, uint64_t id, uint8_t x) {
    if (m->order <= 1) return &m->counts[id * ALPHABET + x];
    uint64_t key = id * ALPHABET + x + 1;
    size_t h = mix64(key) & (m->pairs_cap - 1);
    for (;; h = (h + 1) & (m->pairs_cap - 1)) {
        if (m->pairs[h].key == key) return &m->pairs[h].count;
        if (!m->pairs[h].key) break;
    }
    if (m->pairs_used + 1 > MAX_LOAD(m->pairs_cap)) {
        if (grow_pairs(m) != 0) return NULL;
        h = mix64(key) & (m->pairs_cap - 1);
        while (m->pairs[h].key) h = (h + 1) & (m->pairs_cap - 1);
    }
    m->pairs[h] = (pair_slot){key, 0};
    m->pairs_used++;
    return &m->pairs[h].count;
}

int context_model_bits(const corpus *c, uint64_t pos, uint64_t n, int order, double *bits,
                       double *doc_bits, mdl_err *err) {
    if (order < 0 || order > MAX_ORDER)
        return mdl_fail(err, "order-k context model: order %d is out of range 0-%d", order,
                        MAX_ORDER);
    if (pos > c->n_bytes || n > c->n_bytes - pos)
        return mdl_fail(err,
                        "order-%d context model: bytes [%llu, %llu) lie outside the corpus "
                        "(%llu bytes)",
                        order, (unsigned long long)pos, (unsigned long long)(pos + n),
                        (unsigned long long)c->n_bytes);
    *bits = 0;
    if (n == 0) return 0;
    kt_model m;
    if (kt_init(&m, order, err) != 0) return -1;

    /* the last min(k, bytes so far) bytes of the stream: it runs on across documents */
    const uint64_t mask = order == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * order)) - 1;
    uint64_t history = 0;
    uint32_t len = 0;
    int rc = 0;
    for (size_t d = corpus_doc_index(c, pos); n > 0 && rc == 0; d++) {
        const corpus_doc *doc = &c->docs[d];
        uint64_t start = pos - doc->offset, take = doc->size - start < n ? doc->size - start : n;
        if (take == 0) continue; /* an empty document: no bytes, no bits */
        const uint8_t *x = doc->bytes + start;
        double sum = 0; /* this document's bits, added in stream order */
        for (uint64_t i = 0; i < take; i++) {
            int64_t id = context_id(&m, history & mask, len);
            uint64_t *count = id < 0 ? NULL : pair_count(&m, (uint64_t)id, x[i]);
            if (!count) {
                rc = mdl_fail(err, "out of memory in the order-%d context model (%zu contexts)",
                              order, m.n_ctx);
                break;
            }
            sum += code_length(&m, 2 * *count + 1, 2 * m.totals[id] + ALPHABET);
            ++*count, ++m.totals[id];
            history = history << 8 | x[i];
            len += len < (uint32_t)order;
        }
        *bits += sum;
        if (doc_bits) doc_bits[d] += sum;
        pos += take, n -= take;
    }
    kt_free(&m);
    return rc;
}

double order0_entropy_bits(const corpus *c, uint64_t pos, uint64_t n) {
    if (pos >= c->n_bytes || n == 0) return 0;
    if (n > c->n_bytes - pos) n = c->n_bytes - pos; /* the part inside the corpus */
    uint64_t counts[ALPHABET] = {0}, total = n;
    for (size_t d = corpus_doc_index(c, pos); n > 0; d++) {
        const corpus_doc *doc = &c->docs[d];
        uint64_t start = pos - doc->offset, take = doc->size - start < n ? doc->size - start : n;
        if (take == 0) continue;
        for (uint64_t i = 0; i < take; i++) counts[doc->bytes[start + i]]++;
        pos += take, n -= take;
    }
    double bits = 0;
    for (int x = 0; x < ALPHABET; x++)
        if (counts[x]) bits -= (double)counts[x] * log2((double)counts[x] / (double)total);
    return bits;
}
