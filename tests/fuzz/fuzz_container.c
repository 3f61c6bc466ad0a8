/* libFuzzer harness for what `mdlbench decompress` does with an untrusted file before and
 * around the model: the container reader (every length, count, string and zstd frame),
 * the configuration parser on the header's YAML, and the range decoder with the quantiser
 * over the payload, the model's logits replaced by a cheap function of the bytes decoded
 * so far (so an input decodes thousands of symbols per second). Built by scripts/fuzz.sh
 * with clang -fsanitize=fuzzer,address,undefined. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "config.h"
#include "container.h"
#include "quantize.h"
#include "range_coder.h"

#define MAX_SYMBOLS 4096 /* decoded per input at most: keeps every run fast */

static void stand_in_logits(real *l, const uint8_t *prev, size_t n) {
    for (int s = 0; s < QUANT_SYMBOLS; s++)
        l[s] = (real)((s * 31 + (n ? prev[n - 1] : 0) * 7) % 97) * (real)0.1;
}

static void put_le64(uint8_t *at, uint64_t v) {
    for (int i = 0; i < 8; i++) at[i] = (uint8_t)(v >> (8 * i));
}

/* The input with its payload and header checksums made right, so that mutations reach the
 * field parser and the decoder instead of stopping at the checksums (NULL: too short). */
static uint8_t *with_checksums(const uint8_t *data, size_t size) {
    if (size < 24) return NULL;
    uint32_t hlen = (uint32_t)data[12] | (uint32_t)data[13] << 8 | (uint32_t)data[14] << 16 |
                    (uint32_t)data[15] << 24;
    if (hlen < 8 || hlen > size - 24) return NULL;
    uint8_t *copy = malloc(size);
    if (!copy) return NULL;
    memcpy(copy, data, size);
    size_t at = 16 + (size_t)hlen + 8; /* the payload: the header's last field is its hash */
    put_le64(copy + 16 + hlen - 8, XXH64(copy + at, size - at, 0));
    put_le64(copy + 16 + hlen, XXH64(copy, 16 + (size_t)hlen, 0));
    return copy;
}

static void run_one(const uint8_t *data, size_t size) {
    mdlz_header h;
    const uint8_t *payload;
    mdl_err err;
    if (mdlz_parse(data, size, "fuzz.mdl", &h, &payload, &err) != 0) return;
    mdl_config cfg;
    if (config_default(&cfg, &err) == 0 && config_load_text(&cfg, h.config_yaml, "fuzz", &err) == 0)
        (void)config_validate(&cfg, &err);
    size_t n = h.n_bytes < MAX_SYMBOLS ? (size_t)h.n_bytes : MAX_SYMBOLS;
    uint8_t *out = malloc(n ? n : 1);
    rc_decoder d;
    rc_decoder_init(&d, payload, (size_t)h.payload_bytes);
    real l[QUANT_SYMBOLS];
    uint32_t cum[QUANT_SYMBOLS + 1];
    for (size_t i = 0; out && i < n && d.overrun < 16; i++) {
        stand_in_logits(l, out, i);
        quantize_logits(l, cum);
        int s = quantize_find(cum, rc_decode_value(&d));
        rc_decode_update(&d, cum[s], cum[s + 1] - cum[s]);
        out[i] = (uint8_t)s;
    }
    free(out);
    mdlz_header_free(&h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    run_one(data, size); /* as given: the checksums' refusals */
    uint8_t *fixed = with_checksums(data, size);
    if (fixed) run_one(fixed, size);
    free(fixed);
    return 0;
}
