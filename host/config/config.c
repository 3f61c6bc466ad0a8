/* Run configuration, loaded with libcyaml.
 *
 * Every YAML text (the embedded default, a user file, a --set assignment) goes through
 * load_text(), in three passes:
 *   1. scan_stream() walks the document with libyaml and records each key with its line
 *      and raw value text, and reports syntax errors at their line. libcyaml's own error
 *      backtrace gives the position of the last event it accepted, which for an unknown or
 *      duplicate key is the previous value's line, and for syntax errors the enclosing
 *      mapping's.
 *   2. libcyaml loads the document against a "sparse" schema whose fields are optional
 *      pointers, so a key that is absent stays NULL. It rejects unknown keys, duplicates,
 *      wrong shapes and values it cannot convert; explain_cyaml() turns its log messages
 *      into one line and takes the line number from the scan.
 *   3. check_values() re-reads every raw value strictly, because libcyaml 1.3 is lenient:
 *      it takes `2.5` as the unsigned 2, `1.5x` as 1.5, `010` as octal and `maybe` as true.
 * Only then are the present keys copied into the caller's mdl_config, so a failed load
 * leaves it untouched. */
#include "config.h"

#include <cyaml/cyaml.h>
#include <yaml.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char mdl_default_config_yaml[];

/* ---- schema ----------------------------------------------------------------------------
 * The one list of keys: X(section, key, kind, C type). It generates the sparse structs,
 * the libcyaml field tables and where each key lives in mdl_config; everything else walks
 * those tables. */
#define MODEL_KEYS(X)                                                                              \
    X(model, n_layer, UINT, unsigned)                                                              \
    X(model, n_head, UINT, unsigned)                                                               \
    X(model, d_model, UINT, unsigned)                                                              \
    X(model, context, UINT, unsigned)                                                              \
    X(model, d_ff, UINT, unsigned)                                                                 \
    X(model, zero_init_head, BOOL, bool)                                                           \
    X(model, position, POSITION, model_position)                                                   \
    X(model, memory, UINT, unsigned)                                                               \
    X(model, ngram_order, UINT, unsigned)                                                          \
    X(model, ngram_buckets, UINT, unsigned)
#define TRAIN_KEYS(X)                                                                              \
    X(train, streams, UINT, unsigned)                                                              \
    X(train, segment, UINT, unsigned)                                                              \
    X(train, lr, FLOAT, double)                                                                    \
    X(train, warmup, UINT, unsigned)                                                               \
    X(train, schedule, SCHEDULE, lr_schedule)                                                      \
    X(train, min_lr_ratio, FLOAT, double)                                                          \
    X(train, beta1, FLOAT, double)                                                                 \
    X(train, beta2, FLOAT, double)                                                                 \
    X(train, eps, FLOAT, double)                                                                   \
    X(train, weight_decay, FLOAT, double)                                                          \
    X(train, grad_clip, FLOAT, double)                                                             \
    X(train, head_lr_scale, FLOAT, double)                                                         \
    X(train, embedding_lr_scale, FLOAT, double)                                                    \
    X(train, repeats_per_step, UINT, unsigned)                                                     \
    X(train, prefix_loss, BOOL, bool)                                                              \
    X(train, passes, UINT, unsigned)                                                               \
    X(train, seed, UINT, uint64_t)
#define RUN_KEYS(X)                                                                                \
    X(run, eval_final, BOOL, bool)                                                                 \
    X(run, two_part, BOOL, bool)                                                                   \
    X(run, flush_seconds, FLOAT, double)                                                           \
    X(run, precision, PRECISION, run_precision)                                                    \
    X(run, checkpoint_every, UINT, unsigned)                                                       \
    X(run, checkpoint_keep, UINT, unsigned)
#define CORPUS_KEYS(X)                                                                             \
    X(corpus, holdout, STRING, config_string)                                                      \
    X(corpus, holdout_fraction, FLOAT, double)                                                     \
    X(corpus, holdout_seed, UINT, uint64_t)
#define ANALYSIS_KEYS(X)                                                                           \
    X(analysis, extract_samples, UINT, unsigned)                                                   \
    X(analysis, extract_prefix, UINT, unsigned)                                                    \
    X(analysis, extract_suffix, UINT, unsigned)                                                    \
    X(analysis, extract_seed, UINT, uint64_t)                                                      \
    X(analysis, chunk_bytes, UINT, unsigned)
#define SECTIONS(X)                                                                                \
    X(model, MODEL_KEYS)                                                                           \
    X(train, TRAIN_KEYS) X(run, RUN_KEYS) X(corpus, CORPUS_KEYS) X(analysis, ANALYSIS_KEYS)

/* The C type of each key must match mdl_config's, since values are copied bytewise. */
#define CHECK_SIZE(sec, key, kind, ctype)                                                          \
    _Static_assert(sizeof(ctype) == sizeof(((mdl_config *)0)->sec.key), #sec "." #key);
MODEL_KEYS(CHECK_SIZE)
TRAIN_KEYS(CHECK_SIZE)
RUN_KEYS(CHECK_SIZE)
CORPUS_KEYS(CHECK_SIZE)
ANALYSIS_KEYS(CHECK_SIZE)

/* Sparse structs: one pointer per key, NULL when the YAML does not give it. A string is
 * a pointer to libcyaml's allocated copy. */
#define SPARSE_TYPE_UINT(ctype) ctype
#define SPARSE_TYPE_BOOL(ctype) ctype
#define SPARSE_TYPE_FLOAT(ctype) ctype
#define SPARSE_TYPE_SCHEDULE(ctype) ctype
#define SPARSE_TYPE_PRECISION(ctype) ctype
#define SPARSE_TYPE_POSITION(ctype) ctype
#define SPARSE_TYPE_STRING(ctype) char
#define SPARSE_MEMBER(sec, key, kind, ctype) SPARSE_TYPE_##kind(ctype) * key;
#define SPARSE_STRUCT(sec, KEYS)                                                                   \
    typedef struct sparse_##sec {                                                                  \
        KEYS(SPARSE_MEMBER)                                                                        \
    } sparse_##sec;
