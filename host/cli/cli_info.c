/* `mdlbench info`: what this build can do, library versions, devices, and (--bench) the
 * measured sgemm rate that CPU MFU is quoted against. */
#include <cblas.h>
#include <cyaml/cyaml.h>
#include <getopt.h>
#include <hdf5.h>
#include <omp.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <limits.h>
#include <libgen.h>
#include <string.h>
#include <zstd.h>

#include "cli.h"
#include "cpu_describe.h"
#include "device.h"
#include "sgemm_bench.h"
#include "version.h"

static void info_usage(FILE *f) {
    fprintf(f, "usage: mdlbench info [--bench] [--threads N]\n"
               "       mdlbench info FILE.mdl...\n"
               "\n"
               "Prints the version, build features, library versions and devices; given\n"
               "compressed files, what each holds (versions, backend, documents, sizes,\n"
               "configuration).\n"
               "\n"
               "options:\n"
               "  --bench        measure OpenBLAS sgemm (n = 256, 512, 1024, 2048; best of\n"
               "                 repeats over 0.5 s each): the peak CPU MFU is quoted against\n"
               "  --threads N    threads for the benchmark (default: all cores)\n"
               "  -h, --help     this help\n");
}

/* Where the configs or scripts are: PREFIX/share/mdlbench/WHAT beside an installed binary,
 * else the source tree this binary was built from, else "not found". */
static const char *data_dir(char *buf, size_t n, const char *what) {
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    struct stat sb;
    if (len > 0) {
        exe[len] = '\0';
        snprintf(buf, n, "%s/../share/mdlbench/%s", dirname(exe), what);
        char resolved[PATH_MAX];
        if (stat(buf, &sb) == 0 && S_ISDIR(sb.st_mode) && realpath(buf, resolved)) {
            snprintf(buf, n, "%s (installed)", resolved);
            return buf;
        }
    }
    snprintf(buf, n, "%s/%s", MDL_SOURCE_TREE, what);
    if (stat(buf, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        snprintf(buf, n, "%s/%s (source tree)", MDL_SOURCE_TREE, what);
        return buf;
    }
    return "not found";
}

int cmd_info(int argc, char **argv) {
    enum { OPT_BENCH = 256, OPT_THREADS };
    static const struct option longopts[] = {{"bench", no_argument, 0, OPT_BENCH},
                                             {"threads", required_argument, 0, OPT_THREADS},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    int bench = 0, threads = 0;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (ch) {
        case OPT_BENCH:
            bench = 1;
            break;
        case OPT_THREADS:
            if (sscanf(optarg, "%d", &threads) != 1 || threads < 1)
                return cli_error("--threads %s: expected a positive whole number", optarg);
            break;
        case 'h':
            info_usage(stdout);
            return 0;
        case ':':
            return cli_error("info: option %s needs a value", argv[optind - 1]);
        default:
            return cli_error("info: unknown option %s (see --help)", argv[optind - 1]);
        }
    }
    if (optind < argc) { /* info FILE.mdl... */
        int rc = 0;
        for (int i = optind; i < argc; i++) rc |= info_compressed(argv[i]);
        return rc;
    }
    threads = cli_set_threads(threads);

    unsigned h5maj, h5min, h5rel;
    H5get_libversion(&h5maj, &h5min, &h5rel);
    char cpu[256];
    cpu_describe(cpu, sizeof cpu, threads);
    printf("mdlbench %s (commit %s)\n", mdl_version, mdl_git_commit);
    printf("  cpu          %s, %d cores\n", cpu, omp_get_num_procs());
    /* 2 = the OpenMP flavour, which runs single-threaded inside our parallel regions; the
     * pthread flavour (1) would oversubscribe the cores */
    int par = openblas_get_parallel();
    printf("  openblas     %s (threading: %s)\n", openblas_get_config(),
           par == 2   ? "openmp"
           : par == 1 ? "pthreads: slow here, install libopenblas0-openmp"
                      : "none");
    printf("  hdf5         %u.%u.%u\n", h5maj, h5min, h5rel);
    printf("  libcyaml     %s\n", cyaml_version_str);
    printf("  zstd         %s\n", ZSTD_versionString());
    printf("  openmp       %d\n", _OPENMP);
    char share[PATH_MAX + 32];
    printf("  configs      %s\n", data_dir(share, sizeof share, "configs"));
    printf("  scripts      %s\n", data_dir(share, sizeof share, "scripts"));
    printf("  cuda         %s\n", cuda_build_version());
    int n_gpu = cuda_device_count();
    printf("  gpus         %d\n", n_gpu);
    for (int i = 0; i < n_gpu; i++) {
        char desc[256];
        if (cuda_device_describe(i, desc, sizeof desc) == 0) printf("    [%d] %s\n", i, desc);
    }
    int has_cuda = cuda_built();
    printf("  backends     cpu%s\n", !has_cuda    ? " (built without CUDA)"
                                     : n_gpu == 0 ? ", cuda-fp32, cuda-bf16 (no usable GPU here)"
                                                  : ", cuda-fp32, cuda-bf16");
    if (bench) {
        printf("sgemm (fp32, %d threads)\n", threads);
        static const int sizes[] = {256, 512, 1024, 2048};
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            printf("  n = %-5d %8.1f GFLOP/s\n", sizes[i], sgemm_flops(sizes[i], 0.5) / 1e9);
    }
    return 0;
}
