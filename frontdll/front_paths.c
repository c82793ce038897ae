#include <string.h>
#include <wchar.h>

#include "front_state.h"

int shim__sibling_path(HINSTANCE self, const wchar_t *file_name, wchar_t *path, size_t capacity)
{
    DWORD length;
    size_t folder_length;
    size_t name_length;

    if (file_name == NULL || path == NULL || capacity == 0 || capacity > MAXDWORD)
        return SHIM_E_INVALID_ARGUMENT;
    length = GetModuleFileNameW(self, path, (DWORD)capacity);
    if (length == 0)
        return SHIM_E_SYSTEM;
    if (length >= capacity)
        return SHIM_E_PATH_TOO_LONG;

    folder_length = length;
    while (folder_length > 0 && path[folder_length - 1] != L'\\' && path[folder_length - 1] != L'/')
        folder_length--;
    if (folder_length == 0)
        return SHIM_E_SYSTEM; /* the loader always reports a full path */

    name_length = wcslen(file_name);
    if (name_length >= capacity - folder_length)
        return SHIM_E_PATH_TOO_LONG;
    memcpy(path + folder_length, file_name, (name_length + 1) * sizeof *path);
    return SHIM_OK;
}