SECTIONS(SPARSE_STRUCT)
#define SPARSE_SECTION(sec, KEYS) sparse_##sec *sec;
typedef struct sparse_config {
    SECTIONS(SPARSE_SECTION)
} sparse_config;

static const cyaml_strval_t precision_names[] = {
    {"fp32", PRECISION_FP32},
    {"bf16", PRECISION_BF16},
};

static const cyaml_strval_t position_names[] = {
    {"learned", POSITION_LEARNED},
    {"rope", POSITION_ROPE},
    {"none", POSITION_NONE},
};

static const cyaml_strval_t schedule_names[] = {
    {"constant", SCHEDULE_CONSTANT},
    {"cosine", SCHEDULE_COSINE},
    {"inverse_sqrt", SCHEDULE_INVERSE_SQRT},
};

/* libcyaml field tables. STRICT keeps enums from accepting plain numbers. */
#define FIELD_UINT(name, st, m) CYAML_FIELD_UINT_PTR(name, CYAML_FLAG_OPTIONAL, st, m)
#define FIELD_BOOL(name, st, m) CYAML_FIELD_BOOL_PTR(name, CYAML_FLAG_OPTIONAL, st, m)
#define FIELD_FLOAT(name, st, m) CYAML_FIELD_FLOAT_PTR(name, CYAML_FLAG_OPTIONAL, st, m)
#define FIELD_STRING(name, st, m)                                                                  \
    CYAML_FIELD_STRING_PTR(name, CYAML_FLAG_OPTIONAL, st, m, 0, CYAML_UNLIMITED)
#define FIELD_PRECISION(name, st, m)                                                               \
    CYAML_FIELD_ENUM_PTR(name, CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT, st, m, precision_names,    \
                         CYAML_ARRAY_LEN(precision_names))
#define FIELD_POSITION(name, st, m)                                                                \
    CYAML_FIELD_ENUM_PTR(name, CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT, st, m, position_names,     \
                         CYAML_ARRAY_LEN(position_names))
#define FIELD_SCHEDULE(name, st, m)                                                                \
    CYAML_FIELD_ENUM_PTR(name, CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT, st, m, schedule_names,     \
                         CYAML_ARRAY_LEN(schedule_names))
#define KEY_FIELD(sec, key, kind, ctype) FIELD_##kind(#key, sparse_##sec, key),
#define SECTION_FIELDS(sec, KEYS)                                                                  \
    static const cyaml_schema_field_t sec##_fields[] = {KEYS(KEY_FIELD) CYAML_FIELD_END};
SECTIONS(SECTION_FIELDS)

/* Where each field of a section's table lives in mdl_config. */
#define KEY_OFFSET(sec, key, kind, ctype) offsetof(mdl_config, sec.key),
#define SECTION_OFFSETS(sec, KEYS) static const size_t sec##_offsets[] = {KEYS(KEY_OFFSET)};
SECTIONS(SECTION_OFFSETS)

/* A section may be empty or null (`model:` with every key commented out). */
#define SECTION_FIELD(sec, KEYS)                                                                   \
    CYAML_FIELD_MAPPING_PTR(#sec, CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER_NULL_STR,               \
                            sparse_config, sec, sec##_fields),
static const cyaml_schema_field_t config_fields[] = {SECTIONS(SECTION_FIELD) CYAML_FIELD_END};
static const cyaml_schema_value_t config_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER_NULL_STR, sparse_config, config_fields),
};

#define SECTION_OFFSET_ROW(sec, KEYS) sec##_offsets,
static const size_t *const section_offsets[] = {SECTIONS(SECTION_OFFSET_ROW)};
#define N_SECTIONS (sizeof section_offsets / sizeof section_offsets[0])

/* ---- schema lookups ------------------------------------------------------------------ */

static int find_section(const char *name, size_t len) {
    for (size_t s = 0; s < N_SECTIONS; s++)
        if (strlen(config_fields[s].key) == len && !memcmp(config_fields[s].key, name, len))
            return (int)s;
    return -1;
}

static const cyaml_schema_field_t *section_keys(int s) {
    return config_fields[s].value.mapping.fields;
}

static int find_key(int s, const char *name, size_t len) {
    const cyaml_schema_field_t *f = section_keys(s);
    for (int k = 0; f[k].key; k++)
        if (strlen(f[k].key) == len && !memcmp(f[k].key, name, len)) return k;
    return -1;
}

/* Appends "a, b, c" to buf: the sections (s < 0) or the keys of section s. */
static void list_names(char *buf, size_t size, int s) {
    const cyaml_schema_field_t *f = s < 0 ? config_fields : section_keys(s);
    size_t used = strlen(buf);
    for (int k = 0; f[k].key && used < size; k++) {
        snprintf(buf + used, size - used, "%s%s", k ? ", " : "", f[k].key);
        used += strlen(buf + used);
    }
}

/* ---- problems ------------------------------------------------------------------------ */

/* What went wrong and where; the caller adds the source (file path or --set argument). */
typedef struct problem {
    unsigned line; /* 1-based; 0 when no line applies */
    char what[640];
} problem;

static int fail_at(problem *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(problem *p, unsigned line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->what, sizeof p->what, fmt, ap);
    va_end(ap);
    p->line = line;
    return -1;
}

/* A user-supplied string made safe for a one-line message: control characters become '?'
 * and long strings are cut. */
