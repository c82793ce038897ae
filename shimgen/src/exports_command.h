/* `shimgen exports [--json] FILE`. */
#ifndef SHIMGEN_EXPORTS_COMMAND_H
#define SHIMGEN_EXPORTS_COMMAND_H

#include <stdbool.h>
#include <stdio.h>

#include "error_message.h"

extern const char exports_usage[];
extern const char exports_help[];

/* The whole subcommand: argv[0] is "exports". Returns a shimgen exit code. */
int exports_main(int argc, char **argv);

/* Prints the export table of `path` to `out`. Returns a shimgen exit code;
 * nothing is printed to `out` when the file is rejected. */
int exports_run(const char *path, bool as_json, FILE *out, error_message *error);

#endif
