/* `mdlbench run` and `mdlbench train`: configure, load, train prequentially, write the
 * results file and summarise. */
#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "baseline_set.h"
#include "cli.h"
#include "backend.h"
#include "cli_run_hooks.h"
#include "cpu_describe.h"
#include "device.h"
#include "dist.h"
#include "extract.h"
#include "model.h"
#include "output_path.h"
#include "prequential.h"
#include "progress.h"
#include "results.h"
#include "results_analysis.h"
#include "results_baselines.h"
#include "results_two_part.h"
#include "sgemm_bench.h"
#include "timer.h"
#include "version.h"

static void train_usage(FILE *f, const char *cmd) {
    fprintf(f,
            "usage: mdlbench %s [options]\n"
            "\n"
            "%s\n"
            "\n"
            "options:\n"
            "  --corpus PATH        file or directory (repeatable; directories are walked,\n"
            "                       paths sorted, symlinks resolved, duplicates removed);\n"
            "                       default " MDL_DEFAULT_CORPUS "\n"
            "  --holdout GLOB       hold out the documents whose path or file name matches\n"
            "                       (repeatable; corpus.holdout and holdout_fraction add\n"
            "                       more): never trained on, coded by the final weights only\n"
            "  -c, --config FILE    YAML config; keys not given keep the embedded defaults\n"
            "  --set KEY=VALUE      override one config key, e.g. --set model.n_layer=4\n"
            "                       (repeatable, applied after --config)\n"
            "  -o, --output FILE    results file (HDF5); default mdlbench.h5. Written as\n"
            "                       FILE.partial and renamed when the run completes;\n"
            "                       refused (before any work) if it is not a regular file,\n"
            "                       is an input of the run or lies in a corpus directory\n"
            "  --device DEV         cpu | cuda | auto (default auto: cuda when a GPU and the\n"
            "                       CUDA backend are present, else cpu)\n"
            "  --threads N          CPU threads (default: all cores)\n"
            "  -q, --quiet          no progress line (it is only shown on a terminal anyway)\n"
            "  --checkpoint-dir DIR checkpoints go here (default FILE.ckpt beside -o FILE):\n"
            "                       every run.checkpoint_every steps and at the end of\n"
            "                       training, and when SIGTERM or SIGUSR1 preempts the run\n"
            "                       (it then exits with code 75)\n"
            "  --resume PATH|auto   continue from a checkpoint file, or a directory's newest;\n"
            "                       auto: the checkpoint directory's newest if there is one,\n"
            "                       else start afresh. Same config and corpus required\n"
            "%s"
            "  -h, --help           this help\n",
            cmd,
            strcmp(cmd, "run") == 0
                ? "The main job: trains the model online over the corpus, recording the\n"
                  "prequential code length, then codes the corpus again with the final weights\n"
                  "(run.eval_final) and prints the summary table."
                : "The prequential training loop: trains the model online over the corpus and\n"
                  "writes the results file (curve, per-document bits, summary); prints one\n"
                  "summary line.",
            strcmp(cmd, "run") == 0
                ? "  --codecs LIST        baseline compressors measured first (see `mdlbench\n"
                  "                       baselines --help`; 'none' skips them); default\n"
                  "                       gzip:9,bzip2:9,xz:9e,zstd:19,zstd:22-long,brotli:11\n"
                  "  --orders LIST        context-model orders measured too (default 0,1,2,3)\n"
                : "");
}

static void free_options(train_options *o) {
    free(o->corpus_paths);
    free(o->holdout);
    free(o->holdout_text);
    free(o->default_ckpt_dir);
    free(o->sets);
    free(o->command_line);
}

