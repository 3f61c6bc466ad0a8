/* Subcommands of the mdlbench binary (one file each) and their shared option parsing. */
#ifndef MDL_CLI_H
#define MDL_CLI_H

#include <stddef.h>

#include "config.h"
#include "corpus.h"

#define MDL_DEFAULT_CORPUS "/usr/share/common-licenses"

/* Options shared by `run` and `train`. */
typedef struct train_options {
    const char **corpus_paths;
    size_t n_corpus;
    const char *config_path;
    const char **sets;
    size_t n_sets;
    const char *output;
    const char *device; /* cpu | cuda | auto */
    int threads;        /* 0: all cores */
    int quiet;
    char *command_line; /* argv joined, for the results file */
} train_options;

int cmd_run(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_info(int argc, char **argv);

/* Prints "mdlbench: <msg>" on stderr and returns the exit code for errors (1). */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* argv joined with single spaces (malloc'd). */
char *cli_join_args(int argc, char **argv);

/* Sets the OpenMP and OpenBLAS thread counts; 0 means all cores. Returns the count. */
int cli_set_threads(int threads);

#endif
