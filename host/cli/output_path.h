/* Checks of the paths a command writes, made before any work: a run must never replace
 * one of its own inputs, a device node or a directory, and must not fail at the end. */
#ifndef MDL_OUTPUT_PATH_H
#define MDL_OUTPUT_PATH_H

#include <stddef.h>

/* FLAG PATH names a file to create or replace: refuses (one line on stderr, returns 1) a
 * PATH that exists and is not a regular file, whose directory does not exist, or that
 * resolves to one of INPUTS or lies inside one of them that is a directory. INPUTS are
 * files or directories (NULL entries are skipped). Returns 0 when PATH may be written. */
int cli_check_output_file(const char *flag, const char *path, const char *const *inputs,
                          size_t n_inputs);

/* The same for a directory the command creates or fills (FLAG DIR): it may exist only as
 * a directory, and must not be or lie inside an input. */
int cli_check_output_dir(const char *flag, const char *dir, const char *const *inputs,
                         size_t n_inputs);

#endif
