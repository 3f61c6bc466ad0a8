#include "compress_common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void compress_progress_start(compress_progress *p, const char *label, uint64_t total, int quiet) {
    *p = (compress_progress){.total = total};
    progress_start(&p->bar, label);
    if (quiet) p->bar.enabled = 0;
}

static int on_step(void *ctx, const curve_row *row, mdl_err *err) {
    (void)err;
    compress_progress *p = ctx;
    p->done += (uint64_t)row->bytes;
    progress_update(&p->bar, p->done, p->total, row->cum_bits);
    return 0;
}

preq_hooks compress_progress_hooks(compress_progress *p) {
    return (preq_hooks){.ctx = p, .on_step = on_step};
}

void compress_progress_finish(compress_progress *p) {
    progress_finish(&p->bar);
}

int compress_write_atomically(const char *path, const mdlz_header *h, const uint8_t *payload,
                              mdl_err *err) {
    size_t n = strlen(path) + 9;
    char *partial = malloc(n);
    if (!partial) return mdl_fail(err, "out of memory");
    snprintf(partial, n, "%s.partial", path);
    int rc = mdlz_write(partial, h, payload, err);
    if (rc == 0 && rename(partial, path) != 0)
        rc = mdl_fail(err, "%s: cannot rename %s to it: %s", path, partial, strerror(errno));
    if (rc != 0) unlink(partial);
    free(partial);
    return rc;
}