static const char *printable(const char *s, char *buf, size_t size) {
    size_t n = 0;
    for (; s[n] && n + 4 < size; n++) {
        unsigned char c = (unsigned char)s[n];
        buf[n] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (s[n]) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

/* ---- pass 1: scan the document with libyaml ------------------------------------------ */

typedef enum { VALUE_SCALAR, VALUE_MAPPING, VALUE_SEQUENCE } value_kind;

/* One key as written in the document: a section (section == NULL) or a key in one. */
typedef struct scanned_key {
    char *section;
    char *name;
    value_kind kind;
    char *text; /* the scalar value, else NULL */
    unsigned key_line, value_line;
} scanned_key;

typedef struct scan {
    yaml_parser_t parser;
    const char *text;
    scanned_key *keys;
    size_t n, cap;
    unsigned root_line, last_line;
    problem *p;
} scan;

/* 1-based line of a byte offset, at most the text's last line: libyaml puts errors found
 * at the end of the input on the line after it. */
static unsigned line_at(const char *text, size_t offset) {
    unsigned line = 1;
    for (size_t i = 0; i < offset && text[i]; i++)
        if (text[i] == '\n' && text[i + 1]) line++;
    return line;
}

static unsigned mark_line(const scan *sc, const yaml_mark_t *m) {
    return m->line + 1 < sc->last_line ? (unsigned)m->line + 1 : sc->last_line;
}

static int scan_syntax_error(scan *sc) {
    const yaml_parser_t *ps = &sc->parser;
    if (ps->error == YAML_MEMORY_ERROR) return fail_at(sc->p, 0, "out of memory");
    /* Reader errors (bad encoding) only set a byte offset. */
    unsigned line = ps->error == YAML_READER_ERROR ? line_at(sc->text, ps->problem_offset)
                                                   : mark_line(sc, &ps->problem_mark);
    const char *what = ps->problem ? ps->problem : "unknown problem";
    if (!ps->context) return fail_at(sc->p, line, "invalid YAML: %s", what);
    return fail_at(sc->p, line, "invalid YAML: %s (%s at line %u)", what, ps->context,
                   mark_line(sc, &ps->context_mark));
}

/* Next event; aliases are refused here (and by CYAML_CFG_NO_ALIAS) since a config file has
 * no use for them and they would hide values from the strict checks. */
static int scan_next(scan *sc, yaml_event_t *ev) {
    if (!yaml_parser_parse(&sc->parser, ev)) return scan_syntax_error(sc);
    if (ev->type == YAML_ALIAS_EVENT) {
        unsigned line = mark_line(sc, &ev->start_mark);
        yaml_event_delete(ev);
        return fail_at(sc->p, line, "YAML aliases (*name) are not supported in config files");
    }
    return 0;
}

/* Skips the rest of a collection whose start event was just read. */
static int scan_skip(scan *sc) {
    for (int depth = 1; depth > 0;) {
        yaml_event_t ev;
        if (scan_next(sc, &ev)) return -1;
        if (ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_SEQUENCE_START_EVENT) depth++;
        if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT) depth--;
        yaml_event_delete(&ev);
    }
    return 0;
}

static scanned_key *scan_add(scan *sc) {
    if (sc->n == sc->cap) {
        size_t cap = sc->cap ? 2 * sc->cap : 32;
        scanned_key *keys = realloc(sc->keys, cap * sizeof *keys);
        if (!keys) return NULL;
        sc->keys = keys, sc->cap = cap;
    }
    scanned_key *k = &sc->keys[sc->n++];
    memset(k, 0, sizeof *k);
    return k;
}

static int scan_mapping(scan *sc, const char *section);

/* Reads one mapping entry whose key event is `key`, records it and consumes its value. */
static int scan_entry(scan *sc, const char *section, const yaml_event_t *key) {
    if (key->type != YAML_SCALAR_EVENT) {
        unsigned line = mark_line(sc, &key->start_mark);
        return fail_at(sc->p, line, "config keys must be plain names, not lists or mappings");
    }
    scanned_key *k = scan_add(sc);
    if (!k) return fail_at(sc->p, 0, "out of memory");
    k->name = strdup((const char *)key->data.scalar.value);
    k->section = section ? strdup(section) : NULL;
    k->key_line = mark_line(sc, &key->start_mark);
    if (!k->name || (section && !k->section)) return fail_at(sc->p, 0, "out of memory");

    yaml_event_t ev;
    if (scan_next(sc, &ev)) return -1;
    k->value_line = mark_line(sc, &ev.start_mark);
    int rc = 0;
    if (ev.type == YAML_SCALAR_EVENT) {
        k->kind = VALUE_SCALAR;
        k->text = strdup((const char *)ev.data.scalar.value);
        if (!k->text) rc = fail_at(sc->p, 0, "out of memory");
    } else if (ev.type == YAML_MAPPING_START_EVENT) {
        k->kind = VALUE_MAPPING;
        /* Only sections hold keys; deeper mappings are skipped and left to libcyaml. */
        rc = section ? scan_skip(sc) : scan_mapping(sc, k->name); /* k may move; its name not */
    } else {
        k->kind = VALUE_SEQUENCE;
        rc = scan_skip(sc);
    }
    yaml_event_delete(&ev);
    return rc;
}

/* Records the entries of a mapping whose start event was just read, up to its end. */
static int scan_mapping(scan *sc, const char *section) {
    for (;;) {
        yaml_event_t ev;
        if (scan_next(sc, &ev)) return -1;
        int rc = ev.type == YAML_MAPPING_END_EVENT ? 1 : scan_entry(sc, section, &ev);
        yaml_event_delete(&ev);
        if (rc) return rc > 0 ? 0 : -1;
    }
}

/* Reads the root node of the one document (if any) and checks that nothing follows. */
static int scan_document(scan *sc) {
    yaml_event_t ev;
    if (scan_next(sc, &ev)) return -1;
    sc->root_line = mark_line(sc, &ev.start_mark);
    int rc = 0;
    if (ev.type == YAML_MAPPING_START_EVENT) rc = scan_mapping(sc, NULL);
    if (ev.type == YAML_SEQUENCE_START_EVENT) rc = scan_skip(sc);
    yaml_event_delete(&ev);
    if (rc || scan_next(sc, &ev)) return -1; /* document end */
    yaml_event_delete(&ev);
    if (scan_next(sc, &ev)) return -1;
    unsigned line = mark_line(sc, &ev.start_mark);
    bool more = ev.type == YAML_DOCUMENT_START_EVENT;
    yaml_event_delete(&ev);
    return more ? fail_at(sc->p, line, "more than one YAML document (---) in a config file") : 0;
}

static int scan_stream(scan *sc) {
    yaml_event_t ev;
    if (scan_next(sc, &ev)) return -1; /* stream start */
    yaml_event_delete(&ev);
    if (scan_next(sc, &ev)) return -1;
    bool empty = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
    return empty ? 0 : scan_document(sc);
}

static void scan_free(scan *sc) {
    for (size_t i = 0; i < sc->n; i++) {
        free(sc->keys[i].section);
        free(sc->keys[i].name);
        free(sc->keys[i].text);
    }
    free(sc->keys);
}

/* The nth (1-based) occurrence of section.name (section NULL: a top-level key). */
static const scanned_key *scan_find(const scan *sc, const char *section, const char *name,
                                    int nth) {
    for (size_t i = 0; i < sc->n; i++) {
        const scanned_key *k = &sc->keys[i];
        bool same_section = section ? k->section && !strcmp(k->section, section) : !k->section;
        if (same_section && !strcmp(k->name, name) && --nth == 0) return k;
    }
    return NULL;
}

/* ---- pass 3: strict scalar checks ---------------------------------------------------- */

/* What a field's values look like, for messages. */
static const char *expected(const cyaml_schema_field_t *f, char *buf, size_t size) {
    switch (f->value.type) {
    case CYAML_UINT:
        return "an unsigned integer";
    case CYAML_BOOL:
        return "true or false";
    case CYAML_FLOAT:
        return "a number";
    case CYAML_STRING:
        snprintf(buf, size, "a string of at most %zu bytes", sizeof(config_string) - 1);
        return buf;
    default: /* CYAML_ENUM */
        snprintf(buf, size, "one of");
        for (uint32_t i = 0; i < f->value.enumeration.count; i++) {
            size_t n = strlen(buf);
            snprintf(buf + n, size - n, "%s %s", i ? "," : "", f->value.enumeration.strings[i].str);
        }
        return buf;
    }
}

/* Plain decimal digits, so that 010 is not read as octal nor 0x10 as hex. */
static bool parse_uint(const char *s, uint64_t max, bool *leading_zero, bool *too_big) {
    size_t n = strspn(s, "0123456789");
    if (n == 0 || s[n]) return false;
    *leading_zero = n > 1 && s[0] == '0';
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    *too_big = errno == ERANGE || v > max;
    return true;
}

/* YAML's decimal float syntax: [-+]?(.digits|digits[.digits])([eE][-+]?digits)? */
static bool is_decimal_number(const char *s) {
    s += *s == '-' || *s == '+';
    size_t lead = strspn(s, "0123456789");
    s += lead;
    size_t frac = 0;
    if (*s == '.') frac = strspn(++s, "0123456789"), s += frac;
    if (lead + frac == 0) return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        s += *s == '-' || *s == '+';
        size_t exp = strspn(s, "0123456789");
        if (exp == 0) return false;
        s += exp;
    }
    return *s == '\0';
}

