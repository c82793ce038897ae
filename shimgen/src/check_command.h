/* `shimgen check DIR`: reads a deployed folder (front, worker, renamed
 * original) and reports what would keep the front from working there, each
 * finding with its own exit code. Reads files only; runs nothing. */
#ifndef SHIMGEN_CHECK_COMMAND_H
#define SHIMGEN_CHECK_COMMAND_H

#include <stdio.h>

extern const char check_usage[];
extern const char check_help[];

/* The whole subcommand: argv[0] is "check". Returns a shimgen exit code. */
int check_main(int argc, char **argv);

/* Checks every front in `folder` (or only `front_name`, if not NULL),
 * printing one line per finding to `out`. Returns 0, the lowest exit code
 * of the findings, or the code of an error (with the reason in `error`). */
int check_run(const char *folder, const char *front_name, FILE *out, char *error_text, size_t error_capacity);

#endif
