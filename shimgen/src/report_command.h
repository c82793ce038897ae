/* `shimgen report TRACE [-o report.html]`: what a trace says, for a person. */
#ifndef SHIMGEN_REPORT_COMMAND_H
#define SHIMGEN_REPORT_COMMAND_H

#include <stdio.h>

#include "error_message.h"

extern const char report_usage[];
extern const char report_help[];

/* The whole subcommand: argv[0] is "report". Returns a shimgen exit code. */
int report_main(int argc, char **argv);

/* Prints the summary of the trace at `path` to `out`, and writes the page
 * to `html_path` unless it is NULL. Returns a shimgen exit code. */
int report_run(const char *path, const char *html_path, FILE *out, error_message *error);

#endif