static bool is_bool(const char *s) {
    static const char *const spellings[] = {"true", "True", "TRUE", "false", "False", "FALSE"};
    for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++)
        if (!strcmp(s, spellings[i])) return true;
    return false;
}

static bool is_enum_value(const cyaml_schema_field_t *f, const char *s) {
    for (uint32_t i = 0; i < f->value.enumeration.count; i++)
        if (!strcmp(s, f->value.enumeration.strings[i].str)) return true;
    return false;
}

/* Checks one scanned value against its schema field, with the same rules for files and
 * --set. */
static int check_value(const scanned_key *k, const cyaml_schema_field_t *f, problem *p) {
    char shown[80], want[128];
    unsigned line = k->value_line;
    if (k->kind != VALUE_SCALAR)
        return fail_at(p, line, "%s.%s must be %s, got a %s", k->section, k->name,
                       expected(f, want, sizeof want),
                       k->kind == VALUE_MAPPING ? "mapping" : "list");
    const char *v = k->text;
    bool ok = true;
    if (f->value.type == CYAML_UINT) {
        uint64_t max = f->value.data_size == 8 ? UINT64_MAX : UINT32_MAX;
        bool leading_zero = false, too_big = false;
        ok = parse_uint(v, max, &leading_zero, &too_big);
        if (ok && leading_zero)
            return fail_at(p, line, "%s.%s must be written without leading zeros, got '%s'",
                           k->section, k->name, printable(v, shown, sizeof shown));
        if (ok && too_big)
            return fail_at(p, line, "%s.%s must be at most %" PRIu64 ", got '%s'", k->section,
                           k->name, max, printable(v, shown, sizeof shown));
    } else if (f->value.type == CYAML_FLOAT) {
        ok = is_decimal_number(v);
        if (ok && !isfinite(strtod(v, NULL)))
            return fail_at(p, line, "%s.%s must be a finite number, got '%s'", k->section, k->name,
                           printable(v, shown, sizeof shown));
    } else if (f->value.type == CYAML_BOOL) {
        ok = is_bool(v);
    } else if (f->value.type == CYAML_STRING) {
        ok = strlen(v) < sizeof(config_string); /* libcyaml's own limit is off: this message */
    } else {
        ok = is_enum_value(f, v);
    }
    if (ok) return 0;
    return fail_at(p, line, "%s.%s must be %s, got '%s'", k->section, k->name,
                   expected(f, want, sizeof want), printable(v, shown, sizeof shown));
}

