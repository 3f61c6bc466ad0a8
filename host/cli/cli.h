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
    const char **holdout; /* --holdout GLOB (repeatable), then corpus.holdout's globs */
    size_t n_holdout;
    char *holdout_text;         /* the split copy of corpus.holdout the list points into */
    const char *codecs;         /* run only: --codecs, default "default" */
    const char *orders;         /* run only: --orders, default "0,1,2,3" */
    char *command_line;         /* argv joined, for the results file */
    const char *checkpoint_dir; /* --checkpoint-dir, default OUTPUT.ckpt */
    const char *resume;         /* --resume PATH|auto, or NULL */
    char *default_ckpt_dir;     /* OUTPUT.ckpt when --checkpoint-dir is not given */
} train_options;

/* Exit code of a run preempted by SIGTERM or SIGUSR1 after writing its checkpoint
 * (EX_TEMPFAIL: try again, with --resume). */
#define MDL_EXIT_PREEMPTED 75

typedef enum { FMT_TEXT, FMT_MARKDOWN, FMT_CSV, FMT_JSON } report_format;

/* Parses text|markdown|csv|json; prints the error and returns -1 otherwise. */
int cli_parse_format(const char *arg, report_format *fmt);

int cmd_run(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_baselines(int argc, char **argv);
int cmd_init_weights(int argc, char **argv);
int cmd_compress(int argc, char **argv);
int cmd_decompress(int argc, char **argv);
/* `mdlbench info FILE.mdl`: what a compressed file holds (cli_decompress.c). */
int info_compressed(const char *path);

/* report --documents (cli_documents.c) over n results files. */
int report_documents(report_format fmt, const char *sort, char **paths, int n);

/* --codecs: "none", or a list for codec_parse_list (baselines.h). Prints the error. */
struct codec_spec;
int cli_parse_codecs(const char *arg, struct codec_spec **specs, size_t *n);
/* --orders: "0,1,2,3" or "none". Prints the error. */
int cli_parse_orders(const char *arg, int **orders, size_t *n);
/* baseline_plan.on_row for a terminal: ctx points to an int, non-zero to draw. */
void cli_baseline_progress(void *ctx, size_t i, size_t n, const char *name);

/* What a command's option parser returns: go on, an error it printed (cli_error's return
 * value), or --help shown. cli_parse_exit gives the command's exit code when it stops. */
enum { CLI_GO_ON = 0, CLI_FAILED = 1, CLI_HELP_SHOWN = 2 };
static inline int cli_parse_exit(int parsed) {
    return parsed == CLI_HELP_SHOWN ? 0 : 1;
}

/* Prints "mdlbench: <msg>" on stderr and returns the exit code for errors (1). */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* argv joined with single spaces (malloc'd). */
char *cli_join_args(int argc, char **argv);

/* Appends value to a growing array of arguments; -1 without memory. */
int cli_push_arg(const char ***list, size_t *n, const char *value);

/* --threads N: 1..4096; prints the error and returns 1 otherwise. */
int cli_parse_threads(const char *arg, int *threads);

/* Sets the OpenMP and OpenBLAS thread counts; 0 means all cores. Returns the count. */
int cli_set_threads(int threads);

/* HDF5 1.10 can loop for ever on a damaged file (a variable-length string whose heap
 * entry points back into itself: found by tests/fuzz/fuzz_h5.c, results/reliability.md).
 * A read that should take seconds is guarded by a watchdog: after `seconds` it prints the
 * message (formatted now, written from the signal handler with a newline) and exits 1.
 * Nothing is written before a guarded read, so nothing is lost. The timeout comes from the
 * environment variable env_name when it holds a positive number. */
long cli_timeout_seconds(const char *env_name, long fallback);
void cli_watchdog_start(long seconds, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_watchdog_stop(void);

#endif
