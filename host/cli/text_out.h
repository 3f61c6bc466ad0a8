/* Strings printed into the report formats so that every reader parses them back: file and
 * document names may hold commas, quotes, pipes, control characters and bytes that are not
 * UTF-8 (README "Reading reports"). */
#ifndef MDL_TEXT_OUT_H
#define MDL_TEXT_OUT_H

#include <stdio.h>

/* A JSON string (quotes included), encoded by jansson. Bytes that are not valid UTF-8 are
 * each replaced by U+FFFD first, so the output is always valid JSON. */
void out_json_string(FILE *f, const char *s);

/* An RFC 4180 CSV field: quoted (inner quotes doubled) when it holds a comma, quote, CR or
 * LF, or begins or ends with a space; as it is otherwise. */
void out_csv_field(FILE *f, const char *s);

/* A markdown table cell: '|' and '\' backslash-escaped, control characters (newlines too)
 * written as \xHH. */
void out_markdown_cell(FILE *f, const char *s);

/* Plain text for a terminal: control characters written as \xHH, so a name cannot move the
 * cursor or break a line. */
void out_text(FILE *f, const char *s);

#endif
