/* A legacy program that returns from main right after its last call to the
 * wrapped legacy_add, so that audit records are still queued (or being
 * drained) when the process exits. Built twice:
 *   legacy_exit_child.exe <calls> keep|free   loads legacy.dll from its own
 *       folder with LoadLibrary; "free" calls FreeLibrary before returning,
 *       so the session is still draining at exit;
 *   legacy_exit_child_import_table.exe <calls>   takes legacy.dll from its
 *       import table.
 * Call i is legacy_add(i, 100 * i). The first call's audit line is awaited
 * in the log (TWINSHIM_EXAMPLE_LOG) before the others are made: messages
 * posted before the plugin's on_start has returned cannot be handed to it at
 * exit, and this child is about the ones posted after. (It also puts the
 * log's first write before the exit: see fixtures/detach_caller.c.) */
#include <stdlib.h>
#include <wchar.h>

#include "test_support.h"

enum {
    EXIT_CALLS_RETURNED = 0,
    EXIT_BAD_USAGE = 2,
    EXIT_SETUP_FAILED = 3,
    EXIT_WRONG_RESULT = 4
};

typedef int (*add_function)(int a, int b);

#ifdef LEGACY_EXIT_CHILD_IMPORTS_FRONT
#include "legacy.h"
#endif

static int make_calls(add_function add, int calls)
{
    if (add(0, 0) != 0)
        return EXIT_WRONG_RESULT;
    /* Half the parent's deadline: a line that never comes is told apart
     * from an exit that hangs. */
    if (!file_filled_within(L"TWINSHIM_EXAMPLE_LOG", TEST_DEADLINE_MS / 2))
        return EXIT_SETUP_FAILED;
    for (int i = 1; i < calls; i++)
        if (add(i, 100 * i) != 101 * i)
            return EXIT_WRONG_RESULT;
    return EXIT_CALLS_RETURNED;
}

#ifdef LEGACY_EXIT_CHILD_IMPORTS_FRONT
int wmain(int argc, wchar_t **argv)
{
    if (argc != 2)
        return EXIT_BAD_USAGE;
    if (!end_process_at_access_violation())
        return EXIT_SETUP_FAILED;
    return make_calls(legacy_add, _wtoi(argv[1])); /* the CRT then calls ExitProcess */
}
#else
int wmain(int argc, wchar_t **argv)
{
    wchar_t path[MAX_PATH];
    DWORD length = GetModuleFileNameW(NULL, path, MAX_PATH);
    HMODULE legacy;
    add_function add;
    int result;

    if (argc != 3 || length == 0 || length >= MAX_PATH)
        return EXIT_BAD_USAGE;
    if (!end_process_at_access_violation())
        return EXIT_SETUP_FAILED;
    while (length > 0 && path[length - 1] != L'\\')
        length--;
    if (length + wcslen(L"legacy.dll") >= MAX_PATH)
        return EXIT_BAD_USAGE;
    wcscpy(path + length, L"legacy.dll");
    legacy = LoadLibraryW(path);
    if (legacy == NULL)
        return EXIT_SETUP_FAILED;
    add = (add_function)(void (*)(void))GetProcAddress(legacy, "legacy_add");
    if (add == NULL)
        return EXIT_SETUP_FAILED;
    result = make_calls(add, _wtoi(argv[1]));
    if (wcscmp(argv[2], L"free") == 0)
        FreeLibrary(legacy);
    return result;
}
#endif
