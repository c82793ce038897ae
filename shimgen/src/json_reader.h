/* A JSON reader for one line of a trace (`shimgen report`): walks an object's
 * keys and reads the values it wants, skipping the rest. Bounded by the
 * text's end, never by a terminating zero, so a cut or corrupt line fails
 * cleanly instead of being read past. */
#ifndef SHIMGEN_JSON_READER_H
#define SHIMGEN_JSON_READER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct json_cursor {
    const char *at;
    const char *end;
    bool failed;
    bool first_key; /* no key of the current object read yet */
} json_cursor;

void json_begin(json_cursor *cursor, const char *text, size_t length);

/* Consumes '{'. */
bool json_enter_object(json_cursor *cursor);

/* Reads the next key of the object entered last into `key` (cut to fit)
 * and the ':' after it. False at the object's '}' (consumed), or on an
 * error (cursor->failed). */
bool json_next_key(json_cursor *cursor, char *key, size_t capacity);

/* A string value, its escapes decoded (\u as UTF-8), cut to fit `text`. */
bool json_read_string(json_cursor *cursor, char *text, size_t capacity);

/* A number without a fraction or exponent, 0 to 2^64-1. */
bool json_read_unsigned(json_cursor *cursor, unsigned long long *value);

/* Any value; *start and *end (may be NULL) get its text. */
bool json_skip_value(json_cursor *cursor, const char **start, const char **end);

/* True when only white space is left. */
bool json_at_end(json_cursor *cursor);

#endif
