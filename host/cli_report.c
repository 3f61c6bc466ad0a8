/* `mdlbench report`: one row per results file, as text, markdown, csv or json. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "baseline_print.h"
#include "results.h"
#include "results_baselines.h"
#include "results_two_part.h"

static void report_usage(FILE *f) {
    fprintf(f, "usage: mdlbench report FILE.h5... [--format text|markdown|csv|json]\n"
               "                      [--documents [--sort COLUMN]]\n"
               "\n"
               "Prints one row per model run: corpus size, parameters, prequential and\n"
               "final-model bits per byte, first-step bits per byte, speed and MFU; then, for\n"
               "each file with baselines (from `run` or `baselines -o`), their table in\n"
               "lzbench's columns. The json form is an array with one object per file: every\n"
               "summary field and a \"baselines\" array.\n"
               "\n"
               "options:\n"
               "  -f, --format FMT   text (default), markdown, csv or json\n"
               "  --documents        the per-work table instead: each document's bytes,\n"
               "                     prequential and final-model bits and bits per byte\n"
               "  --sort COLUMN      order of --documents: preq_bits (default), preq_bpb,\n"
               "                     final_bpb, bytes (all largest first) or name\n"
               "  -h, --help         this help\n");
}

/* A numeric summary field of the table: its column header, csv header and format. */
typedef struct column {
    const char *header;
    const char *key;
    const char *fmt;
} column;

static const column COLUMNS[] = {
    {"bytes", "corpus_bytes", "%.0f"},
    {"docs", "n_documents", "%.0f"},
    {"params", "n_params", "%.0f"},
    {"preq_bpb", "preq_bpb", "%.4f"},
    {"final_bpb", "final_bpb", "%.4f"},
    {"first_bpb", "first_step_bpb", "%.4f"},
    {"ratio%", "ratio_percent", "%.2f"},
    {"bytes/s", "bytes_per_s", "%.0f"},
    {"MFU%", "mfu", "%.1f"},
    {"wall_s", "wall_s", "%.1f"},
};
#define N_COLUMNS (sizeof COLUMNS / sizeof COLUMNS[0])

static double column_value(const run_summary *s, size_t i) {
    switch (i) {
    case 0:
        return (double)s->corpus_bytes;
    case 1:
        return (double)s->n_documents;
    case 2:
        return (double)s->n_params;
    case 3:
        return s->preq_bpb;
    case 4:
        return s->final_bpb;
    case 5:
        return s->first_step_bpb;
    case 6:
        return s->ratio_percent;
    case 7:
        return s->bytes_per_s;
    case 8:
        return 100.0 * s->mfu;
    default:
        return s->wall_s;
    }
}

static void json_number(const char *key, double v, int is_int, int *first) {
    printf("%s\"%s\": ", *first ? "" : ", ", key);
    *first = 0;
    json_print_number(stdout, v, is_int);
}

/* The summary fields, each as ', "key": value'. */
static void print_json_summary(const run_summary *s) {
    int first = 0;
    json_number("corpus_bytes", (double)s->corpus_bytes, 1, &first);
    json_number("n_documents", (double)s->n_documents, 1, &first);
    json_number("n_params", (double)s->n_params, 1, &first);
    json_number("n_params_nonembedding", (double)s->n_params_nonembedding, 1, &first);
    json_number("streams", (double)s->streams, 1, &first);
    json_number("steps", (double)s->steps, 1, &first);
    json_number("preq_bits", s->preq_bits, 0, &first);
    json_number("preq_bpb", s->preq_bpb, 0, &first);
    json_number("ratio_percent", s->ratio_percent, 0, &first);
    json_number("header_bytes", (double)s->header_bytes, 1, &first);
    json_number("compressed_bytes", (double)s->compressed_bytes, 1, &first);
    json_number("first_step_bpb", s->first_step_bpb, 0, &first);
    json_number("final_bits", s->final_bits, 0, &first);
    json_number("final_bpb", s->final_bpb, 0, &first);
    json_number("info_absorbed_bits", s->info_absorbed_bits, 0, &first);
    json_number("heldout_documents", (double)s->heldout_documents, 1, &first);
    json_number("heldout_bytes", (double)s->heldout_bytes, 1, &first);
    json_number("heldout_bpb", s->heldout_bpb, 0, &first);
    json_number("memorization_gap_bpb", s->memorization_gap_bpb, 0, &first);
    json_number("wall_s", s->wall_s, 0, &first);
    json_number("train_s", s->train_s, 0, &first);
    json_number("bytes_per_s", s->bytes_per_s, 0, &first);
    json_number("model_flops_per_byte", s->model_flops_per_byte, 0, &first);
    json_number("achieved_flops", s->achieved_flops, 0, &first);
    json_number("peak_flops", s->peak_flops, 0, &first);
    json_number("mfu", s->mfu, 0, &first);
    json_number("threads", (double)s->threads, 1, &first);
    printf(", \"device\": ");
    json_print_string(stdout, s->device);
}

