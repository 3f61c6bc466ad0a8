#include "archive_names.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "container.h"

/* The name of the document at resolved path `doc` given the inputs' resolved paths. */
static char *name_for(const char *doc, char *const *roots, const int *is_dir, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (!roots[i]) continue;
        size_t len = strlen(roots[i]);
        if (is_dir[i] && strncmp(doc, roots[i], len) == 0 && doc[len] == '/')
            return strdup(doc + len + 1);
    }
    const char *base = strrchr(doc, '/');
    return strdup(base ? base + 1 : doc);
}

static int by_string(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Two names that cannot both be restored: equal, or one a directory of the other. */
static int check_clashes(char **names, size_t n) {
    char **sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted) return cli_error("out of memory");
    memcpy(sorted, names, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, by_string);
    int rc = 0;
    for (size_t i = 0; i + 1 < n && rc == 0; i++) {
        size_t len = strlen(sorted[i]);
        for (size_t j = i + 1; j < n && strncmp(sorted[j], sorted[i], len) == 0; j++) {
            if (sorted[j][len] == '\0' || sorted[j][len] == '/') {
                rc = cli_error("two documents would be restored as '%s' and '%s': compress "
                               "them from one directory, or rename one",
                               sorted[i], sorted[j]);
                break;
            }
        }
    }
    free(sorted);
    return rc;
}

int archive_names(const corpus *c, const char *const *inputs, size_t n_inputs, char ***out) {
    char **roots = calloc(n_inputs ? n_inputs : 1, sizeof *roots);
    int *is_dir = calloc(n_inputs ? n_inputs : 1, sizeof *is_dir);
    char **names = calloc(c->n_docs ? c->n_docs : 1, sizeof *names);
    int rc = roots && is_dir && names ? 0 : cli_error("out of memory");
    for (size_t i = 0; rc == 0 && i < n_inputs; i++) {
        struct stat sb;
        roots[i] = realpath(inputs[i], NULL);
        is_dir[i] = roots[i] && stat(roots[i], &sb) == 0 && S_ISDIR(sb.st_mode);
    }
    for (size_t d = 0; rc == 0 && d < c->n_docs; d++) {
        if (!(names[d] = name_for(c->docs[d].name, roots, is_dir, n_inputs)))
            rc = cli_error("out of memory");
        else if (mdlz_name_ok(names[d]) != 0)
            rc = cli_error("%s: its name cannot be restored safely (control characters)",
                           c->docs[d].name);
    }
    if (rc == 0) rc = check_clashes(names, c->n_docs);
    for (size_t i = 0; roots && i < n_inputs; i++) free(roots[i]);
    free(roots), free(is_dir);
    if (rc != 0) {
        archive_names_free(names, c->n_docs);
        return rc;
    }
    *out = names;
    return 0;
}

void archive_names_free(char **names, size_t n) {
    for (size_t i = 0; names && i < n; i++) free(names[i]);
    free(names);
}
