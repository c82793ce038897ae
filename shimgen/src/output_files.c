/* mkdir() and stat() are POSIX; -std=c11 hides them unless asked for. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "exit_codes.h"
#include "output_files.h"

#ifdef _WIN32
#include <direct.h>
#define make_one_directory(path) _mkdir(path)
#else
#define make_one_directory(path) mkdir((path), 0777)
#endif

enum {
    PATH_CAPACITY = 4096
};

static bool is_directory(const char *path)
{
    struct stat status;

    return stat(path, &status) == 0 && S_ISDIR(status.st_mode);
}

int output_make_directory(const char *path, error_message *error)
{
    char partial[PATH_CAPACITY];
    size_t length = strlen(path);

    if (length == 0 || length >= sizeof partial)
        return error_set(error, SHIMGEN_EXIT_OUTPUT, "%s: unusable output folder name", path);
    memcpy(partial, path, length + 1);
    /* Each parent first, so "-o out/legacy" works in a fresh checkout. */
    for (size_t at = 1; at <= length; at++) {
        if (partial[at] != '/' && partial[at] != '\0')
            continue;
        partial[at] = '\0';
        if (!is_directory(partial) && make_one_directory(partial) != 0 && errno != EEXIST)
            return error_set(error, SHIMGEN_EXIT_OUTPUT, "%s: cannot create folder: %s", partial,
                             strerror(errno));
        partial[at] = path[at];
    }
    if (!is_directory(path))
        return error_set(error, SHIMGEN_EXIT_OUTPUT, "%s: exists and is not a folder", path);
    return 0;
}

static bool join(char *buffer, size_t capacity, const char *directory, const char *file_name)
{
    int length = snprintf(buffer, capacity, "%s/%s", directory, file_name);

    return length > 0 && (size_t)length < capacity;
}

bool output_file_exists(const char *directory, const char *file_name)
{
    char path[PATH_CAPACITY];
    struct stat status;

    return join(path, sizeof path, directory, file_name) && stat(path, &status) == 0;
}

FILE *output_open(const char *directory, const char *file_name, error_message *error)
{
    char path[PATH_CAPACITY];
    FILE *file;

    if (!join(path, sizeof path, directory, file_name)) {
        error_set(error, SHIMGEN_EXIT_OUTPUT, "%s/%s: path too long", directory, file_name);
        return NULL;
    }
    /* Binary: the .res is bytes, and "\n" line ends suit every generated text file. */
    file = fopen(path, "wb");
    if (file == NULL)
        error_set(error, SHIMGEN_EXIT_OUTPUT, "%s: cannot write: %s", path, strerror(errno));
    return file;
}

int output_close(FILE *file, const char *file_name, error_message *error)
{
    bool failed = ferror(file) != 0;

    if (fclose(file) != 0)
        failed = true;
    return failed ? error_set(error, SHIMGEN_EXIT_OUTPUT, "%s: write failed", file_name) : 0;
}
