/* `shimgen wrap`: reads the command line, builds the plan (wrap_plan.c) and
 * runs every writer of the generated project. */
#ifndef SHIMGEN_WRAP_COMMAND_H
#define SHIMGEN_WRAP_COMMAND_H

#include <stdio.h>

#include "error_message.h"
#include "wrap_plan.h"

extern const char wrap_usage[];

/* The wrap part of --help. */
void wrap_print_help(FILE *out);

/* The whole subcommand: argv[0] is "wrap". Returns a shimgen exit code. */
int wrap_main(int argc, char **argv);

/* Reads the input, builds the plan and writes the project. Returns a
 * shimgen exit code, with the reason in `error`. */
int wrap_run(const wrap_request *request, FILE *warnings, error_message *error);

#endif
