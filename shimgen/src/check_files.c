#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_files.h"
#include "exit_codes.h"
#include "names.h"

static bool is_regular_file(const char *folder, const char *name)
{
    char path[4096 + CHECK_NAME_MAX];
    struct stat status;

    if (snprintf(path, sizeof path, "%s/%s", folder, name) >= (int)sizeof path)
        return false;
    return stat(path, &status) == 0 && S_ISREG(status.st_mode);
}

int folder_list(const char *folder, folder_listing *listing, error_message *error)
{
    DIR *directory = opendir(folder);
    size_t capacity = 0;

    memset(listing, 0, sizeof *listing);
    if (directory == NULL)
        return error_set(error, SHIMGEN_EXIT_UNREADABLE, "cannot open the folder");
    /* shimgen is single-threaded: readdir's static state is ours alone. */
    /* cppcheck-suppress readdirCalled */
    for (struct dirent *entry = readdir(directory); entry != NULL; entry = readdir(directory)) {
        if (strlen(entry->d_name) >= CHECK_NAME_MAX || !is_regular_file(folder, entry->d_name))
            continue;
        if (listing->count == capacity) {
            size_t grown_capacity = capacity == 0 ? 16 : capacity * 2;
            char(*grown)[CHECK_NAME_MAX] = realloc(listing->names, grown_capacity * sizeof *grown);

            if (grown == NULL) {
                closedir(directory);
                return error_set(error, SHIMGEN_EXIT_INTERNAL, "out of memory");
            }
            listing->names = grown;
            capacity = grown_capacity;
        }
        snprintf(listing->names[listing->count++], CHECK_NAME_MAX, "%s", entry->d_name);
    }
    closedir(directory);
    return 0;
}

void folder_listing_free(folder_listing *listing)
{
    free(listing->names);
    listing->names = NULL;
    listing->count = 0;
}

const char *folder_find(const folder_listing *listing, const char *name)
{
    for (size_t index = 0; index < listing->count; index++)
        if (names_equal_ignoring_case(listing->names[index], name))
            return listing->names[index];
    return NULL;
}

int checked_dll_open(checked_dll *dll, const char *folder, const char *name, error_message *error)
{
    int rc;

    memset(dll, 0, sizeof *dll);
    snprintf(dll->path, sizeof dll->path, "%s/%s", folder, name);
    dll->file_name = strrchr(dll->path, '/') + 1;
    rc = file_bytes_read(dll->path, &dll->file, error);
    if (rc == 0)
        rc = pe_image_open(&dll->image, dll->file.data, dll->file.size, error);
    if (rc == 0)
        rc = pe_read_exports(&dll->image, &dll->exports, error);
    if (rc == 0)
        rc = pe_read_resources(&dll->image, &dll->resources, error);
    return rc;
}

void checked_dll_close(checked_dll *dll)
{
    pe_resource_list_free(&dll->resources);
    pe_export_table_free(&dll->exports);
    file_bytes_free(&dll->file);
}

/* Whether the tag, as `wide` or narrow characters, starts at `at`. */
static bool tag_at(const uint8_t *at, size_t left, const char *tag, size_t width)
{
    size_t length = strlen(tag);

    if (left < length * width)
        return false;
    for (size_t index = 0; index < length; index++)
        if (at[index * width] != (uint8_t)tag[index] || (width == 2 && at[index * width + 1] != 0))
            return false;
    return true;
}

bool checked_dll_find_tag(const checked_dll *dll, const char *tag, bool wide, char *value, size_t capacity)
{
    const uint8_t *bytes = dll->file.data;
    size_t size = dll->file.size;
    size_t width = wide ? 2 : 1;

    for (size_t at = 0; at < size; at++) {
        size_t length = 0;
        size_t next;

        if (!tag_at(bytes + at, size - at, tag, width))
            continue;
        for (next = at + strlen(tag) * width; next + width <= size && length + 1 < capacity; next += width) {
            if (bytes[next] == 0 || (width == 2 && bytes[next + 1] != 0))
                break;
            value[length++] = (char)bytes[next];
        }
        value[length] = '\0';
        return true;
    }
    return false;
}
