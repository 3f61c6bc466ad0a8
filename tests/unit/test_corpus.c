/* Corpus loading (walk order, symlinks, duplicates, boundaries, errors) and the stream and
 * segment layout of docs/design.md §1. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corpus.h"
#include "stream_layout.h"
#include "tests_common.h"

static void write_file(const char *dir, const char *name, const char *text) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    tests_write_file(path, text, strlen(text));
}

static char *join(const char *dir, const char *name) {
    char *p = malloc(PATH_MAX);
    snprintf(p, PATH_MAX, "%s/%s", dir, name);
    return p;
}

static void test_walk(const char *root) {
    char *sub = join(root, "d"), *deeper = join(root, "d/sub");
    mkdir(sub, 0755);
    mkdir(deeper, 0755);
    write_file(sub, "b.txt", "bbb");
    write_file(sub, "B.txt", "BB"); /* 'B' sorts before 'a' bytewise */
    write_file(sub, "a.txt", "a");
    write_file(deeper, "x", "xxxx");
    write_file(sub, "empty", "");
    char *link = join(sub, "z-link"), *target = join(sub, "a.txt");
    CHECK(symlink(target, link) == 0); /* resolves to a.txt: a duplicate */
    char *single = join(root, "single");
    write_file(root, "single", "0123456789");

    const char *paths[] = {single, sub, target}; /* a.txt again: kept once, first place */
    corpus c;
    mdl_err err;
    CHECKF(corpus_load(&c, paths, 3, &err) == 0, "%s", err.msg);
    const char *expect[] = {"single", "B.txt", "a.txt", "b.txt", "empty", "x"};
    const uint64_t sizes[] = {10, 2, 1, 3, 0, 4};
    CHECKF(c.n_docs == 6, "n_docs %zu", c.n_docs);
    uint64_t offset = 0;
    for (size_t i = 0; i < c.n_docs && i < 6; i++) {
        const char *base = strrchr(c.docs[i].name, '/') + 1;
        CHECKF(strcmp(base, expect[i]) == 0, "doc %zu is %s, expected %s", i, c.docs[i].name,
               expect[i]);
        CHECK(c.docs[i].name[0] == '/'); /* resolved */
        CHECK(c.docs[i].size == sizes[i]);
        CHECK(c.docs[i].offset == offset);
        offset += sizes[i];
    }
    CHECK(c.n_bytes == 20);
    /* concatenation across boundaries, skipping the empty document */
    uint8_t buf[20];
    corpus_copy(&c, 0, 20, buf);
    CHECK(memcmp(buf, "0123456789BBabbbxxxx", 20) == 0);
    corpus_copy(&c, 9, 4, buf);
    CHECK(memcmp(buf, "9BBa", 4) == 0);
    CHECK(corpus_doc_index(&c, 0) == 0);
    CHECK(corpus_doc_index(&c, 10) == 1);
    CHECK(corpus_doc_index(&c, 12) == 2);
    CHECK(corpus_doc_index(&c, 16) == 5); /* past the empty document */
    corpus_free(&c);
    free(sub), free(deeper), free(link), free(target), free(single);
}

static void expect_error(const char *path, const char *fragment) {
    corpus c;
    mdl_err err = {{0}};
    const char *paths[] = {path};
    CHECKF(corpus_load(&c, paths, 1, &err) != 0, "%s: loaded, expected an error", path);
    CHECKF(strstr(err.msg, path) && strstr(err.msg, fragment), "message '%s' lacks '%s'", err.msg,
           fragment);
    CHECK(strchr(err.msg, '\n') == NULL);
}

static void test_errors(const char *root) {
    char *missing = join(root, "missing"), *empty = join(root, "empty-file");
    char *nofiles = join(root, "nofiles"), *nested = join(root, "nofiles/inner");
    write_file(root, "empty-file", "");
    mkdir(nofiles, 0755);
    mkdir(nested, 0755);
    expect_error(missing, "does not exist");
    expect_error(empty, "empty");
    expect_error(nofiles, "no files");
    free(missing), free(empty), free(nofiles), free(nested);
}

static void test_layout(void) {
    mdl_config cfg = {0};
    cfg.model.context = 8;
    cfg.train.segment = 3;
    cfg.train.streams = 4;
    stream_layout lay;
    mdl_err err;
    /* N = 10, S = 4: L = 3, streams [0,3) [3,6) [6,9) [9,10), one step of 3 */
    CHECK(stream_layout_make(&lay, 10, &cfg, &err) == 0);
    CHECK(lay.stream_len == 3 && lay.steps == 1 && lay.prefix == 5);
    /* N = 100, S = 4, T = 3: L = 25, K = 9; prefixes grow 0, 3, 5, 5... */
    CHECK(stream_layout_make(&lay, 100, &cfg, &err) == 0);
    CHECK(lay.stream_len == 25 && lay.steps == 9);
    CHECK(stream_layout_seq_len(&lay, 0) == 3);
    CHECK(stream_layout_seq_len(&lay, 1) == 6);
    CHECK(stream_layout_seq_len(&lay, 2) == 8);
    CHECK(stream_layout_seq_len(&lay, 8) == 8);
    /* more streams than bytes */
    cfg.train.streams = 11;
    CHECK(stream_layout_make(&lay, 10, &cfg, &err) != 0);
    CHECK(strstr(err.msg, "train.streams") != NULL);
}

int main(void) {
    char *root = tests_tmpdir();
    test_walk(root);
    test_errors(root);
    test_layout();
    tests_remove_tmpdir(root);
    return tests_done("test_corpus");
}
