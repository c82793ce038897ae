/* A program for the file-name end-to-end test: it loads the DLL named on its
 * command line from its own folder, calls legacy_add a given number of
 * times, frees the DLL and reports whether any module from its folder stayed
 * loaded, as examples/legacy/app/legacy_app.c does. Its output must not depend on whether the DLL is wrapped.
 * Usage: named_host.exe FILE_NAME CALLS */
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#include <windows.h>
#include <tlhelp32.h>

typedef int (*add_function)(int a, int b);

/* Counts modules, other than this program, loaded from this program's
 * folder; names them when `print` is set. */
static int modules_left_in_own_folder(int print)
{
    wchar_t folder[MAX_PATH];
    DWORD length = GetModuleFileNameW(NULL, folder, MAX_PATH);
    HANDLE snapshot;
    MODULEENTRY32W entry = { .dwSize = sizeof entry };
    HMODULE self = GetModuleHandleW(NULL);
    int count = 0;

    if (length == 0 || length >= MAX_PATH)
        return -1;
    while (length > 0 && folder[length - 1] != L'\\')
        folder[--length] = L'\0';
    snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPMODULE, 0);
    if (snapshot == INVALID_HANDLE_VALUE)
        return -1;
    for (BOOL more = Module32FirstW(snapshot, &entry); more; more = Module32NextW(snapshot, &entry))
        if (entry.hModule != self && _wcsnicmp(entry.szExePath, folder, length) == 0) {
            count++;
            if (print)
                printf("  still loaded: %ls\n", entry.szModule);
        }
    CloseHandle(snapshot);
    return count;
}

int main(int argc, char **argv)
{
    HMODULE library;
    add_function add;
    int calls;
    int wrong = 0;
    int left = -1;

    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc != 3 || (calls = atoi(argv[2])) <= 0) {
        fprintf(stderr, "usage: named_host FILE_NAME CALLS\n");
        return 2;
    }
    library = LoadLibraryA(argv[1]);
    if (library == NULL) {
        printf("LoadLibrary(%s) failed: error %lu\n", argv[1], GetLastError());
        return 2;
    }
    add = (add_function)(void (*)(void))GetProcAddress(library, "legacy_add");
    if (add == NULL) {
        printf("%s has no legacy_add: error %lu\n", argv[1], GetLastError());
        return 2;
    }
    for (int call = 0; call < calls; call++)
        wrong += add(call, 10 * call) != 11 * call;
    printf("calls made: %d, wrong results: %d\n", calls, wrong);
    FreeLibrary(library);
    /* The worker drains and unloads itself, and frees the original, after
     * FreeLibrary returns: wait for the folder to empty, for at most ten
     * seconds, then report what stayed. */
    for (DWORD start = GetTickCount(); GetTickCount() - start < 10000; Sleep(10)) {
        left = modules_left_in_own_folder(0);
        if (left == 0)
            break;
    }
    printf("after FreeLibrary: modules from this folder still loaded: %d\n", left);
    if (left != 0)
        modules_left_in_own_folder(1);
    return wrong == 0 && left == 0 ? 0 : 1;
}
