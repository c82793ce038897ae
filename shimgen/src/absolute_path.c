/* realpath() is X/Open; -std=c11 hides it unless asked for. */
#define _XOPEN_SOURCE 700 /* NOLINT(bugprone-reserved-identifier): the name POSIX gives */

#include <stdlib.h>
#include <string.h>

#include "absolute_path.h"

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

int absolute_path_of(const char *path, char *absolute, size_t capacity)
{
#ifdef _WIN32
    char *resolved = _fullpath(NULL, path, 0);
#else
    char *resolved = realpath(path, NULL);
#endif
    size_t length;
    int rc = 0;

    if (resolved == NULL)
        return -1;
    length = strlen(resolved);
    for (size_t at = 0; at < length; at++)
        if (resolved[at] == '\\')
            resolved[at] = '/';
    if (length >= capacity || !fits_a_cmake_string(resolved))
        rc = -2;
    else
        memcpy(absolute, resolved, length + 1);
    free(resolved);
    return rc;
}