/* After libcyaml accepted the document every scanned key is known; check their values. */
static int check_values(const scan *sc, problem *p) {
    for (size_t i = 0; i < sc->n; i++) {
        const scanned_key *k = &sc->keys[i];
        if (!k->section) continue;
        int s = find_section(k->section, strlen(k->section));
        int f = s < 0 ? -1 : find_key(s, k->name, strlen(k->name));
        if (f < 0) return fail_at(p, k->key_line, "internal error: unchecked key '%s'", k->name);
        if (check_value(k, &section_keys(s)[f], p)) return -1;
    }
    return 0;
}

/* ---- pass 2: libcyaml and its messages ------------------------------------------------ */

/* libcyaml's error-level log lines: the message, then "Load: Backtrace:" and one
 * "  in mapping field 'NAME' (line: L, column: C)" or "  in mapping (line: ...)" line per
 * mapping it was in, innermost first. */
typedef struct captured_log {
    char lines[12][1024];
    int n;
} captured_log;

static void capture_log(cyaml_log_t level, void *ctx, const char *fmt, va_list args) {
    captured_log *log = ctx;
    if (level < CYAML_LOG_ERROR || log->n == (int)(sizeof log->lines / sizeof log->lines[0]))
        return;
    char *line = log->lines[log->n++];
    vsnprintf(line, sizeof log->lines[0], fmt, args);
    line[strcspn(line, "\n")] = '\0';
}

typedef struct cyaml_frame {
    char name[128]; /* the mapping field being read, "" if none */
    unsigned line;
} cyaml_frame;

/* Splits the captured log into the message and the backtrace frames. */
static const char *parse_cyaml_log(const captured_log *log, cyaml_frame *frames, int *n_frames) {
    const char *message = NULL;
    *n_frames = 0;
    for (int i = 0; i < log->n; i++) {
        const char *l = log->lines[i];
        if (!strncmp(l, "  in ", 5) && *n_frames < 4) {
            cyaml_frame *fr = &frames[(*n_frames)++];
            const char *name = strstr(l, "field '");
            const char *line = strstr(l, "(line: ");
            fr->name[0] = '\0';
            if (name) sscanf(name + 7, "%127[^']", fr->name);
            fr->line = line ? (unsigned)strtoul(line + 7, NULL, 10) : 0;
        } else if (!message && strcmp(l, "Load: Backtrace:")) {
            message = !strncmp(l, "Load: ", 6) ? l + 6 : l;
        }
    }
    return message;
}

static int unknown_key(const scan *sc, const char *section, const char *name, problem *p) {
    const scanned_key *k = scan_find(sc, section, name, 1);
    unsigned line = k ? k->key_line : 0;
    char shown[80], valid[256] = "";
    printable(name, shown, sizeof shown);
    if (!section) {
        list_names(valid, sizeof valid, -1);
        return fail_at(p, line, "unknown section '%s' (sections: %s)", shown, valid);
    }
    list_names(valid, sizeof valid, find_section(section, strlen(section)));
    return fail_at(p, line, "unknown key '%s' in section '%s' (keys: %s)", shown, section, valid);
}

static int duplicate_key(const scan *sc, const char *section, const char *name, problem *p) {
    const scanned_key *k = scan_find(sc, section, name, 2);
    unsigned line = k ? k->key_line : 0;
    if (!section) return fail_at(p, line, "duplicate section '%s'", name);
    return fail_at(p, line, "duplicate key '%s' in section '%s'", name, section);
}

/* A value libcyaml refused: rerun our own check for the message. */
static int bad_value(const scan *sc, const char *section, const char *name, const char *message,
                     unsigned fallback_line, problem *p) {
    const scanned_key *k = scan_find(sc, section, name, 1);
    int s = find_section(section, strlen(section));
    int f = s < 0 ? -1 : find_key(s, name, strlen(name));
    if (k && f >= 0 && check_value(k, &section_keys(s)[f], p)) return -1;
    return fail_at(p, k ? k->value_line : fallback_line, "%s.%s: %s", section, name, message);
}

static int bad_section(const scan *sc, const char *name, problem *p) {
    const scanned_key *k = scan_find(sc, NULL, name, 1);
    char shown[80];
    if (k && k->kind == VALUE_SCALAR)
        return fail_at(p, k->value_line, "section '%s' must be a mapping of keys, got '%s'", name,
                       printable(k->text, shown, sizeof shown));
    return fail_at(p, k ? k->value_line : 0, "section '%s' must be a mapping of keys, got a list",
                   name);
}

/* Turns a libcyaml failure into a problem, with the line taken from the scan. */
static int explain_cyaml(cyaml_err_t e, const captured_log *log, const scan *sc, problem *p) {
    cyaml_frame frames[4];
    int n;
    const char *message = parse_cyaml_log(log, frames, &n);
    if (!message) message = cyaml_strerror(e);
    /* Two frames: inside a section, named by the outer frame. One frame: at the top. */
    const char *section = n >= 2 ? frames[n - 1].name : NULL;
    if (section && !*section) section = NULL;
    static const char unexpected[] = "Unexpected key: ", seen[] = "Mapping field already seen: ";
    if (!strncmp(message, unexpected, sizeof unexpected - 1))
        return unknown_key(sc, section, message + sizeof unexpected - 1, p);
    if (!strncmp(message, seen, sizeof seen - 1))
        return duplicate_key(sc, section, message + sizeof seen - 1, p);
    if (e == CYAML_ERR_INVALID_VALUE && section && frames[0].name[0])
        return bad_value(sc, section, frames[0].name, message, frames[0].line, p);
    if (e == CYAML_ERR_INVALID_VALUE && n == 1 && frames[0].name[0])
        return bad_section(sc, frames[0].name, p);
    if (e == CYAML_ERR_INVALID_VALUE && n == 0) {
        char valid[256] = "";
        list_names(valid, sizeof valid, -1);
        return fail_at(p, sc->root_line, "a config must be a mapping of sections (%s)", valid);
    }
    return fail_at(p, n ? frames[0].line : 0, "%s", message);
}

