/* realpath() is X/Open; -std=c11 hides it unless asked for. */
#define _XOPEN_SOURCE 700 /* NOLINT(bugprone-reserved-identifier): the name POSIX gives */

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exit_codes.h"
#include "twinshim_tree.h"

static bool is_regular_file(const char *folder, const char *relative)
{
    char path[4096 + 64];
    struct stat status;

    if (snprintf(path, sizeof path, "%s/%s", folder, relative) >= (int)sizeof path)
        return false;
    return stat(path, &status) == 0 && S_ISREG(status.st_mode);
}

/* The path goes into a quoted CMake string: a quote, '$' or '\' would be
 * read as syntax there, ';' splits it into a list, and a control character
 * cannot be written. */
static bool fits_a_cmake_string(const char *path)
{
    for (const char *at = path; *at != '\0'; at++)
        if (*at == '"' || *at == '$' || *at == '\\' || *at == ';' || (unsigned char)*at < 0x20)
            return false;
    return true;
}

int twinshim_tree_resolve(const char *directory, char *absolute, size_t capacity, error_message *error)
{
#ifdef _WIN32
    char *resolved = _fullpath(NULL, directory, 0);
#else
    char *resolved = realpath(directory, NULL);
#endif
    size_t length;

    if (resolved == NULL)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "--twinshim %s: no such folder", directory);
    length = strlen(resolved);
    for (size_t at = 0; at < length; at++)
        if (resolved[at] == '\\')
            resolved[at] = '/';
    if (!is_regular_file(resolved, "CMakeLists.txt") ||
        !is_regular_file(resolved, "cmake/TwinshimFunctions.cmake")) {
        free(resolved);
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                         "--twinshim %s: not a twinshim source tree (it needs CMakeLists.txt and "
                         "cmake/TwinshimFunctions.cmake)",
                         directory);
    }
    if (length >= capacity || !fits_a_cmake_string(resolved)) {
        free(resolved);
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                         "--twinshim %s: a path too long or holding '\"', '$', '\\' or ';', which CMake "
                         "would misread",
                         directory);
    }
    memcpy(absolute, resolved, length + 1);
    free(resolved);
    return 0;
}
