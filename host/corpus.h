/* The corpus: an ordered list of documents (DESIGN §1). Each --corpus path is a file or a
 * directory; directories are walked recursively with paths sorted bytewise; every file
 * is identified by its resolved path (symlinks followed) and kept once, at its first
 * place. Files are memory-mapped; the corpus is their concatenation x_1..x_N with the
 * document boundaries kept. */
#ifndef MDL_CORPUS_H
#define MDL_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct corpus_doc {
    char *name;           /* resolved path */
    uint64_t offset;      /* first byte in the concatenated corpus */
    uint64_t size;        /* bytes */
    const uint8_t *bytes; /* mapped contents (NULL when size is 0) */
} corpus_doc;

typedef struct corpus {
    corpus_doc *docs;
    size_t n_docs;
    uint64_t n_bytes;
} corpus;

int corpus_load(corpus *c, const char *const *paths, size_t n_paths, mdl_err *err);
void corpus_free(corpus *c);

/* Index of the document holding byte pos (pos < n_bytes). */
size_t corpus_doc_index(const corpus *c, uint64_t pos);

/* Copies bytes [pos, pos + n) of the concatenation into dst. */
void corpus_copy(const corpus *c, uint64_t pos, size_t n, uint8_t *dst);

#endif
