/* A legacy program that calls ExitProcess while two threads keep calling the
 * wrapped legacy_add, with detach_caller.dll set to call legacy_add again
 * from its DLL_PROCESS_DETACH (host_test/test_exit_hang.c).
 *   exit_hang_child.exe after|before <result file>
 * "after": detach_caller.dll is loaded after legacy.dll, so it detaches
 * first, while the front is still attached; "before": loaded first, it
 * detaches after the front. Every file is in this program's folder. */
#include <wchar.h>

#include "detach_caller.h"
#include "test_support.h"

enum {
    EXIT_DETACHES_FIRST = 47,
    EXIT_DETACHES_LAST = 48,
    EXIT_BAD_USAGE = 2,
    EXIT_SETUP_FAILED = 3,
    EXIT_WRONG_RESULT = 4,
    CALLERS = 2,
    CALLS_BEFORE_EXIT = 100
};

static detach_caller_add_function legacy_add;
static volatile LONG calls_made[CALLERS];
static volatile LONG wrong_results;

static DWORD WINAPI keep_calling(void *parameter)
{
    volatile LONG *made = parameter;

    /* Until the exit ends this thread. */
    for (int i = 0; i >= 0; i = (i + 1) % 100000) {
        if (legacy_add(i, 2 * i) != 3 * i)
            InterlockedIncrement(&wrong_results);
        InterlockedIncrement(made);
    }
    return 0;
}

static HMODULE load_beside_me(const wchar_t *name)
{
    wchar_t path[MAX_PATH];
    DWORD length = GetModuleFileNameW(NULL, path, MAX_PATH);

    if (length == 0 || length >= MAX_PATH)
        return NULL;
    while (length > 0 && path[length - 1] != L'\\')
        length--;
    if (length + wcslen(name) >= MAX_PATH)
        return NULL;
    wcscpy(path + length, name);
    return LoadLibraryW(path);
}

int wmain(int argc, wchar_t **argv)
{
    BOOL detaches_first;
    HMODULE caller;
    HMODULE legacy;
    HANDLE result_file;
    detach_caller_arm_function arm;

    if (argc != 3)
        return EXIT_BAD_USAGE;
    detaches_first = wcscmp(argv[1], L"after") == 0;
    if (!detaches_first && wcscmp(argv[1], L"before") != 0)
        return EXIT_BAD_USAGE;
    /* Modules detach at exit in the reverse of the order they attached. */
    if (detaches_first) {
        legacy = load_beside_me(L"legacy.dll");
        caller = load_beside_me(L"detach_caller.dll");
    } else {
        caller = load_beside_me(L"detach_caller.dll");
        legacy = load_beside_me(L"legacy.dll");
    }
    if (legacy == NULL || caller == NULL)
        return EXIT_SETUP_FAILED;
    legacy_add = (detach_caller_add_function)(void (*)(void))GetProcAddress(legacy, "legacy_add");
    arm = (detach_caller_arm_function)(void (*)(void))GetProcAddress(caller, "detach_caller_arm");
    result_file = CreateFileW(argv[2], GENERIC_WRITE, FILE_SHARE_READ, NULL, CREATE_ALWAYS, 0, NULL);
    if (legacy_add == NULL || arm == NULL || result_file == INVALID_HANDLE_VALUE)
        return EXIT_SETUP_FAILED;
    arm(legacy_add, result_file);
    /* The plugin has started and written once before the exit: what it is
     * handed at exit is then written, not lost to a start still under way. */
    if (legacy_add(-1, 1) != 0 || !file_filled_within(L"TWINSHIM_EXAMPLE_LOG", TEST_DEADLINE_MS))
        return EXIT_SETUP_FAILED;

    for (int i = 0; i < CALLERS; i++) {
        HANDLE thread = CreateThread(NULL, 0, keep_calling, (void *)&calls_made[i], 0, NULL);
        if (thread == NULL)
            return EXIT_SETUP_FAILED;
        CloseHandle(thread);
    }
    for (int i = 0; i < CALLERS; i++)
        if (!counter_reaches_within(&calls_made[i], CALLS_BEFORE_EXIT, TEST_DEADLINE_MS))
            return EXIT_SETUP_FAILED;
    if (InterlockedCompareExchange(&wrong_results, 0, 0) != 0)
        ExitProcess(EXIT_WRONG_RESULT);
    ExitProcess(detaches_first ? EXIT_DETACHES_FIRST
                               : EXIT_DETACHES_LAST); /* the callers are still calling */
}
