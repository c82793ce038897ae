/* `wrap --twinshim DIR`: the twinshim source tree a generated project falls
 * back to instead of the installed package. */
#ifndef SHIMGEN_TWINSHIM_TREE_H
#define SHIMGEN_TWINSHIM_TREE_H

#include <stddef.h>

#include "error_message.h"

/* Writes DIR as an absolute path with '/' separators into `absolute` (the
 * generated CMakeLists.txt would resolve a relative one against the project,
 * not the caller's folder) after checking that it holds twinshim's
 * CMakeLists.txt and cmake/TwinshimFunctions.cmake. Returns 0, or
 * SHIMGEN_EXIT_BAD_REQUEST with a reason naming --twinshim in `error`. */
int twinshim_tree_resolve(const char *directory, char *absolute, size_t capacity, error_message *error);

#endif
