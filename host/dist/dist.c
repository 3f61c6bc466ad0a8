/* Ranks of a data-parallel run (dist.h). */
#include "dist.h"

#include <stdlib.h>
#include <string.h>

#include "dist_nccl.h"

#ifdef MDL_HAVE_MPI
#include <mpi.h>
#endif

static int g_rank = 0, g_world = 1, g_local_rank = 0, g_local_world = 1;
static int g_started = 0; /* dist_init started MPI */

#ifdef MDL_HAVE_MPI
/* Elements per message: bounds the receive buffer for large models. */
#define DIST_CHUNK ((size_t)1 << 20)
/* The reductions' fp64 buffers, allocated once by dist_init: a collective cannot fail on
 * one rank alone without leaving the others waiting. */
static double *g_acc, *g_tmp;
#endif

/* The world size the launcher announces in the environment (1 when none). */
static long launcher_world(void) {
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE",
                                       "SLURM_NTASKS"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (!v || !*v) continue;
        char *end;
        long n = strtol(v, &end, 10);
        if (*end == '\0' && n > 1) return n;
    }
    return 1;
}

int dist_init(int *argc, char ***argv, mdl_err *err) {
    if (g_started) return 0;
    long announced = launcher_world();
    if (announced <= 1) return 0;
#ifdef MDL_HAVE_MPI
    int ready = 0;
    MPI_Initialized(&ready);
    if (!ready && MPI_Init(argc, argv) != MPI_SUCCESS)
        return mdl_fail(err, "MPI_Init failed (launched as %ld ranks)", announced);
    g_started = !ready;
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_world);
    MPI_Comm node;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, g_rank, MPI_INFO_NULL, &node) ==
        MPI_SUCCESS) {
        MPI_Comm_rank(node, &g_local_rank);
        MPI_Comm_size(node, &g_local_world);
        MPI_Comm_free(&node);
    }
    if (!g_acc) g_acc = malloc(DIST_CHUNK * sizeof *g_acc);
    if (!g_tmp) g_tmp = malloc(DIST_CHUNK * sizeof *g_tmp);
    int failed = !g_acc || !g_tmp;
    dist_max_int(&failed, 1);
    if (failed) return mdl_fail(err, "out of memory for the reduction buffers of the ranks");
    return 0;
#else
    (void)argc, (void)argv;
    return mdl_fail(err,
                    "launched as %ld ranks, but this build has no MPI (configure with "
                    "MDL_MPI=ON and an MPI library such as libopenmpi-dev)",
                    announced);
#endif
}

int dist_rank(void) {
    return g_rank;
}
int dist_world(void) {
    return g_world;
}
int dist_local_rank(void) {
    return g_local_rank;
}
int dist_local_world(void) {
    return g_local_world;
}

#ifdef MDL_HAVE_MPI
/* Rank 0 receives every other rank's chunk in rank order and adds it to acc (fp64); the
 * callers convert from and to their element type. */
static void sum_chunk_to_root(double *acc, double *tmp, size_t n) {
    if (g_rank == 0) {
        for (int r = 1; r < g_world; r++) {
            MPI_Recv(tmp, (int)n, MPI_DOUBLE, r, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            for (size_t i = 0; i < n; i++) acc[i] += tmp[i];
        }
    } else {
        MPI_Send(acc, (int)n, MPI_DOUBLE, 0, 0, MPI_COMM_WORLD);
    }
    MPI_Bcast(acc, (int)n, MPI_DOUBLE, 0, MPI_COMM_WORLD);
}
#endif

void dist_sum_double(double *x, size_t n) {
#ifdef MDL_HAVE_MPI
    if (g_world <= 1 || n == 0) return;
    size_t cap = n < DIST_CHUNK ? n : DIST_CHUNK;
    for (size_t off = 0; off < n; off += cap) {
        size_t m = n - off < cap ? n - off : cap;
        sum_chunk_to_root(x + off, g_tmp, m);
    }
#else
    (void)x, (void)n;
#endif
}

void dist_sum_real(real *x, size_t n) {
#ifdef MDL_HAVE_MPI
    if (g_world <= 1 || n == 0) return;
    size_t cap = n < DIST_CHUNK ? n : DIST_CHUNK;
    double *acc = g_acc, *tmp = g_tmp;
    for (size_t off = 0; off < n; off += cap) {
        size_t m = n - off < cap ? n - off : cap;
        for (size_t i = 0; i < m; i++) acc[i] = (double)x[off + i];
        sum_chunk_to_root(acc, tmp, m);
        for (size_t i = 0; i < m; i++) x[off + i] = (real)acc[i];
    }
#else
    (void)x, (void)n;
#endif
}

void dist_broadcast(void *p, size_t n) {
#ifdef MDL_HAVE_MPI
    if (g_world <= 1 || n == 0) return;
    MPI_Bcast(p, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD);
#else
    (void)p, (void)n;
#endif
}

void dist_sum_gradients(real *g, size_t n) {
#ifdef MDL_HAVE_NCCL
    if (dist_nccl_ready()) {
        dist_nccl_sum(g, n);
        return;
    }
#endif
    dist_sum_real(g, n);
}

int dist_have_gpu_reduce(void) {
#ifdef MDL_HAVE_NCCL
    return 1;
#else
    return 0;
#endif
}

int dist_gpu_init(void *stream, mdl_err *err) {
#ifdef MDL_HAVE_NCCL
    return dist_nccl_init(stream, err);
#else
    (void)stream;
    return g_world > 1 ? mdl_fail(err, "this build has no NCCL: several ranks on GPUs need it") : 0;
#endif
}

void dist_max_int(int *x, size_t n) {
#ifdef MDL_HAVE_MPI
    if (g_world <= 1 || n == 0) return;
    MPI_Allreduce(MPI_IN_PLACE, x, (int)n, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
#else
    (void)x, (void)n;
#endif
}

void dist_finalize(void) {
#ifdef MDL_HAVE_NCCL
    dist_nccl_finalize();
#endif
#ifdef MDL_HAVE_MPI
    free(g_acc), free(g_tmp);
    g_acc = g_tmp = NULL;
    if (g_started) {
        MPI_Finalize();
        g_started = 0;
    }
#endif
    g_rank = 0, g_world = 1, g_local_rank = 0, g_local_world = 1;
}
