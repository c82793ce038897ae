#include <string.h>

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
