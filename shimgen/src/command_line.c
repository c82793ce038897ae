#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "command_line.h"
#include "exit_codes.h"

const char command_exit_codes_help[] =
    "exit codes:\n"
    "  0  success\n"
    "  1  internal error (out of memory)\n"
    "  2  bad command line\n"
    "  3  FILE cannot be read (missing, a directory, not a regular file, too large)\n"
    "  4  FILE is empty, not a PE file, or its headers or export table are malformed;\n"
    "     report: no line of TRACE is a record\n"
    "  5  wrap: an unknown or unusable --intercept, --prototype, --header, --name or\n"
    "     --twinshim\n"
    "  6  wrap: an output file exists (without --force) or cannot be written;\n"
    "     report: the page cannot be written\n"
    "  7  wrap: FILE is not a DLL (an EXE, or another image without IMAGE_FILE_DLL)\n"
    "  8  wrap: the front's name is an API set (api-ms-win-*, ext-ms-*), never loaded\n"
    "     from a file (--force writes the project anyway)\n"
    "  10-16  check: a finding (see shimgen check --help)\n";

int command_usage_error(const char *usage, const char *format, ...)
{
    va_list arguments;

    fputs("shimgen: ", stderr);
    va_start(arguments, format);
    vfprintf(stderr, format, arguments);
    va_end(arguments);
    fprintf(stderr, "\n%s", usage);
    return SHIMGEN_EXIT_USAGE;
}

int command_report(int rc, const char *path, const error_message *error)
{
    if (rc != SHIMGEN_EXIT_OK)
        fprintf(stderr, "shimgen: %s: %s\n", path, error->text);
    return rc;
}

bool command_asks_for_help(const char *argument)
{
    return strcmp(argument, "--help") == 0 || strcmp(argument, "-h") == 0;
}

bool command_is_option(const char *argument)
{
    return argument[0] == '-' && argument[1] != '\0';
}