/* Returns 0 to go on, 1 for an error, -1 when --help was printed. */
static int parse_options(train_options *o, int argc, char **argv) {
    enum {
        OPT_CORPUS = 256,
        OPT_SET,
        OPT_DEVICE,
        OPT_THREADS,
        OPT_CODECS,
        OPT_ORDERS,
        OPT_HOLDOUT,
        OPT_CHECKPOINT_DIR,
        OPT_RESUME
    };
    static const struct option longopts[] = {
        {"corpus", required_argument, 0, OPT_CORPUS},
        {"config", required_argument, 0, 'c'},
        {"set", required_argument, 0, OPT_SET},
        {"output", required_argument, 0, 'o'},
        {"device", required_argument, 0, OPT_DEVICE},
        {"threads", required_argument, 0, OPT_THREADS},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {"codecs", required_argument, 0, OPT_CODECS},
        {"holdout", required_argument, 0, OPT_HOLDOUT},
        {"orders", required_argument, 0, OPT_ORDERS},
        {"checkpoint-dir", required_argument, 0, OPT_CHECKPOINT_DIR},
        {"resume", required_argument, 0, OPT_RESUME},
        {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->output = "mdlbench.h5";
    o->device = "auto";
    o->codecs = "default";
    o->orders = "0,1,2,3";
    int is_run = strcmp(argv[0], "run") == 0;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":c:o:qh", longopts, NULL)) != -1) {
        switch (ch) {
        case OPT_CORPUS:
            if (cli_push_arg(&o->corpus_paths, &o->n_corpus, optarg))
                return cli_error("out of memory");
            break;
        case OPT_HOLDOUT:
            if (cli_push_arg(&o->holdout, &o->n_holdout, optarg)) return cli_error("out of memory");
            break;
        case OPT_SET:
            if (cli_push_arg(&o->sets, &o->n_sets, optarg)) return cli_error("out of memory");
            break;
        case 'c':
            o->config_path = optarg;
            break;
        case OPT_CHECKPOINT_DIR:
            o->checkpoint_dir = optarg;
            break;
        case OPT_RESUME:
            o->resume = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case OPT_DEVICE:
            o->device = optarg;
            break;
        case OPT_THREADS:
            if (cli_parse_threads(optarg, &o->threads) != 0) return CLI_FAILED;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case OPT_CODECS:
        case OPT_ORDERS:
            if (!is_run)
                return cli_error("%s: %s belongs to `mdlbench run` and `mdlbench baselines`",
                                 argv[0], ch == OPT_CODECS ? "--codecs" : "--orders");
            *(ch == OPT_CODECS ? &o->codecs : &o->orders) = optarg;
            break;
        case 'h':
            train_usage(stdout, argv[0]);
            return CLI_HELP_SHOWN;
        case ':':
            return cli_error("%s: option %s needs a value", argv[0], argv[optind - 1]);
        default:
            return cli_error("%s: unknown option %s (see --help)", argv[0], argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_error("%s: unexpected argument '%s' (corpus paths go after --corpus)", argv[0],
                         argv[optind]);
    if (o->n_corpus == 0 && cli_push_arg(&o->corpus_paths, &o->n_corpus, MDL_DEFAULT_CORPUS))
        return cli_error("out of memory");
    if (strcmp(o->device, "cpu") && strcmp(o->device, "cuda") && strcmp(o->device, "auto"))
        return cli_error("--device %s: expected cpu, cuda or auto", o->device);
    if (!o->checkpoint_dir) {
        size_t n = strlen(o->output) + 6;
        if (!(o->default_ckpt_dir = malloc(n))) return cli_error("out of memory");
        snprintf(o->default_ckpt_dir, n, "%s.ckpt", o->output);
        o->checkpoint_dir = o->default_ckpt_dir;
    }
    return CLI_GO_ON;
}

/* corpus.holdout's comma-separated globs join the --holdout ones (empty items skipped). */
static int add_config_holdout(train_options *o, const char *globs) {
    if (!(o->holdout_text = strdup(globs))) return cli_error("out of memory");
    char *save = NULL;
    for (char *g = strtok_r(o->holdout_text, ",", &save); g; g = strtok_r(NULL, ",", &save))
        if (cli_push_arg(&o->holdout, &o->n_holdout, g)) return cli_error("out of memory");
    return 0;
}

static int load_config(mdl_config *cfg, train_options *o) {
    mdl_err err;
    if (config_default(cfg, &err) != 0) return cli_error("embedded default config: %s", err.msg);
    if (o->config_path && config_load_file(cfg, o->config_path, &err) != 0)
        return cli_error("%s", err.msg);
    for (size_t i = 0; i < o->n_sets; i++)
        if (config_set(cfg, o->sets[i], &err) != 0) return cli_error("%s", err.msg);
    if (config_validate(cfg, &err) != 0) return cli_error("%s", err.msg);
    return add_config_holdout(o, cfg->corpus.holdout);
}

static uint64_t varint_bytes(uint64_t v) {
    uint64_t n = 1;
    while (v >>= 7) n++;
    return n;
}

/* What a decoder needs beyond the program: the configuration (zstd -19) and the number
 * and lengths of the documents (LEB128 varints). Document names are not transmitted. */
static uint64_t header_bytes(const char *config_yaml, const corpus *c) {
    size_t len = strlen(config_yaml), cap = ZSTD_compressBound(len);
    uint64_t total = 0;
    void *buf = malloc(cap);
    if (buf) {
        size_t z = ZSTD_compress(buf, cap, config_yaml, len, 19);
        total += ZSTD_isError(z) ? len : z;
        free(buf);
    } else {
        total += len;
    }
    total += varint_bytes(c->n_docs);
    for (size_t i = 0; i < c->n_docs; i++) total += varint_bytes(c->docs[i].size);
    return total;
}

/* After SIGINT: the curve so far is written and FILE.partial kept. After SIGTERM or
 * SIGUSR1 (preemption) likewise, with status "preempted", once the checkpoint is written. */
static int keep_partial(run_state *st, const char *output) {
    mdl_err err;
    int sig = stop_signal_received(), preempted = stop_is_preemption();
    int code = preempted ? MDL_EXIT_PREEMPTED : 128 + sig;
    if (run_state_flush(st, &err) != 0 ||
        results_close_partial(st->results, preempted ? "preempted" : "interrupted", &err) != 0) {
        cli_error("%s", err.msg);
        return code;
    }
    if (preempted && st->stopped_mid_step && st->last_ckpt_path)
        cli_error("preempted by signal %d between the updates of a step, which no checkpoint "
                  "holds: the last one is %s (pass %llu, step %llu); the same command with "
                  "--resume auto continues from it",
                  sig, st->last_ckpt_path, (unsigned long long)st->last_pass + 1,
                  (unsigned long long)st->last_step);
    else if (preempted && st->stopped_mid_step)
        cli_error("preempted by signal %d between the updates of a step, before any checkpoint "
                  "was written: the same command starts the run over; the steps so far are in "
                  "%s.partial",
                  sig, output);
    else if (preempted && st->last_ckpt_path)
        cli_error("preempted by signal %d: checkpoint %s (pass %llu, step %llu); the same "
                  "command with --resume auto continues the run",
                  sig, st->last_ckpt_path, (unsigned long long)st->last_pass + 1,
                  (unsigned long long)st->last_step);
    else
        cli_error("stopped by signal %d after %llu bytes; the steps so far are in %s.partial", sig,
                  (unsigned long long)st->bytes_done, output);
    return code;
}

/* One checkpoint file checked against this run: 0 (cp filled), or -1 after the message.
 * *damaged tells a file that cannot be read from one made for another run. The read runs
 * under the watchdog (cli.h): MDL_CHECKPOINT_TIMEOUT seconds, default 600, a hundred
 * times what the largest ladder model's checkpoint takes. */
static int load_checkpoint(const char *path, const char *yaml, const corpus *c, preq_checkpoint *cp,
                           int *damaged, mdl_err *err) {
    *damaged = 0;
    long limit = cli_timeout_seconds("MDL_CHECKPOINT_TIMEOUT", 600);
    cli_watchdog_start(limit,
                       "mdlbench: --resume: reading %s took over %ld s: the file is probably "
                       "damaged (HDF5 can loop on a damaged file); move it away and --resume "
                       "auto takes the checkpoint before it",
                       path, limit);
    int read = checkpoint_read(path, cp, err);
    cli_watchdog_stop();
    if (read != 0) return *damaged = 1, -1;
    int rc = 0;
    if (strcmp(cp->config_yaml, yaml) != 0)
        rc = mdl_fail(err,
                      "--resume %s: the checkpoint was made with another configuration; resume "
                      "with the same -c and --set options",
                      path);
    else if (cp->corpus_bytes != c->n_bytes || cp->corpus_documents != c->n_docs ||
             cp->corpus_hash != corpus_fingerprint(c))
        rc = mdl_fail(err,
                      "--resume %s: the checkpoint was made on another corpus (or other "
                      "held-out documents)",
                      path);
    if (rc != 0) checkpoint_free(cp);
    return rc;
}

/* The newest checkpoint of dir that can be read; a damaged one is said and the one before
 * it tried. 0: loaded (*used is its path), 1: none there, -1: error printed. */
static int load_newest(const char *dir, const char *yaml, const corpus *c, preq_checkpoint *cp,
                       char **used) {
    mdl_err err;
    char **paths;
    size_t n;
    if (checkpoint_list(dir, &paths, &n, &err) != 0) return cli_error("%s", err.msg), -1;
    int rc = n == 0 ? 1 : -1, damaged = 0;
    for (size_t i = 0; i < n && rc < 0; i++) {
        if (load_checkpoint(paths[i], yaml, c, cp, &damaged, &err) == 0) {
            *used = paths[i], paths[i] = NULL, rc = 0;
        } else if (!damaged) {
            break; /* made for another run: the older ones are too */
        } else if (i + 1 < n) {
            fprintf(stderr, "mdlbench: note: %s; resuming from the checkpoint before it\n",
                    err.msg);
        }
    }
    checkpoint_list_free(paths, n);
    if (rc < 0) cli_error("%s", err.msg);
    return rc;
}

/* --resume: a checkpoint file, a directory (its newest readable checkpoint), or auto (the
 * same in the checkpoint directory, if it has any). 0: loaded, 1: nothing to resume
 * (auto), -1: error. */
static int load_resume(const train_options *o, const char *ckpt_dir, const char *yaml,
                       const corpus *c, preq_checkpoint *cp) {
    char *path = NULL;
    struct stat sb;
    int is_auto = strcmp(o->resume, "auto") == 0, rc, damaged;
    if (is_auto || (stat(o->resume, &sb) == 0 && S_ISDIR(sb.st_mode))) {
        const char *dir = is_auto ? ckpt_dir : o->resume;
        rc = load_newest(dir, yaml, c, cp, &path);
        if (rc == 1 && !is_auto) {
            cli_error("--resume %s: no checkpoint in this directory", dir);
            rc = -1;
        }
    } else {
        mdl_err err;
        path = strdup(o->resume);
        rc = !path                                                     ? cli_error("out of memory")
             : load_checkpoint(path, yaml, c, cp, &damaged, &err) != 0 ? cli_error("%s", err.msg)
                                                                       : 0;
        if (rc) rc = -1;
    }
    if (rc == 0 && !o->quiet)
        fprintf(stderr, "resuming from %s (pass %llu, step %llu)\n", path,
                (unsigned long long)cp->pass + 1, (unsigned long long)cp->step);
    free(path);
    return rc;
}

static void fill_summary(run_summary *s, const preq_result *r, const corpus *c,
                         const mdl_config *cfg, uint64_t header, double wall_s, double peak,
                         int threads, int world, const char *device) {
    memset(s, 0, sizeof *s);
    /* the coded stream: the documents trained on */
    double N = (double)r->layout.n_bytes;
    s->corpus_bytes = r->layout.n_bytes;
    s->n_documents = c->n_docs;
    s->n_params = r->n_params;
    s->n_params_nonembedding = r->n_params_nonembedding;
    s->streams = r->layout.streams;
    s->steps = r->layout.steps;
    s->preq_bits = r->preq_bits;
    s->preq_bpb = r->preq_bits / N;
    s->ratio_percent = r->preq_bits / (8.0 * N) * 100.0;
    s->header_bytes = header;
    s->compressed_bytes = (uint64_t)ceil(r->preq_bits / 8.0) + header;
    s->first_step_bpb = r->first_step_bits / (double)r->first_step_bytes;
    s->final_bits = r->final_bits;
    s->final_bpb = r->final_bits / N;
    s->info_absorbed_bits = r->preq_bits - r->final_bits;
    s->heldout_documents = corpus_count_held_out(c);
    s->heldout_bytes = r->heldout_bytes;
    s->heldout_bpb = r->heldout_bytes ? r->heldout_bits / (double)r->heldout_bytes : NAN;
    s->memorization_gap_bpb = s->heldout_bpb - s->final_bpb;
    s->chunk_bytes = cfg->analysis.chunk_bytes;
    s->heldout_chunks = r->heldout_chunks;
    s->heldout_chunked_bpb =
        r->heldout_chunks ? r->heldout_chunked_bits / (double)(r->heldout_chunks * s->chunk_bytes)
                          : NAN;
    s->passes = r->n_passes;
    unsigned P, S;
    extract_geometry(cfg, &P, &S);
    s->extract_prefix = P;
    s->extract_suffix = S;
    s->trained_extract_samples = r->n_extract[0];
    s->heldout_extract_samples = r->n_extract[1];
    extract_rates(r->extract[0], r->n_extract[0], S, &s->trained_exact_rate,
                  &s->trained_mean_matched);
    extract_rates(r->extract[1], r->n_extract[1], S, &s->heldout_exact_rate,
                  &s->heldout_mean_matched);
    s->wall_s = wall_s;
    s->train_s = r->train_s;
    s->bytes_per_s = N / r->train_s;
    s->model_flops_per_byte = r->model_flops / N;
    s->achieved_flops = r->model_flops / r->train_s;
    s->peak_flops = peak;
    s->mfu = peak > 0 ? s->achieved_flops / peak : NAN;
    s->threads = threads;
    s->world_size = (uint64_t)world;
    snprintf(s->device, sizeof s->device, "%s", device);
}

/* The held-out chunks' line: Deletang et al.'s rates (summary_chunked_rates). */
static void print_chunked(const run_summary *s) {
    if (s->heldout_chunks == 0) {
        printf("  chunked       no whole %llu-byte chunk in the held-out documents\n",
               (unsigned long long)s->chunk_bytes);
        return;
    }
    double raw, adjusted;
    summary_chunked_rates(s, &raw, &adjusted);
    printf("  chunked       %llu held-out chunks of %llu bytes coded alone: %.4f bits/byte, "
           "raw rate %.2f%%, adjusted rate %.2f%% (+2 bytes per parameter)\n",
           (unsigned long long)s->heldout_chunks, (unsigned long long)s->chunk_bytes,
           s->heldout_chunked_bpb, raw, adjusted);
}

static void print_summary_table(const run_summary *s, const mdl_config *cfg, const char *corpus0,
                                size_t n_corpus, const char *output, const baseline_set *b,
                                const preq_result *r) {
    const model_config *m = &cfg->model;
    printf("\nmdlbench summary\n");
    printf("  corpus        %s%s: %llu bytes in %llu documents\n", corpus0,
           n_corpus > 1 ? " (and more)" : "", (unsigned long long)s->corpus_bytes,
           (unsigned long long)s->n_documents);
    char memory[40] = "";
    if (m->memory) snprintf(memory, sizeof memory, " + memory %u", m->memory);
    printf("  model         %u layers, d_model %u, %u heads, context %u%s, %s positions: %.3fM "
           "parameters (%.3fM non-embedding)\n",
           m->n_layer, m->d_model, m->n_head, m->context, memory, model_position_name(m->position),
           (double)s->n_params / 1e6, (double)s->n_params_nonembedding / 1e6);
    printf("  layout        %llu streams x %llu steps of %u bytes\n",
           (unsigned long long)s->streams, (unsigned long long)s->steps, cfg->train.segment);
    printf("  first step    %.6f bits/byte\n", s->first_step_bpb);
    printf("  prequential   %.1f bits = %.4f bits/byte, ratio %.2f%%, %llu bytes compressed "
           "(%llu header)\n",
           s->preq_bits, s->preq_bpb, s->ratio_percent, (unsigned long long)s->compressed_bytes,
           (unsigned long long)s->header_bytes);
    if (!isnan(s->final_bits))
        printf("  final model   %.1f bits = %.4f bits/byte; absorbed by the weights %.1f bits\n",
               s->final_bits, s->final_bpb, s->info_absorbed_bits);
    if (s->heldout_documents)
        printf("  held out      %llu documents, %llu bytes: %.4f bits/byte under the final "
               "weights; memorization gap %+.4f bits/byte\n",
               (unsigned long long)s->heldout_documents, (unsigned long long)s->heldout_bytes,
               s->heldout_bpb, s->memorization_gap_bpb);
    if (s->chunk_bytes) print_chunked(s);
    if (r->n_passes > 1) /* every pass is in /passes */
        printf("  passes        %zu: the last one %.4f bits/byte while training, %.4f after it\n",
               r->n_passes, r->passes[r->n_passes - 1].train_bits / (double)s->corpus_bytes,
               r->passes[r->n_passes - 1].eval_bits / (double)s->corpus_bytes);
    const char *groups[2] = {"trained", "held out"};
    const uint64_t n_samples[2] = {s->trained_extract_samples, s->heldout_extract_samples};
    const double exact[2] = {s->trained_exact_rate, s->heldout_exact_rate};
    const double matched[2] = {s->trained_mean_matched, s->heldout_mean_matched};
    for (int g = 0; g < 2; g++)
        if (n_samples[g])
            printf("  extraction    %-8s %llu samples of %llu+%llu bytes: %.1f%% exact, %.1f "
                   "bytes matched on average\n",
                   groups[g], (unsigned long long)n_samples[g],
                   (unsigned long long)s->extract_prefix, (unsigned long long)s->extract_suffix,
                   100.0 * exact[g], matched[g]);
    for (size_t i = 0; i < r->n_two_part; i++) {
        const two_part_row *t = &r->two_part[i];
        printf("  two-part %-4s %.4f bits/byte = weights %llu bytes (zstd -19) + data %.4f "
               "bits/byte\n",
               weight_format_name(t->format), t->total_bpb, (unsigned long long)t->weight_bytes,
               t->data_bpb);
    }
    for (size_t i = 0; i < b->n_rows; i++)
        printf("  baseline      %-36s %.4f bits/byte, ratio %.2f%%\n", b->rows[i].name,
               b->rows[i].bpb, b->rows[i].ratio_percent);
    printf("  speed         %.0f bytes/s, %.3g FLOP/byte, %.2f GFLOP/s = %.1f%% of sgemm "
           "(%.1f GFLOP/s)\n",
           s->bytes_per_s, s->model_flops_per_byte, s->achieved_flops / 1e9, 100.0 * s->mfu,
           s->peak_flops / 1e9);
    printf("  time          %.1f s training, %.1f s in all\n", s->train_s, s->wall_s);
    printf("  device        %s\n", s->device);
    printf("  results       %s\n", output);
}

/* With several ranks (mpirun, srun; dist.h) every rank loads the config and the corpus and
 * runs its share of the streams; rank 0 alone measures the baselines, prints, and writes
 * the results file and the checkpoints. Failures before the loop are agreed at one point
 * (every rank stops there); the loop agrees on its own stops. */
/* Everything one `run` or `train` command holds; job_free releases it. */
typedef struct job {
    train_options o;
    int full; /* `run`: baselines and the summary table too */
    int world, leader, threads;
    int synced;    /* every rank reached the agreement before the loop */
    int ckpt_lock; /* the checkpoint directory's lock (checkpoint_dir_take), or -1 */
    mdl_config cfg;
    corpus c;
    corpus trained; /* the documents not held out: the stream the model codes */
    stream_layout lay;
    char *yaml, *identity_yaml;
    char device[128];
    const mdl_backend *be;
    codec_spec *specs;
    int *orders;
    baseline_plan plan;
    baseline_set bset;
    preq_checkpoint resume_cp;
    int resuming; /* 0: from resume_cp, 1: from the start */
    results_writer *w;
    run_state st;
    preq_result r;
    mdl_err err;
} job;

/* The ranks of a data-parallel run: ranks other than 0 are quiet, and the node's cores
 * are shared among its ranks. */
static int start_ranks(job *j, int argc, char **argv) {
    int mpi_argc = argc;
    char **mpi_argv = argv; /* MPI_Init may rewrite its copies; the command line stays */
    if (dist_init(&mpi_argc, &mpi_argv, &j->err) != 0) return -1;
    j->world = dist_world();
    j->leader = dist_rank() == 0;
    if (!j->leader) j->o.quiet = 1;
    if (j->world > 1 && j->o.threads == 0) {
        int n = omp_get_num_procs() / dist_local_world();
        j->o.threads = n > 0 ? n : 1;
    }
    j->threads = cli_set_threads(j->o.threads);
    return 0;
}

/* The configuration, the baselines' lists, the corpus with its held-out documents and the
 * layout of the trained ones. */
static int load_inputs(job *j) {
    if (load_config(&j->cfg, &j->o) != 0) return -1;
    if (j->full && (cli_parse_codecs(j->o.codecs, &j->specs, &j->plan.n_codecs) != 0 ||
                    cli_parse_orders(j->o.orders, &j->orders, &j->plan.n_orders) != 0))
        return -1;
    j->plan.codecs = j->specs;
    j->plan.orders = j->orders;
    if (corpus_load(&j->c, j->o.corpus_paths, j->o.n_corpus, &j->err) != 0)
        return cli_error("%s", j->err.msg);
    if (corpus_mark_holdout(&j->c, j->o.holdout, j->o.n_holdout, j->cfg.corpus.holdout_fraction,
                            j->cfg.corpus.holdout_seed, &j->err) != 0 ||
        corpus_view(&j->c, 0, &j->trained, &j->err) != 0 ||
        stream_layout_make(&j->lay, j->trained.n_bytes, &j->cfg, &j->err) != 0)
        return cli_error("%s", j->err.msg);
    unsigned chunk = j->cfg.analysis.chunk_bytes;
    if (chunk && (!j->cfg.run.eval_final || corpus_count_held_out(&j->c) == 0))
        return cli_error("analysis.chunk_bytes (%u) codes the held-out documents in chunks: it "
                         "needs held-out documents (--holdout, corpus.holdout or "
                         "corpus.holdout_fraction) and run.eval_final",
                         chunk);
    if (j->world > 1 && j->cfg.train.streams % (unsigned)j->world != 0) {
        if (j->leader)
            cli_error("train.streams (%u) must be a multiple of the number of ranks (%d): each "
                      "rank codes train.streams / ranks streams",
                      j->cfg.train.streams, j->world);
        return -1;
    }
    return 0;
}

/* The backend and its description; several ranks use GPUs only with NCCL (one GPU per
 * rank, by local rank). */
static int start_backend(job *j) {
    int world = j->world;
    if (world > 1 && strcmp(j->o.device, "cuda") == 0 && !dist_have_gpu_reduce()) {
        if (j->leader)
            cli_error("--device cuda: several ranks (%d) on GPUs need a build with NCCL", world);
        return -1;
    }
    const char *dev = world > 1 && !dist_have_gpu_reduce() ? "cpu" : j->o.device;
    j->be = cli_select_backend(dev, &j->cfg, j->c.n_docs, j->device, sizeof j->device);
    int no_backend = !j->be;
    dist_max_int(&no_backend, 1); /* dist_gpu_init below is collective */
    if (no_backend) return -1;
    /* NCCL sums the gradients on the queue the GPU's ops run on */
    void *queue = j->be->ops->queue ? j->be->ops->queue(j->be->ctx) : NULL;
    if (world > 1 && queue && dist_gpu_init(queue, &j->err) != 0)
        return cli_error("%s", j->err.msg);
    if (world > 1) {
        size_t len = strlen(j->device);
        snprintf(j->device + len, sizeof j->device - len, " x %d ranks", world);
    }
    return 0;
}

/* -o and the checkpoint directory against every input of the run (corpus arguments, their
 * documents, the config file), before anything is written. */
static int check_output_paths(const job *j) {
    size_t n = j->o.n_corpus + j->c.n_docs + 1, k = 0;
    const char **inputs = malloc(n * sizeof *inputs);
    if (!inputs) return cli_error("out of memory");
    for (size_t i = 0; i < j->o.n_corpus; i++) inputs[k++] = j->o.corpus_paths[i];
    for (size_t i = 0; i < j->c.n_docs; i++) inputs[k++] = j->c.docs[i].name;
    inputs[k++] = j->o.config_path;
    int rc = cli_check_output_file("-o", j->o.output, inputs, k) ||
             cli_check_output_dir("--checkpoint-dir", j->o.checkpoint_dir, inputs, k);
    free(inputs);
    return rc;
}

/* The output paths, the configuration as written, the checkpoint to resume from (checked
 * before the results file is touched), then the results file and the stop handlers. */
static int prepare_outputs(job *j, int argc, char **argv) {
    if (j->leader && check_output_paths(j) != 0) return -1;
    if (!(j->yaml = config_to_yaml(&j->cfg, &j->err))) return cli_error("%s", j->err.msg);
    /* a checkpoint records the configuration less the keys that do not change results */
    mdl_config identity = j->cfg;
    identity.run.flush_seconds = 1.0;
    identity.run.checkpoint_every = identity.run.checkpoint_keep = 0;
    if (!(j->identity_yaml = config_to_yaml(&identity, &j->err)))
        return cli_error("%s", j->err.msg);
    j->resuming = j->o.resume ? load_resume(&j->o, j->o.checkpoint_dir, j->identity_yaml, &j->c,
                                            &j->resume_cp)
                              : 1;
    if (j->resuming < 0) return -1;
    j->o.command_line = cli_join_args(argc + 1, argv - 1);
    run_meta meta = {mdl_version, mdl_git_commit,    j->o.command_line ? j->o.command_line : "",
                     j->yaml,     j->cfg.train.seed, j->device,
                     j->threads};
    if (j->leader && results_create(&j->w, j->o.output, &meta, &j->c, &j->err) != 0)
        return cli_error("%s", j->err.msg);
    if (j->leader && checkpoint_dir_take(j->o.checkpoint_dir, &j->ckpt_lock, &j->err) != 0)
        return cli_error("%s", j->err.msg);
    j->st.show_progress = !j->o.quiet;
    install_stop_handlers();
    return 0;
}

/* `run` on rank 0: the baselines first, quick beside training, to show what to beat. */
static int measure_baselines(job *j) {
    if (!j->leader || !j->full || !(j->plan.n_codecs || j->plan.n_orders)) return 0;
    int show = j->st.show_progress && isatty(2);
    j->plan.ctx = &show;
    /* per document only without held-out documents: /baselines/document_bits follows the
     * full document table */
    j->plan.per_document = j->trained.n_docs == j->c.n_docs;
    int brc = baselines_measure(&j->trained, &j->plan, &j->bset, &j->err);
    j->plan.ctx = NULL;
    if (show) fprintf(stderr, "\r\033[K");
    if (brc != 0 || results_write_baselines(j->w, &j->bset, &j->plan.timing, &j->err) != 0)
        return cli_error("%s", j->err.msg);
    return 0;
}

/* What the loop's hooks work on: the results file, checkpoints, the curve so far. */
static int init_run_state(job *j) {
    run_state *st = &j->st;
    st->results = j->w;
    st->flush_seconds = j->cfg.run.flush_seconds;
    st->last_flush = now_seconds();
    st->total_bytes = j->c.n_bytes;
    st->ckpt_dir = j->o.checkpoint_dir;
    st->ckpt_every = j->cfg.run.checkpoint_every;
    st->ckpt_keep = j->cfg.run.checkpoint_keep;
    st->steps = j->lay.steps;
    st->passes = j->cfg.train.passes;
    st->config_yaml = j->identity_yaml;
    st->corpus = &j->c;
    st->corpus_hash = corpus_fingerprint(&j->c);
    st->follower = !j->leader;
    if (j->leader && j->resuming == 0 && run_state_resume(st, &j->resume_cp, &j->err) != 0)
        return cli_error("%s", j->err.msg);
    return 0;
}

/* The loop, once every rank is ready. 0: trained, rank 0 writes the results; otherwise
 * *rc is the command's exit code (a stop signal, a failure, or a follower's end). */
static int run_loop(job *j, int *rc) {
    int setup_failed = 0; /* every rank got here, or one stopped before: see job_free */
    dist_max_int(&setup_failed, 1);
    j->synced = 1;
    if (setup_failed) return -1;
    run_state *st = &j->st;
    progress_start(&st->train_bar, "prequential");
    st->train_bar.enabled &= st->show_progress;
    preq_hooks hooks = run_hooks(st);
    int loop_rc = prequential_resume(&j->cfg, &j->c, j->be, &hooks,
                                     j->resuming == 0 ? &j->resume_cp : NULL, &j->r, &j->err);
    progress_finish(&st->train_bar);
    if (st->eval_started) progress_finish(&st->eval_bar);
    if (stop_signal_received()) {
        if (j->leader) {
            *rc = keep_partial(st, j->o.output);
            j->w = NULL;
        } else {
            *rc = stop_is_preemption() ? MDL_EXIT_PREEMPTED : 128 + stop_signal_received();
        }
        return -1;
    }
    if (loop_rc == PREQ_DIVERGED || loop_rc == PREQ_CORPUS_CHANGED) {
        const char *status = loop_rc == PREQ_DIVERGED ? "diverged" : "corpus changed";
        if (j->leader) {
            mdl_err e;
            if (run_state_flush(st, &e) != 0 || results_close_partial(st->results, status, &e) != 0)
                cli_error("%s", e.msg);
            j->w = NULL;
            cli_error("%s; the steps before it are in %s.partial (status %s)", j->err.msg,
                      j->o.output, status);
        }
        return -1;
    }
    if (loop_rc != 0 || (j->leader && run_state_flush(st, &j->err) != 0)) {
        cli_error("%s", loop_rc == PREQ_STOPPED ? "stopped" : j->err.msg);
        return -1;
    }
    if (!j->leader) { /* rank 0 writes and prints */
        *rc = 0;
        return -1;
    }
    return 0;
}

/* Rank 0 after training: the summary and the result groups, the commit, the printout. */
/* train's one summary line; the final-weights figure only when it was measured
 * (run.eval_final), never a NaN. */
static void print_train_line(const char *output, const run_summary *sum) {
    printf("%s: %llu bytes, %.4f bits/byte prequential, ", output,
           (unsigned long long)sum->corpus_bytes, sum->preq_bpb);
    if (isfinite(sum->final_bpb))
        printf("%.4f final, ", sum->final_bpb);
    else
        printf("final not measured, ");
    printf("%.0f bytes/s\n", sum->bytes_per_s);
}

static int write_results(job *j, double t0) {
    const preq_result *r = &j->r;
    run_summary sum;
    /* the peak of all ranks: each measures like this one (on cores of its own) */
    double peak = sgemm_flops(1024, 0.3) * j->world;
    fill_summary(&sum, r, &j->c, &j->cfg, header_bytes(j->yaml, &j->c), now_seconds() - t0, peak,
                 j->threads, j->world, j->device);
    const extract_sample *samples[2] = {r->extract[0], r->extract[1]};
    if (results_write_document_bits(j->w, r->doc_preq_bits, r->doc_final_bits, &j->err) != 0 ||
        results_write_passes(j->w, r->passes, r->n_passes, r->layout.n_bytes, r->heldout_bytes,
                             r->pass_doc_bits, j->c.n_docs, &j->err) != 0 ||
        (j->cfg.analysis.extract_samples &&
         results_write_extraction(j->w, samples, r->n_extract, (uint32_t)sum.extract_prefix,
                                  (uint32_t)sum.extract_suffix, j->c.n_docs, &j->err) != 0) ||
        (r->n_two_part && results_write_two_part(j->w, r->two_part, r->n_two_part, &j->err) != 0) ||
        results_write_summary(j->w, &sum, &j->err) != 0)
        return cli_error("%s", j->err.msg);
    int rc = results_commit(j->w, &j->err);
    j->w = NULL;
    if (rc != 0) {
        cli_error("%s", j->err.msg);
        return rc;
    }
    if (j->full)
        print_summary_table(&sum, &j->cfg, j->o.corpus_paths[0], j->o.n_corpus, j->o.output,
                            &j->bset, r);
    else
        print_train_line(j->o.output, &sum);
    return 0;
}

static void job_free(job *j) {
    if (!j->synced) { /* stopped before the loop: tell the ranks waiting at the agreement */
        int failed = 1;
        dist_max_int(&failed, 1);
    }
    if (j->w) results_discard(j->w);
    checkpoint_dir_release(j->o.checkpoint_dir, j->ckpt_lock);
    baseline_set_free(&j->bset);
    free(j->specs);
    free(j->orders);
    preq_result_free(&j->r);
    run_state_free(&j->st);
    checkpoint_free(&j->resume_cp);
    free(j->yaml);
    free(j->identity_yaml);
    corpus_view_free(&j->trained);
    corpus_free(&j->c);
    free_options(&j->o);
    dist_finalize();
    mdl_backend_release(j->be);
}

static int run_job(int argc, char **argv, int full) {
    double t0 = now_seconds();
    job j = {.full = full,
             .ckpt_lock = -1,
             .plan = {.timing = {1, 0.0}, .per_document = 1, .on_row = cli_baseline_progress}};
    int prc = parse_options(&j.o, argc, argv);
    if (prc != CLI_GO_ON) {
        free_options(&j.o);
        return cli_parse_exit(prc);
    }
    if (start_ranks(&j, argc, argv) != 0) {
        free_options(&j.o);
        return cli_error("%s", j.err.msg);
    }
    int rc = 1;
    if (load_inputs(&j) == 0 && start_backend(&j) == 0 && prepare_outputs(&j, argc, argv) == 0 &&
        measure_baselines(&j) == 0 && init_run_state(&j) == 0 && run_loop(&j, &rc) == 0)
        rc = write_results(&j, t0);
    job_free(&j);
    return rc;
}

int cmd_run(int argc, char **argv) {
    return run_job(argc, argv, 1);
}
int cmd_train(int argc, char **argv) {
    return run_job(argc, argv, 0);
}
