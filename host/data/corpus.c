/* Corpus loading (docs/design.md §1): walk, sort, resolve, deduplicate, memory-map. */
#include "corpus.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rng.h"

static void install_sigbus_handler(void); /* reads of the mapped files, below */

/* A growable list of strings (the names of one directory). */
typedef struct string_list {
    char **items;
    size_t n, cap;
} string_list;

static int string_list_push(string_list *l, const char *s, mdl_err *err) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **items = realloc(l->items, cap * sizeof *items);
        if (!items) return mdl_fail(err, "out of memory listing corpus files");
        l->items = items;
        l->cap = cap;
    }
    if (!(l->items[l->n] = strdup(s))) return mdl_fail(err, "out of memory listing corpus files");
    l->n++;
    return 0;
}

static void string_list_free(string_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
}

/* The files found, each as its resolved path (its identity) and as the user's argument
 * led to it (what results show), in parallel lists. */
typedef struct file_list {
    string_list resolved, shown;
} file_list;

static int file_list_push(file_list *l, const char *resolved, const char *shown, mdl_err *err) {
    if (string_list_push(&l->resolved, resolved, err) != 0) return -1;
    if (string_list_push(&l->shown, shown, err) == 0) return 0;
    free(l->resolved.items[--l->resolved.n]);
    return -1;
}

static void file_list_free(file_list *l) {
    string_list_free(&l->resolved);
    string_list_free(&l->shown);
}

static int compare_strings(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the regular files under dir (recursively, names sorted bytewise at each level),
 * shown as dir/relative path. */
static int walk_directory(const char *dir, file_list *out, int depth, mdl_err *err) {
    if (depth > 64) return mdl_fail(err, "%s: directory nesting deeper than 64 (a cycle?)", dir);
    DIR *d = opendir(dir);
    if (!d) return mdl_fail(err, "%s: cannot read corpus directory: %s", dir, strerror(errno));
    string_list names = {0};
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        rc = string_list_push(&names, e->d_name, err);
    }
    closedir(d);
    if (rc == 0 && names.n > 1) qsort(names.items, names.n, sizeof *names.items, compare_strings);
    const char *sep = dir[strlen(dir) - 1] == '/' ? "" : "/";
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s%s%s", dir, sep, names.items[i]) >= (int)sizeof path) {
            rc = mdl_fail(err, "%s%s%s: path too long", dir, sep, names.items[i]);
            break;
        }
        struct stat st;
        if (stat(path, &st) != 0) {
            rc = mdl_fail(err, "%s: cannot read corpus file: %s", path, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk_directory(path, out, depth + 1, err);
        } else if (S_ISREG(st.st_mode)) {
            char resolved[PATH_MAX];
            if (!realpath(path, resolved))
                rc = mdl_fail(err, "%s: cannot resolve path: %s", path, strerror(errno));
            else
                rc = file_list_push(out, resolved, path, err);
        } /* sockets, fifos and devices inside a directory are not documents */
    }
    string_list_free(&names);
    return rc;
}

/* Expands one --corpus argument into its files. */
static int expand_corpus_path(const char *arg, file_list *out, mdl_err *err) {
    struct stat st;
    if (stat(arg, &st) != 0)
        return mdl_fail(err, "%s: corpus path does not exist: %s", arg, strerror(errno));
    char resolved[PATH_MAX];
    if (!realpath(arg, resolved))
        return mdl_fail(err, "%s: cannot resolve path: %s", arg, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        size_t before = out->resolved.n;
        if (walk_directory(arg, out, 0, err) != 0) return -1;
        if (out->resolved.n == before)
            return mdl_fail(err, "%s: corpus directory has no files", arg);
        return 0;
    }
    if (!S_ISREG(st.st_mode)) return mdl_fail(err, "%s: corpus path is not a regular file", arg);
    if (st.st_size == 0) return mdl_fail(err, "%s: corpus file is empty", arg);
    return file_list_push(out, resolved, arg, err);
}

