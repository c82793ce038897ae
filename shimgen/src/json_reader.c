#include "json_reader.h"

/* Nesting deeper than this is no trace line: refused rather than recursed. */
#define JSON_DEPTH_MAX 32

void json_begin(json_cursor *cursor, const char *text, size_t length)
{
    cursor->at = text;
    cursor->end = text + length;
    cursor->failed = false;
    cursor->first_key = true;
}

static void skip_space(json_cursor *cursor)
{
    while (cursor->at < cursor->end &&
           (*cursor->at == ' ' || *cursor->at == '\t' || *cursor->at == '\r' || *cursor->at == '\n'))
        cursor->at++;
}

static bool fail(json_cursor *cursor)
{
    cursor->failed = true;
    return false;
}

/* Consumes `expected` after white space. */
static bool take(json_cursor *cursor, char expected)
{
    skip_space(cursor);
    if (cursor->at >= cursor->end || *cursor->at != expected)
        return fail(cursor);
    cursor->at++;
    return true;
}

bool json_enter_object(json_cursor *cursor)
{
    cursor->first_key = true;
    return take(cursor, '{');
}

static int hex_value(char digit)
{
    if (digit >= '0' && digit <= '9')
        return digit - '0';
    if (digit >= 'a' && digit <= 'f')
        return digit - 'a' + 10;
    if (digit >= 'A' && digit <= 'F')
        return digit - 'A' + 10;
    return -1;
}

/* Four hex digits of a \u escape. */
static bool read_hex4(json_cursor *cursor, unsigned long *value)
{
    *value = 0;
    if (cursor->end - cursor->at < 4)
        return fail(cursor);
    for (int index = 0; index < 4; index++) {
        int digit = hex_value(*cursor->at++);

        if (digit < 0)
            return fail(cursor);
        *value = *value << 4 | (unsigned long)digit;
    }
    return true;
}

/* Appends a byte if there is room for it and the terminating zero. */
static void put_byte(char *text, size_t capacity, size_t *used, unsigned long byte)
{
    if (text != NULL && *used + 1 < capacity)
        text[(*used)++] = (char)byte;
}

static void put_utf8(char *text, size_t capacity, size_t *used, unsigned long point)
{
    if (point < 0x80) {
        put_byte(text, capacity, used, point);
    } else if (point < 0x800) {
        put_byte(text, capacity, used, 0xc0 | point >> 6);
        put_byte(text, capacity, used, 0x80 | (point & 0x3f));
    } else if (point < 0x10000) {
        put_byte(text, capacity, used, 0xe0 | point >> 12);
        put_byte(text, capacity, used, 0x80 | (point >> 6 & 0x3f));
        put_byte(text, capacity, used, 0x80 | (point & 0x3f));
    } else {
        put_byte(text, capacity, used, 0xf0 | point >> 18);
        put_byte(text, capacity, used, 0x80 | (point >> 12 & 0x3f));
        put_byte(text, capacity, used, 0x80 | (point >> 6 & 0x3f));
        put_byte(text, capacity, used, 0x80 | (point & 0x3f));
    }
}

/* An escape after its backslash. */
static bool read_escape(json_cursor *cursor, char *text, size_t capacity, size_t *used)
{
    static const char plain[] = "\"\\/bfnrt";
    static const char meaning[] = "\"\\/\b\f\n\r\t";
    unsigned long point;
    char escaped;

    if (cursor->at >= cursor->end)
        return fail(cursor);
    escaped = *cursor->at++;
    for (size_t index = 0; plain[index] != '\0'; index++)
        if (escaped == plain[index]) {
            put_byte(text, capacity, used, (unsigned char)meaning[index]);
            return true;
        }
    if (escaped != 'u' || !read_hex4(cursor, &point))
        return fail(cursor);
    /* A surrogate pair is one code point; a lone surrogate, U+FFFD. */
    if (point >= 0xd800 && point <= 0xdbff && cursor->end - cursor->at >= 6 && cursor->at[0] == '\\' &&
        cursor->at[1] == 'u') {
        const char *pair = cursor->at;
        unsigned long low;

        cursor->at += 2;
        if (read_hex4(cursor, &low) && low >= 0xdc00 && low <= 0xdfff) {
            point = 0x10000 + ((point - 0xd800) << 10) + (low - 0xdc00);
        } else {
            cursor->failed = false;
            cursor->at = pair;
        }
    }
    put_utf8(text, capacity, used, point >= 0xd800 && point <= 0xdfff ? 0xfffd : point);
    return true;
}

