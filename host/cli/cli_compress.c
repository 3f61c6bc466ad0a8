/* `mdlbench compress`: the prequential code written as a file (docs/design.md §7). The
 * loop runs as `mdlbench train` would, the range coder codes every position with the
 * model's quantised probabilities, and the .mdl container holds all a decoder needs. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "archive_names.h"
#include "backend.h"
#include "cli.h"
#include "codec.h"
#include "compress_common.h"
#include "container.h"
#include "dist.h"
#include "output_path.h"
#include "version.h"

static void compress_usage(FILE *f) {
    fprintf(f,
            "usage: mdlbench compress [options] INPUT... -o FILE.mdl\n"
            "\n"
            "Compresses the inputs (files or directories, walked as --corpus is) by training\n"
            "the model online over them: every byte is coded with the probability the model\n"
            "gives it before training on it, so the file is the prequential code length\n"
            "ceil(L_preq / 8) plus a header. `mdlbench decompress` trains the same model on the\n"
            "bytes as it decodes them and restores the inputs exactly.\n"
            "\n"
            "options:\n"
            "  -o, --output FILE    the compressed file (required); written as FILE.partial\n"
            "                       and renamed when complete; an existing FILE is refused\n"
            "                       unless --force\n"
            "  -c, --config FILE    YAML config (as for run); the holdout keys must stay empty:\n"
            "                       every document is coded\n"
            "  --set KEY=VALUE      override one config key (repeatable)\n"
            "  --device DEV         cpu | cuda | auto (default auto); decompress needs the same\n"
            "  --threads N          CPU threads (default: all cores); decompress uses the same\n"
            "  -f, --force          replace an existing output file\n"
            "  -q, --quiet          no progress line\n"
            "  -h, --help           this help\n");
}

typedef struct compress_options {
    const char **inputs;
    size_t n_inputs;
    const char *output, *config_path, *device;
    const char **sets;
    size_t n_sets;
    int threads, force, quiet;
} compress_options;

/* 0 to go on, 1 after an error, -1 after --help. */
static int parse(compress_options *o, int argc, char **argv) {
    enum { OPT_SET = 256, OPT_DEVICE, OPT_THREADS };
    static const struct option longopts[] = {{"output", required_argument, 0, 'o'},
                                             {"config", required_argument, 0, 'c'},
                                             {"set", required_argument, 0, OPT_SET},
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
    while ((ch = getopt_long(argc, argv, ":o:c:fqh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            o->output = optarg;
            break;
        case 'c':
            o->config_path = optarg;
            break;
        case OPT_SET:
            if (cli_push_arg(&o->sets, &o->n_sets, optarg)) return cli_error("out of memory");
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
            compress_usage(stdout);
            return CLI_HELP_SHOWN;
        case ':':
            return cli_error("compress: option %s needs a value", argv[optind - 1]);
        default:
            return cli_error("compress: unknown option %s (see --help)", argv[optind - 1]);
        }
    }
    for (int i = optind; i < argc; i++)
        if (cli_push_arg(&o->inputs, &o->n_inputs, argv[i])) return cli_error("out of memory");
    if (o->n_inputs == 0) return cli_error("compress: no input given (see --help)");
    if (!o->output) return cli_error("compress: -o FILE.mdl is required");
    if (strcmp(o->device, "cpu") && strcmp(o->device, "cuda") && strcmp(o->device, "auto"))
        return cli_error("--device %s: expected cpu, cuda or auto", o->device);
    return CLI_GO_ON;
}

static int load_config(mdl_config *cfg, const compress_options *o) {
    mdl_err err;
    if (config_default(cfg, &err) != 0) return cli_error("embedded default config: %s", err.msg);
    if (o->config_path && config_load_file(cfg, o->config_path, &err) != 0)
        return cli_error("%s", err.msg);
    for (size_t i = 0; i < o->n_sets; i++)
        if (config_set(cfg, o->sets[i], &err) != 0) return cli_error("%s", err.msg);
    if (config_validate(cfg, &err) != 0) return cli_error("%s", err.msg);
    if (cfg->corpus.holdout[0] || cfg->corpus.holdout_fraction > 0)
        return cli_error("compress codes every document: corpus.holdout and "
                         "corpus.holdout_fraction must stay empty");
    return 0;
}

/* The output may be replaced only with --force, and never be an input. */
static int check_output(const compress_options *o) {
    struct stat sb;
    if (!o->force && stat(o->output, &sb) == 0)
        return cli_error("%s exists (use --force to replace it)", o->output);
    return cli_check_output_file("-o", o->output, o->inputs, o->n_inputs);
}

static uint64_t corpus_xxh64(const corpus *c) {
    XXH64_state_t *st = XXH64_createState();
    if (!st) return 0;
    XXH64_reset(st, 0);
    for (size_t i = 0; i < c->n_docs; i++)
        if (c->docs[i].size) XXH64_update(st, c->docs[i].bytes, (size_t)c->docs[i].size);
    uint64_t h = XXH64_digest(st);
    XXH64_freeState(st);
    return h;
}

typedef struct compress_job {
    compress_options o;
    mdl_config cfg;
    corpus c;
    char **names;
    char *yaml;
    const mdl_backend *be;
    char device[256];
    int threads;
} compress_job;

static int prepare(compress_job *j) {
    mdl_err err;
    if (load_config(&j->cfg, &j->o) != 0) return 1;
    if (corpus_load(&j->c, j->o.inputs, j->o.n_inputs, &err) != 0) return cli_error("%s", err.msg);
    if (archive_names(&j->c, j->o.inputs, j->o.n_inputs, &j->names) != 0) return 1;
    if (check_output(&j->o) != 0) return 1;
    if (!(j->yaml = config_to_yaml(&j->cfg, &err))) return cli_error("%s", err.msg);
    j->threads = cli_set_threads(j->o.threads);
    j->be = cli_select_backend(j->o.device, &j->cfg, j->c.n_docs, j->device, sizeof j->device);
    return j->be ? 0 : 1;
}

static int write_container(compress_job *j, const uint8_t *payload, size_t n, const codec_stats *st,
                           uint64_t *file_bytes) {
    mdlz_header h = {.mdlbench_version = (char *)mdl_version,
                     .commit = (char *)mdl_git_commit,
                     .backend = strncmp(j->device, "cuda", 4) == 0 ? "cuda" : "cpu",
                     .precision = j->cfg.run.precision == PRECISION_BF16 ? "bf16" : "fp32",
                     .threads = (uint32_t)j->threads,
                     .device = j->device,
                     .config_yaml = j->yaml,
                     .n_docs = j->c.n_docs,
                     .names = j->names,
                     .n_bytes = j->c.n_bytes,
                     .data_xxh64 = corpus_xxh64(&j->c),
                     .preq_bits = st->preq_bits,
                     .quantized_bits = st->quantized_bits,
                     .payload_bytes = n,
                     .payload_xxh64 = XXH64(payload, n, 0)};
    uint64_t *sizes = malloc((j->c.n_docs ? j->c.n_docs : 1) * sizeof *sizes);
    if (!sizes) return cli_error("out of memory");
    for (size_t i = 0; i < j->c.n_docs; i++) sizes[i] = j->c.docs[i].size;
    h.sizes = sizes;
    *file_bytes = mdlz_header_bytes(&h) + n;
    mdl_err err;
    int rc = compress_write_atomically(j->o.output, &h, payload, &err);
    free(sizes);
    return rc ? cli_error("%s", err.msg) : 0;
}

static void print_summary(const compress_job *j, const codec_stats *st, size_t payload,
                          uint64_t file_bytes) {
    double N = (double)j->c.n_bytes, ideal = ceil(st->preq_bits / 8);
    printf("compressed %llu bytes (%zu document%s) to %s: %llu bytes, %.4f bits per byte\n",
           (unsigned long long)j->c.n_bytes, j->c.n_docs, j->c.n_docs == 1 ? "" : "s", j->o.output,
           (unsigned long long)file_bytes, N > 0 ? 8.0 * (double)file_bytes / N : 0);
    printf("  L_preq        %.2f bits = %.0f bytes (%.4f bpb)\n", st->preq_bits, ideal,
           N > 0 ? st->preq_bits / N : 0);
    printf("  quantisation  %+.3f bits (the coder's integer frequencies)\n",
           st->quantized_bits - st->preq_bits);
    printf("  payload       %zu bytes (%+.0f over ceil(L_preq / 8): quantisation and "
           "termination)\n",
           payload, (double)payload - ideal);
    printf("  header        %llu bytes\n", (unsigned long long)(file_bytes - payload));
    printf("  time          %.1f s, %.0f bytes/s (%s)\n", st->seconds,
           st->seconds > 0 ? N / st->seconds : 0, j->device);
}

int cmd_compress(int argc, char **argv) {
    compress_job j = {0};
    int rc = parse(&j.o, argc, argv);
    if (rc != CLI_GO_ON)
        rc = cli_parse_exit(rc);
    else if (dist_world() > 1)
        rc = cli_error("compress runs on one rank (mpirun -np 1)");
    else if (rc == 0)
        rc = prepare(&j);
    if (rc == 0 && j.o.n_inputs) {
        compress_progress prog;
        compress_progress_start(&prog, "compressing", j.c.n_bytes, j.o.quiet);
        preq_hooks hooks = compress_progress_hooks(&prog);
        uint8_t *payload = NULL;
        size_t n = 0;
        codec_stats st;
        mdl_err err;
        rc = codec_encode(&j.cfg, &j.c, j.be, &hooks, &payload, &n, &st, &err) != 0
                 ? cli_error("%s", err.msg)
                 : 0;
        compress_progress_finish(&prog);
        uint64_t file_bytes = 0;
        if (rc == 0) rc = write_container(&j, payload, n, &st, &file_bytes);
        if (rc == 0) print_summary(&j, &st, n, file_bytes);
        free(payload);
    }
    archive_names_free(j.names, j.c.n_docs);
    if (j.c.docs) corpus_free(&j.c);
    free(j.yaml);
    free(j.o.inputs), free(j.o.sets);
    mdl_backend_release(j.be);
    return rc;
}
