#include <stdio.h>
#include <wchar.h>

#include <windows.h>

#include "host_modules.h"

/* Whether `name` has the extension of a module a program may load. */
static int is_module_file(const wchar_t *name)
{
    static const wchar_t *const extensions[] = { L".dll", L".ocx", L".drv", L".cpl", L".ax" };
    const wchar_t *dot = wcsrchr(name, L'.');

    for (size_t i = 0; dot != NULL && i < sizeof extensions / sizeof extensions[0]; i++) {
        if (_wcsicmp(dot, extensions[i]) == 0)
            return 1;
    }
    return 0;
}

/* Counts modules loaded from `folder` (it ends in a backslash); names them
 * when `print` is set. Each module file of the folder is looked up with
 * GetModuleHandleW, which holds the loader lock. Not a module snapshot:
 * Wine's CreateToolhelp32Snapshot and EnumProcessModules walk the loader's
 * list without that lock, and can loop for ever when another thread unloads
 * a module meanwhile, as the worker does after FreeLibrary
 * (docs/wine-vs-windows.md). */
static int modules_left_in(const wchar_t *folder, int print)
{
    wchar_t path[MAX_PATH];
    WIN32_FIND_DATAW found;
    size_t folder_length = wcslen(folder);
    HANDLE search;
    int count = 0;

    if (folder_length + 2 > MAX_PATH)
        return -1;
    wcscpy(path, folder);
    wcscpy(path + folder_length, L"*");
    search = FindFirstFileW(path, &found);
    if (search == INVALID_HANDLE_VALUE)
        return -1;
    do {
        if ((found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) || !is_module_file(found.cFileName) ||
            folder_length + wcslen(found.cFileName) >= MAX_PATH)
            continue;
        wcscpy(path + folder_length, found.cFileName);
        if (GetModuleHandleW(path) != NULL) {
            count++;
            if (print)
                printf("  still loaded: %ls\n", found.cFileName);
        }
    } while (FindNextFileW(search, &found));
    FindClose(search);
    return count;
}

int host_modules_left_after_free(void)
{
    wchar_t folder[MAX_PATH];
    DWORD length = GetModuleFileNameW(NULL, folder, MAX_PATH);
    int left = -1;

    if (length == 0 || length >= MAX_PATH)
        return -1;
    while (length > 0 && folder[length - 1] != L'\\')
        folder[--length] = L'\0';
    for (DWORD start = GetTickCount(); GetTickCount() - start < 10000; Sleep(10)) {
        left = modules_left_in(folder, 0);
        if (left == 0)
            break;
    }
    printf("after FreeLibrary: modules from this folder still loaded: %d\n", left);
    if (left != 0)
        modules_left_in(folder, 1);
    return left;
}