bool json_read_string(json_cursor *cursor, char *text, size_t capacity)
{
    size_t used = 0;

    if (!take(cursor, '"'))
        return false;
    while (cursor->at < cursor->end && *cursor->at != '"') {
        unsigned char byte = (unsigned char)*cursor->at++;

        if (byte < 0x20)
            return fail(cursor);
        if (byte == '\\') {
            if (!read_escape(cursor, text, capacity, &used))
                return false;
        } else {
            put_byte(text, capacity, &used, byte);
        }
    }
    if (cursor->at >= cursor->end)
        return fail(cursor);
    cursor->at++;
    if (text != NULL && capacity > 0)
        text[used] = '\0';
    return true;
}

bool json_next_key(json_cursor *cursor, char *key, size_t capacity)
{
    skip_space(cursor);
    if (cursor->at < cursor->end && *cursor->at == '}') {
        cursor->at++;
        return false;
    }
    if (!cursor->first_key && !take(cursor, ','))
        return false;
    cursor->first_key = false;
    return json_read_string(cursor, key, capacity) && take(cursor, ':');
}

bool json_read_unsigned(json_cursor *cursor, unsigned long long *value)
{
    const char *start;

    skip_space(cursor);
    start = cursor->at;
    *value = 0;
    while (cursor->at < cursor->end && *cursor->at >= '0' && *cursor->at <= '9') {
        unsigned digit = (unsigned)(*cursor->at - '0');

        if (*value > (~0ull - digit) / 10)
            return fail(cursor);
        *value = *value * 10 + digit;
        cursor->at++;
    }
    if (cursor->at == start ||
        (cursor->at < cursor->end && (*cursor->at == '.' || *cursor->at == 'e' || *cursor->at == 'E')))
        return fail(cursor);
    return true;
}

static bool skip_literal(json_cursor *cursor, const char *literal)
{
    for (; *literal != '\0'; literal++, cursor->at++)
        if (cursor->at >= cursor->end || *cursor->at != *literal)
            return fail(cursor);
    return true;
}

static bool skip_number(json_cursor *cursor)
{
    const char *start = cursor->at;

    while (cursor->at < cursor->end &&
           ((*cursor->at >= '0' && *cursor->at <= '9') || *cursor->at == '-' || *cursor->at == '+' ||
            *cursor->at == '.' || *cursor->at == 'e' || *cursor->at == 'E'))
        cursor->at++;
    return cursor->at != start || fail(cursor);
}

/* One scalar value: a string, a literal or a number. */
static bool skip_scalar(json_cursor *cursor)
{
    switch (*cursor->at) {
    case '"':
        return json_read_string(cursor, NULL, 0);
    case 't':
        return skip_literal(cursor, "true");
    case 'f':
        return skip_literal(cursor, "false");
    case 'n':
        return skip_literal(cursor, "null");
    default:
        return skip_number(cursor);
    }
}

/* A member's key and its ':' inside an object. */
static bool skip_key(json_cursor *cursor)
{
    return json_read_string(cursor, NULL, 0) && take(cursor, ':');
}

/* Any value, arrays and objects included, without recursion: the brackets
 * still open are a stack of their closing characters. */
static bool skip_nested(json_cursor *cursor)
{
    char open[JSON_DEPTH_MAX];
    int depth = 0;

    for (;;) {
        /* A value starts here. */
        skip_space(cursor);
        if (cursor->at >= cursor->end)
            return fail(cursor);
        if (*cursor->at == '{' || *cursor->at == '[') {
            char closing = *cursor->at == '{' ? '}' : ']';

            if (depth == JSON_DEPTH_MAX)
                return fail(cursor);
            open[depth++] = closing;
            cursor->at++;
            skip_space(cursor);
            if (cursor->at < cursor->end && *cursor->at == closing) {
                cursor->at++;
                depth--;
            } else {
                if (closing == '}' && !skip_key(cursor))
                    return false;
                continue;
            }
        } else if (!skip_scalar(cursor)) {
            return false;
        }
        /* A value ended: close what it ends, or go on to the next member. */
        for (;;) {
            if (depth == 0)
                return true;
            skip_space(cursor);
            if (cursor->at < cursor->end && *cursor->at == open[depth - 1]) {
                cursor->at++;
                depth--;
                continue;
            }
            if (!take(cursor, ','))
                return false;
            if (open[depth - 1] == '}' && !skip_key(cursor))
                return false;
            break;
        }
    }
}

bool json_skip_value(json_cursor *cursor, const char **start, const char **end)
{
    bool skipped;

    skip_space(cursor);
    if (start != NULL)
        *start = cursor->at;
    skipped = skip_nested(cursor);
    if (end != NULL)
        *end = cursor->at;
    return skipped;
}

bool json_at_end(json_cursor *cursor)
{
    skip_space(cursor);
    return cursor->at == cursor->end;
}
