/* `mdlbench report`: one row per results file, as text, markdown, csv or json; with
 * --passes, the per-pass table of each file. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "text_out.h"
#include "baseline_print.h"
#include "results.h"
#include "results_baselines.h"
#include "results_passes_read.h"
#include "results_two_part.h"

static void report_usage(FILE *f) {
    fprintf(f, "usage: mdlbench report FILE.h5... [--format text|markdown|csv|json]\n"
               "                      [--documents [--sort COLUMN] | --passes]\n"
               "\n"
               "Prints one row per model run: corpus size, parameters, prequential and\n"
               "final-model bits per byte, first-step bits per byte, speed and MFU (and the\n"
               "number of passes when a run made more than one, the extraction test's\n"
               "exact-match rates in trained and held-out documents when it ran); then, for\n"
               "each file with baselines (from `run` or `baselines -o`), their table in\n"
               "lzbench's columns. The json form is an array with one object per file: every\n"
               "summary field and a \"baselines\" array.\n"
               "\n"
               "options:\n"
               "  -f, --format FMT   text (default), markdown, csv or json\n"
               "  --documents        the per-work table instead: each document's bytes,\n"
               "                     prequential and final-model bits and bits per byte (and\n"
               "                     extraction samples and exact matches when the test ran)\n"
               "  --sort COLUMN      order of --documents: preq_bits (default), preq_bpb,\n"
               "                     final_bpb, bytes (all largest first) or name\n"
               "  --passes           the per-pass table instead (train.passes): each pass's\n"
               "                     bits per byte while training, after it, and on the\n"
               "                     held-out documents after it\n"
               "  -h, --help         this help\n");
}

/* When a column is shown: always, or only when some file of the report has more than one
 * pass, extraction samples, or held-out chunks (analysis.chunk_bytes). */
enum { COL_ALWAYS, COL_PASSES, COL_EXTRACT, COL_CHUNKED };

/* A numeric summary field of the table: its column header, csv header, format and when it
 * is shown. */
typedef struct column {
    const char *header;
    const char *key;
    const char *fmt;
    int when;
} column;

static const column COLUMNS[] = {
    {"bytes", "corpus_bytes", "%.0f", COL_ALWAYS},
    {"docs", "n_documents", "%.0f", COL_ALWAYS},
    {"params", "n_params", "%.0f", COL_ALWAYS},
    {"preq_bpb", "preq_bpb", "%.4f", COL_ALWAYS},
    {"final_bpb", "final_bpb", "%.4f", COL_ALWAYS},
    {"first_bpb", "first_step_bpb", "%.4f", COL_ALWAYS},
    {"ratio%", "ratio_percent", "%.2f", COL_ALWAYS},
    {"bytes/s", "bytes_per_s", "%.0f", COL_ALWAYS},
    {"MFU%", "mfu", "%.1f", COL_ALWAYS},
    {"wall_s", "wall_s", "%.1f", COL_ALWAYS},
    {"passes", "passes", "%.0f", COL_PASSES},
    {"tr_exact%", "trained_exact_percent", "%.1f", COL_EXTRACT},
    {"ho_exact%", "heldout_exact_percent", "%.1f", COL_EXTRACT},
    {"chunk_raw%", "heldout_chunked_raw_percent", "%.2f", COL_CHUNKED},
    {"chunk_adj%", "heldout_chunked_adjusted_percent", "%.2f", COL_CHUNKED},
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
    case 9:
        return s->wall_s;
    case 10:
        return s->passes ? (double)s->passes : 1.0; /* files before train.passes: one */
    case 11:
        return 100.0 * s->trained_exact_rate;
    case 12:
        return 100.0 * s->heldout_exact_rate;
    default: {
        double raw, adjusted;
        summary_chunked_rates(s, &raw, &adjusted);
        return i == 13 ? raw : adjusted;
    }
    }
}