/* ---- loading ------------------------------------------------------------------------- */

/* Section s of a loaded sparse config (NULL if absent), as bytes for the field offsets. */
static const char *sparse_section(const sparse_config *sp, size_t s) {
    return sp ? *(char *const *)((const char *)sp + config_fields[s].data_offset) : NULL;
}

static int check_complete(const sparse_config *sp, problem *p) {
    for (size_t s = 0; s < N_SECTIONS; s++) {
        const char *sec = sparse_section(sp, s);
        const cyaml_schema_field_t *f = section_keys((int)s);
        for (int k = 0; f[k].key; k++)
            if (!sec || !*(void *const *)(sec + f[k].data_offset))
                return fail_at(p, 0, "missing key '%s.%s'", config_fields[s].key, f[k].key);
    }
    return 0;
}

/* Copies the keys present in the sparse struct into cfg. */
static void merge(const sparse_config *sp, mdl_config *cfg) {
    for (size_t s = 0; s < N_SECTIONS; s++) {
        const char *sec = sparse_section(sp, s);
        if (!sec) continue;
        const cyaml_schema_field_t *f = section_keys((int)s);
        for (int k = 0; f[k].key; k++) {
            const void *value = *(void *const *)(sec + f[k].data_offset);
            char *dst = (char *)cfg + section_offsets[s][k];
            if (value && f[k].value.type == CYAML_STRING)
                snprintf(dst, sizeof(config_string), "%s", (const char *)value);
            else if (value)
                memcpy(dst, value, f[k].value.data_size);
        }
    }
}

/* Applies the YAML text to cfg; with require_all every key must be present. */
static int load_text(mdl_config *cfg, const char *text, size_t len, bool require_all, problem *p) {
    scan sc = {.text = text, .last_line = line_at(text, len), .p = p};
    if (!yaml_parser_initialize(&sc.parser)) return fail_at(p, 0, "out of memory");
    yaml_parser_set_input_string(&sc.parser, (const unsigned char *)text, len);
    int rc = scan_stream(&sc);
    yaml_parser_delete(&sc.parser);

    captured_log log = {.n = 0};
    const cyaml_config_t cc = {
        .log_fn = capture_log,
        .log_ctx = &log,
        .mem_fn = cyaml_mem,
        .log_level = CYAML_LOG_WARNING,
        .flags = CYAML_CFG_NO_ALIAS, /* and keys stay case-sensitive */
    };
    cyaml_data_t *data = NULL; /* a sparse_config, or NULL for an empty document */
    if (rc == 0) {
        cyaml_err_t e =
            cyaml_load_data((const uint8_t *)text, len, &cc, &config_schema, &data, NULL);
        if (e != CYAML_OK) rc = explain_cyaml(e, &log, &sc, p);
    }
    const sparse_config *sp = data;
    if (rc == 0) rc = check_values(&sc, p);
    if (rc == 0 && require_all) rc = check_complete(sp, p);
    if (rc == 0) merge(sp, cfg);
    cyaml_free(&cc, &config_schema, data, 0);
    scan_free(&sc);
    return rc;
}

static int fail_in(mdl_err *err, const char *source, const problem *p) {
    if (p->line) return mdl_fail(err, "%s:%u: %s", source, p->line, p->what);
    return mdl_fail(err, "%s: %s", source, p->what);
}

int config_default(mdl_config *cfg, mdl_err *err) {
    mdl_config fresh;
    memset(&fresh, 0, sizeof fresh);
    problem p;
    const char *text = mdl_default_config_yaml;
    if (load_text(&fresh, text, strlen(text), true, &p))
        return fail_in(err, "embedded configs/default.yaml", &p);
    *cfg = fresh;
    return 0;
}

/* Whole file into a NUL-terminated buffer; config files are small, so anything large is
 * most likely the wrong file. */
