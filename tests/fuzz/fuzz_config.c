/* libFuzzer harness for the configuration loader: any text either loads (and then
 * validates, and round-trips through config_to_yaml) or fails with one message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0'; /* the loader reads NUL-terminated text, as from a file */
    mdl_config cfg, again;
    mdl_err err;
    if (config_default(&cfg, &err) == 0 && config_load_text(&cfg, text, "fuzz.yaml", &err) == 0 &&
        config_validate(&cfg, &err) == 0) {
        char *yaml = config_to_yaml(&cfg, &err);
        /* what config_to_yaml writes must load back */
        if (yaml && (config_default(&again, &err) != 0 ||
                     config_load_text(&again, yaml, "round trip", &err) != 0))
            abort();
        free(yaml);
    }
    free(text);
    return 0;
}
