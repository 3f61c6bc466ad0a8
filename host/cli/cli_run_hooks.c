/* The loop's hooks for `run` and `train` (cli_run_hooks.h). */
#include "cli_run_hooks.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "timer.h"

static volatile sig_atomic_t stop_signal = 0;

static void on_stop_signal(int sig) {
    stop_signal = sig;
}

void install_stop_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = (int)SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

int stop_signal_received(void) {
    return (int)stop_signal;
}

int stop_is_preemption(void) {
    return stop_signal == SIGTERM || stop_signal == SIGUSR1;
}

static int append_row(run_state *st, const curve_row *row, mdl_err *err) {
    if (st->n_rows == st->cap_rows) {
        size_t cap = st->cap_rows ? 2 * st->cap_rows : 1024;
        curve_row *grown = realloc(st->rows, cap * sizeof *grown);
        if (!grown) return mdl_fail(err, "out of memory keeping the curve");
        st->rows = grown;
        st->cap_rows = cap;
    }
    st->rows[st->n_rows++] = *row;
    st->bytes_done += (uint64_t)row->bytes;
    return 0;
}

int run_state_flush(run_state *st, mdl_err *err) {
    if (st->n_written == st->n_rows) return 0;
    int rc = results_append_curve(st->results, st->rows + st->n_written, st->n_rows - st->n_written,
                                  err);
    st->n_written = st->n_rows;
    st->last_flush = now_seconds();
    return rc;
}

int run_state_resume(run_state *st, const preq_checkpoint *cp, mdl_err *err) {
    for (size_t i = 0; i < cp->n_curve; i++)
        if (append_row(st, &cp->curve[i], err) != 0) return -1;
    return run_state_flush(st, err);
}

void run_state_free(run_state *st) {
    free(st->rows);
    free(st->last_ckpt_path);
    st->rows = NULL;
    st->last_ckpt_path = NULL;
}

static int on_step(void *ctx, const curve_row *row, mdl_err *err) {
    run_state *st = ctx;
    if (!st->follower && append_row(st, row, err) != 0) return -1;
    if (stop_signal == SIGINT)
        return mdl_fail(err, "stopped by signal %d after step %lld", (int)stop_signal,
                        (long long)row->step);
    if (st->follower) return 0;
    progress_update(&st->train_bar, st->bytes_done, st->total_bytes, row->cum_bits);
    return now_seconds() - st->last_flush >= st->flush_seconds ? run_state_flush(st, err) : 0;
}

/* The evaluations after training end with a preemption (they are redone on resume);
 * training passes and their per-pass evaluations go on to the next checkpoint. */
static int on_eval(void *ctx, preq_eval_kind kind, const char *what, uint64_t done,
                   uint64_t total) {
    run_state *st = ctx;
    int stop = stop_signal == SIGINT || (stop_is_preemption() && kind == PREQ_EVAL_FINAL);
    if (st->follower) return stop;
    /* later passes, L_final, held out, each two-part format: each gets its own bar */
    if (!st->eval_started || strcmp(what, st->eval_label) != 0) {
        progress_finish(st->eval_started ? &st->eval_bar : &st->train_bar);
        snprintf(st->eval_label, sizeof st->eval_label, "%s", what);
        progress_start(&st->eval_bar, st->eval_label);
        st->eval_bar.enabled &= st->show_progress;
        st->eval_started = 1;
    }
    progress_update(&st->eval_bar, done, total, NAN);
    mdl_err ignored; /* a failing write fails again, and is reported, at the end */
    if (st->n_written < st->n_rows) run_state_flush(st, &ignored);
    return stop;
}

static int want_checkpoint(void *ctx, uint64_t pass, uint64_t step) {
    run_state *st = ctx;
    if (st->wrote_ckpt && st->last_pass == pass && st->last_step == step) return 0;
    if (stop_is_preemption()) return 1;
    if (st->ckpt_every == 0) return 0;
    int end = pass == st->passes && step == 0;
    return end || (pass * st->steps + step) % st->ckpt_every == 0;
}

static int on_checkpoint(void *ctx, const preq_checkpoint *loop_cp, mdl_err *err) {
    run_state *st = ctx;
    if (st->follower) { /* rank 0 writes the checkpoint */
        st->wrote_ckpt = 1;
        st->last_pass = loop_cp->pass;
        st->last_step = loop_cp->step;
        return stop_is_preemption() ? PREQ_STOPPED : 0;
    }
    preq_checkpoint cp = *loop_cp;
    cp.n_curve = st->n_rows;
    cp.curve = st->rows;
    cp.config_yaml = (char *)st->config_yaml;
    cp.corpus_bytes = st->corpus->n_bytes;
    cp.corpus_documents = st->corpus->n_docs;
    cp.corpus_hash = st->corpus_hash;
    char *path = NULL;
    if (checkpoint_write(st->ckpt_dir, &cp, st->ckpt_keep, &path, err) != 0) return -1;
    free(st->last_ckpt_path);
    st->last_ckpt_path = path;
    st->wrote_ckpt = 1;
    st->last_pass = cp.pass;
    st->last_step = cp.step;
    return stop_is_preemption() ? PREQ_STOPPED : 0;
}

/* A stop signal ends a step of many updates (train.repeats_per_step) between two of them. */
static int stop_now(void *ctx) {
    run_state *st = ctx;
    if (stop_signal) st->stopped_mid_step = 1;
    return stop_signal != 0;
}

preq_hooks run_hooks(run_state *st) {
    return (preq_hooks){.ctx = st,
                        .on_step = on_step,
                        .on_eval = on_eval,
                        .want_checkpoint = want_checkpoint,
                        .on_checkpoint = on_checkpoint,
                        .stop_now = stop_now};
}
