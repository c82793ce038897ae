/* Export names and header names are bytes: written into generated C as
 * string literals, escaped. */
#ifndef SHIMGEN_C_LITERAL_H
#define SHIMGEN_C_LITERAL_H

#include <stddef.h>
#include <stdio.h>

/* Writes "text" as a C string literal: quotes and backslashes escaped,
 * bytes outside printable ASCII as octal escapes. */
void c_literal_write(FILE *out, const char *text);

/* Writes generated code kept as lines (each without its '\n'), with every
 * "@@" replaced by `identifier`: the code that names this front's record
 * and table (@@_call_record). */
void c_template_write(FILE *out, const char *const *lines, size_t count, const char *identifier);

#endif