static char *read_file(const char *path, size_t *len, mdl_err *err) {
    enum { MAX_BYTES = 1 << 20 };
    FILE *f = fopen(path, "rb");
    if (!f) return mdl_fail(err, "%s: cannot open config file: %s", path, strerror(errno)), NULL;
    char *buf = malloc(MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, MAX_BYTES + 1, f) : 0;
    int read_errno = errno;
    bool bad = !buf || ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return mdl_fail(err, "%s: cannot read config file: %s", path,
                        buf ? strerror(read_errno) : "out of memory"),
               NULL;
    }
    if (n > MAX_BYTES) {
        free(buf);
        return mdl_fail(err, "%s: config file is larger than 1 MiB", path), NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int config_load_file(mdl_config *cfg, const char *path, mdl_err *err) {
    size_t len;
    char *text = read_file(path, &len, err);
    if (!text) return -1;
    problem p;
    int rc = load_text(cfg, text, len, false, &p);
    free(text);
    return rc ? fail_in(err, path, &p) : 0;
}

int config_load_text(mdl_config *cfg, const char *text, const char *name, mdl_err *err) {
    problem p;
    return load_text(cfg, text, strlen(text), false, &p) ? fail_in(err, name, &p) : 0;
}

/* ---- --set --------------------------------------------------------------------------- */

/* Writes `section:\n  key: "value"\n`. The value is double-quoted, so YAML syntax in it
 * (`#`, `:`, `[`) stays part of the value and the strict checks see exactly what was typed. */
static char *set_document(const char *section, const char *key, const char *value) {
    size_t cap = strlen(section) + strlen(key) + 4 * strlen(value) + 16;
    char *doc = malloc(cap);
    if (!doc) return NULL;
    size_t n = (size_t)snprintf(doc, cap, "%s:\n  %s: \"", section, key);
    for (const char *c = value; *c; c++) {
        unsigned char ch = (unsigned char)*c;
        if (ch < 0x20 || ch == 0x7f) {
            n += (size_t)snprintf(doc + n, cap - n, "\\x%02x", ch);
            continue;
        }
        if (ch == '"' || ch == '\\') doc[n++] = '\\';
        doc[n++] = (char)ch;
    }
    snprintf(doc + n, cap - n, "\"\n");
    return doc;
}

int config_set(mdl_config *cfg, const char *assignment, mdl_err *err) {
    char shown[256];
    printable(assignment, shown, sizeof shown);
    const char *eq = strchr(assignment, '=');
    const char *dot = eq ? memchr(assignment, '.', (size_t)(eq - assignment)) : NULL;
    if (!dot) return mdl_fail(err, "--set %s: expected section.key=value", shown);
    int s = find_section(assignment, (size_t)(dot - assignment));
    int k = s < 0 ? -1 : find_key(s, dot + 1, (size_t)(eq - dot - 1));
    if (k < 0) {
        int name_len = (int)(eq - assignment);
        char valid[256] = "";
        list_names(valid, sizeof valid, s);
        if (s < 0)
            return mdl_fail(err, "--set %s: unknown config key '%.*s' (sections: %s)", shown,
                            name_len, assignment, valid);
        return mdl_fail(err, "--set %s: unknown config key '%.*s' (keys in '%s': %s)", shown,
                        name_len, assignment, config_fields[s].key, valid);
    }
    char *doc = set_document(config_fields[s].key, section_keys(s)[k].key, eq + 1);
    if (!doc) return mdl_fail(err, "--set %s: out of memory", shown);
    problem p;
    int rc = load_text(cfg, doc, strlen(doc), false, &p);
    free(doc);
    return rc ? mdl_fail(err, "--set %s: %s", shown, p.what) : 0;
}

/* ---- validation ---------------------------------------------------------------------- */

static int at_least_one(unsigned v, const char *name, mdl_err *err) {
    return v >= 1 ? 0 : mdl_fail(err, "%s must be at least 1", name);
}

/* The comparisons are written so that NaN fails them. */
static int positive(double v, const char *name, mdl_err *err) {
    return v > 0 && isfinite(v) ? 0 : mdl_fail(err, "%s must be greater than 0, got %g", name, v);
}

static int non_negative(double v, const char *name, mdl_err *err) {
    return v >= 0 && isfinite(v) ? 0 : mdl_fail(err, "%s must not be negative, got %g", name, v);
}

static int in_unit_interval(double v, bool include_one, const char *name, mdl_err *err) {
    if (v >= 0 && (include_one ? v <= 1 : v < 1)) return 0;
    return mdl_fail(err, "%s must be in [0, 1%s, got %g", name, include_one ? "]" : ")", v);
}

int config_validate(const mdl_config *cfg, mdl_err *err) {
    const model_config *m = &cfg->model;
    const train_config *t = &cfg->train;
    if (at_least_one(m->n_layer, "model.n_layer", err) ||
        at_least_one(m->n_head, "model.n_head", err) ||
        at_least_one(m->d_model, "model.d_model", err) ||
        at_least_one(m->context, "model.context", err) || at_least_one(m->d_ff, "model.d_ff", err))
        return -1;
    if (m->d_model % m->n_head)
        return mdl_fail(err, "model.n_head (%u) does not divide model.d_model (%u)", m->n_head,
                        m->d_model);
    if (at_least_one(t->streams, "train.streams", err) ||
        at_least_one(t->segment, "train.segment", err))
        return -1;
    if (t->segment > m->context)
        return mdl_fail(err, "train.segment (%u) is longer than model.context (%u)", t->segment,
                        m->context);
    if (positive(t->lr, "train.lr", err) ||
        in_unit_interval(t->min_lr_ratio, true, "train.min_lr_ratio", err) ||
        in_unit_interval(t->beta1, false, "train.beta1", err) ||
        in_unit_interval(t->beta2, false, "train.beta2", err) ||
        positive(t->eps, "train.eps", err) ||
        non_negative(t->weight_decay, "train.weight_decay", err) ||
        non_negative(t->grad_clip, "train.grad_clip", err) ||
        positive(t->head_lr_scale, "train.head_lr_scale", err) ||
        positive(t->embedding_lr_scale, "train.embedding_lr_scale", err) ||
        at_least_one(t->repeats_per_step, "train.repeats_per_step", err) ||
        at_least_one(t->passes, "train.passes", err))
        return -1;
    const analysis_config *a = &cfg->analysis;
    unsigned seen = m->context + m->memory; /* positions a coded byte's window can hold */
    unsigned P = a->extract_prefix ? a->extract_prefix : seen - t->segment;
    unsigned S = a->extract_suffix ? a->extract_suffix : t->segment;
    if (a->extract_samples > 0 && P < seen - t->segment)
        return mdl_fail(err,
                        "analysis.extract_prefix (%u) must be at least model.context + "
                        "model.memory - train.segment (%u): training only learns to predict the "
                        "positions after a window's prefix",
                        P, seen - t->segment);
    if (a->extract_samples > 0 && P == 0)
        return mdl_fail(err, "analysis.extract_prefix must be at least 1");
    if (a->extract_samples > 0 && (uint64_t)P + S > seen)
        return mdl_fail(err,
                        "analysis.extract_prefix + analysis.extract_suffix (%u + %u) must be at "
                        "most model.context + model.memory (%u)",
                        P, S, seen);
    if (m->ngram_order > MDL_NGRAM_MAX_ORDER)
        return mdl_fail(err, "model.ngram_order must be at most %d, got %u", MDL_NGRAM_MAX_ORDER,
                        m->ngram_order);
    if (m->ngram_order >= 2 && m->ngram_buckets == 0)
        return mdl_fail(err, "model.ngram_buckets must be at least 1 with model.ngram_order %u",
                        m->ngram_order);
    if (m->ngram_order >= 2 &&
        (uint64_t)(m->ngram_order - 1) * m->ngram_buckets > (uint64_t)INT32_MAX / m->d_model)
        return mdl_fail(err,
                        "model.ngram_buckets (%u) x (model.ngram_order - 1) x model.d_model is "
                        "too large a table",
                        m->ngram_buckets);
    if (m->memory > 0 && m->position == POSITION_LEARNED)
        return mdl_fail(err, "model.memory needs model.position rope or none: learned absolute "
                             "positions cannot place the memory's rows");
    if (m->memory > 0 && m->context != t->segment)
        return mdl_fail(err,
                        "model.memory (%u) needs model.context == train.segment (%u vs %u): the "
                        "memory replaces the recomputed prefix",
                        m->memory, m->context, t->segment);
    if ((unsigned)m->position >= CYAML_ARRAY_LEN(position_names))
        return mdl_fail(err, "model.position has no valid value (%d)", (int)m->position);
    if (m->position == POSITION_ROPE && (m->d_model / m->n_head) % 2)
        return mdl_fail(err,
                        "model.position rope needs an even head size, got d_model / n_head = "
                        "%u / %u = %u",
                        m->d_model, m->n_head, m->d_model / m->n_head);
    if ((unsigned)t->schedule >= CYAML_ARRAY_LEN(schedule_names))
        return mdl_fail(err, "train.schedule has no valid value (%d)", (int)t->schedule);
    if (cfg->corpus.holdout_fraction >= 1.0 ||
        non_negative(cfg->corpus.holdout_fraction, "corpus.holdout_fraction", err))
        return cfg->corpus.holdout_fraction >= 1.0
                   ? mdl_fail(err, "corpus.holdout_fraction must be below 1, got %g",
                              cfg->corpus.holdout_fraction)
                   : -1;
    return positive(cfg->run.flush_seconds, "run.flush_seconds", err);
}

/* ---- output -------------------------------------------------------------------------- */

/* The shortest form that reads back to the same double, always with a '.' so that YAML 1.1
 * readers (PyYAML) see a float: 0.002, 1.0e-08, 2.0. */
static void format_double(double v, char *buf, size_t size) {
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, size, "%.*g", digits, v);
        if (strtod(buf, NULL) == v) break;
    }
    if (!isfinite(v) || strchr(buf, '.')) return;
    char *e = strchr(buf, 'e');
    char exponent[16] = "";
    if (e) {
        snprintf(exponent, sizeof exponent, "%s", e);
        *e = '\0';
    }
    size_t n = strlen(buf);
    snprintf(buf + n, size - n, ".0%s", exponent);
}

