/* Creating the output folder and its files for `shimgen wrap`. */
#ifndef SHIMGEN_OUTPUT_FILES_H
#define SHIMGEN_OUTPUT_FILES_H

#include <stdbool.h>
#include <stdio.h>

#include "error_message.h"

/* Creates `path` and any missing parent. Returns 0 or SHIMGEN_EXIT_OUTPUT. */
int output_make_directory(const char *path, error_message *error);

/* True when `directory`/`file_name` exists. */
bool output_file_exists(const char *directory, const char *file_name);

/* Opens `directory`/`file_name` for writing, or returns NULL with `error` set. */
FILE *output_open(const char *directory, const char *file_name, error_message *error);

/* Closes and reports a write error that only shows at close (a full disk). */
int output_close(FILE *file, const char *file_name, error_message *error);

#endif