static void print_row(report_format fmt, const run_summary *s, const char *path) {
    const char *sep = fmt == FMT_CSV ? "," : fmt == FMT_MARKDOWN ? " | " : "  ";
    if (fmt == FMT_MARKDOWN) printf("| ");
    printf(fmt == FMT_TEXT ? "%-28s" : "%s", path);
    for (size_t i = 0; i < N_COLUMNS; i++) {
        char cell[64];
        double v = column_value(s, i);
        if (isnan(v))
            snprintf(cell, sizeof cell, "%s", fmt == FMT_CSV ? "" : "-");
        else
            snprintf(cell, sizeof cell, COLUMNS[i].fmt, v);
        printf(fmt == FMT_TEXT ? "%s%10s" : "%s%s", sep, cell);
    }
    printf("%s%s%s\n", sep, s->device, fmt == FMT_MARKDOWN ? " |" : "");
}

static void print_header(report_format fmt) {
    const char *sep = fmt == FMT_CSV ? "," : fmt == FMT_MARKDOWN ? " | " : "  ";
    if (fmt == FMT_MARKDOWN) printf("| ");
    printf(fmt == FMT_TEXT ? "%-28s" : "%s", "file");
    for (size_t i = 0; i < N_COLUMNS; i++)
        printf(fmt == FMT_TEXT ? "%s%10s" : "%s%s", sep,
               fmt == FMT_CSV ? COLUMNS[i].key : COLUMNS[i].header);
    printf("%sdevice%s\n", sep, fmt == FMT_MARKDOWN ? " |" : "");
    if (fmt == FMT_MARKDOWN) {
        printf("|---");
        for (size_t i = 0; i < N_COLUMNS; i++) printf("|---:");
        printf("|---|\n");
    }
}

/* What report shows of one file: the model's summary (absent in a file written by
 * `mdlbench baselines`) and the baselines (possibly none). */
typedef struct run_file {
    const char *path;
    int has_summary;
    run_summary summary;
    baseline_set baselines;
    two_part_row two_part[WFMT_COUNT];
    size_t n_two_part;
} run_file;

static int read_run_file(const char *path, run_file *f) {
    mdl_err err;
    f->path = path;
    if (results_read_baselines(path, &f->baselines, &err) != 0) return cli_error("%s", err.msg);
    int has = results_has_summary(path);
    if (has < 0 || (!has && f->baselines.n_rows == 0))
        return cli_error("%s: not an mdlbench results file (no /summary group)", path);
    f->has_summary = has;
    if (has && results_read_summary(path, &f->summary, &err) != 0) return cli_error("%s", err.msg);
    if (results_read_two_part(path, f->two_part, &f->n_two_part, &err) != 0)
        return cli_error("%s", err.msg);
    return 0;
}

