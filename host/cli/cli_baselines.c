/* `mdlbench baselines`: classical compressors (through their libraries, in process) and
 * parameter-free context models on the corpus the model would code, with the results in
 * lzbench's columns and optionally in a results file. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline_print.h"
#include "baseline_set.h"
#include "cli.h"
#include "output_path.h"
#include "results_baselines.h"
#include "version.h"

static void baselines_usage(FILE *f) {
    fprintf(f,
            "usage: mdlbench baselines [--corpus PATH]... [--codecs LIST] [--orders LIST]\n"
            "                          [-o FILE.h5] [--format text|markdown|csv|json]\n"
            "\n"
            "Compresses the corpus (its documents concatenated in corpus order, the stream\n"
            "the model codes) with each codec through its library, verifying every result by\n"
            "decompressing it, and codes it with adaptive order-k context models (KT\n"
            "estimator); also each document on its own (per-work table in the results file).\n"
            "Speeds are MB/s of uncompressed data (10^6 bytes/s), best of the iterations.\n"
            "\n"
            "options:\n"
            "  --corpus PATH      file or directory, repeatable (default " MDL_DEFAULT_CORPUS ")\n"
            "  --codecs LIST      name:level[,name:level...], 'default', 'all' or 'none';\n"
            "                     names gzip (1-9), bzip2 (1-9), xz (0-9, 0e-9e), zstd (1-22,\n"
            "                     22-long: --ultra --long), brotli (0-11, large window).\n"
            "                     default: gzip:9,bzip2:9,xz:9e,zstd:19,zstd:22-long,brotli:11\n"
            "  --orders LIST      context-model orders, e.g. 0,1,2,3 (default), or 'none'\n"
            "  --iterations N     timed runs per codec and direction, best kept (default 3)\n"
            "  --min-time S       and at least S seconds of runs per direction (default 0.5)\n"
            "  --no-documents     skip the per-document measurements\n"
            "  -o, --output FILE  also write a results file (HDF5, group /baselines)\n"
            "  -f, --format FMT   text (default), markdown, csv or json\n"
            "  -q, --quiet        no progress line\n"
            "  -h, --help         this help\n");
}

/* "0,1,2,3" -> orders; "none" -> none. */
int cli_parse_orders(const char *arg, int **orders, size_t *n) {
    *orders = NULL;
    *n = 0;
    if (strcmp(arg, "none") == 0) return 0;
    int *out = malloc((strlen(arg) / 2 + 1) * sizeof *out);
    if (!out) return cli_error("out of memory");
    const char *p = arg;
    while (*p) {
        char *end;
        long k = strtol(p, &end, 10);
        if (end == p || k < 0 || k > 8 || (*end && *end != ',')) {
            free(out);
            return cli_error("--orders %s: expected orders from 0 to 8 separated by commas, or "
                             "'none'",
                             arg);
        }
        out[(*n)++] = (int)k;
        p = *end ? end + 1 : end;
    }
    *orders = out;
    return 0;
}

/* The codec list of --codecs: 'none' is no codec, anything else goes to codec_parse_list. */
int cli_parse_codecs(const char *arg, codec_spec **specs, size_t *n) {
    *specs = NULL;
    *n = 0;
    if (strcmp(arg, "none") == 0) return 0;
    mdl_err err;
    if (codec_parse_list(arg, specs, n, &err) != 0) return cli_error("%s", err.msg);
    return 0;
}

void cli_baseline_progress(void *ctx, size_t i, size_t n, const char *name) {
    if (*(int *)ctx) fprintf(stderr, "\r\033[Kbaselines %zu/%zu: %s", i + 1, n, name);
}

/* The options of `baselines`. */
typedef struct baselines_options {
    const char **paths; /* --corpus, or the default corpus */
    size_t n_paths;
    const char *codecs, *orders, *output;
    report_format fmt;
    baseline_plan plan; /* the timing and per-document choices; codecs and orders later */
    int quiet;
} baselines_options;

