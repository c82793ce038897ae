#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "command_line.h"
#include "def_writer.h"
#include "exit_codes.h"
#include "file_bytes.h"
#include "front_writer.h"
#include "output_files.h"
#include "project_writer.h"
#include "record_header_writer.h"
#include "resource_object.h"
#include "stub_writer.h"
#include "twinshim_tree.h"
#include "worker_writer.h"
#include "wrap_command.h"

/* Every generated file and the one function that writes it. The plan has
 * passed every check, so a writer cannot refuse; write errors show at close. */
typedef void project_file_writer(FILE *out, const wrap_plan *plan);

static int write_project(const wrap_request *request, const wrap_plan *plan, error_message *error)
{
    const struct {
        const char *file_name;
        project_file_writer *write;
    } files[] = {
        { plan->def_file, def_write },
        { plan->front_source_file, front_write_source },
        { plan->stubs_source_file, stub_write_source },
        { plan->record_header_file, front_write_record_header },
        { plan->worker_source_file, worker_write_source },
        { "CMakeLists.txt", project_write_cmake },
        { "README.md", project_write_readme },
        { plan->resource_file, resource_object_write }, /* "" when the original has no resources */
    };
    const size_t file_count = sizeof files / sizeof files[0];
    int rc = output_make_directory(request->output_directory, error);

    if (rc != 0)
        return rc;
    /* Generated stubs are meant to be edited: never overwrite them by accident. */
    if (!request->force)
        for (size_t index = 0; index < file_count; index++)
            if (files[index].file_name[0] != '\0' &&
                output_file_exists(request->output_directory, files[index].file_name))
                return error_set(error, SHIMGEN_EXIT_OUTPUT, "%s/%s exists (use --force to overwrite)",
                                 request->output_directory, files[index].file_name);
    for (size_t index = 0; rc == 0 && index < file_count; index++) {
        FILE *out;

        if (files[index].file_name[0] == '\0')
            continue;
        out = output_open(request->output_directory, files[index].file_name, error);

        if (out == NULL)
            return SHIMGEN_EXIT_OUTPUT;
        files[index].write(out, plan);
        rc = output_close(out, files[index].file_name, error);
    }
    return rc;
}

int wrap_run(const wrap_request *request, FILE *warnings, error_message *error)
{
    file_bytes file;
    pe_image image;
    pe_export_table table;
    pe_resource_list resources;
    wrap_plan plan;
    int rc;

    memset(&table, 0, sizeof table);
    memset(&resources, 0, sizeof resources);
    memset(&plan, 0, sizeof plan);
    rc = file_bytes_read(request->input_path, &file, error);
    if (rc != 0)
        return rc;
    rc = pe_image_open(&image, file.data, file.size, error);
    if (rc == 0)
        rc = pe_read_exports(&image, &table, error);
    if (rc == 0)
        rc = wrap_plan_build(request, &image, &table, &plan, warnings, error);
    if (rc == 0) {
        error_message resource_error = { "" };

        /* The exports are what the front must have; a broken resource tree
         * costs only the resources. */
        if (pe_read_resources(&image, &resources, &resource_error) == 0 &&
            resources.count > PE_RESOURCES_IN_OBJECT_MAX)
            error_set(&resource_error, SHIMGEN_EXIT_MALFORMED, "%zu resources, more than one object holds",
                      resources.count);
        if (resource_error.text[0] == '\0')
            wrap_plan_add_resources(&plan, &resources);
        else if (warnings != NULL)
            fprintf(warnings, "shimgen: warning: %s: the resources are not copied into the front: %s\n",
                    request->input_path, resource_error.text);
        rc = write_project(request, &plan, error);
        if (rc == 0)
            wrap_plan_print_typing(stdout, &plan);
    }
    wrap_plan_free(&plan);
    pe_resource_list_free(&resources);
    pe_export_table_free(&table);
    file_bytes_free(&file);
    return rc;
}

const char wrap_usage[] =
    "usage: shimgen wrap FILE -o DIR [--name NAME] [--intercept SYMBOL,#ORDINAL,...]\n"
    "                    [--header HEADER [-I DIR]... [-D MACRO[=VALUE]]...]\n"
    "                    [--prototype 'TYPE SYMBOL(TYPE NAME, ...)']... [--include HEADER]...\n"
    "                    [--twinshim DIR] [--force]\n";

