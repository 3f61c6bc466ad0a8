#include "stream_layout.h"

#include <string.h>

int stream_layout_make(stream_layout *lay, uint64_t n_bytes, const mdl_config *cfg, mdl_err *err) {
    memset(lay, 0, sizeof *lay);
    uint64_t S = cfg->train.streams, T = cfg->train.segment;
    if (S == 0) return mdl_fail(err, "train.streams must be at least 1");
    if (S > n_bytes)
        return mdl_fail(err, "train.streams (%llu) is larger than the corpus (%llu bytes)",
                        (unsigned long long)S, (unsigned long long)n_bytes);
    if (T == 0 || T > cfg->model.context)
        return mdl_fail(err, "train.segment (%llu) must be between 1 and model.context (%u)",
                        (unsigned long long)T, cfg->model.context);
    lay->n_bytes = n_bytes;
    lay->streams = S;
    lay->stream_len = (n_bytes + S - 1) / S;
    lay->segment = T;
    lay->prefix = cfg->model.context - T;
    lay->memory = cfg->model.memory;
    lay->steps = (lay->stream_len + T - 1) / T;
    return 0;
}

uint64_t stream_layout_seq_len(const stream_layout *lay, uint64_t k) {
    uint64_t coded_before = k * lay->segment;
    return (coded_before < lay->prefix ? coded_before : lay->prefix) + lay->segment;
}

uint64_t stream_layout_stream_bytes(const stream_layout *lay, uint64_t s) {
    uint64_t start = s * lay->stream_len;
    uint64_t end = start + lay->stream_len < lay->n_bytes ? start + lay->stream_len : lay->n_bytes;
    return end > start ? end - start : 0;
}

uint64_t stream_layout_coded(const stream_layout *lay, uint64_t k) {
    uint64_t T = lay->segment, total = 0;
    for (uint64_t s = 0; s < lay->streams; s++) {
        uint64_t len = stream_layout_stream_bytes(lay, s);
        if (len > k * T) total += len - k * T < T ? len - k * T : T;
    }
    return total;
}

uint64_t stream_layout_trained(const stream_layout *lay, uint64_t k, bool prefix_loss) {
    if (!prefix_loss) return stream_layout_coded(lay, k);
    uint64_t n = stream_layout_seq_len(lay, k), first = k * lay->segment - (n - lay->segment);
    uint64_t total = 0;
    for (uint64_t s = 0; s < lay->streams; s++) {
        uint64_t len = stream_layout_stream_bytes(lay, s);
        if (len > first) total += len - first < n ? len - first : n;
    }
    return total;
}
