#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dll_loading.h"
#include "known_dlls.h"

/* Wine writes it right after the 64-byte DOS header of every PE DLL it builds. */
static const char wine_builtin_marker[] = "Wine builtin DLL";
enum {
    WINE_MARKER_OFFSET = 0x40
};

bool dll_loading_is_wine_builtin(const uint8_t *bytes, size_t size)
{
    size_t length = sizeof wine_builtin_marker - 1;

    return size >= WINE_MARKER_OFFSET + length &&
           memcmp(bytes + WINE_MARKER_OFFSET, wine_builtin_marker, length) == 0;
}

static bool starts_with_ignoring_case(const char *text, const char *prefix)
{
    for (; *prefix != '\0'; text++, prefix++)
        if (tolower((unsigned char)*text) != *prefix)
            return false;
    return true;
}

/* The name without ".dll" (any case), or false for another extension: only
 * .dll names are KnownDLLs. */
static bool dll_stem(const char *file_name, char *stem, size_t capacity)
{
    size_t length = strlen(file_name);

    if (length <= 4 || length - 4 >= capacity || !starts_with_ignoring_case(file_name + length - 4, ".dll"))
        return false;
    memcpy(stem, file_name, length - 4);
    stem[length - 4] = '\0';
    return true;
}

static bool file_is_wine_builtin(const char *path)
{
    uint8_t start[WINE_MARKER_OFFSET + sizeof wine_builtin_marker];
    FILE *file = fopen(path, "rb");
    size_t got;

    if (file == NULL)
        return false;
    got = fread(start, 1, sizeof start, file);
    fclose(file);
    return dll_loading_is_wine_builtin(start, got);
}

void dll_loading_examine(const char *file_name, bool pe32_plus, dll_loading *loading)
{
    const char *root = getenv("SHIMGEN_WINE_DLL_ROOT");
    char stem[256];
    char lower[256];
    size_t length = strlen(file_name);

    memset(loading, 0, sizeof *loading);
    loading->is_api_set = starts_with_ignoring_case(file_name, "api-ms-win-") ||
                          starts_with_ignoring_case(file_name, "ext-ms-");
    loading->is_known_dll = dll_stem(file_name, stem, sizeof stem) && is_known_dll(stem);
    snprintf(loading->wine_folder, sizeof loading->wine_folder, "%s/%s",
             root != NULL && root[0] != '\0' ? root : DLL_LOADING_WINE_ROOT,
             pe32_plus ? "x86_64-windows" : "i386-windows");
    /* Wine installs its builtins in lower case and matches names without case. */
    if (length >= sizeof lower)
        return;
    for (size_t at = 0; at <= length; at++)
        lower[at] = (char)tolower((unsigned char)file_name[at]);
    snprintf(loading->wine_builtin_path, sizeof loading->wine_builtin_path, "%s/%s", loading->wine_folder,
             lower);
    loading->wine_has_builtin = file_is_wine_builtin(loading->wine_builtin_path);
    if (!loading->wine_has_builtin)
        loading->wine_builtin_path[0] = '\0';
}
