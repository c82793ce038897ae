/* One error line, filled by whichever function failed, printed once by main.
 * A fixed buffer, so that reporting an error never needs memory. */
#ifndef SHIMGEN_ERROR_MESSAGE_H
#define SHIMGEN_ERROR_MESSAGE_H

typedef struct error_message {
    char text[256];
} error_message;

/* printf-style; a NULL error is allowed and ignored. Always returns `code`,
 * so callers can write `return error_set(error, CODE, "...")`. */
int error_set(error_message *error, int code, const char *format, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
