#include "baseline_print.h"

#include <math.h>

void json_print_number(FILE *f, double v, int is_int) {
    if (isnan(v) || isinf(v))
        fprintf(f, "null");
    else if (is_int)
        fprintf(f, "%.0f", v);
    else
        fprintf(f, "%.17g", v);
}

/* "12.34 MB/s", or "-" where the speed does not apply */
static void speed_cell(char *buf, size_t n, double mb_s) {
    if (isnan(mb_s))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.2f MB/s", mb_s);
}

void print_baseline_table(FILE *f, report_format fmt, const baseline_set *s, const char *filename) {
    if (fmt == FMT_CSV) {
        fprintf(f, "name,kind,codec,version,level,compress_mb_s,decompress_mb_s,original_bytes,"
                   "compressed_bytes,compressed_bits,ratio_percent,bpb,filename\n");
        for (size_t i = 0; i < s->n_rows; i++) {
            const baseline_row *r = &s->rows[i];
            const char *fields[] = {r->name, r->kind, r->codec, r->version, r->level};
            for (size_t k = 0; k < 5; k++) {
                out_csv_field(f, fields[k]);
                fputc(',', f);
            }
            if (!isnan(r->compress_mb_s)) fprintf(f, "%.3f", r->compress_mb_s);
            fputc(',', f);
            if (!isnan(r->decompress_mb_s)) fprintf(f, "%.3f", r->decompress_mb_s);
            fprintf(f, ",%llu,%llu,%.3f,%.4f,%.6f,", (unsigned long long)r->original_bytes,
                    (unsigned long long)r->compressed_bytes, r->compressed_bits, r->ratio_percent,
                    r->bpb);
            out_csv_field(f, filename);
            fputc('\n', f);
        }
        return;
    }
    const char *row_fmt = fmt == FMT_MARKDOWN ? "| %s | %s | %s | %llu | %.2f | %.4f | "
                                              : "%-34s %13s %13s %12llu %7.2f %9.4f  ";
    if (fmt == FMT_MARKDOWN) {
        fprintf(f, "| Compressor name | Compression | Decompression | Compressed size | Ratio | "
                   "Bits/byte | Filename |\n|---|---:|---:|---:|---:|---:|---|\n");
    } else {
        fprintf(f, "%-34s %13s %13s %12s %7s %9s  %s\n", "Compressor name", "Compression",
                "Decompress.", "Compr. size", "Ratio", "bits/byte", "Filename");
    }
    for (size_t i = 0; i < s->n_rows; i++) {
        const baseline_row *r = &s->rows[i];
        char comp[32], decomp[32];
        speed_cell(comp, sizeof comp, r->compress_mb_s);
        speed_cell(decomp, sizeof decomp, r->decompress_mb_s);
        fprintf(f, row_fmt, r->name, comp, decomp, (unsigned long long)r->compressed_bytes,
                r->ratio_percent, r->bpb);
        if (fmt == FMT_MARKDOWN) {
            out_markdown_cell(f, filename);
            fputs(" |\n", f);
        } else {
            out_text(f, filename);
            fputc('\n', f);
        }
    }
}

void print_baseline_json(FILE *f, const baseline_set *s, const char *filename) {
    fputc('[', f);
    for (size_t i = 0; i < s->n_rows; i++) {
        const baseline_row *r = &s->rows[i];
        fprintf(f, "%s{\"name\": ", i ? ", " : "");
        out_json_string(f, r->name);
        fprintf(f, ", \"kind\": ");
        out_json_string(f, r->kind);
        fprintf(f, ", \"codec\": ");
        out_json_string(f, r->codec);
        fprintf(f, ", \"version\": ");
        out_json_string(f, r->version);
        fprintf(f, ", \"level\": ");
        out_json_string(f, r->level);
        fprintf(f, ", \"original_bytes\": %llu, \"compressed_bytes\": %llu",
                (unsigned long long)r->original_bytes, (unsigned long long)r->compressed_bytes);
        const struct {
            const char *key;
            double v;
        } nums[] = {{"compressed_bits", r->compressed_bits},
                    {"ratio_percent", r->ratio_percent},
                    {"bpb", r->bpb},
                    {"compress_mb_s", r->compress_mb_s},
                    {"decompress_mb_s", r->decompress_mb_s}};
        for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
            fprintf(f, ", \"%s\": ", nums[k].key);
            json_print_number(f, nums[k].v, 0);
        }
        fprintf(f, ", \"filename\": ");
        out_json_string(f, filename);
        fputc('}', f);
    }
    fputc(']', f);
}