static int map_document(corpus_doc *doc, mdl_err *err) {
    int fd = open(doc->name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return mdl_fail(err, "%s: cannot read corpus file: %s", doc->name, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return mdl_fail(err, "%s: cannot read corpus file: %s", doc->name, strerror(e));
    }
    doc->size = (uint64_t)st.st_size;
    doc->bytes = NULL;
    if (doc->size > 0) {
        void *p = mmap(NULL, doc->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            return mdl_fail(err, "%s: cannot map corpus file: %s", doc->name, strerror(e));
        }
        madvise(p, doc->size, MADV_SEQUENTIAL);
        doc->bytes = p;
    }
    close(fd);
    return 0;
}

int corpus_load(corpus *c, const char *const *paths, size_t n_paths, mdl_err *err) {
    install_sigbus_handler();
    memset(c, 0, sizeof *c);
    if (n_paths == 0) return mdl_fail(err, "no corpus given (use --corpus PATH)");
    file_list files = {0};
    for (size_t i = 0; i < n_paths; i++) {
        if (expand_corpus_path(paths[i], &files, err) != 0) {
            file_list_free(&files);
            return -1;
        }
    }
    c->docs = calloc(files.resolved.n, sizeof *c->docs);
    if (!c->docs) {
        file_list_free(&files);
        return mdl_fail(err, "out of memory loading the corpus");
    }
    /* keep each resolved file once, at its first place (quadratic only in the worst case
     * of many --corpus arguments; a sorted index keeps it O(n log n)) */
    char **sorted = malloc((files.resolved.n ? files.resolved.n : 1) * sizeof *sorted);
    size_t n_sorted = 0;
    int rc = sorted ? 0 : mdl_fail(err, "out of memory loading the corpus");
    for (size_t i = 0; rc == 0 && i < files.resolved.n; i++) {
        char *key = files.resolved.items[i];
        if (n_sorted && bsearch(&key, sorted, n_sorted, sizeof *sorted, compare_strings)) continue;
        /* insertion keeps `sorted` ordered; corpora are at most ~1e5 files */
        size_t pos = n_sorted;
        while (pos > 0 && strcmp(sorted[pos - 1], key) > 0) {
            sorted[pos] = sorted[pos - 1];
            pos--;
        }
        sorted[pos] = key;
        n_sorted++;
        corpus_doc *doc = &c->docs[c->n_docs];
        doc->name = strdup(key);
        doc->shown = strdup(files.shown.items[i]);
        if (!doc->name || !doc->shown) {
            rc = mdl_fail(err, "out of memory loading the corpus");
            break;
        }
        c->n_docs++;
        rc = map_document(doc, err);
        doc->offset = c->n_bytes;
        c->n_bytes += doc->size;
    }
    free(sorted);
    file_list_free(&files);
    if (rc == 0 && c->n_bytes == 0)
        rc = mdl_fail(err, "%s: corpus has no bytes (every file is empty)", paths[0]);
    if (rc != 0) corpus_free(c);
    return rc;
}

void corpus_free(corpus *c) {
    for (size_t i = 0; i < c->n_docs; i++) {
        if (c->docs[i].bytes) munmap((void *)c->docs[i].bytes, c->docs[i].size);
        free(c->docs[i].name);
        free(c->docs[i].shown);
    }
    free(c->docs);
    memset(c, 0, sizeof *c);
}

size_t corpus_doc_index(const corpus *c, uint64_t pos) {
    /* the last document whose offset is <= pos and that is not empty */
    size_t lo = 0, hi = c->n_docs;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->docs[mid].offset <= pos)
            lo = mid;
        else
            hi = mid;
    }
    while (lo + 1 < c->n_docs && c->docs[lo].offset + c->docs[lo].size <= pos) lo++;
    return lo;
}

/* ---- reads of the mapped files ------------------------------------------------------
 * A file truncated while it is mapped makes reading its lost pages raise SIGBUS. Inside
 * corpus_copy the handler jumps back out, the copy is zeroed and the document remembered
 * (corpus_fault), so that the loop can stop with an error naming it; anywhere else it
 * prints one line and exits. SA_NODEFER leaves SIGBUS unblocked after the jump. */

static sigjmp_buf copy_jump;
static volatile sig_atomic_t copying;
static const char *volatile copying_doc; /* the document being read */
static const char *volatile faulted_doc; /* the first one whose read faulted */

static void on_sigbus(int sig) {
    if (copying) siglongjmp(copy_jump, 1);
    static const char msg[] = "mdlbench: a corpus file changed (truncated?) while it was read: "
                              "its memory-mapped bytes are gone (SIGBUS)\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(128 + sig);
}

static void install_sigbus_handler(void) {
    static int installed;
    if (installed) return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigbus;
    sa.sa_flags = SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, NULL);
    installed = 1;
}

const char *corpus_fault(void) {
    return faulted_doc;
}

static void copy_docs(const corpus *c, uint64_t pos, size_t n, uint8_t *dst) {
    size_t d = corpus_doc_index(c, pos);
    while (n > 0) {
        const corpus_doc *doc = &c->docs[d];
        uint64_t in_doc = pos - doc->offset;
        size_t take = doc->size - in_doc < n ? (size_t)(doc->size - in_doc) : n;
        copying_doc = doc->shown;
        if (take) memcpy(dst, doc->bytes + in_doc, take);
        dst += take;
        pos += take;
        n -= take;
        d++;
    }
}

