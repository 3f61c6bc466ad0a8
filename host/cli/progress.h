/* One self-overwriting status line on stderr when it is a terminal; silent otherwise
 * (logs of batch jobs stay clean). */
#ifndef MDL_PROGRESS_H
#define MDL_PROGRESS_H

#include <stdint.h>

typedef struct progress {
    int enabled;
    double start, last;
    const char *label;
} progress;

void progress_start(progress *p, const char *label);
/* done/total in bytes; bits so far give the bpb shown (NaN: none); redraws at most 5
 * times a second */
void progress_update(progress *p, uint64_t done, uint64_t total, double bits);
void progress_finish(progress *p);

#endif
