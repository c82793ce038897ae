#include <stdio.h>
#include <wchar.h>

#include <windows.h>
#include <tlhelp32.h>

#include "host_modules.h"

/* Counts modules, other than this program, loaded from `folder`; names them
 * when `print` is set. */
static int modules_left_in(const wchar_t *folder, int print)
{
    HANDLE snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPMODULE, 0);
    MODULEENTRY32W entry = { .dwSize = sizeof entry };
    size_t folder_length = wcslen(folder);
    HMODULE self = GetModuleHandleW(NULL);
    int count = 0;

    if (snapshot == INVALID_HANDLE_VALUE)
        return -1;
    for (BOOL more = Module32FirstW(snapshot, &entry); more; more = Module32NextW(snapshot, &entry)) {
        if (entry.hModule != self && _wcsnicmp(entry.szExePath, folder, folder_length) == 0) {
            count++;
            if (print)
                printf("  still loaded: %ls\n", entry.szModule);
        }
    }
    CloseHandle(snapshot);
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
