/* What the subcommands share on the command line: reporting a bad command
 * line or a failed run, --help, and the exit codes every help text lists. */
#ifndef SHIMGEN_COMMAND_LINE_H
#define SHIMGEN_COMMAND_LINE_H

#include <stdbool.h>

#include "error_message.h"

/* The exit codes, as --help prints them (exit_codes.h holds their values). */
extern const char command_exit_codes_help[];

/* Prints "shimgen: <problem>" and `usage` to stderr; returns SHIMGEN_EXIT_USAGE. */
int command_usage_error(const char *usage, const char *format, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(SHIMGEN_PRINTF_FORMAT, 2, 3)))
#endif
    ;

/* Prints "shimgen: <path>: <error>" to stderr unless rc is 0; returns rc. */
int command_report(int rc, const char *path, const error_message *error);

/* True for --help and -h. */
bool command_asks_for_help(const char *argument);

/* True for an argument that looks like an option ("-x", "--x"; "-" alone is a file). */
bool command_is_option(const char *argument);

#endif
