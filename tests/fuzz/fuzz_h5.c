/* libFuzzer harness for the HDF5 readers: every reader `mdlbench report` uses on a results
 * file, and the checkpoint reader of --resume, on the input written to a temporary file.
 * Each must give a result or one error, never crash. Seeds: small real files (fuzz.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "checkpoint.h"
#include "results.h"
#include "results_baselines.h"
#include "results_passes_read.h"
#include "results_documents_read.h"
#include "results_two_part.h"

static char path[64];

static void read_everything(void) {
    mdl_err err;
    run_summary s;
    (void)results_read_summary(path, &s, &err);
    curve_row *rows = NULL;
    size_t n = 0;
    if (results_read_curve(path, &rows, &n, &err) == 0) free(rows);
    baseline_set b;
    if (results_read_baselines(path, &b, &err) == 0) baseline_set_free(&b);
    pass_table t;
    if (results_read_passes(path, &t, &err) > 0) pass_table_free(&t);
    two_part_row tp[WFMT_COUNT];
    (void)results_read_two_part(path, tp, &n, &err);
    document_row *docs = NULL;
    if (results_read_documents(path, &docs, &n, &err) == 0) document_rows_free(docs, n);
    preq_checkpoint cp;
    if (checkpoint_read(path, &cp, &err) == 0) checkpoint_free(&cp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!path[0]) {
        results_library_init();
        snprintf(path, sizeof path, "/tmp/mdl_fuzz_h5.%ld", (long)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    read_everything();
    unlink(path);
    return 0;
}
