/* Two-part codes (docs/design.md §1): L(theta_q) + L(D | theta_q) for quantized weight formats.
 * L(theta_q) = 8 x the zstd -19 size of the serialized quantized weights (with their
 * scales); L(D | theta_q) comes from an evaluation pass with the dequantized weights.
 *
 * Formats: fp32 (every parameter as is), bf16 (every parameter rounded to bfloat16,
 * nearest-even), int8 (matrices and embeddings symmetric per output channel = per row,
 * scale max|w|/127; vectors kept fp32), int4 (matrices and embeddings in groups of 32
 * consecutive values of a row, scale max|w|/7, values -7..7 packed two per byte; vectors
 * kept fp32). The byte layout is documented in two_part.c. */
#ifndef MDL_TWO_PART_H
#define MDL_TWO_PART_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "model.h"
#include "records.h"

/* Serializes host parameters (model_num_params(m) values, in tensor order) quantized to
 * format f. *out is malloc'd. */
int weights_serialize(const model *m, const real *params, weight_format f, uint8_t **out, size_t *n,
                      mdl_err *err);

/* Reads a serialized buffer back into dequantized host parameters. Checks the header
 * (format, tensor count and shapes must match m); a bad buffer is an error. */
int weights_deserialize(const model *m, const uint8_t *buf, size_t n, weight_format f, real *params,
                        mdl_err *err);

/* Size of the zstd -19 compression of buf (what L(theta_q) counts). */
int zstd19_size(const uint8_t *buf, size_t n, size_t *size, mdl_err *err);

#endif
