/* Defined in the generated version.c (cmake/git_version.cmake). */
#ifndef MDL_VERSION_H
#define MDL_VERSION_H

extern const char *const mdl_version;
extern const char *const mdl_git_commit;

#endif