/* The YAML name of value v in an enum's name table. */
static const char *enum_name(const cyaml_strval_t *names, size_t n, int64_t v) {
    for (size_t i = 0; i < n; i++)
        if (names[i].val == v) return names[i].str;
    return "unknown";
}

static void format_value(const cyaml_schema_field_t *f, const void *p, char *buf, size_t size) {
    switch (f->value.type) {
    case CYAML_UINT:
        if (f->value.data_size == 8) {
            uint64_t v;
            memcpy(&v, p, sizeof v);
            snprintf(buf, size, "%" PRIu64, v);
        } else {
            unsigned v;
            memcpy(&v, p, sizeof v);
            snprintf(buf, size, "%u", v);
        }
        break;
    case CYAML_BOOL:
        snprintf(buf, size, "%s", *(const bool *)p ? "true" : "false");
        break;
    case CYAML_FLOAT:
        format_double(*(const double *)p, buf, size);
        break;
    case CYAML_STRING: { /* double-quoted, so any text reads back as the same string */
        size_t n = 0;
        buf[n++] = '"';
        for (const char *c = p; *c && n + 6 < size; c++) {
            unsigned char ch = (unsigned char)*c;
            if (ch < 0x20 || ch == 0x7f) {
                n += (size_t)snprintf(buf + n, size - n, "\\x%02x", ch);
                continue;
            }
            if (ch == '"' || ch == '\\') buf[n++] = '\\';
            buf[n++] = (char)ch;
        }
        snprintf(buf + n, size - n, "\"");
        break;
    }
    default: { /* an enum: its YAML name */
        int v;
        memcpy(&v, p, sizeof v);
        snprintf(buf, size, "%s",
                 enum_name(f->value.enumeration.strings, f->value.enumeration.count, v));
    } break;
    }
}

char *config_to_yaml(const mdl_config *cfg, mdl_err *err) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) return mdl_fail(err, "config_to_yaml: out of memory"), NULL;
    for (size_t s = 0; s < N_SECTIONS; s++) {
        fprintf(out, "%s:\n", config_fields[s].key);
        const cyaml_schema_field_t *f = section_keys((int)s);
        for (int k = 0; f[k].key; k++) {
            char value[4 * sizeof(config_string) + 8];
            format_value(&f[k], (const char *)cfg + section_offsets[s][k], value, sizeof value);
            fprintf(out, "  %s: %s\n", f[k].key, value);
        }
    }
    if (fclose(out) != 0) {
        free(text);
        return mdl_fail(err, "config_to_yaml: out of memory"), NULL;
    }
    return text;
}

const char *model_position_name(model_position p) {
    return enum_name(position_names, CYAML_ARRAY_LEN(position_names), (int64_t)p);
}

const char *lr_schedule_name(lr_schedule s) {
    return enum_name(schedule_names, CYAML_ARRAY_LEN(schedule_names), (int64_t)s);
}
