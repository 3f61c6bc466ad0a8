#include "output_path.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* The absolute path PATH will have: realpath of PATH when it exists, else realpath of its
 * directory joined with its name. Returns 0, or 1 after printing why not. */
static int resolve_target(const char *flag, const char *path, char out[PATH_MAX]) {
    if (realpath(path, out)) return 0;
    if (errno != ENOENT) return cli_error("%s %s: %s", flag, path, strerror(errno));
    char dir_copy[PATH_MAX], base_copy[PATH_MAX], dir[PATH_MAX];
    snprintf(dir_copy, sizeof dir_copy, "%s", path);
    snprintf(base_copy, sizeof base_copy, "%s", path);
    const char *parent = dirname(dir_copy);
    if (!realpath(parent, dir))
        return cli_error("%s %s: directory %s does not exist", flag, path, parent);
    if (snprintf(out, PATH_MAX, "%s/%s", strcmp(dir, "/") ? dir : "", basename(base_copy)) >=
        PATH_MAX)
        return cli_error("%s %s: path too long", flag, path);
    return 0;
}

/* 1 (printed) when TARGET is INPUT or lies inside the directory INPUT. */
static int clashes_with_input(const char *flag, const char *path, const char *target,
                              const char *input) {
    char in[PATH_MAX];
    struct stat st;
    if (!input || !realpath(input, in) || stat(in, &st) != 0) return 0;
    if (strcmp(in, target) == 0)
        return cli_error("%s %s: is an input of this run (%s); refusing to overwrite it", flag,
                         path, input);
    size_t n = strlen(in);
    if (S_ISDIR(st.st_mode) && strncmp(target, in, n) == 0 && (target[n] == '/' || n == 1))
        return cli_error("%s %s: lies inside the corpus directory %s (it would become part of "
                         "the corpus); write it elsewhere",
                         flag, path, input);
    return 0;
}

/* The directory that will hold TARGET must take new files (PATH.partial, renamed), so that a
 * run does not fail only at its end: not read-only, and writable by this user (an existing
 * output directory is filled, so it must be writable itself). */
static int check_writable(const char *flag, const char *path, const char *target, int fill_dir) {
    char dir_copy[PATH_MAX];
    snprintf(dir_copy, sizeof dir_copy, "%s", target);
    const char *dir = fill_dir ? target : dirname(dir_copy); /* an existing output dir: itself */
    if (access(dir, W_OK | X_OK) != 0)
        return cli_error("%s %s: cannot write in directory %s (%s)", flag, path, dir,
                         strerror(errno));
    return 0;
}

static int check_output(const char *flag, const char *path, int is_dir, const char *const *inputs,
                        size_t n_inputs) {
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (exists) {
        if (is_dir && !S_ISDIR(st.st_mode))
            return cli_error("%s %s: exists and is not a directory", flag, path);
        if (!is_dir && !S_ISREG(st.st_mode))
            return cli_error("%s %s: exists and is not a regular file", flag, path);
    }
    char target[PATH_MAX];
    if (resolve_target(flag, path, target) != 0) return 1;
    for (size_t i = 0; i < n_inputs; i++)
        if (clashes_with_input(flag, path, target, inputs[i]) != 0) return 1;
    return check_writable(flag, path, target, is_dir && exists);
}

int cli_check_output_file(const char *flag, const char *path, const char *const *inputs,
                          size_t n_inputs) {
    return check_output(flag, path, 0, inputs, n_inputs);
}

int cli_check_output_dir(const char *flag, const char *dir, const char *const *inputs,
                         size_t n_inputs) {
    return check_output(flag, dir, 1, inputs, n_inputs);
}
