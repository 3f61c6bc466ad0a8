#include "tests_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tests_failures = 0;

void tests_fail(const char *file, int line, const char *what) {
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
    tests_failures++;
}

void tests_failf(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    tests_failures++;
}

int tests_done(const char *name) {
    if (tests_failures) {
        fprintf(stderr, "FAIL %s: %d check(s) failed\n", name, tests_failures);
        return 1;
    }
    printf("PASS %s\n", name);
    return 0;
}

char *tests_tmpdir(void) {
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    size_t n = strlen(base) + 32;
    char *path = malloc(n);
    snprintf(path, n, "%s/mdltest.XXXXXX", base);
    if (!mkdtemp(path)) {
        perror("mkdtemp");
        exit(2);
    }
    return path;
}

void tests_write_file(const char *path, const void *bytes, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(2);
    }
}

void tests_remove_tmpdir(char *path) {
    size_t n = strlen(path) + 16;
    char *cmd = malloc(n);
    snprintf(cmd, n, "rm -rf '%s'", path);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", path);
    free(cmd);
    free(path);
}