static int parse_options(baselines_options *o, int argc, char **argv) {
    enum { OPT_CORPUS = 256, OPT_CODECS, OPT_ORDERS, OPT_ITER, OPT_MINTIME, OPT_NODOCS };
    static const struct option longopts[] = {{"corpus", required_argument, 0, OPT_CORPUS},
                                             {"codecs", required_argument, 0, OPT_CODECS},
                                             {"orders", required_argument, 0, OPT_ORDERS},
                                             {"iterations", required_argument, 0, OPT_ITER},
                                             {"min-time", required_argument, 0, OPT_MINTIME},
                                             {"no-documents", no_argument, 0, OPT_NODOCS},
                                             {"output", required_argument, 0, 'o'},
                                             {"format", required_argument, 0, 'f'},
                                             {"quiet", no_argument, 0, 'q'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    *o = (baselines_options){.codecs = "default",
                             .orders = "0,1,2,3",
                             .fmt = FMT_TEXT,
                             .plan = {.timing = {3, 0.5}, .per_document = 1}};
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:f:qh", longopts, NULL)) != -1) {
        switch (ch) {
        case OPT_CORPUS:
            if (cli_push_arg(&o->paths, &o->n_paths, optarg)) return cli_error("out of memory");
            break;
        case OPT_CODECS:
            o->codecs = optarg;
            break;
        case OPT_ORDERS:
            o->orders = optarg;
            break;
        case OPT_ITER:
            if (sscanf(optarg, "%d", &o->plan.timing.iterations) != 1 ||
                o->plan.timing.iterations < 1)
                return cli_error("--iterations %s: expected a positive whole number", optarg);
            break;
        case OPT_MINTIME:
            if (sscanf(optarg, "%lf", &o->plan.timing.min_seconds) != 1 ||
                !(o->plan.timing.min_seconds >= 0))
                return cli_error("--min-time %s: expected seconds, 0 or more", optarg);
            break;
        case OPT_NODOCS:
            o->plan.per_document = 0;
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'f':
            if (cli_parse_format(optarg, &o->fmt) != 0) return CLI_FAILED;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'h':
            baselines_usage(stdout);
            return CLI_HELP_SHOWN;
        case ':':
            return cli_error("baselines: option %s needs a value", argv[optind - 1]);
        default:
            return cli_error("baselines: unknown option %s (see --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_error("baselines: unexpected argument '%s' (corpus paths go after --corpus)",
                         argv[optind]);
    if (o->n_paths == 0 && cli_push_arg(&o->paths, &o->n_paths, MDL_DEFAULT_CORPUS))
        return cli_error("out of memory");
    return CLI_GO_ON;
}

/* What a `baselines` run holds. */
typedef struct baselines_job {
    baselines_options o;
    codec_spec *specs;
    int *orders;
    corpus c;
    baseline_set set;
    results_writer *w;
    char *command_line;
} baselines_job;

/* The codecs, the orders and the corpus; -o checked against every input, then created. */
static int prepare(baselines_job *j, int argc, char **argv) {
    baselines_options *o = &j->o;
    mdl_err err;
    if (cli_parse_codecs(o->codecs, &j->specs, &o->plan.n_codecs) != 0 ||
        cli_parse_orders(o->orders, &j->orders, &o->plan.n_orders) != 0)
        return 1;
    o->plan.codecs = j->specs;
    o->plan.orders = j->orders;
    if (corpus_load(&j->c, o->paths, o->n_paths, &err) != 0) return cli_error("%s", err.msg);
    if (!o->output) return 0;
    /* the corpus arguments, then each document (a symlink's target may lie elsewhere) */
    if (cli_check_output_file("-o", o->output, o->paths, o->n_paths) != 0) return 1;
    for (size_t i = 0; i < j->c.n_docs; i++)
        if (cli_check_output_file("-o", o->output, (const char *const *)&j->c.docs[i].name, 1))
            return 1;
    j->command_line = cli_join_args(argc + 1, argv - 1);
    run_meta meta = {
        mdl_version, mdl_git_commit, j->command_line ? j->command_line : "", "", 0, "cpu", 1};
    if (results_create(&j->w, o->output, &meta, &j->c, &err) != 0) return cli_error("%s", err.msg);
    return 0;
}

/* Measures every codec and context model, with a progress line on a terminal. */
static int measure(baselines_job *j) {
    int show = !j->o.quiet && isatty(2);
    j->o.plan.on_row = cli_baseline_progress;
    j->o.plan.ctx = &show;
    mdl_err err;
    int rc = baselines_measure(&j->c, &j->o.plan, &j->set, &err);
    if (show) fprintf(stderr, "\r\033[K");
    return rc != 0 ? cli_error("%s", err.msg) : 0;
}

/* The results file (when -o was given), committed, then the table on stdout. */
static int write_results(baselines_job *j) {
    mdl_err err;
    if (j->w) {
        int rc = results_write_baselines(j->w, &j->set, &j->o.plan.timing, &err);
        if (rc == 0) {
            rc = results_commit(j->w, &err);
            j->w = NULL;
        }
        if (rc != 0) return cli_error("%s", err.msg);
    }
    char label[512];
    snprintf(label, sizeof label, "%s%s", j->o.paths[0], j->o.n_paths > 1 ? " (+more)" : "");
    if (j->o.fmt == FMT_JSON) {
        print_baseline_json(stdout, &j->set, label);
        printf("\n");
    } else {
        print_baseline_table(stdout, j->o.fmt, &j->set, label);
    }
    return 0;
}

int cmd_baselines(int argc, char **argv) {
    baselines_job j = {0};
    int rc = parse_options(&j.o, argc, argv);
    if (rc != CLI_GO_ON)
        rc = cli_parse_exit(rc);
    else if (prepare(&j, argc, argv) != 0 || measure(&j) != 0 || write_results(&j) != 0)
        rc = 1;
    if (j.w) results_discard(j.w);
    baseline_set_free(&j.set);
    corpus_free(&j.c);
    free(j.specs);
    free(j.orders);
    free(j.o.paths);
    free(j.command_line);
    return rc;
}
