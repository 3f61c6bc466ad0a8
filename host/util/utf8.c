#include "utf8.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when the bytes there are not one
 * (overlong forms, surrogates and code points above U+10FFFF are not). */
static size_t utf8_sequence(const unsigned char *s) {
    unsigned c = s[0];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || (n > 1 && c < 0xC2) || c > 0xF4) return n == 1 ? 1 : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    uint32_t cp =
        n == 2   ? (c & 0x1Fu) << 6 | (s[1] & 0x3Fu)
        : n == 3 ? (c & 0x0Fu) << 12 | (s[1] & 0x3Fu) << 6 | (s[2] & 0x3Fu)
        : n == 4 ? (c & 0x07u) << 18 | (s[1] & 0x3Fu) << 12 | (s[2] & 0x3Fu) << 6 | (s[3] & 0x3Fu)
                 : c;
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return n;
}

int utf8_valid(const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = utf8_sequence(p);
        if (n == 0) return 0;
        p += n;
    }
    return 1;
}

char *utf8_valid_copy(const char *s) {
    size_t len = strlen(s);
    char *out = malloc(3 * len + 1), *o = out;
    if (!out) return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = utf8_sequence(p);
        if (n == 0) {
            memcpy(o, "\xEF\xBF\xBD", 3), o += 3, p++;
        } else {
            memcpy(o, p, n), o += n, p += n;
        }
    }
    *o = '\0';
    return out;
}
