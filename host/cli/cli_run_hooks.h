/* What `run` and `train` do while the loop runs (cli_run_hooks.c): the results file's
 * curve, progress bars, stop signals and checkpoints. */
#ifndef MDL_CLI_RUN_HOOKS_H
#define MDL_CLI_RUN_HOOKS_H

#include <signal.h>
#include <stdint.h>

#include "checkpoint.h"
#include "config.h"
#include "corpus.h"
#include "prequential.h"
#include "progress.h"
#include "results.h"

/* Every curve row is kept (checkpoints carry the curve); rows are written to the results
 * file, with a flush, every run.flush_seconds. */
typedef struct run_state {
    results_writer *results;
    curve_row *rows;
    size_t n_rows, cap_rows, n_written;
    double last_flush, flush_seconds;
    progress train_bar, eval_bar;
    int show_progress, eval_started;
    char eval_label[48]; /* what the eval bar shows: "final model", "pass 2", ... */
    uint64_t bytes_done, total_bytes;
    /* checkpoints */
    const char *ckpt_dir;
    unsigned ckpt_every, ckpt_keep;
    uint64_t steps, passes;
    int wrote_ckpt;
    uint64_t last_pass, last_step; /* of the last checkpoint written */
    char *last_ckpt_path;
    int stopped_mid_step; /* a signal ended a step between its updates: no checkpoint of it */
    const char *config_yaml;
    const corpus *corpus;
    uint64_t corpus_hash;
    /* a rank other than 0 of a data-parallel run: no curve, progress or checkpoint files,
     * the hooks only answer the stop and checkpoint questions that the loop agrees on */
    int follower;
} run_state;

/* The hooks of prequential_run over a run_state. */
preq_hooks run_hooks(run_state *st);

/* Starts from a checkpoint's curve: its rows are written to the results file first. */
int run_state_resume(run_state *st, const preq_checkpoint *cp, mdl_err *err);

/* Writes the rows not yet in the results file. */
int run_state_flush(run_state *st, mdl_err *err);

void run_state_free(run_state *st);

/* SIGINT stops at the end of the step (exit 130, FILE.partial "interrupted"); SIGTERM and
 * SIGUSR1 preempt: checkpoint at the end of the step, then exit 75 (FILE.partial
 * "preempted"). A step of several updates is ended between two of them instead, without
 * a checkpoint (the last one written stays valid). A second signal ends the process at
 * once. */
void install_stop_handlers(void);
/* The signal received (0: none). */
int stop_signal_received(void);
int stop_is_preemption(void);

#endif
