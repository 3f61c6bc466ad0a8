/* The corpus: an ordered list of documents (docs/design.md §1). Each --corpus path is a file or a
 * directory; directories are walked recursively with paths sorted bytewise; every file
 * is identified by its resolved path (symlinks followed) and kept once, at its first
 * place, and shown as the argument led to it (the argument, or the argument joined with
 * the path below it), so that results name files as the user did. Files are memory-mapped; the
 * corpus is their concatenation x_1..x_N with the document boundaries kept. */
#ifndef MDL_CORPUS_H
#define MDL_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct corpus_doc {
    char *name;           /* resolved path: the document's identity */
    char *shown;          /* the path as given (relative when the argument was) */
    uint64_t offset;      /* first byte in the concatenated corpus */
    uint64_t size;        /* bytes */
    const uint8_t *bytes; /* mapped contents (NULL when size is 0) */
    int held_out;         /* never trained on; coded by the final weights only */
    size_t source;        /* in a view: the document's index in the full corpus */
} corpus_doc;

typedef struct corpus {
    corpus_doc *docs;
    size_t n_docs;
    uint64_t n_bytes;
} corpus;

int corpus_load(corpus *c, const char *const *paths, size_t n_paths, mdl_err *err);
void corpus_free(corpus *c);

/* Marks held-out documents: those whose path (as given or resolved) or file name matches one of the
 * globs (fnmatch), plus round(fraction x documents) more chosen by seed among the rest.
 * Fails if a glob matches no document, or if every document would be held out. */
int corpus_mark_holdout(corpus *c, const char *const *globs, size_t n_globs, double fraction,
                        uint64_t seed, mdl_err *err);

size_t corpus_count_held_out(const corpus *c);

/* A view of the trained (held_out = 0) or held-out (held_out = 1) documents: their own
 * concatenation (offsets recomputed), sharing names and mapped bytes with c; each doc's
 * `source` is its index in c. Free with corpus_view_free. */
int corpus_view(const corpus *c, int held_out, corpus *view, mdl_err *err);
void corpus_view_free(corpus *view);

/* A view of bytes [from, from + n) of c's concatenation (from + n <= c->n_bytes): the parts
 * of the documents inside it, offsets rebased to 0, `source` kept from c. Free with
 * corpus_view_free. */
int corpus_slice(const corpus *c, uint64_t from, uint64_t n, corpus *view, mdl_err *err);

/* Index of the document holding byte pos (pos < n_bytes). */
size_t corpus_doc_index(const corpus *c, uint64_t pos);

/* Copies bytes [pos, pos + n) of the concatenation into dst. Should a file have been
 * truncated since it was mapped, dst is zeroed instead and corpus_fault names it. */
void corpus_copy(const corpus *c, uint64_t pos, size_t n, uint8_t *dst);

/* The document (path as given) whose mapped bytes a corpus_copy could not read since the
 * file changed (truncated while mapped), or NULL. The loop checks it after every step. */
const char *corpus_fault(void);

#endif
