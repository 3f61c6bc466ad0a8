/* `mdlbench decompress` and `mdlbench info FILE.mdl`: the .mdl file read and checked, the
 * same loop rerun on the bytes as they are decoded (docs/design.md §7), the result checked
 * against the original's checksum before anything is written. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "backend.h"
#include "cli.h"
#include "codec.h"
#include "compress_common.h"
#include "container.h"
#include "device.h"
#include "dist.h"
#include "output_path.h"
#include "version.h"

static void decompress_usage(FILE *f) {
    fprintf(f, "usage: mdlbench decompress FILE.mdl -o OUTPUT [options]\n"
               "\n"
               "Restores what `mdlbench compress` coded: trains the same model on the bytes as it\n"
               "decodes them (about segment forward passes per step, so slower than compress),\n"
               "checks the result against the original's checksum, then writes it. One document\n"
               "is written as the file OUTPUT; several as a directory OUTPUT holding their\n"
               "names and relative paths.\n"
               "\n"
               "options:\n"
               "  -o, --output PATH    file or directory to create (required); refused if it\n"
               "                       exists, unless --force (a directory is then filled)\n"
               "  --device DEV         cpu | cuda | auto: must be the backend the file was made\n"
               "                       with (the default auto picks it)\n"
               "  --threads N          must be the thread count the file was made with (the\n"
               "                       default takes it from the file)\n"
               "  -f, --force          write into an existing output\n"
               "  -q, --quiet          no progress line\n"
               "  -h, --help           this help\n");
}

typedef struct decompress_options {
    const char *input, *output, *device;
    int threads, force, quiet;
} decompress_options;

static int parse(decompress_options *o, int argc, char **argv) {
    enum { OPT_DEVICE = 256, OPT_THREADS };
    static const struct option longopts[] = {{"output", required_argument, 0, 'o'},
                                             {"device", required_argument, 0, OPT_DEVICE},
                                             {"threads", required_argument, 0, OPT_THREADS},
                                             {"force", no_argument, 0, 'f'},
                                             {"quiet", no_argument, 0, 'q'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->device = "auto";
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:fqh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            o->output = optarg;
            break;
        case OPT_DEVICE:
            o->device = optarg;
            break;
        case OPT_THREADS:
            if (cli_parse_threads(optarg, &o->threads) != 0) return CLI_FAILED;
            break;
        case 'f':
            o->force = 1;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'h':
            decompress_usage(stdout);
            return CLI_HELP_SHOWN;
        case ':':
            return cli_error("decompress: option %s needs a value", argv[optind - 1]);
        default:
            return cli_error("decompress: unknown option %s (see --help)", argv[optind - 1]);
        }
    }
    if (optind >= argc) return cli_error("decompress: no FILE.mdl given (see --help)");
    if (optind + 1 < argc) return cli_error("decompress: one FILE.mdl at a time");
    o->input = argv[optind];
    if (!o->output) return cli_error("decompress: -o OUTPUT is required");
    if (strcmp(o->device, "cpu") && strcmp(o->device, "cuda") && strcmp(o->device, "auto"))
        return cli_error("--device %s: expected cpu, cuda or auto", o->device);
    return CLI_GO_ON;
}

/* What this run can reproduce: the file's backend, precision and thread count, asked for
 * or taken from it; another commit or machine may compute other bits (said, and then the
 * checksum decides). */
static int check_reproducible(const decompress_options *o, const mdlz_header *h,
                              const mdl_config *cfg, const char **device, int *threads) {
    const char *prec = cfg->run.precision == PRECISION_BF16 ? "bf16" : "fp32";
    if (strcmp(h->precision, prec) != 0)
        return cli_error("%s: damaged header (precision %s, its configuration says %s)", o->input,
                         h->precision, prec);
    if (strcmp(o->device, "auto") != 0 && strcmp(o->device, h->backend) != 0)
        return cli_error("%s: made with the %s backend (%s); --device %s cannot reproduce it",
                         o->input, h->backend, h->precision, o->device);
    if (o->threads && (uint32_t)o->threads != h->threads)
        return cli_error("%s: made with %u threads; --threads %d would compute other bits (leave "
                         "--threads out to use %u)",
                         o->input, h->threads, o->threads, h->threads);
    if (strcmp(h->backend, "cpu") != 0 && strcmp(h->backend, "cuda") != 0)
        return cli_error("%s: made with an unknown backend '%s'", o->input, h->backend);
    if (strcmp(h->backend, "cuda") == 0 && cuda_device_count() == 0)
        return cli_error("%s: made with the cuda backend (%s, %s); this machine has no usable "
                         "CUDA device to reproduce it",
                         o->input, h->precision, h->device);
    if (strcmp(h->commit, mdl_git_commit) != 0)
        fprintf(stderr,
                "mdlbench: note: %s was made by mdlbench %s (commit %s), this is %s (commit %s); "
                "the checksum will tell whether it computes the same bits\n",
                o->input, h->mdlbench_version, h->commit, mdl_version, mdl_git_commit);
    *device = h->backend;
    *threads = (int)h->threads;
    return 0;
}

