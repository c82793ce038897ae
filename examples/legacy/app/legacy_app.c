/* A legacy program, compiled once against the original legacy.dll and never
 * changed. Built twice from this file:
 *   legacy_app.exe      takes legacy.dll from its import table at start;
 *   legacy_loader.exe   (LEGACY_APP_LOADS_AT_RUN_TIME) loads it with
 *                       LoadLibrary, uses it, frees it, and then checks that
 *                       nothing it loaded from its folder stays behind.
 * Usage: legacy_app.exe [calls]   (default 5 calls to legacy_add) */
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#include <windows.h>

#ifndef LEGACY_APP_LOADS_AT_RUN_TIME
#include "legacy.h"
#endif

typedef int (*add_function)(int, int);
typedef int (*int_function)(void);

typedef struct legacy_api {
    add_function add;
    int_function version;
    int_function secret;
    long *counter;
} legacy_api;

static int use_legacy(const legacy_api *api, int calls)
{
    int failures = 0;

    printf("legacy_version() = %d, legacy_secret() by ordinal = 0x%x\n", api->version(),
           (unsigned)api->secret());
    for (int i = 0; i < calls; i++) {
        int result = api->add(i, 10 * i);
        if (result != 11 * i)
            failures++;
        printf("legacy_add(%d, %d) = %d\n", i, 10 * i, result);
    }
    printf("calls made: %d, legacy_counter = %ld, wrong results: %d\n", calls, *api->counter, failures);
    return failures;
}

#ifdef LEGACY_APP_LOADS_AT_RUN_TIME
static int exe_folder(wchar_t *folder, DWORD capacity)
{
    DWORD length = GetModuleFileNameW(NULL, folder, capacity);

    if (length == 0 || length >= capacity)
        return 0;
    while (length > 0 && folder[length - 1] != L'\\')
        folder[--length] = L'\0';
    return length > 0;
}

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

static int run(int calls)
{
    wchar_t folder[MAX_PATH];
    wchar_t path[MAX_PATH];
    HMODULE legacy;
    legacy_api api;
    int failures;
    int left = -1;

    if (!exe_folder(folder, MAX_PATH) || _snwprintf(path, MAX_PATH, L"%lslegacy.dll", folder) < 0)
        return 2;
    legacy = LoadLibraryW(path);
    if (legacy == NULL) {
        printf("LoadLibrary(legacy.dll) failed: error %lu\n", GetLastError());
        return 2;
    }
    api.add = (add_function)(void (*)(void))GetProcAddress(legacy, "legacy_add");
    api.version = (int_function)(void (*)(void))GetProcAddress(legacy, "legacy_version");
    api.secret = (int_function)(void (*)(void))GetProcAddress(legacy, MAKEINTRESOURCEA(3));
    api.counter = (long *)(void *)GetProcAddress(legacy, "legacy_counter");
    if (!api.add || !api.version || !api.secret || !api.counter) {
        printf("legacy.dll lacks an export: error %lu\n", GetLastError());
        FreeLibrary(legacy);
        return 2;
    }
    failures = use_legacy(&api, calls);
    FreeLibrary(legacy);

    /* Plugins may finish background work after FreeLibrary returns: give
     * them up to ten seconds to leave, then report what stayed. */
    for (DWORD start = GetTickCount(); GetTickCount() - start < 10000; Sleep(10)) {
        left = modules_left_in(folder, 0);
        if (left == 0)
            break;
    }
    printf("after FreeLibrary: modules from this folder still loaded: %d\n", left);
    if (left != 0)
        modules_left_in(folder, 1);
    return failures != 0 || left != 0;
}
#else
static int run(int calls)
{
    legacy_api api = {
        .add = legacy_add,
        .version = legacy_version,
        .counter = &legacy_counter,
    };

    api.secret = (int_function)(void (*)(void))GetProcAddress(GetModuleHandleW(L"legacy.dll"),
                                                              MAKEINTRESOURCEA(LEGACY_SECRET_ORDINAL));
    if (api.secret == NULL) {
        printf("legacy.dll lacks ordinal %d: error %lu\n", LEGACY_SECRET_ORDINAL, GetLastError());
        return 2;
    }
    return use_legacy(&api, calls) != 0;
}
#endif

int main(int argc, char **argv)
{
    int calls = argc > 1 ? atoi(argv[1]) : 5;

    setvbuf(stdout, NULL, _IONBF, 0);
    return run(calls < 0 ? 0 : calls);
}