/* "two_part": {"fp32": {...}, ...} */
static void print_json_two_part(const run_file *f) {
    printf(", \"two_part\": {");
    for (size_t i = 0; i < f->n_two_part; i++) {
        const two_part_row *t = &f->two_part[i];
        printf("%s\"%s\": {\"weight_bytes\": %llu, \"weight_bits\": ", i ? ", " : "",
               weight_format_name(t->format), (unsigned long long)t->weight_bytes);
        json_print_number(stdout, t->weight_bits, 0);
        printf(", \"data_bits\": ");
        json_print_number(stdout, t->data_bits, 0);
        printf(", \"total_bits\": ");
        json_print_number(stdout, t->total_bits, 0);
        printf(", \"total_bpb\": ");
        json_print_number(stdout, t->total_bpb, 0);
        printf(", \"data_bpb\": ");
        json_print_number(stdout, t->data_bpb, 0);
        printf("}");
    }
    printf("}");
}

static void print_report(report_format fmt, const run_file *files, int n) {
    if (fmt == FMT_JSON) {
        printf("[\n");
        for (int i = 0; i < n; i++) {
            printf("  {\"file\": ");
            json_print_string(stdout, files[i].path);
            if (files[i].has_summary) print_json_summary(&files[i].summary);
            if (files[i].has_summary) print_json_two_part(&files[i]);
            printf(", \"baselines\": ");
            print_baseline_json(stdout, &files[i].baselines, files[i].path);
            printf("}%s\n", i + 1 < n ? "," : "");
        }
        printf("]\n");
        return;
    }
    int any_summary = 0;
    for (int i = 0; i < n; i++) any_summary |= files[i].has_summary;
    if (any_summary) {
        print_header(fmt);
        for (int i = 0; i < n; i++)
            if (files[i].has_summary) print_row(fmt, &files[i].summary, files[i].path);
    }
    for (int i = 0; i < n; i++) {
        if (files[i].baselines.n_rows == 0) continue;
        printf("\n");
        if (fmt == FMT_MARKDOWN) printf("Baselines of %s\n\n", files[i].path);
        print_baseline_table(stdout, fmt, &files[i].baselines, files[i].path);
    }
}

int cmd_report(int argc, char **argv) {
    enum { OPT_DOCUMENTS = 256, OPT_SORT };
    static const struct option longopts[] = {{"format", required_argument, 0, 'f'},
                                             {"documents", no_argument, 0, OPT_DOCUMENTS},
                                             {"sort", required_argument, 0, OPT_SORT},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    report_format fmt = FMT_TEXT;
    int documents = 0;
    const char *sort = "preq_bits";
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":f:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'f':
            if (strcmp(optarg, "text") == 0)
                fmt = FMT_TEXT;
            else if (strcmp(optarg, "markdown") == 0)
                fmt = FMT_MARKDOWN;
            else if (strcmp(optarg, "csv") == 0)
                fmt = FMT_CSV;
            else if (strcmp(optarg, "json") == 0)
                fmt = FMT_JSON;
            else
                return cli_error("--format %s: expected text, markdown, csv or json", optarg);
            break;
        case OPT_DOCUMENTS:
            documents = 1;
            break;
        case OPT_SORT:
            sort = optarg;
            break;
        case 'h':
            report_usage(stdout);
            return 0;
        case ':':
            return cli_error("report: option %s needs a value", argv[optind - 1]);
        default:
            return cli_error("report: unknown option %s (see --help)", argv[optind - 1]);
        }
    }
    if (optind >= argc) return cli_error("report: no results file given (see --help)");
    if (documents) return report_documents(fmt, sort, argv + optind, argc - optind);
    /* read everything first, so a bad file prints nothing but its error */
    int n = argc - optind;
    run_file *files = calloc((size_t)n, sizeof *files);
    if (!files) return cli_error("out of memory");
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) rc = read_run_file(argv[optind + i], &files[i]);
    if (rc == 0) print_report(fmt, files, n);
    for (int i = 0; i < n; i++) baseline_set_free(&files[i].baselines);
    free(files);
    return rc;
}
