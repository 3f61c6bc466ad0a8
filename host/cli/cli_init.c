/* `mdlbench init-weights`: the initial weights of a configuration, in the checkpoint format
 * (pass 0, step 0), for other programs (scripts/torch_ref.py) to start from the same
 * weights. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "cli.h"
#include "output_path.h"
#include "model.h"

static void init_usage(FILE *f) {
    fprintf(f, "usage: mdlbench init-weights [-c FILE] [--set KEY=VALUE]... -o FILE\n"
               "\n"
               "Writes the initial weights of the configuration (train.seed) in the checkpoint\n"
               "format (README, \"Checkpoints\"): /model/params holds every parameter as\n"
               "float32 in tensor order, with the attributes tensor_names, tensor_sizes and\n"
               "config. The same weights every `run` and `train` start from.\n"
               "\n"
               "options:\n"
               "  -c, --config FILE    YAML config; keys not given keep the embedded defaults\n"
               "  --set KEY=VALUE      override one config key (repeatable)\n"
               "  -o, --output FILE    the file to write (required)\n"
               "  -h, --help           this help\n");
}

/* The options: -c, --set and -o, then the configuration they make. */
static int parse_init_options(int argc, char **argv, mdl_config *cfg, const char **output) {
    static const struct option longopts[] = {{"config", required_argument, 0, 'c'},
                                             {"set", required_argument, 0, 's'},
                                             {"output", required_argument, 0, 'o'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *config_path = NULL;
    mdl_err err;
    if (config_default(cfg, &err) != 0) return cli_error("embedded default config: %s", err.msg);
    const char **sets = calloc((size_t)argc, sizeof *sets);
    size_t n_sets = 0;
    if (!sets) return cli_error("out of memory");
    *output = NULL;
    optind = 1;
    opterr = 0;
    int ch, rc = CLI_GO_ON;
    while (rc == CLI_GO_ON && (ch = getopt_long(argc, argv, ":c:o:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            config_path = optarg;
            break;
        case 's':
            sets[n_sets++] = optarg;
            break;
        case 'o':
            *output = optarg;
            break;
        case 'h':
            init_usage(stdout);
            rc = CLI_HELP_SHOWN;
            break;
        case ':':
            rc = cli_error("init-weights: option %s needs a value", argv[optind - 1]);
            break;
        default:
            rc = cli_error("init-weights: unknown option %s (see --help)", argv[optind - 1]);
        }
    }
    if (rc == CLI_GO_ON && optind < argc)
        rc = cli_error("init-weights: unexpected argument '%s'", argv[optind]);
    if (rc == CLI_GO_ON && !*output) rc = cli_error("init-weights: -o FILE is required");
    const char *inputs[] = {config_path};
    if (rc == CLI_GO_ON) rc = cli_check_output_file("-o", *output, inputs, 1);
    if (rc == CLI_GO_ON && config_path && config_load_file(cfg, config_path, &err) != 0)
        rc = cli_error("%s", err.msg);
    for (size_t i = 0; rc == CLI_GO_ON && i < n_sets; i++)
        if (config_set(cfg, sets[i], &err) != 0) rc = cli_error("%s", err.msg);
    free(sets);
    if (rc == CLI_GO_ON && config_validate(cfg, &err) != 0) rc = cli_error("%s", err.msg);
    return rc;
}

/* The model's initial weights as a checkpoint at step 0 (zero moments, no passes made). */
static int write_initial_weights(model *m, const mdl_config *cfg, char *yaml, const char *output) {
    size_t n_params = model_num_params(m), sizes[MDL_NUM_PARAM_TENSORS];
    for (int t = 0; t < MDL_NUM_PARAM_TENSORS; t++) sizes[t] = model_tensor_size(m, t);
    pass_row *passes = calloc(cfg->train.passes, sizeof *passes);
    preq_checkpoint cp = {.n_params = n_params,
                          .params = malloc(n_params * sizeof(real)),
                          .adam_m = calloc(n_params, sizeof(real)),
                          .adam_v = calloc(n_params, sizeof(real)),
                          .tensor_sizes = sizes,
                          .n_passes = cfg->train.passes,
                          .passes = passes,
                          .config_yaml = yaml};
    mdl_err err;
    int rc = 0;
    if (!cp.params || !cp.adam_m || !cp.adam_v || !passes) {
        rc = cli_error("out of memory");
    } else {
        model_get_params(m, cp.params);
        if (checkpoint_write_file(output, &cp, &err) != 0) rc = cli_error("%s", err.msg);
    }
    if (rc == 0)
        printf("%s: initial weights of %zu parameters (seed %llu)\n", output, n_params,
               (unsigned long long)cfg->train.seed);
    free(cp.params), free(cp.adam_m), free(cp.adam_v), free(passes);
    return rc;
}

int cmd_init_weights(int argc, char **argv) {
    mdl_config cfg;
    const char *output = NULL;
    int parsed = parse_init_options(argc, argv, &cfg, &output);
    if (parsed != CLI_GO_ON) return cli_parse_exit(parsed);
    mdl_err err;
    model *m = NULL;
    char *yaml = config_to_yaml(&cfg, &err);
    int rc = !yaml || model_create(&m, &cfg.model, 1, cpu_backend(), &err) != 0 ||
                     model_init_weights(m, cfg.train.seed, &err) != 0
                 ? cli_error("%s", err.msg)
                 : write_initial_weights(m, &cfg, yaml, output);
    if (m) model_destroy(m);
    free(yaml);
    return rc;
}
