/* UTF-8 validity: names of files come from the file system as bytes, and every string
 * mdlbench stores or prints as text must be valid UTF-8 (HDF5 strings labelled UTF-8,
 * JSON). */
#ifndef MDL_UTF8_H
#define MDL_UTF8_H

/* 1 when every byte of s belongs to a valid UTF-8 sequence. */
int utf8_valid(const char *s);

/* A malloc'd copy of s with every byte that starts no valid UTF-8 sequence replaced by
 * U+FFFD (NULL when out of memory). */
char *utf8_valid_copy(const char *s);

#endif
