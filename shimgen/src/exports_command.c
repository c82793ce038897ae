#include <string.h>

#include "command_line.h"
#include "exit_codes.h"
#include "exports_command.h"
#include "exports_output.h"
#include "file_bytes.h"
#include "pe_exports.h"
#include "pe_image.h"

int exports_run(const char *path, bool as_json, FILE *out, error_message *error)
{
    file_bytes file;
    pe_image image;
    pe_export_table table;
    int rc;

    memset(&table, 0, sizeof table);
    rc = file_bytes_read(path, &file, error);
    if (rc != 0)
        return rc;
    rc = pe_image_open(&image, file.data, file.size, error);
    if (rc == 0)
        rc = pe_read_exports(&image, &table, error);
    if (rc == 0) {
        if (as_json)
            exports_print_json(out, &table);
        else
            exports_print_table(out, path, &image, &table);
    }
    pe_export_table_free(&table);
    file_bytes_free(&file);
    return rc;
}

const char exports_usage[] = "usage: shimgen exports [--json] FILE\n";

const char exports_help[] = "\n"
                            "Lists FILE's export table like dumpbin /exports: ordinal, RVA, kind (code,\n"
                            "data or forwarder), name ([NONAME] for ordinal-only exports) and the\n"
                            "forwarder string.\n"
                            "  --json   a JSON array of objects with ordinal, name (null if none), rva\n"
                            "           (number), data and forwarder (null if none)\n"
                            "  --help   this text\n";

int exports_main(int argc, char **argv)
{
    const char *path = NULL;
    bool as_json = false;
    error_message error = { "" };

    for (int index = 1; index < argc; index++) {
        if (command_asks_for_help(argv[index])) {
            printf("%s%s\n%s", exports_usage, exports_help, command_exit_codes_help);
            return SHIMGEN_EXIT_OK;
        }
        if (strcmp(argv[index], "--json") == 0)
            as_json = true;
        else if (command_is_option(argv[index]))
            return command_usage_error(exports_usage, "exports: unknown option %s", argv[index]);
        else if (path != NULL)
            return command_usage_error(exports_usage, "exports: one FILE only, but got %s and %s", path,
                                       argv[index]);
        else
            path = argv[index];
    }
    if (path == NULL)
        return command_usage_error(exports_usage, "exports: no FILE given");
    return command_report(exports_run(path, as_json, stdout, &error), path, &error);
}
