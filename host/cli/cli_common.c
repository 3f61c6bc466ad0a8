#include "cli.h"

#include <cblas.h>
#include <omp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("mdlbench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

char *cli_join_args(int argc, char **argv) {
    size_t n = 1;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 1;
    char *s = malloc(n);
    if (!s) return NULL;
    s[0] = '\0';
    for (int i = 0; i < argc; i++) {
        if (i) strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

int cli_push_arg(const char ***list, size_t *n, const char *value) {
    const char **grown = realloc(*list, (*n + 1) * sizeof *grown);
    if (!grown) return -1;
    grown[(*n)++] = value;
    *list = grown;
    return 0;
}

int cli_parse_threads(const char *arg, int *threads) {
    char *end;
    long t = strtol(arg, &end, 10);
    if (*arg == '\0' || *end || t < 1 || t > 4096)
        return cli_error("--threads %s: expected a whole number from 1 to 4096", arg);
    *threads = (int)t;
    return 0;
}

int cli_set_threads(int threads) {
    if (threads <= 0) threads = omp_get_num_procs();
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
    return threads;
}

int cli_parse_format(const char *arg, report_format *fmt) {
    static const char *const names[] = {"text", "markdown", "csv", "json"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(arg, names[i]) == 0) {
            *fmt = (report_format)i;
            return 0;
        }
    }
    cli_error("--format %s: expected text, markdown, csv or json", arg);
    return -1;
}

/* ---- the watchdog over HDF5 reads ---------------------------------------------------- */

static char watchdog_msg[4200]; /* "mdlbench: ...", a path and a reason */

static void on_watchdog(int sig) {
    (void)sig;
    (void)!write(2, watchdog_msg, strlen(watchdog_msg));
    _exit(1);
}

long cli_timeout_seconds(const char *env_name, long fallback) {
    const char *env = getenv(env_name);
    return env && atol(env) > 0 ? atol(env) : fallback;
}

void cli_watchdog_start(long seconds, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(watchdog_msg, sizeof watchdog_msg - 1, fmt, ap);
    va_end(ap);
    size_t len = n < 0                                 ? 0
                 : (size_t)n < sizeof watchdog_msg - 1 ? (size_t)n
                                                       : sizeof watchdog_msg - 2;
    watchdog_msg[len] = '\n';
    watchdog_msg[len + 1] = '\0';
    signal(SIGALRM, on_watchdog);
    alarm((unsigned)(seconds < 86400 ? seconds : 86400));
}

void cli_watchdog_stop(void) {
    alarm(0);
    signal(SIGALRM, SIG_DFL);
}