void corpus_copy(const corpus *c, uint64_t pos, size_t n, uint8_t *dst) {
    if (n == 0) return;
    /* volatile: what the jump back must find as it was */
    uint8_t *volatile to = dst;
    volatile size_t count = n;
    volatile uint64_t from = pos;
    if (sigsetjmp(copy_jump, 0)) {
        copying = 0;
        if (!faulted_doc) faulted_doc = copying_doc;
        memset(to, 0, count);
        return;
    }
    copying = 1;
    copy_docs(c, from, count, to);
    copying = 0;
}

/* ---- held-out documents ------------------------------------------------------------- */

static int matches_path(const char *path, const char *glob) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return fnmatch(glob, path, 0) == 0 || fnmatch(glob, base, 0) == 0;
}

/* A glob names a document by its path as given, its resolved path, or either file name. */
static int matches(const corpus_doc *doc, const char *glob) {
    return matches_path(doc->shown, glob) || matches_path(doc->name, glob);
}

static int matches_any(const corpus_doc *doc, const char *const *globs, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (matches(doc, globs[i])) return 1;
    return 0;
}

/* Orders candidates by a seeded hash of their index: a fixed, seed-dependent shuffle. */
typedef struct ranked {
    uint64_t key;
    size_t index;
} ranked;

static int compare_ranked(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}

int corpus_mark_holdout(corpus *c, const char *const *globs, size_t n_globs, double fraction,
                        uint64_t seed, mdl_err *err) {
    /* a glob that holds out nothing is most likely a typo: the run would train on the work */
    for (size_t g = 0; g < n_globs; g++) {
        size_t i = 0;
        while (i < c->n_docs && !matches(&c->docs[i], globs[g])) i++;
        if (i == c->n_docs)
            return mdl_fail(err,
                            "holdout glob '%s' matches no document of the corpus (globs "
                            "match the path, as given or resolved, or the file name)",
                            globs[g]);
    }
    for (size_t i = 0; i < c->n_docs; i++)
        c->docs[i].held_out = matches_any(&c->docs[i], globs, n_globs);
    size_t want = (size_t)llround(fraction * (double)c->n_docs);
    ranked *order = malloc((c->n_docs ? c->n_docs : 1) * sizeof *order);
    if (!order) return mdl_fail(err, "out of memory choosing held-out documents");
    size_t n = 0;
    for (size_t i = 0; i < c->n_docs; i++)
        if (!c->docs[i].held_out) order[n++] = (ranked){rng_bits(seed, 0x401d, i), i};
    qsort(order, n, sizeof *order, compare_ranked);
    for (size_t k = 0; k < want && k < n; k++) c->docs[order[k].index].held_out = 1;
    free(order);
    uint64_t trained = 0;
    for (size_t i = 0; i < c->n_docs; i++)
        if (!c->docs[i].held_out) trained += c->docs[i].size;
    if (trained == 0)
        return mdl_fail(err, "every document of the corpus is held out (--holdout, "
                             "corpus.holdout_fraction): nothing left to train on");
    return 0;
}

size_t corpus_count_held_out(const corpus *c) {
    size_t n = 0;
    for (size_t i = 0; i < c->n_docs; i++) n += c->docs[i].held_out != 0;
    return n;
}

int corpus_view(const corpus *c, int held_out, corpus *view, mdl_err *err) {
    memset(view, 0, sizeof *view);
    view->docs = calloc(c->n_docs ? c->n_docs : 1, sizeof *view->docs);
    if (!view->docs) return mdl_fail(err, "out of memory for a corpus view");
    for (size_t i = 0; i < c->n_docs; i++) {
        if ((c->docs[i].held_out != 0) != (held_out != 0)) continue;
        corpus_doc *d = &view->docs[view->n_docs++];
        *d = c->docs[i];
        d->offset = view->n_bytes;
        d->source = i;
        view->n_bytes += d->size;
    }
    return 0;
}

int corpus_slice(const corpus *c, uint64_t from, uint64_t n, corpus *view, mdl_err *err) {
    memset(view, 0, sizeof *view);
    view->docs = calloc(c->n_docs ? c->n_docs : 1, sizeof *view->docs);
    if (!view->docs) return mdl_fail(err, "out of memory for a corpus view");
    uint64_t to = from + n;
    for (size_t i = 0; i < c->n_docs && c->docs[i].offset < to; i++) {
        const corpus_doc *src = &c->docs[i];
        uint64_t lo = src->offset > from ? src->offset : from;
        uint64_t hi = src->offset + src->size < to ? src->offset + src->size : to;
        if (hi <= lo) continue;
        corpus_doc *d = &view->docs[view->n_docs++];
        *d = *src;
        d->bytes = src->bytes + (lo - src->offset);
        d->offset = lo - from;
        d->size = hi - lo;
    }
    view->n_bytes = n;
    return 0;
}

void corpus_view_free(corpus *view) {
    free(view->docs);
    memset(view, 0, sizeof *view);
}
