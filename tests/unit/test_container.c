/* The .mdl container: a written file reads back field for field, and every kind of damage
 * (signature, version, truncation anywhere, a flipped bit in the header or the payload,
 * trailing bytes, names that would escape the output directory) is refused with its own
 * message. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "container.h"
#include "tests_common.h"

static uint8_t payload[1000];

static mdlz_header sample(char **names, uint64_t *sizes, size_t n_docs) {
    mdlz_header h = {.mdlbench_version = "0.1.0",
                     .commit = "abc123",
                     .backend = "cpu",
                     .precision = "fp32",
                     .threads = 2,
                     .device = "cpu: 2 threads",
                     .config_yaml = "model:\n  n_layer: 2\n",
                     .n_docs = n_docs,
                     .names = names,
                     .sizes = sizes,
                     .data_xxh64 = 0x1234567890abcdefull,
                     .preq_bits = 123.5,
                     .quantized_bits = 123.75,
                     .payload_bytes = sizeof payload};
    for (size_t i = 0; i < n_docs; i++) h.n_bytes += sizes[i];
    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)(i * 7 + 3);
    return h;
}

static uint8_t *load(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (fread(buf, 1, *len, f) != *len) *len = 0;
    fclose(f);
    return buf;
}

/* The image refused with a message containing `want`. */
static void expect_refused(const uint8_t *img, size_t len, const char *want, const char *what) {
    mdlz_header h;
    const uint8_t *p;
    mdl_err err = {0};
    int rc = mdlz_parse(img, len, "x.mdl", &h, &p, &err);
    CHECKF(rc != 0, "%s: accepted", what);
    if (rc == 0)
        mdlz_header_free(&h);
    else
        CHECKF(strstr(err.msg, want) != NULL, "%s: '%s' lacks '%s'", what, err.msg, want);
}

int main(void) {
    char *dir = tests_tmpdir(), path[PATH_MAX];
    snprintf(path, sizeof path, "%s/a.mdl", dir);
    char *names[] = {"a.txt", "sub/b.bin", "empty"};
    uint64_t sizes[] = {10, 20, 0};
    mdlz_header h = sample(names, sizes, 3);
    mdl_err err = {0};
    CHECK(mdlz_write(path, &h, payload, &err) == 0);
    /* the payload's checksum is the writer's caller's job: a wrong one is refused */
    size_t len;
    uint8_t *img = load(path, &len);
    CHECK(len == mdlz_header_bytes(&h) + sizeof payload);
    expect_refused(img, len, "payload checksum mismatch", "payload checksum");
    free(img);

    /* now with the right checksum: a clean read */
    h.payload_xxh64 = XXH64(payload, sizeof payload, 0);
    CHECK(mdlz_write(path, &h, payload, &err) == 0);
    mdlz_header r;
    uint8_t *got = NULL;
    CHECKF(mdlz_read(path, &r, &got, &err) == 0, "read: %s", err.msg);
    if (got) {
        CHECK(strcmp(r.mdlbench_version, "0.1.0") == 0 && strcmp(r.commit, "abc123") == 0);
        CHECK(strcmp(r.backend, "cpu") == 0 && strcmp(r.precision, "fp32") == 0);
        CHECK(r.threads == 2 && strcmp(r.device, "cpu: 2 threads") == 0);
        CHECK(strcmp(r.config_yaml, h.config_yaml) == 0);
        CHECK(r.n_docs == 3 && strcmp(r.names[1], "sub/b.bin") == 0 && r.sizes[1] == 20);
        CHECK(r.sizes[2] == 0 && r.n_bytes == 30 && r.data_xxh64 == h.data_xxh64);
        CHECK(r.preq_bits == 123.5 && r.quantized_bits == 123.75);
        CHECK(r.payload_bytes == sizeof payload && memcmp(got, payload, sizeof payload) == 0);
        mdlz_header_free(&r);
        free(got);
    }

    img = load(path, &len);
    size_t hdr = (size_t)mdlz_header_bytes(&h);
    uint8_t *bad = malloc(len + 1);
    /* signature, version */
    memcpy(bad, img, len);
    bad[1] = 'X';
    expect_refused(bad, len, "not an mdlbench compressed file", "signature");
    memcpy(bad, img, len);
    bad[8] = 9;
    expect_refused(bad, len, "format version 9", "version");
    /* every truncation point */
    for (size_t cut = 0; cut < len; cut++) {
        const char *want = cut < 8 ? "not an mdlbench" : "truncated";
        expect_refused(img, cut, want, "truncated");
    }
    /* a flipped bit anywhere in the header, its checksum included, or the payload */
    for (size_t at = 12; at < len; at += 3) {
        memcpy(bad, img, len);
        bad[at] ^= 0x10;
        expect_refused(bad, len, at < hdr ? "damaged" : "payload checksum", "bit flip");
    }
    memcpy(bad, img, len);
    bad[len] = 0;
    expect_refused(bad, len + 1, "unexpected bytes after the payload", "trailing byte");
    free(bad);
    free(img);

    /* names that would leave the output directory */
    const char *unsafe[] = {"../up", "/abs", "a//b", "a/./b", "", "a/..", "tab\there"};
    for (size_t i = 0; i < sizeof unsafe / sizeof *unsafe; i++) {
        char *one[] = {(char *)unsafe[i]};
        uint64_t sz[] = {5};
        mdlz_header u = sample(one, sz, 1);
        u.payload_xxh64 = h.payload_xxh64;
        CHECK(mdlz_name_ok(unsafe[i]) != 0);
        CHECK(mdlz_write(path, &u, payload, &err) == 0);
        img = load(path, &len);
        expect_refused(img, len, "cannot be restored safely", unsafe[i]);
        free(img);
    }
    CHECK(mdlz_name_ok("a/b.c") == 0 && mdlz_name_ok("..a") == 0 && mdlz_name_ok(".x") == 0);
    tests_remove_tmpdir(dir);
    return tests_done("test_container");
}