void wrap_print_help(FILE *out)
{
    fprintf(out, "\n"
                 "Writes a twinshim project into DIR (created if missing). The front keeps\n"
                 "FILE's name and extension (NAME.EXT); the original is installed next to it\n"
                 "as NAME_orig.dll and the worker is NAME_worker.dll (a '.' in NAME becomes\n"
                 "'_' in both). The generated files are named after IDENT, NAME made a C\n"
                 "identifier ('7z' gives dll_7z, 'libstdc++-6' gives libstdc___6):\n"
                 "  IDENT.def          every export, forwarded to NAME_orig.dll with its ordinal,\n"
                 "                     NONAME and DATA, or pointed at a stub\n"
                 "  IDENT_front.c      the front's configuration and the intercepting stubs\n"
                 "  IDENT_call_record.h what a stub sends the worker\n"
                 "  IDENT_worker.c     the worker plugin (logs calls to $IDENT_SHIM_LOG, upper case)\n"
                 "  IDENT_resources.obj the original's resources, linked into the front (if any)\n"
                 "  CMakeLists.txt, README.md\n"
                 "  -o, --output DIR   the folder to write\n"
                 "  --name NAME        the front's name without extension (default: FILE's);\n"
                 "                     letters, digits and \"_-.+~\"\n"
                 "  --intercept LIST   exports to intercept: names, #ORDINAL for ordinal-only ones,\n"
                 "                     or shell patterns ('inflate*', '*': every code export)\n"
                 "  --header HEADER    the DLL's C header: every intercepted export it declares\n"
                 "                     gets a typed stub (arguments, result, last error and\n"
                 "                     duration in the trace); the others, and variadic ones,\n"
                 "                     keep the observing stub. Without --intercept: all of them\n"
                 "  -I DIR, -D MACRO   for --header: an include folder, a macro (repeatable)\n"
                 "  --prototype DECL   the C prototype of an intercepted export (repeatable), with\n"
                 "                     the export named as the DLL spells it: 'int f(int a)',\n"
                 "                     'void ?f@@YAXH@Z(int a)', 'int _f@8(int a, int b)',\n"
                 "                     'long #3(void *p)'. Without it the stub observes the raw\n"
                 "                     argument registers and jumps to the original\n"
                 "  --include HEADER   a header the front includes after windows.h, for the\n"
                 "                     prototypes' types (repeatable): types.h, \"types.h\" or <types.h>\n"
                 "  --twinshim DIR     a twinshim source tree (holding CMakeLists.txt and\n"
                 "                     cmake/TwinshimFunctions.cmake) the project builds the\n"
                 "                     runtimes from by default; without it the project uses\n"
                 "                     the installed package (find_package(twinshim))\n"
                 "  --force            overwrite files that already exist in DIR, and write a\n"
                 "                     project for an API-set name (exit 8 without it)\n"
                 "  --help             this text\n");
}

/* The value after the option at argv[*index], or NULL when it is missing. */
static const char *option_value(int argc, char **argv, int *index)
{
    if (*index + 1 >= argc)
        return NULL;
    return argv[++*index];
}

/* The value of "-I DIR" or "-IDIR" at argv[*index], or NULL when missing. */
static const char *short_option_value(int argc, char **argv, int *index)
{
    return argv[*index][2] != '\0' ? argv[*index] + 2 : option_value(argc, argv, index);
}

/* The lists the repeatable options fill; each has room for argc entries,
 * more than argv can hold. */
enum {
    LIST_INTERCEPTS,
    LIST_PROTOTYPES,
    LIST_INCLUDES,
    LIST_INCLUDE_DIRS,
    LIST_DEFINES,
    LIST_COUNT
};

