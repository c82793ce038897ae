/* One error line, filled by whichever function failed, printed once by main.
 * A fixed buffer, so that reporting an error never needs memory. */
#ifndef SHIMGEN_ERROR_MESSAGE_H
#define SHIMGEN_ERROR_MESSAGE_H

typedef struct error_message {
    char text[256];
} error_message;

/* printf-style; a NULL error is allowed and ignored. Always returns `code`,
 * so callers can write `return error_set(error, CODE, "...")`. */
/* On Windows, mingw-w64's C99 printf (__USE_MINGW_ANSI_STDIO) understands %zu;
 * gnu_printf tells the compiler to check formats against that one. */
#if defined(__MINGW32__)
#define SHIMGEN_PRINTF_FORMAT gnu_printf
#else
#define SHIMGEN_PRINTF_FORMAT printf
#endif

int error_set(error_message *error, int code, const char *format, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(SHIMGEN_PRINTF_FORMAT, 3, 4)))
#endif
    ;

#endif
