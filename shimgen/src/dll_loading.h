/* What the Windows and Wine loaders will do with a DLL of a given file name
 * placed in the program's folder: `wrap` warns and writes it into the README,
 * `check` reports it. */
#ifndef SHIMGEN_DLL_LOADING_H
#define SHIMGEN_DLL_LOADING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where Wine's PE builtins live, per architecture (x86_64-windows,
 * i386-windows), unless SHIMGEN_WINE_DLL_ROOT names another folder. */
#define DLL_LOADING_WINE_ROOT "/usr/lib/x86_64-linux-gnu/wine"

typedef struct dll_loading {
    /* api-ms-win-* or ext-ms-*: resolved through the API-set schema to a
     * system DLL, never loaded from a file of that name. */
    bool is_api_set;
    /* Windows maps it from \KnownDLLs, ignoring the program's folder. */
    bool is_known_dll;
    /* Wine has a builtin of that name, which it prefers to the program's
     * folder unless WINEDLLOVERRIDES says "n,b". */
    bool wine_has_builtin;
    char wine_folder[4096];             /* where the builtin was looked for */
    char wine_builtin_path[4096 + 256]; /* the builtin, when there is one */
} dll_loading;

/* `file_name` is the DLL's file name without a folder; `pe32_plus` chooses
 * Wine's 64-bit or 32-bit builtins. Reads at most the start of one file. */
void dll_loading_examine(const char *file_name, bool pe32_plus, dll_loading *loading);

/* Whether `bytes` start with the DOS stub Wine gives its own PE DLLs. */
bool dll_loading_is_wine_builtin(const uint8_t *bytes, size_t size);

#endif