/* The optional column groups some file of the report needs (bit 1 << COL_...). */
static int columns_needed(const run_summary *s) {
    int need = 1 << COL_ALWAYS;
    if (s->passes > 1) need |= 1 << COL_PASSES;
    if (s->trained_extract_samples + s->heldout_extract_samples > 0) need |= 1 << COL_EXTRACT;
    if (s->heldout_chunks > 0) need |= 1 << COL_CHUNKED;
    return need;
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
    json_number("chunk_bytes", (double)s->chunk_bytes, 1, &first);
    json_number("heldout_chunks", (double)s->heldout_chunks, 1, &first);
    json_number("heldout_chunked_bpb", s->heldout_chunked_bpb, 0, &first);
    json_number("passes", (double)s->passes, 1, &first);
    json_number("extract_prefix", (double)s->extract_prefix, 1, &first);
    json_number("extract_suffix", (double)s->extract_suffix, 1, &first);
    json_number("trained_extract_samples", (double)s->trained_extract_samples, 1, &first);
    json_number("trained_exact_rate", s->trained_exact_rate, 0, &first);
    json_number("trained_mean_matched", s->trained_mean_matched, 0, &first);
    json_number("heldout_extract_samples", (double)s->heldout_extract_samples, 1, &first);
    json_number("heldout_exact_rate", s->heldout_exact_rate, 0, &first);
    json_number("heldout_mean_matched", s->heldout_mean_matched, 0, &first);
    json_number("wall_s", s->wall_s, 0, &first);
    json_number("train_s", s->train_s, 0, &first);
    json_number("bytes_per_s", s->bytes_per_s, 0, &first);
    json_number("model_flops_per_byte", s->model_flops_per_byte, 0, &first);
    json_number("achieved_flops", s->achieved_flops, 0, &first);
    json_number("peak_flops", s->peak_flops, 0, &first);
    json_number("mfu", s->mfu, 0, &first);
    json_number("threads", (double)s->threads, 1, &first);
    json_number("world_size", (double)s->world_size, 1, &first);
    printf(", \"device\": ");
    out_json_string(stdout, s->device);
}

/* A file name or device in the table's format, padded to width in text. */
static void print_name(report_format fmt, const char *s, int width) {
    if (fmt == FMT_CSV)
        out_csv_field(stdout, s);
    else if (fmt == FMT_MARKDOWN)
        out_markdown_cell(stdout, s);
    else {
        out_text(stdout, s);
        if ((int)strlen(s) < width) printf("%*s", width - (int)strlen(s), "");
    }
}

static void print_row(report_format fmt, const run_summary *s, const char *path, int shown) {
    const char *sep = fmt == FMT_CSV ? "," : fmt == FMT_MARKDOWN ? " | " : "  ";
    if (fmt == FMT_MARKDOWN) printf("| ");
    print_name(fmt, path, 28);
    for (size_t i = 0; i < N_COLUMNS; i++) {
        if (!(shown & 1 << COLUMNS[i].when)) continue;
        char cell[64];
        double v = column_value(s, i);
        if (isnan(v))
            snprintf(cell, sizeof cell, "%s", fmt == FMT_CSV ? "" : "-");
        else
            snprintf(cell, sizeof cell, COLUMNS[i].fmt, v);
        printf(fmt == FMT_TEXT ? "%s%10s" : "%s%s", sep, cell);
    }
    fputs(sep, stdout);
    print_name(fmt, s->device, 0);
    printf("%s\n", fmt == FMT_MARKDOWN ? " |" : "");
}

static void print_header(report_format fmt, int shown) {
    const char *sep = fmt == FMT_CSV ? "," : fmt == FMT_MARKDOWN ? " | " : "  ";
    if (fmt == FMT_MARKDOWN) printf("| ");
    printf(fmt == FMT_TEXT ? "%-28s" : "%s", "file");
    for (size_t i = 0; i < N_COLUMNS; i++)
        if (shown & 1 << COLUMNS[i].when)
            printf(fmt == FMT_TEXT ? "%s%10s" : "%s%s", sep,
                   fmt == FMT_CSV ? COLUMNS[i].key : COLUMNS[i].header);
    printf("%sdevice%s\n", sep, fmt == FMT_MARKDOWN ? " |" : "");
    if (fmt == FMT_MARKDOWN) {
        printf("|---");
        for (size_t i = 0; i < N_COLUMNS; i++)
            if (shown & 1 << COLUMNS[i].when) printf("|---:");
        printf("|---|\n");
    }
}

/* The peak a CUDA run's MFU is measured against. A results file records the CPU's sgemm
 * rate as peak_flops whatever the device (the training command measures it), and the
 * device as "cuda: NAME (sm_XY, N GiB), PRECISION[ x K ranks]". For a CUDA run the report
 * uses instead the GPU's dense spec-sheet rate in that precision (bf16 tensor cores; fp32
 * CUDA cores, since the fp32 backend uses no TF32), times the ranks; MDL_GPU_PEAK_FLOPS
 * (FLOP/s of one GPU) overrides the table. A GPU not in the table gives NaN (no MFU). */
typedef struct gpu_peak {
    const char *name; /* a substring of the device name; the first match wins */
    double bf16, fp32;
} gpu_peak;

static const gpu_peak GPU_PEAKS[] = {
    {"H100 PCIe", 756e12, 51.2e12}, {"H100 NVL", 835e12, 60e12}, {"H100", 989.4e12, 66.9e12},
    {"H200", 989.4e12, 66.9e12},    {"H800", 989.4e12, 66.9e12}, {"A100", 312e12, 19.5e12},
    {"A800", 312e12, 19.5e12},      {"L40S", 362e12, 91.6e12},   {"L4", 121e12, 30.3e12},
    {"A10", 125e12, 31.2e12},
};

/* The GPU peak of a CUDA run's device string and its source; 0 for a CPU run (the
 * recorded sgemm peak stands). */
static double cuda_peak_flops(const char *device, const char **source) {
    if (strncmp(device, "cuda:", 5) != 0) return 0;
    int bf16 = strstr(device, ", bf16") != NULL;
    const char *ranks = strstr(device, " x ");
    double world = ranks ? atof(ranks + 3) : 1;
    if (!(world >= 1)) world = 1;
    const char *env = getenv("MDL_GPU_PEAK_FLOPS");
    if (env && *env) {
        char *end;
        double v = strtod(env, &end);
        if (end != env && v > 0) {
            *source = "MDL_GPU_PEAK_FLOPS";
            return v * world;
        }
    }
    for (size_t i = 0; i < sizeof GPU_PEAKS / sizeof GPU_PEAKS[0]; i++)
        if (strstr(device, GPU_PEAKS[i].name)) {
            *source = bf16 ? "gpu spec sheet, bf16 dense" : "gpu spec sheet, fp32";
            return (bf16 ? GPU_PEAKS[i].bf16 : GPU_PEAKS[i].fp32) * world;
        }
    *source = "unknown gpu (set MDL_GPU_PEAK_FLOPS)";
    return NAN;
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
    const char *peak_source; /* what peak_flops and mfu are measured against */
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
    f->peak_source = "recorded (cpu sgemm)";
    double gpu = has ? cuda_peak_flops(f->summary.device, &f->peak_source) : 0;
    if (gpu != 0) {
        f->summary.peak_flops = gpu;
        f->summary.mfu = f->summary.achieved_flops / gpu; /* NaN for an unknown GPU */
    }
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
            out_json_string(stdout, files[i].path);
            if (files[i].has_summary) {
                print_json_summary(&files[i].summary);
                printf(", \"peak_source\": ");
                out_json_string(stdout, files[i].peak_source);
            }
            if (files[i].has_summary) print_json_two_part(&files[i]);
            printf(", \"baselines\": ");
            print_baseline_json(stdout, &files[i].baselines, files[i].path);
            printf("}%s\n", i + 1 < n ? "," : "");
        }
        printf("]\n");
        return;
    }
    int any_summary = 0, shown = 0;
    for (int i = 0; i < n; i++) {
        any_summary |= files[i].has_summary;
        if (files[i].has_summary) shown |= columns_needed(&files[i].summary);
    }
    if (any_summary) {
        print_header(fmt, shown);
        for (int i = 0; i < n; i++)
            if (files[i].has_summary) print_row(fmt, &files[i].summary, files[i].path, shown);
    }
    for (int i = 0; i < n; i++) {
        if (files[i].baselines.n_rows == 0) continue;
        printf("\n");
        if (fmt == FMT_MARKDOWN) printf("Baselines of %s\n\n", files[i].path);
        print_baseline_table(stdout, fmt, &files[i].baselines, files[i].path);
    }
}

/* ---- report --passes ------------------------------------------------------------------ */

/* The pass table of one file: /passes, or for a file written before train.passes the one
 * pass its summary describes (the same numbers /passes would hold). */
static int read_pass_table(const char *path, pass_table *t) {
    mdl_err err;
    int got = results_read_passes(path, t, &err);
    if (got < 0) return cli_error("%s", err.msg);
    if (got > 0) return 0;
    int has = results_has_summary(path);
    if (has < 0) return cli_error("%s: cannot read the results file", path);
    if (has == 0) return cli_error("%s: no model run in this file (no /passes or /summary)", path);
    run_summary s;
    if (results_read_summary(path, &s, &err) != 0) return cli_error("%s", err.msg);
    if (!(t->rows = malloc(sizeof *t->rows)) || !(t->pass = malloc(sizeof *t->pass)))
        return cli_error("out of memory");
    t->bytes = s.corpus_bytes;
    t->heldout_bytes = s.heldout_bytes;
    t->pass[0] = 1;
    t->rows[0] = (pass_row){s.preq_bits, s.final_bits,
                            s.heldout_bytes ? s.heldout_bpb * (double)s.heldout_bytes : NAN};
    t->n = 1;
    return 0;
}

static double per_byte(double bits, uint64_t bytes) {
    return bytes ? bits / (double)bytes : NAN;
}

/* A csv cell: the number, or nothing for NaN. */
static void csv_number(double v) {
    if (!isnan(v)) printf("%.6f", v);
}

static void print_pass_table(report_format fmt, const char *path, const pass_table *t) {
    if (fmt == FMT_JSON) {
        printf("{\"file\": ");
        out_json_string(stdout, path);
        printf(", \"bytes\": %llu, \"heldout_bytes\": %llu, \"passes\": [",
               (unsigned long long)t->bytes, (unsigned long long)t->heldout_bytes);
        for (size_t i = 0; i < t->n; i++) {
            const pass_row *r = &t->rows[i];
            printf("%s{\"pass\": %lld, \"train_bits\": ", i ? ", " : "", (long long)t->pass[i]);
            json_print_number(stdout, r->train_bits, 0);
            printf(", \"train_bpb\": ");
            json_print_number(stdout, per_byte(r->train_bits, t->bytes), 0);
            printf(", \"eval_bits\": ");
            json_print_number(stdout, r->eval_bits, 0);
            printf(", \"eval_bpb\": ");
            json_print_number(stdout, per_byte(r->eval_bits, t->bytes), 0);
            printf(", \"heldout_bits\": ");
            json_print_number(stdout, r->heldout_bits, 0);
            printf(", \"heldout_bpb\": ");
            json_print_number(stdout, per_byte(r->heldout_bits, t->heldout_bytes), 0);
            printf("}");
        }
        printf("]}");
        return;
    }
    if (fmt == FMT_CSV) { /* one header for all files (print_passes) */
        for (size_t i = 0; i < t->n; i++) {
            const pass_row *r = &t->rows[i];
            out_csv_field(stdout, path);
            printf(",%lld,", (long long)t->pass[i]);
            csv_number(r->train_bits);
            printf(",");
            csv_number(per_byte(r->train_bits, t->bytes));
            printf(",");
            csv_number(r->eval_bits);
            printf(",");
            csv_number(per_byte(r->eval_bits, t->bytes));
            printf(",");
            csv_number(r->heldout_bits);
            printf(",");
            csv_number(per_byte(r->heldout_bits, t->heldout_bytes));
            printf("\n");
        }
        return;
    }
    int md = fmt == FMT_MARKDOWN;
    if (md) printf("Passes of ");
    out_text(stdout, path);
    if (md)
        printf("\n\n| pass | train bpb | eval bpb | held-out bpb |\n|---:|---:|---:|---:|\n");
    else
        printf("\n%6s %12s %12s %12s\n", "pass", "train_bpb", "eval_bpb", "heldout_bpb");
    for (size_t i = 0; i < t->n; i++) {
        const pass_row *r = &t->rows[i];
        double v[3] = {per_byte(r->train_bits, t->bytes), per_byte(r->eval_bits, t->bytes),
                       per_byte(r->heldout_bits, t->heldout_bytes)};
        printf(md ? "| %lld |" : "%6lld", (long long)t->pass[i]);
        for (int j = 0; j < 3; j++) {
            char cell[32];
            if (isnan(v[j]))
                snprintf(cell, sizeof cell, "-");
            else
                snprintf(cell, sizeof cell, "%.4f", v[j]);
            printf(md ? " %s |" : " %12s", cell);
        }
        printf("\n");
    }
}

/* report --passes over n files: all read first, so a bad file prints only its error. */
static int report_passes(report_format fmt, char **paths, int n) {
    pass_table *tables = calloc((size_t)n, sizeof *tables);
    int rc = tables ? 0 : cli_error("out of memory");
    for (int i = 0; i < n && rc == 0; i++) rc = read_pass_table(paths[i], &tables[i]);
    if (rc == 0 && fmt == FMT_JSON) printf("[\n");
    if (rc == 0 && fmt == FMT_CSV)
        printf("file,pass,train_bits,train_bpb,eval_bits,eval_bpb,heldout_bits,heldout_bpb\n");
    for (int i = 0; i < n && rc == 0; i++) {
        if (fmt == FMT_JSON)
            printf("  ");
        else if (i && fmt != FMT_CSV)
            printf("\n");
        print_pass_table(fmt, paths[i], &tables[i]);
        if (fmt == FMT_JSON) printf("%s\n", i + 1 < n ? "," : "");
    }
    if (rc == 0 && fmt == FMT_JSON) printf("]\n");
    for (int i = 0; tables && i < n; i++) pass_table_free(&tables[i]);
    free(tables);
    return rc;
}

/* Results files read in milliseconds: MDL_REPORT_TIMEOUT seconds (default 60) per file
 * end the command with one line instead of hanging on a damaged one (cli.h). */
static void start_watchdog(int n_files) {
    long total = cli_timeout_seconds("MDL_REPORT_TIMEOUT", 60) * (n_files > 0 ? n_files : 1);
    cli_watchdog_start(total,
                       "mdlbench: report: reading the results files took over %ld s: one of "
                       "them is probably damaged (HDF5 can loop on a damaged file)",
                       total);
}

int cmd_report(int argc, char **argv) {
    enum { OPT_DOCUMENTS = 256, OPT_SORT, OPT_PASSES };
    static const struct option longopts[] = {{"format", required_argument, 0, 'f'},
                                             {"documents", no_argument, 0, OPT_DOCUMENTS},
                                             {"sort", required_argument, 0, OPT_SORT},
                                             {"passes", no_argument, 0, OPT_PASSES},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    report_format fmt = FMT_TEXT;
    int documents = 0, passes = 0, sorted = 0;
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
            sorted = 1;
            break;
        case OPT_PASSES:
            passes = 1;
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
    if (passes && documents) return cli_error("report: --passes and --documents are exclusive");
    if (passes && sorted) return cli_error("report: --sort applies to --documents, not --passes");
    if (optind >= argc) return cli_error("report: no results file given (see --help)");
    start_watchdog(argc - optind);
    if (passes) return report_passes(fmt, argv + optind, argc - optind);
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
