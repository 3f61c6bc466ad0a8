/* Tiny assertion helpers shared by the C tests: a failed CHECK prints file:line and the
 * condition, and the test exits non-zero at the end (tests_done). */
#ifndef MDL_TESTS_COMMON_H
#define MDL_TESTS_COMMON_H

#include <stddef.h>

extern int tests_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) tests_fail(__FILE__, __LINE__, #cond);                                        \
    } while (0)
#define CHECKF(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) tests_failf(__FILE__, __LINE__, __VA_ARGS__);                                 \
    } while (0)

void tests_fail(const char *file, int line, const char *what);
void tests_failf(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prints PASS/FAIL with the name and returns the process exit code. */
int tests_done(const char *name);
/* A fresh temporary directory (mkdtemp under $TMPDIR or /tmp); caller frees the string. */
char *tests_tmpdir(void);

/* Removes a directory made by tests_tmpdir with everything in it, and frees the string. */
void tests_remove_tmpdir(char *path);

/* Writes n bytes to path (exits on failure: a broken test machine, not a test result). */
void tests_write_file(const char *path, const void *bytes, size_t n);

#endif
