/* Paths the generated CMakeLists.txt names: absolute (CMake resolves a
 * relative one against the project, not the caller's folder), with '/'
 * separators, and free of what a quoted CMake string reads as syntax. */
#ifndef SHIMGEN_ABSOLUTE_PATH_H
#define SHIMGEN_ABSOLUTE_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* Writes the absolute form of an existing `path` into `absolute`. Returns
 * 0; -1 when it does not exist; -2 when it does not fit or holds '"', '$',
 * '\' (after the separators are made '/'), ';' or a control character. */
int absolute_path_of(const char *path, char *absolute, size_t capacity);

#endif
