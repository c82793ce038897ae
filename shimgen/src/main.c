/* shimgen: reads a DLL's export table, and writes a twinshim project that
 * wraps the DLL without changing the program that loads it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "exports_command.h"
#include "wrap_command.h"

#ifndef SHIMGEN_TWINSHIM_SOURCE_DIR
#define SHIMGEN_TWINSHIM_SOURCE_DIR ""
#endif

static const char usage_text[] =
    "usage: shimgen exports [--json] FILE\n"
    "       shimgen wrap FILE -o DIR [--name NAME] [--intercept SYMBOL,...]\n"
    "                     [--prototype 'TYPE SYMBOL(TYPE NAME, ...)']... [--twinshim DIR] [--force]\n"
    "       shimgen --help\n";

static const char help_text[] =
    "\n"
    "exports   lists the export table like dumpbin /exports: ordinal, RVA, kind\n"
    "          (code, data or forwarder), name ([NONAME] for ordinal-only exports)\n"
    "          and the forwarder string. --json prints a JSON array of objects with\n"
    "          ordinal, name (null if none), rva (number), data and forwarder (null if none).\n"
    "\n"
    "wrap      writes a twinshim project into DIR (created if missing):\n"
    "            NAME.def           every export, forwarded to NAME_orig.dll with its ordinal,\n"
    "                               NONAME and DATA, or pointed at a stub\n"
    "            NAME_front.c       the front's configuration and the intercepting stubs\n"
    "            NAME_call_record.h what a stub sends the worker\n"
    "            NAME_worker.c      the worker plugin (logs calls to $NAME_SHIM_LOG)\n"
    "            CMakeLists.txt, README.md\n"
    "          --name NAME       the front's name (default: FILE's name without extension);\n"
    "                            the original is installed as NAME_orig.dll, next to the front\n"
    "          --intercept LIST  exports to intercept: names, or #ORDINAL for ordinal-only ones\n"
    "          --prototype DECL  the C prototype of an intercepted export (repeatable); an\n"
    "                            ordinal-only export is called ordinal_N. Without it the stub\n"
    "                            gets a placeholder prototype you must check\n"
    "          --twinshim DIR    the twinshim source tree the project builds against\n"
    "                            (default: " SHIMGEN_TWINSHIM_SOURCE_DIR ")\n"
    "          --force           overwrite files that already exist in DIR\n"
    "\n"
    "exit codes:\n"
    "  0  success\n"
    "  1  internal error (out of memory)\n"
    "  2  bad command line\n"
    "  3  FILE cannot be read (missing, a directory, not a regular file, too large)\n"
    "  4  FILE is not a PE file, is empty, or its headers or export table are malformed\n"
    "  5  wrap: an unknown or unusable --intercept, --prototype or --name\n"
    "  6  wrap: an output file exists (without --force) or cannot be written\n";

static int usage_error(const char *problem)
{
    fprintf(stderr, "shimgen: %s\n%s", problem, usage_text);
    return SHIMGEN_EXIT_USAGE;
}

static int report(int rc, const char *path, const error_message *error)
{
    if (rc != SHIMGEN_EXIT_OK)
        fprintf(stderr, "shimgen: %s: %s\n", path, error->text);
    return rc;
}

static int run_exports(int argc, char **argv)
{
    const char *path = NULL;
    bool as_json = false;
    error_message error = { "" };

    for (int index = 2; index < argc; index++) {
        if (strcmp(argv[index], "--json") == 0)
            as_json = true;
        else if (argv[index][0] == '-' && argv[index][1] != '\0')
            return usage_error("exports: unknown option");
        else if (path != NULL)
            return usage_error("exports: one FILE only");
        else
            path = argv[index];
    }
    if (path == NULL)
        return usage_error("exports: no FILE given");
    return report(exports_run(path, as_json, stdout, &error), path, &error);
}

/* The value after an option, or NULL when it is missing. */
static const char *option_value(int argc, char **argv, int *index)
{
    if (*index + 1 >= argc)
        return NULL;
    return argv[++*index];
}

static int run_wrap(int argc, char **argv)
{
    /* Every list is at most argc long, so no option can overflow it. */
    const char **intercepts = calloc((size_t)argc, sizeof *intercepts);
    const char **prototypes = calloc((size_t)argc, sizeof *prototypes);
    wrap_request request = { .twinshim_source_dir = SHIMGEN_TWINSHIM_SOURCE_DIR };
    error_message error = { "" };
    int rc = SHIMGEN_EXIT_OK;

    if (intercepts == NULL || prototypes == NULL) {
        rc = SHIMGEN_EXIT_INTERNAL;
        fputs("shimgen: out of memory\n", stderr);
        goto done;
    }
    for (int index = 2; index < argc && rc == SHIMGEN_EXIT_OK; index++) {
        const char *option = argv[index];
        const char **value_slot = NULL;

        if (strcmp(option, "-o") == 0 || strcmp(option, "--output") == 0)
            value_slot = &request.output_directory;
        else if (strcmp(option, "--name") == 0)
            value_slot = &request.name;
        else if (strcmp(option, "--twinshim") == 0)
            value_slot = &request.twinshim_source_dir;
        else if (strcmp(option, "--intercept") == 0)
            value_slot = &intercepts[request.intercept_list_count++];
        else if (strcmp(option, "--prototype") == 0)
            value_slot = &prototypes[request.prototype_count++];
        else if (strcmp(option, "--force") == 0)
            request.force = true;
        else if (option[0] == '-' && option[1] != '\0')
            rc = usage_error("wrap: unknown option");
        else if (request.input_path != NULL)
            rc = usage_error("wrap: one FILE only");
        else
            request.input_path = option;
        if (value_slot != NULL && (*value_slot = option_value(argc, argv, &index)) == NULL)
            rc = usage_error("wrap: an option lacks its value");
    }
    if (rc != SHIMGEN_EXIT_OK)
        goto done;
    if (request.input_path == NULL || request.output_directory == NULL) {
        rc = usage_error("wrap: needs FILE and -o DIR");
        goto done;
    }
    if (request.twinshim_source_dir[0] == '\0') {
        rc = usage_error("wrap: this shimgen was built without a twinshim path: give --twinshim DIR");
        goto done;
    }
    request.intercept_lists = intercepts;
    request.prototypes = prototypes;
    rc = report(wrap_run(&request, stderr, &error), request.input_path, &error);
    if (rc == SHIMGEN_EXIT_OK)
        printf("shimgen: wrote the project for %s into %s\n", request.input_path, request.output_directory);
done:
    free(intercepts);
    free(prototypes);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("no command given");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(usage_text, stdout);
        fputs(help_text, stdout);
        return SHIMGEN_EXIT_OK;
    }
    if (strcmp(argv[1], "exports") == 0)
        return run_exports(argc, argv);
    if (strcmp(argv[1], "wrap") == 0)
        return run_wrap(argc, argv);
    return usage_error("unknown command");
}
