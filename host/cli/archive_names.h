/* The names documents carry in a .mdl file, so that `decompress` can restore them: a
 * document found inside an input directory is named by its path below that directory, a
 * file given as an input by its file name. */
#ifndef MDL_ARCHIVE_NAMES_H
#define MDL_ARCHIVE_NAMES_H

#include <stddef.h>

#include "corpus.h"

/* names[i] for c's document i (malloc'd array of malloc'd strings). Prints the error and
 * returns 1 when two documents would be restored under the same name, or one under
 * another's directory. */
int archive_names(const corpus *c, const char *const *inputs, size_t n_inputs, char ***names);
void archive_names_free(char **names, size_t n);

#endif
