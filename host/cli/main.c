/* mdlbench: training as compression. Dispatches to the subcommands in cli_*.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "results.h"
#include "version.h"

static void usage(FILE *f) {
    fprintf(f, "usage: mdlbench COMMAND [options]\n"
               "\n"
               "Trains a byte-level GPT online over a corpus and measures its prequential code\n"
               "length (bits needed to transmit the corpus by training on it as it goes).\n"
               "\n"
               "commands:\n"
               "  run      train, evaluate the final model and print the summary (the main job)\n"
               "  train    the prequential training loop alone, writing the results file\n"
               "  baselines  classical compressors and context models on the same corpus\n"
               "  report   tables over results files (text, markdown, csv, json)\n"
               "  compress    code files with the model as it trains: a real file of the\n"
               "             prequential code length (decompress restores them exactly)\n"
               "  decompress  restore what compress coded\n"
               "  info     build features, library versions, devices; --bench measures sgemm;\n"
               "           info FILE.mdl: what a compressed file holds\n"
               "  init-weights  the initial weights of a configuration, in the checkpoint format\n"
               "\n"
               "`mdlbench COMMAND --help` describes each command's options.\n");
}

int main(int argc, char **argv) {
    results_library_init();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("mdlbench %s (%s)\n", mdl_version, mdl_git_commit);
        return 0;
    }
    if (strcmp(cmd, "run") == 0) return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "train") == 0) return cmd_train(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0) return cmd_report(argc - 1, argv + 1);
    if (strcmp(cmd, "info") == 0) return cmd_info(argc - 1, argv + 1);
    if (strcmp(cmd, "baselines") == 0) return cmd_baselines(argc - 1, argv + 1);
    if (strcmp(cmd, "init-weights") == 0) return cmd_init_weights(argc - 1, argv + 1);
    if (strcmp(cmd, "compress") == 0) return cmd_compress(argc - 1, argv + 1);
    if (strcmp(cmd, "decompress") == 0) return cmd_decompress(argc - 1, argv + 1);
    cli_error("unknown command '%s' (commands: run, train, baselines, report, info, "
              "init-weights, compress, decompress; see --help)",
              cmd);
    return 2;
}