/* Fills `request` from argv. */
static int parse_wrap_options(int argc, char **argv, wrap_request *request, const char **lists[LIST_COUNT])
{
    size_t include_dir_count = 0;
    size_t define_count = 0;

    /* Says so to the static analyser, which otherwise takes &request->field
     * for a pointer that may be NULL. */
    assert(request != NULL);
    for (int index = 1; index < argc; index++) {
        const char *option = argv[index];
        const char **value_slot = NULL;

        if (strcmp(option, "-o") == 0 || strcmp(option, "--output") == 0)
            value_slot = &request->output_directory;
        else if (strcmp(option, "--name") == 0)
            value_slot = &request->name;
        else if (strcmp(option, "--twinshim") == 0)
            value_slot = &request->twinshim_source_dir;
        else if (strcmp(option, "--intercept") == 0)
            value_slot = &lists[LIST_INTERCEPTS][request->intercept_list_count++];
        else if (strcmp(option, "--prototype") == 0)
            value_slot = &lists[LIST_PROTOTYPES][request->prototype_count++];
        else if (strcmp(option, "--include") == 0)
            value_slot = &lists[LIST_INCLUDES][request->include_count++];
        else if (strcmp(option, "--header") == 0)
            value_slot = &request->header;
        else if (strncmp(option, "-I", 2) == 0 || strncmp(option, "-D", 2) == 0) {
            const char *value = short_option_value(argc, argv, &index);

            if (value == NULL || value[0] == '\0')
                return command_usage_error(wrap_usage, "wrap: %.2s needs a value", option);
            if (option[1] == 'I')
                lists[LIST_INCLUDE_DIRS][include_dir_count++] = value;
            else
                lists[LIST_DEFINES][define_count++] = value;
        } else if (strcmp(option, "--force") == 0)
            request->force = true;
        else if (command_is_option(option))
            return command_usage_error(wrap_usage, "wrap: unknown option %s", option);
        else if (request->input_path != NULL)
            return command_usage_error(wrap_usage, "wrap: one FILE only, but got %s and %s",
                                       request->input_path, option);
        else
            request->input_path = option;
        if (value_slot != NULL && (*value_slot = option_value(argc, argv, &index)) == NULL)
            return command_usage_error(wrap_usage, "wrap: %s needs a value", option);
    }
    if (request->input_path == NULL)
        return command_usage_error(wrap_usage, "wrap: no FILE given");
    if (request->output_directory == NULL)
        return command_usage_error(wrap_usage, "wrap: no output folder given (-o DIR)");
    if (request->header == NULL && include_dir_count + define_count > 0)
        return command_usage_error(wrap_usage, "wrap: -I and -D are for --header, which is missing");
    request->intercept_lists = lists[LIST_INTERCEPTS];
    request->prototypes = lists[LIST_PROTOTYPES];
    request->includes = lists[LIST_INCLUDES];
    request->header_include_dirs = lists[LIST_INCLUDE_DIRS];
    request->header_include_dir_count = include_dir_count;
    request->header_defines = lists[LIST_DEFINES];
    request->header_define_count = define_count;
    return SHIMGEN_EXIT_OK;
}

int wrap_main(int argc, char **argv)
{
    const char **values;
    const char **lists[LIST_COUNT];
    wrap_request request = { .twinshim_source_dir = NULL };
    char twinshim_tree[4096];
    error_message error = { "" };
    int rc;

    for (int index = 1; index < argc; index++)
        if (command_asks_for_help(argv[index])) {
            fputs(wrap_usage, stdout);
            wrap_print_help(stdout);
            printf("\n%s", command_exit_codes_help);
            return SHIMGEN_EXIT_OK;
        }
    values = calloc((size_t)argc * LIST_COUNT, sizeof *values);
    if (values == NULL) {
        fputs("shimgen: out of memory\n", stderr);
        return SHIMGEN_EXIT_INTERNAL;
    }
    for (int list = 0; list < LIST_COUNT; list++)
        lists[list] = values + (size_t)list * (size_t)argc;
    rc = parse_wrap_options(argc, argv, &request, lists);
    if (rc == SHIMGEN_EXIT_OK && request.twinshim_source_dir != NULL) {
        rc = command_report(twinshim_tree_resolve(request.twinshim_source_dir, twinshim_tree,
                                                  sizeof twinshim_tree, &error),
                            "wrap", &error);
        request.twinshim_source_dir = twinshim_tree;
    }
    if (rc == SHIMGEN_EXIT_OK)
        rc = command_report(wrap_run(&request, stderr, &error), request.input_path, &error);
    if (rc == SHIMGEN_EXIT_OK)
        printf("shimgen: wrote the project for %s into %s\n", request.input_path, request.output_directory);
    free(values);
    return rc;
}
