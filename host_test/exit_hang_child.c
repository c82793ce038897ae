/* A legacy program that calls ExitProcess while two threads keep calling the
 * wrapped legacy_add, with detach_caller.dll set to call legacy_add again
 * from its DLL_PROCESS_DETACH (host_test/test_exit_hang.c).
 *   exit_hang_child.exe after|before <result file> <progress mapping handle>
 * "after": detach_caller.dll is loaded after legacy.dll, so it detaches
 * first, while the front is still attached; "before": loaded first, it
 * detaches after the front. Every file is in this program's folder. How
 * far it got goes to the inherited mapping (exit_hang_progress.h).
 *
 * Every call queues an audit record, which the exit hands to the plugin if
 * the pool has not written it yet. Two callers left alone while the main
 * thread waited for a CPU queued 3,000-176,000 records (the exit then took
 * up to 9 s): here they stay within MOST_CALLS_AHEAD calls of the main
 * thread, which calls beside them, and are let run on when it exits. */
#include <wchar.h>

#include "detach_caller.h"
#include "exit_hang_progress.h"
#include "test_support.h"

enum {
    EXIT_DETACHES_FIRST = 47,
    EXIT_DETACHES_LAST = 48,
    EXIT_BAD_USAGE = 2,
    EXIT_SETUP_FAILED = 3,
    EXIT_WRONG_RESULT = 4,
    MAIN_CALLS_BEFORE_EXIT = 1000,
    MAIN_CALLS_LIMIT = 8000,
    CALLS_BETWEEN_LOOKS = 32,
    MOST_CALLS_AHEAD = 256,
    /* The kill reaches the callers some 100 us after ExitProcess, and a
     * caller makes 5-10 calls a microsecond. */
    CALLS_AHEAD_DURING_EXIT = 4000,
    SPINS_PER_YIELD = 256
};

static detach_caller_add_function legacy_add;
static volatile LONG wrong_results;
static exit_hang_progress *progress;

static void call_once(LONG call)
{
    int i = (int)(call % 100000);

    if (legacy_add(i, 2 * i) != 3 * i)
        InterlockedIncrement(&wrong_results);
}

/* Calls until the exit ends this thread. Too far ahead of the main thread,
 * it spins, so that it calls again as soon as the main thread does, and
 * now and then gives its CPU away, so that the main thread gets one. */
static DWORD WINAPI keep_calling(void *parameter)
{
    LONG caller = (LONG)(ULONG_PTR)parameter;
    volatile LONG *made = &progress->calls_made[caller];
    unsigned waits = 0;

    for (LONG call = 0; call >= 0; call = *made) {
        if (call - progress->main_calls >= progress->calls_allowed_ahead) {
            if (++waits % SPINS_PER_YIELD == 0)
                SwitchToThread();
            else
                YieldProcessor();
            continue;
        }
        progress->in_call[caller] = 1;
        call_once(call);
        progress->in_call[caller] = 0;
        InterlockedIncrement(made);
    }
    return 0;
}

/* True when each caller is calling: it made a call since the last look,
 * or the scheduler stopped it inside one. */
static BOOL callers_are_calling(LONG seen[EXIT_HANG_CALLERS])
{
    BOOL calling = TRUE;

    for (int i = 0; i < EXIT_HANG_CALLERS; i++) {
        LONG made = progress->calls_made[i];

        if (made == seen[i] && !progress->in_call[i])
            calling = FALSE;
        seen[i] = made;
    }
    return calling;
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

static exit_hang_progress *map_progress(const wchar_t *handle_text)
{
    HANDLE mapping = (HANDLE)(ULONG_PTR)wcstoull(handle_text, NULL, 10);

    return MapViewOfFile(mapping, FILE_MAP_WRITE, 0, 0, sizeof(exit_hang_progress));
}

static LONG64 log_size(void)
{
    wchar_t path[MAX_PATH];
    DWORD length = GetEnvironmentVariableW(L"TWINSHIM_EXAMPLE_LOG", path, MAX_PATH);
    WIN32_FILE_ATTRIBUTE_DATA data;

    if (length == 0 || length >= MAX_PATH || !GetFileAttributesExW(path, GetFileExInfoStandard, &data))
        return -1;
    return ((LONG64)data.nFileSizeHigh << 32) | data.nFileSizeLow;
}

static LONG64 now(void)
{
    LARGE_INTEGER counter;

    QueryPerformanceCounter(&counter);
    return counter.QuadPart;
}

/* The two callers have started calling; the main thread then calls beside
 * them until it sees both calling, and returns. */
static BOOL call_beside_the_callers(void)
{
    LONG seen[EXIT_HANG_CALLERS] = { 0 };

    progress->calls_allowed_ahead = MOST_CALLS_AHEAD;
    progress->calling_began = now();
    progress->phase = EXIT_HANG_CALLING;
    for (int i = 0; i < EXIT_HANG_CALLERS; i++) {
        HANDLE thread = CreateThread(NULL, 0, keep_calling, (void *)(ULONG_PTR)i, 0, NULL);
        if (thread == NULL)
            return FALSE;
        CloseHandle(thread);
    }
    for (int i = 0; i < EXIT_HANG_CALLERS; i++)
        if (!counter_reaches_within(&progress->calls_made[i], 1, TEST_DEADLINE_MS))
            return FALSE;
    progress->log_bytes_before_exit = log_size();
    callers_are_calling(seen);
    for (LONG call = 0; call < MAIN_CALLS_LIMIT; call++) {
        call_once(call);
        InterlockedIncrement(&progress->main_calls);
        if (call >= MAIN_CALLS_BEFORE_EXIT && call % CALLS_BETWEEN_LOOKS == 0 && callers_are_calling(seen))
            break;
    }
    return TRUE;
}

int wmain(int argc, wchar_t **argv)
{
    BOOL detaches_first;
    HMODULE caller;
    HMODULE legacy;
    HANDLE result_file;
    detach_caller_arm_function arm;

    if (argc != 4 || (progress = map_progress(argv[3])) == NULL)
        return EXIT_BAD_USAGE;
    detaches_first = wcscmp(argv[1], L"after") == 0;
    if (!detaches_first && wcscmp(argv[1], L"before") != 0)
        return EXIT_BAD_USAGE;
    progress->phase = EXIT_HANG_LOADING;
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
    progress->phase = EXIT_HANG_PLUGIN_STARTING;
    /* The plugin has started and written once before the exit: what it is
     * handed at exit is then written, not lost to a start still under way. */
    if (legacy_add(-1, 1) != 0 || !file_filled_within(L"TWINSHIM_EXAMPLE_LOG", TEST_DEADLINE_MS))
        return EXIT_SETUP_FAILED;

    if (!call_beside_the_callers())
        return EXIT_SETUP_FAILED;
    if (InterlockedCompareExchange(&wrong_results, 0, 0) != 0)
        ExitProcess(EXIT_WRONG_RESULT);
    progress->calls_allowed_ahead = CALLS_AHEAD_DURING_EXIT;
    progress->exit_began = now();
    progress->phase = EXIT_HANG_EXITING;
    ExitProcess(detaches_first ? EXIT_DETACHES_FIRST
                               : EXIT_DETACHES_LAST); /* the callers are still calling */
}