/* The output: a file for one document, a directory otherwise; never the input. */
static int check_output(const decompress_options *o, const mdlz_header *h, int *as_dir) {
    struct stat sb;
    int exists = stat(o->output, &sb) == 0;
    *as_dir = h->n_docs != 1 || (exists && S_ISDIR(sb.st_mode));
    if (exists && !o->force)
        return cli_error("%s exists (use --force to write %s it)", o->output,
                         *as_dir ? "into" : "over");
    const char *inputs[] = {o->input};
    return *as_dir ? cli_check_output_dir("-o", o->output, inputs, 1)
                   : cli_check_output_file("-o", o->output, inputs, 1);
}

static int write_bytes(const char *path, const uint8_t *data, uint64_t n) {
    size_t len = strlen(path) + 9;
    char *partial = malloc(len);
    if (!partial) return cli_error("out of memory");
    snprintf(partial, len, "%s.partial", path);
    FILE *f = fopen(partial, "wb");
    int ok = f && (n == 0 || fwrite(data, 1, (size_t)n, f) == n);
    int saved = errno;
    if (f) ok = fclose(f) == 0 && ok;
    if (ok && rename(partial, path) != 0) ok = 0, saved = errno;
    if (!ok) unlink(partial);
    free(partial);
    return ok ? 0 : cli_error("%s: %s", path, strerror(saved ? saved : EIO));
}

/* mkdir -p of the directories above `path` (inside the output directory). */
static int make_parents(char *path) {
    for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        int rc = mkdir(path, 0777) != 0 && errno != EEXIST;
        *slash = '/';
        if (rc) return cli_error("%s: %s", path, strerror(errno));
    }
    return 0;
}

static int write_documents(const decompress_options *o, const mdlz_header *h, const uint8_t *data,
                           int as_dir) {
    if (!as_dir) return write_bytes(o->output, data, h->n_bytes);
    if (mkdir(o->output, 0777) != 0 && errno != EEXIST)
        return cli_error("%s: %s", o->output, strerror(errno));
    uint64_t off = 0;
    for (uint64_t i = 0; i < h->n_docs; i++) {
        size_t n = strlen(o->output) + strlen(h->names[i]) + 2;
        char *path = malloc(n);
        if (!path) return cli_error("out of memory");
        snprintf(path, n, "%s/%s", o->output, h->names[i]);
        int rc = make_parents(path);
        if (rc == 0) rc = write_bytes(path, data + off, h->sizes[i]);
        free(path);
        if (rc) return rc;
        off += h->sizes[i];
    }
    return 0;
}

typedef struct decompress_job {
    decompress_options o;
    mdlz_header h;
    uint8_t *payload, *data;
    mdl_config cfg;
    const mdl_backend *be;
    char device[256];
    int as_dir;
} decompress_job;

static int prepare(decompress_job *j) {
    mdl_err err;
    if (mdlz_read(j->o.input, &j->h, &j->payload, &err) != 0) return cli_error("%s", err.msg);
    if (config_default(&j->cfg, &err) != 0 ||
        config_load_text(&j->cfg, j->h.config_yaml, j->o.input, &err) != 0 ||
        config_validate(&j->cfg, &err) != 0)
        return cli_error("%s: its configuration: %s", j->o.input, err.msg);
    const char *device = "cpu";
    int threads = 0;
    if (check_reproducible(&j->o, &j->h, &j->cfg, &device, &threads) != 0) return 1;
    if (check_output(&j->o, &j->h, &j->as_dir) != 0) return 1;
    if (j->h.n_bytes > SIZE_MAX / 2 || !(j->data = malloc(j->h.n_bytes ? j->h.n_bytes : 1)))
        return cli_error("%s: out of memory for %llu decoded bytes", j->o.input,
                         (unsigned long long)j->h.n_bytes);
    threads = cli_set_threads(threads);
    j->be = cli_select_backend(device, &j->cfg, (size_t)j->h.n_docs, j->device, sizeof j->device);
    if (j->be && strcmp(j->device, j->h.device) != 0)
        fprintf(stderr, "mdlbench: note: %s was made on %s, this is %s\n", j->o.input, j->h.device,
                j->device);
    return j->be ? 0 : 1;
}

