#include "flops.h"

double model_flops_fwd_bwd(const model_config *mc, uint64_t n_params_nonembedding, uint64_t B,
                           uint64_t n, uint64_t m) {
    double positions = (double)B * (double)n;
    double dense = 6.0 * (double)n_params_nonembedding * positions;
    double attention =
        6.0 * mc->n_layer * (double)mc->d_model * positions * ((double)n + 2.0 * (double)m);
    return dense + attention;
}
