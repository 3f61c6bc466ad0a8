/* The backend a command runs on (`--device`), shared by run, train, compress and
 * decompress. */
#ifndef MDL_CLI_BACKEND_H
#define MDL_CLI_BACKEND_H

#include <stddef.h>

#include "config.h"
#include "ops.h"

/* cpu, cuda or auto: cuda when asked (or with auto, when a GPU and the CUDA build are
 * there), else the CPU; checks that the model (and on the CPU the per-pass tables of
 * n_docs documents) fits in the device's free memory before anything is allocated. desc gets "cpu:
 * ..." or "cuda: GPU, precision". Prints the error and returns NULL when the backend cannot be
 * used; release it with mdl_backend_release (ops.h) once the model that used it is gone. */
const mdl_backend *cli_select_backend(const char *device, const mdl_config *cfg, size_t n_docs,
                                      char *desc, size_t n);

#endif
