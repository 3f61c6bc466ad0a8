#include "text_out.h"

#include "utf8.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void out_json_string(FILE *f, const char *s) {
    char *clean = utf8_valid_copy(s);
    json_t *j = clean ? json_string(clean) : NULL;
    char *text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    fputs(text ? text : "null", f);
    free(text);
    json_decref(j);
    free(clean);
}

void out_csv_field(FILE *f, const char *s) {
    size_t n = strlen(s);
    int quote = strpbrk(s, ",\"\r\n") != NULL || (n && (s[0] == ' ' || s[n - 1] == ' '));
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void out_escaped(FILE *f, const char *s, int markdown) {
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else if (markdown && (c == '|' || c == '\\'))
            fprintf(f, "\\%c", c);
        else
            fputc(c, f);
    }
}

void out_markdown_cell(FILE *f, const char *s) {
    out_escaped(f, s, 1);
}

void out_text(FILE *f, const char *s) {
    out_escaped(f, s, 0);
}
