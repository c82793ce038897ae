#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>

#include "absolute_path.h"
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

int twinshim_tree_resolve(const char *directory, char *absolute, size_t capacity, error_message *error)
{
    int rc = absolute_path_of(directory, absolute, capacity);

    if (rc == -1)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "--twinshim %s: no such folder", directory);
    if (rc == -2)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                         "--twinshim %s: a path too long or holding '\"', '$', '\\' or ';', which CMake "
                         "would misread",
                         directory);
    if (!is_regular_file(absolute, "CMakeLists.txt") ||
        !is_regular_file(absolute, "cmake/TwinshimFunctions.cmake"))
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                         "--twinshim %s: not a twinshim source tree (it needs CMakeLists.txt and "
                         "cmake/TwinshimFunctions.cmake)",
                         directory);
    return 0;
}
