/* What compress and decompress share: the progress line and writing a file through
 * FILE.partial, so that an existing file is never left half-written. */
#ifndef MDL_COMPRESS_COMMON_H
#define MDL_COMPRESS_COMMON_H

#include <stdint.h>

#include "container.h"
#include "prequential.h"
#include "progress.h"

typedef struct compress_progress {
    progress bar;
    uint64_t done, total;
} compress_progress;

void compress_progress_start(compress_progress *p, const char *label, uint64_t total, int quiet);
/* The loop's hooks that draw it (on_step only). */
preq_hooks compress_progress_hooks(compress_progress *p);
void compress_progress_finish(compress_progress *p);

/* The container written as path.partial, then renamed to path; the partial file is
 * removed when anything fails. */
int compress_write_atomically(const char *path, const mdlz_header *h, const uint8_t *payload,
                              mdl_err *err);

#endif
