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

int cmd_baselines(int argc, char **argv) {
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
    const char **paths = NULL;
    size_t n_paths = 0;
    const char *codecs_arg = "default", *orders_arg = "0,1,2,3", *output = NULL;
    report_format fmt = FMT_TEXT;
    baseline_plan plan = {.timing = {3, 0.5}, .per_document = 1};
    int quiet = 0, rc = 1;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:f:qh", longopts, NULL)) != -1) {
        switch (ch) {
        case OPT_CORPUS: {
            const char **grown = realloc(paths, (n_paths + 1) * sizeof *grown);
            if (!grown) return cli_error("out of memory");
            paths = grown;
            paths[n_paths++] = optarg;
            break;
        }
        case OPT_CODECS:
            codecs_arg = optarg;
            break;
        case OPT_ORDERS:
            orders_arg = optarg;
            break;
        case OPT_ITER:
            if (sscanf(optarg, "%d", &plan.timing.iterations) != 1 || plan.timing.iterations < 1) {
                free(paths);
                return cli_error("--iterations %s: expected a positive whole number", optarg);
            }
            break;
        case OPT_MINTIME:
            if (sscanf(optarg, "%lf", &plan.timing.min_seconds) != 1 ||
                !(plan.timing.min_seconds >= 0)) {
                free(paths);
                return cli_error("--min-time %s: expected seconds, 0 or more", optarg);
            }
            break;
        case OPT_NODOCS:
            plan.per_document = 0;
            break;
        case 'o':
            output = optarg;
            break;
        case 'f':
            if (cli_parse_format(optarg, &fmt) != 0) {
                free(paths);
                return 1;
            }
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            baselines_usage(stdout);
            free(paths);
            return 0;
        case ':':
            free(paths);
            return cli_error("baselines: option %s needs a value", argv[optind - 1]);
        default:
            free(paths);
            return cli_error("baselines: unknown option %s (see --help)", argv[optind - 1]);
        }
    }
    if (optind < argc) {
        free(paths);
        return cli_error("baselines: unexpected argument '%s' (corpus paths go after --corpus)",
                         argv[optind]);
    }
    static const char *default_corpus[] = {MDL_DEFAULT_CORPUS};
    const char *const *corpus_paths = n_paths ? paths : default_corpus;
    size_t n_corpus = n_paths ? n_paths : 1;

    codec_spec *specs = NULL;
    int *orders = NULL;
    corpus c = {0};
    baseline_set set = {0};
    results_writer *w = NULL;
    char *command_line = NULL;
    mdl_err err;
    /* every input is checked before anything is written */
    if (cli_parse_codecs(codecs_arg, &specs, &plan.n_codecs) != 0 ||
        cli_parse_orders(orders_arg, &orders, &plan.n_orders) != 0)
        goto done;
    plan.codecs = specs;
    plan.orders = orders;
    if (corpus_load(&c, corpus_paths, n_corpus, &err) != 0) {
        cli_error("%s", err.msg);
        goto done;
    }
    if (output) {
        /* the corpus arguments, then each document (a symlink's target may lie elsewhere) */
        if (cli_check_output_file("-o", output, corpus_paths, n_corpus) != 0) goto done;
        for (size_t i = 0; i < c.n_docs; i++)
            if (cli_check_output_file("-o", output, (const char *const *)&c.docs[i].name, 1) != 0)
                goto done;
        command_line = cli_join_args(argc + 1, argv - 1);
        run_meta meta = {
            mdl_version, mdl_git_commit, command_line ? command_line : "", "", 0, "cpu", 1};
        if (results_create(&w, output, &meta, &c, &err) != 0) {
            cli_error("%s", err.msg);
            goto done;
        }
    }
    int show = !quiet && isatty(2);
    plan.on_row = cli_baseline_progress;
    plan.ctx = &show;
    int mrc = baselines_measure(&c, &plan, &set, &err);
    if (show) fprintf(stderr, "\r\033[K");
    if (mrc != 0) {
        cli_error("%s", err.msg);
        goto done;
    }
    if (w && (results_write_baselines(w, &set, &plan.timing, &err) != 0 ||
              (rc = results_commit(w, &err), w = NULL, rc) != 0)) {
        rc = 1;
        cli_error("%s", err.msg);
        goto done;
    }
    char label[512];
    snprintf(label, sizeof label, "%s%s", corpus_paths[0], n_corpus > 1 ? " (+more)" : "");
    if (fmt == FMT_JSON) {
        print_baseline_json(stdout, &set, label);
        printf("\n");
    } else {
        print_baseline_table(stdout, fmt, &set, label);
    }
    rc = 0;
done:
    if (w) results_discard(w);
    baseline_set_free(&set);
    corpus_free(&c);
    free(specs);
    free(orders);
    free(paths);
    free(command_line);
    return rc;
}