static int decode(decompress_job *j) {
    compress_progress prog;
    compress_progress_start(&prog, "decompressing", j->h.n_bytes, j->o.quiet);
    preq_hooks hooks = compress_progress_hooks(&prog);
    codec_stats st;
    mdl_err err;
    int rc = codec_decode(&j->cfg, j->h.sizes, (size_t)j->h.n_docs, j->be, &hooks, j->payload,
                          (size_t)j->h.payload_bytes, j->data, &st, &err);
    compress_progress_finish(&prog);
    if (rc != 0) return cli_error("%s: %s", j->o.input, err.msg);
    if (XXH64(j->data, (size_t)j->h.n_bytes, 0) != j->h.data_xxh64)
        return cli_error("%s: data checksum mismatch after decoding: this run computed other bits "
                         "than the encoder (nothing written)",
                         j->o.input);
    if (write_documents(&j->o, &j->h, j->data, j->as_dir) != 0) return 1;
    printf("decompressed %s: %llu bytes (%llu document%s) to %s in %.1f s, %.0f bytes/s (%s)\n",
           j->o.input, (unsigned long long)j->h.n_bytes, (unsigned long long)j->h.n_docs,
           j->h.n_docs == 1 ? "" : "s", j->o.output, st.seconds,
           st.seconds > 0 ? (double)j->h.n_bytes / st.seconds : 0, j->device);
    return 0;
}

int cmd_decompress(int argc, char **argv) {
    decompress_job j = {0};
    int rc = parse(&j.o, argc, argv);
    if (rc != CLI_GO_ON) return cli_parse_exit(rc);
    if (dist_world() > 1) rc = cli_error("decompress runs on one rank (mpirun -np 1)");
    if (rc == 0) rc = prepare(&j);
    if (rc == 0) rc = decode(&j);
    mdlz_header_free(&j.h);
    free(j.payload), free(j.data);
    mdl_backend_release(j.be);
    return rc;
}

int info_compressed(const char *path) {
    mdlz_header h;
    uint8_t *payload;
    mdl_err err;
    if (mdlz_read(path, &h, &payload, &err) != 0) return cli_error("%s", err.msg);
    free(payload);
    uint64_t file = mdlz_header_bytes(&h) + h.payload_bytes;
    double N = (double)h.n_bytes;
    printf("%s: mdlbench compressed file, format %u\n", path, MDLZ_VERSION);
    printf("  made by       mdlbench %s (commit %s)\n", h.mdlbench_version, h.commit);
    printf("  backend       %s, %s, %u threads (%s)\n", h.backend, h.precision, h.threads,
           h.device);
    printf("  original      %llu bytes in %llu document%s (xxh64 %016llx)\n",
           (unsigned long long)h.n_bytes, (unsigned long long)h.n_docs, h.n_docs == 1 ? "" : "s",
           (unsigned long long)h.data_xxh64);
    printf("  file          %llu bytes = header %llu + payload %llu (%.4f bits per byte)\n",
           (unsigned long long)file, (unsigned long long)(file - h.payload_bytes),
           (unsigned long long)h.payload_bytes, N > 0 ? 8.0 * (double)file / N : 0.0);
    printf("  L_preq        %.2f bits (%.4f bpb); quantised %.2f bits\n", h.preq_bits,
           N > 0 ? h.preq_bits / N : 0.0, h.quantized_bits);
    printf("  documents\n");
    for (uint64_t i = 0; i < h.n_docs; i++)
        printf("    %12llu  %s\n", (unsigned long long)h.sizes[i], h.names[i]);
    printf("  configuration\n");
    for (const char *line = h.config_yaml; *line;) {
        const char *end = strchr(line, '\n');
        int n = end ? (int)(end - line) : (int)strlen(line);
        printf("    %.*s\n", n, line);
        line += n + (end ? 1 : 0);
    }
    mdlz_header_free(&h);
    return 0;
}
