/* `shimgen check`: the DLLs of a deployed folder, read from their bytes. */
#ifndef SHIMGEN_CHECK_FILES_H
#define SHIMGEN_CHECK_FILES_H

#include <stdbool.h>
#include <stddef.h>

#include "error_message.h"
#include "file_bytes.h"
#include "pe_exports.h"
#include "pe_image.h"
#include "pe_resources.h"

#define CHECK_NAME_MAX 256

/* The regular files of one folder, by name. */
typedef struct folder_listing {
    size_t count;
    char (*names)[CHECK_NAME_MAX];
} folder_listing;

/* Returns 0 or SHIMGEN_EXIT_UNREADABLE (no such folder) / SHIMGEN_EXIT_INTERNAL. */
int folder_list(const char *folder, folder_listing *listing, error_message *error);
void folder_listing_free(folder_listing *listing);

/* The file whose name is `name` without case (Windows and Wine look names up
 * that way), or NULL. */
const char *folder_find(const folder_listing *listing, const char *name);

/* One DLL of the folder, with its export table and resources. */
typedef struct checked_dll {
    char path[4096 + CHECK_NAME_MAX];
    const char *file_name;
    file_bytes file;
    pe_image image;
    pe_export_table exports;
    pe_resource_list resources;
} checked_dll;

/* Reads FOLDER/NAME whole. Returns 0 or a shimgen exit code with the reason. */
int checked_dll_open(checked_dll *dll, const char *folder, const char *name, error_message *error);
void checked_dll_close(checked_dll *dll);

/* The ASCII text after `tag` in the file, stored as UTF-16LE (wide) or as
 * bytes, up to its terminating NUL: false when the tag is not there. */
bool checked_dll_find_tag(const checked_dll *dll, const char *tag, bool wide, char *value, size_t capacity);

#endif
