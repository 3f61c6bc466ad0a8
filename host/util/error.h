/* Error reporting for library-style code: functions return 0 on success or -1 with a
 * one-line message in an mdl_err; only main() decides to print and exit. */
#ifndef MDL_ERROR_H
#define MDL_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mdl_err {
    char msg[1024];
} mdl_err;

/* Formats the message into err (if not NULL) and returns -1, so callers can write
 * `return mdl_fail(err, "...")`. */
int mdl_fail(mdl_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif
