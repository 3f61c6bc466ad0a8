/* `mdlbench report --documents`: the per-work table of each results file, every document
 * with its bytes and its prequential and final-model bits, sorted by a chosen column; when
 * the extraction test ran, also the positions sampled in it and how many matched exactly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline_print.h"
#include "cli.h"
#include "text_out.h"
#include "results_documents_read.h"
#include "results_two_part.h"

typedef enum { SORT_NAME, SORT_BYTES, SORT_PREQ_BITS, SORT_PREQ_BPB, SORT_FINAL_BPB } sort_key;

static const char *const sort_names[] = {"name", "bytes", "preq_bits", "preq_bpb", "final_bpb"};

static double bpb(double bits, uint64_t bytes) {
    return bytes ? bits / (double)bytes : NAN;
}

/* A held-out document is never coded prequentially: its prequential bits are absent
 * (NaN: "-", an empty CSV field, JSON null), not 0. */
static double preq_bits_of(const document_row *d) {
    return d->held_out ? NAN : d->preq_bits;
}

static double sort_value(const document_row *d, sort_key k) {
    switch (k) {
    case SORT_BYTES:
        return (double)d->bytes;
    case SORT_PREQ_BITS:
        return preq_bits_of(d);
    case SORT_PREQ_BPB:
        return bpb(preq_bits_of(d), d->bytes);
    case SORT_FINAL_BPB:
        return bpb(d->final_bits, d->bytes);
    default:
        return 0;
    }
}

static sort_key current_key;

/* Names ascending; numbers descending, NaN last. */
static int compare_rows(const void *a, const void *b) {
    const document_row *x = a, *y = b;
    if (current_key == SORT_NAME) return strcmp(x->name, y->name);
    double u = sort_value(x, current_key), v = sort_value(y, current_key);
    if (isnan(u) || isnan(v)) return isnan(u) - isnan(v);
    return (u < v) - (u > v);
}

static void print_cell(double v, const char *fmt) {
    if (isnan(v))
        printf("%12s", "-");
    else
        printf(fmt, v);
}

static void print_csv_number(double v) {
    if (!isnan(v)) printf("%.6f", v);
}

static void print_markdown_number(double v, const char *fmt) {
    if (isnan(v))
        printf("-");
    else
        printf(fmt, v);
}

static void print_documents_json(const char *path, const document_row *d, size_t n, int ex) {
    printf("{\"file\": ");
    out_json_string(stdout, path);
    printf(", \"documents\": [");
    for (size_t i = 0; i < n; i++) {
        printf("%s{\"name\": ", i ? ", " : "");
        out_json_string(stdout, d[i].name);
        printf(", \"bytes\": %llu, \"held_out\": %s, \"preq_bits\": ",
               (unsigned long long)d[i].bytes, d[i].held_out ? "true" : "false");
        json_print_number(stdout, preq_bits_of(&d[i]), 0);
        printf(", \"preq_bpb\": ");
        json_print_number(stdout, bpb(preq_bits_of(&d[i]), d[i].bytes), 0);
        printf(", \"final_bits\": ");
        json_print_number(stdout, d[i].final_bits, 0);
        printf(", \"final_bpb\": ");
        json_print_number(stdout, bpb(d[i].final_bits, d[i].bytes), 0);
        if (ex)
            printf(", \"extract_samples\": %u, \"extract_exact\": %u", d[i].extract_samples,
                   d[i].extract_exact);
        printf("}");
    }
    printf("]}");
}

static void print_documents_csv(const char *path, const document_row *d, size_t n, int ex) {
    printf("file,document,bytes,held_out,preq_bits,preq_bpb,final_bits,final_bpb%s\n",
           ex ? ",extract_samples,extract_exact" : "");
    for (size_t i = 0; i < n; i++) {
        double preq = preq_bits_of(&d[i]);
        out_csv_field(stdout, path);
        putchar(',');
        out_csv_field(stdout, d[i].name);
        printf(",%llu,%d,", (unsigned long long)d[i].bytes, d[i].held_out);
        print_csv_number(preq);
        putchar(',');
        print_csv_number(bpb(preq, d[i].bytes));
        putchar(',');
        print_csv_number(d[i].final_bits);
        putchar(',');
        print_csv_number(bpb(d[i].final_bits, d[i].bytes));
        if (ex) printf(",%u,%u", d[i].extract_samples, d[i].extract_exact);
        printf("\n");
    }
}

static void print_documents_markdown(const char *path, const document_row *d, size_t n, int ex) {
    printf("Documents of ");
    out_text(stdout, path);
    printf("\n\n| document | bytes | held out | preq bits | preq bpb | final bits | "
           "final bpb |%s\n|---|---:|---|---:|---:|---:|---:|%s\n",
           ex ? " extract samples | exact |" : "", ex ? "---:|---:|" : "");
    for (size_t i = 0; i < n; i++) {
        double preq = preq_bits_of(&d[i]);
        printf("| ");
        out_markdown_cell(stdout, d[i].name);
        printf(" | %llu | %s | ", (unsigned long long)d[i].bytes, d[i].held_out ? "yes" : "");
        print_markdown_number(preq, "%.1f");
        printf(" | ");
        print_markdown_number(bpb(preq, d[i].bytes), "%.4f");
        printf(" | ");
        print_markdown_number(d[i].final_bits, "%.1f");
        printf(" | ");
        print_markdown_number(bpb(d[i].final_bits, d[i].bytes), "%.4f");
        printf(" |");
        if (ex) printf(" %u | %u |", d[i].extract_samples, d[i].extract_exact);
        printf("\n");
    }
}

static void print_documents_text(const char *path, const document_row *d, size_t n, int ex) {
    out_text(stdout, path);
    printf("\n%-40s %10s %12s %12s %12s %12s", "document", "bytes", "preq_bits", "preq_bpb",
           "final_bits", "final_bpb");
    if (ex) printf(" %8s %8s", "samples", "exact");
    printf("\n");
    for (size_t i = 0; i < n; i++) {
        const char *base = strrchr(d[i].name, '/');
        const char *shown = base ? base + 1 : d[i].name;
        out_text(stdout, shown);
        printf("%*s %10llu", strlen(shown) < 40 ? (int)(40 - strlen(shown)) : 0, "",
               (unsigned long long)d[i].bytes);
        print_cell(preq_bits_of(&d[i]), " %12.1f");
        print_cell(bpb(preq_bits_of(&d[i]), d[i].bytes), " %12.4f");
        print_cell(d[i].final_bits, " %12.1f");
        print_cell(bpb(d[i].final_bits, d[i].bytes), " %12.4f");
        if (ex) printf(" %8u %8u", d[i].extract_samples, d[i].extract_exact);
        printf("\n");
    }
}

static void print_documents(report_format fmt, const char *path, const document_row *d, size_t n) {
    int ex = n > 0 && d[0].has_extract; /* the extraction columns */
    if (fmt == FMT_JSON)
        print_documents_json(path, d, n, ex);
    else if (fmt == FMT_CSV)
        print_documents_csv(path, d, n, ex);
    else if (fmt == FMT_MARKDOWN)
        print_documents_markdown(path, d, n, ex);
    else
        print_documents_text(path, d, n, ex);
}

int report_documents(report_format fmt, const char *sort, char **paths, int n) {
    current_key = SORT_PREQ_BITS;
    int found = 0;
    for (int k = 0; k < 5; k++)
        if (strcmp(sort, sort_names[k]) == 0) current_key = (sort_key)k, found = 1;
    if (!found)
        return cli_error("--sort %s: expected name, bytes, preq_bits, preq_bpb or final_bpb", sort);
    document_row **rows = calloc((size_t)n, sizeof *rows);
    size_t *counts = calloc((size_t)n, sizeof *counts);
    int rc = rows && counts ? 0 : cli_error("out of memory");
    for (int i = 0; i < n && rc == 0; i++) {
        mdl_err err;
        if (results_read_documents(paths[i], &rows[i], &counts[i], &err) != 0)
            rc = cli_error("%s", err.msg);
        else
            qsort(rows[i], counts[i], sizeof *rows[i], compare_rows);
    }
    if (rc == 0 && fmt == FMT_JSON) printf("[\n");
    for (int i = 0; i < n && rc == 0; i++) {
        if (fmt == FMT_JSON)
            printf("  ");
        else if (i)
            printf("\n");
        print_documents(fmt, paths[i], rows[i], counts[i]);
        if (fmt == FMT_JSON) printf("%s\n", i + 1 < n ? "," : "");
    }
    if (rc == 0 && fmt == FMT_JSON) printf("]\n");
    for (int i = 0; rows && i < n; i++) document_rows_free(rows[i], counts ? counts[i] : 0);
    free(rows);
    free(counts);
    return rc;
}
