/* The per-run summary: written to the results file's /summary group as attributes (one
 * attribute per field, same names) and read back by `mdlbench report`. */
#ifndef MDL_SUMMARY_H
#define MDL_SUMMARY_H

#include <stdint.h>

typedef struct run_summary {
    /* corpus and model */
    uint64_t corpus_bytes;
    uint64_t n_documents;
    uint64_t n_params;
    uint64_t n_params_nonembedding;
    uint64_t streams;
    uint64_t steps;
    /* prequential code */
    double preq_bits;          /* L_preq, summed in fp64 */
    double preq_bpb;           /* L_preq / corpus_bytes */
    double ratio_percent;      /* L_preq / (8 N) * 100 */
    uint64_t header_bytes;     /* what a decoder needs beyond the program */
    uint64_t compressed_bytes; /* ceil(L_preq / 8) + header_bytes */
    double first_step_bpb;     /* bits per byte of step 0 (8 with a zero-initialised head) */
    /* final-model code (NaN when run.eval_final is off) */
    double final_bits;
    double final_bpb;
    double info_absorbed_bits; /* L_preq - L_final */
    /* held-out documents (corpus.holdout_fraction, --holdout): never trained on */
    uint64_t heldout_documents;
    uint64_t heldout_bytes;
    double heldout_bpb;          /* under the final weights (NaN: none) */
    double memorization_gap_bpb; /* heldout_bpb - final_bpb (NaN: none) */
    /* analysis.chunk_bytes (0: off): the held-out documents cut into chunks of that many
     * bytes, each coded alone by the final weights; how many and their bits per byte (NaN:
     * none). Absent from older files, which read 0 and NaN */
    uint64_t chunk_bytes;
    uint64_t heldout_chunks;
    double heldout_chunked_bpb;
    /* train.passes (per-pass bits in /passes); files before this field read 0 */
    uint64_t passes;
    /* extraction test (analysis.extract_*; per sample in /extraction): samples drawn in
     * the trained and the held-out documents, the share whose S decoded bytes all match,
     * and the mean count of leading matching bytes (NaN: no sample) */
    uint64_t extract_prefix;
    uint64_t extract_suffix;
    uint64_t trained_extract_samples;
    double trained_exact_rate;
    double trained_mean_matched;
    uint64_t heldout_extract_samples;
    double heldout_exact_rate;
    double heldout_mean_matched;
    /* speed */
    double wall_s;      /* whole command */
    double train_s;     /* prequential loop only */
    double bytes_per_s; /* coded bytes / train_s */
    double model_flops_per_byte;
    double achieved_flops; /* FLOP/s in the prequential loop */
    double peak_flops;     /* measured sgemm rate (CPU) */
    double mfu;            /* achieved_flops / peak_flops */
    int64_t threads;
    /* ranks of a data-parallel run (mpirun, srun); files before this field read 0 */
    uint64_t world_size;
    char device[128];
} run_summary;

#endif
