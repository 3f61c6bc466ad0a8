/* What the other writers and readers of the results file (results_baselines.c) need from
 * results.c; not for use outside the results code. */
#ifndef MDL_RESULTS_INTERNAL_H
#define MDL_RESULTS_INTERNAL_H

#include <hdf5.h>

#include "results.h"

hid_t results_writer_file(const results_writer *w);
const char *results_writer_path(const results_writer *w);

/* Opens a results file read-only after checking its format and status "complete". */
hid_t results_open_complete(const char *path, mdl_err *err);

#endif
