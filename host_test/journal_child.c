/* A legacy program that dies while it calls the wrapped legacy_add, and the
 * one that starts after it (host_test/test_journal_survival.c and
 * host_test/journal-kill.sh):
 *   journal_child.exe terminate <calls> <count file>
 *       makes <calls> calls, then TerminateProcess on itself;
 *   journal_child.exe terminate-racing <calls> <count file>
 *       calls without end; another thread calls TerminateProcess once
 *       <calls> have returned, while the calls go on;
 *   journal_child.exe crash <calls> <count file>
 *       makes <calls> calls, then an unhandled access violation;
 *   journal_child.exe forever <spacing in us> <count file>
 *       calls until killed from outside, <spacing> apart (0: flat out);
 *   journal_child.exe terminate-early <calls> <count file> <first call>
 *       holds the loader lock from before it loads legacy.dll to its end,
 *       so that the worker's session thread never begins (a new thread's
 *       attach waits for that lock) and the plugin never starts: makes
 *       calls <first call> to <first call> + <calls> - 1, then
 *       TerminateProcess on itself;
 *   journal_child.exe recover
 *       loads legacy.dll, unloads it and waits until its worker is gone:
 *       the session delivers what dead processes' journals hold.
 * Call i is legacy_add(i, 1000000). After call i returns, i + 1 is stored
 * in <count file> (a mapped file of its own, so that it outlives the
 * process, however it dies): the count of calls that returned, those of the
 * runs before this one included when <first call> continues their count.
 * Every file is in this program's folder but the count file. */
#include <stdlib.h>
#include <wchar.h>

#include "journal_child.h"
#include "test_support.h"

typedef int (*add_function)(int a, int b);

static add_function legacy_add;
static volatile LONG *returned_calls;
static LONG kill_after;

static HMODULE load_legacy(void)
{
    wchar_t path[MAX_PATH];
    DWORD length = GetModuleFileNameW(NULL, path, MAX_PATH);

    if (length == 0 || length >= MAX_PATH)
        return NULL;
    while (length > 0 && path[length - 1] != L'\\')
        length--;
    if (length + wcslen(L"legacy.dll") >= MAX_PATH)
        return NULL;
    wcscpy(path + length, L"legacy.dll");
    return LoadLibraryW(path);
}

static volatile LONG *map_count_file(const wchar_t *path)
{
    HANDLE file = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                              OPEN_ALWAYS, 0, NULL);
    HANDLE mapping;
    volatile LONG *count;

    if (file == INVALID_HANDLE_VALUE)
        return NULL;
    mapping = CreateFileMappingW(file, NULL, PAGE_READWRITE, 0, sizeof(LONG), NULL);
    CloseHandle(file);
    if (mapping == NULL)
        return NULL;
    count = MapViewOfFile(mapping, FILE_MAP_WRITE, 0, 0, sizeof(LONG));
    CloseHandle(mapping);
    if (count != NULL)
        InterlockedExchange(count, 0);
    return count;
}

/* Call i, then the count: a call is counted once it has returned. */
static int call(LONG i)
{
    if (legacy_add((int)i, JOURNAL_CHILD_B) != (int)i + JOURNAL_CHILD_B)
        return 0;
    InterlockedExchange(returned_calls, i + 1);
    return 1;
}

static void spin_for(LONGLONG ticks)
{
    LARGE_INTEGER start;
    LARGE_INTEGER now;

    QueryPerformanceCounter(&start);
    do {
        YieldProcessor();
        QueryPerformanceCounter(&now);
    } while (now.QuadPart - start.QuadPart < ticks);
}

static DWORD WINAPI terminate_when_counted(void *parameter)
{
    (void)parameter;
    while (InterlockedCompareExchange(returned_calls, 0, 0) < kill_after)
        SwitchToThread();
    TerminateProcess(GetCurrentProcess(), JOURNAL_CHILD_TERMINATED);
    return 0;
}

/* What Windows Error Reporting does with a crash, without its dialog or a
 * debugger (which Wine starts, and which would give the pool time to write
 * the records): the process ends with the exception's code, as by
 * TerminateProcess, and no DLL gets a detach (docs/wine-vs-windows.md). */
static LONG WINAPI end_at_once(EXCEPTION_POINTERS *exception)
{
    (void)exception;
    return EXCEPTION_EXECUTE_HANDLER;
}

typedef LONG(NTAPI *lock_loader_function)(ULONG flags, ULONG *result, ULONG_PTR *magic);

/* Takes the loader lock for good (the process dies holding it). The lock is
 * a critical section, which this thread may enter again: its LoadLibrary
 * and GetProcAddress still work, while every other thread waits for it. */
static BOOL hold_the_loader_lock(void)
{
    lock_loader_function lock_loader =
        (lock_loader_function)(void (*)(void))GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
                                                             "LdrLockLoaderLock");
    ULONG_PTR magic = 0;

    return lock_loader != NULL && lock_loader(0, NULL, &magic) == 0;
}

/* Dies before the plugin could start, the way a short program does whose
 * session thread has not run yet: the calls' records are in the journal
 * only. Every outcome ends in TerminateProcess: a return would run the
 * DLLs' detach with the loader lock held and the session never started. */
static void terminate_before_the_plugin_starts(LONG first_call, LONG calls)
{
    DWORD exit_code = JOURNAL_CHILD_SETUP_FAILED;
    HMODULE legacy = NULL;

    if (hold_the_loader_lock())
        legacy = load_legacy();
    if (legacy != NULL)
        legacy_add = (add_function)(void (*)(void))GetProcAddress(legacy, "legacy_add");
    if (legacy_add != NULL) {
        exit_code = JOURNAL_CHILD_TERMINATED;
        for (LONG i = first_call; i < first_call + calls; i++) {
            if (!call(i)) {
                exit_code = JOURNAL_CHILD_WRONG_RESULT;
                break;
            }
        }
    }
    TerminateProcess(GetCurrentProcess(), exit_code);
}

static int recover(void)
{
    HMODULE legacy = load_legacy();

    if (legacy == NULL)
        return JOURNAL_CHILD_SETUP_FAILED;
    /* The drain delivers the recovered journals too; the worker unloads
     * once it has. */
    FreeLibrary(legacy);
    return module_gone_within(L"legacy_worker.dll", TEST_DEADLINE_MS) ? JOURNAL_CHILD_RECOVERED
                                                                      : JOURNAL_CHILD_SETUP_FAILED;
}

int wmain(int argc, wchar_t **argv)
{
    LONG calls;

    if (argc == 2 && wcscmp(argv[1], L"recover") == 0)
        return recover();
    if (argc == 5 && wcscmp(argv[1], L"terminate-early") == 0) {
        returned_calls = map_count_file(argv[3]);
        if (returned_calls == NULL)
            return JOURNAL_CHILD_SETUP_FAILED;
        terminate_before_the_plugin_starts((LONG)wcstol(argv[4], NULL, 10), (LONG)wcstol(argv[2], NULL, 10));
        return JOURNAL_CHILD_SETUP_FAILED; /* TerminateProcess failed */
    }
    if (argc != 4)
        return JOURNAL_CHILD_BAD_USAGE;
    SetUnhandledExceptionFilter(end_at_once);
    calls = (LONG)wcstol(argv[2], NULL, 10);
    returned_calls = map_count_file(argv[3]);
    if (returned_calls == NULL || load_legacy() == NULL)
        return JOURNAL_CHILD_SETUP_FAILED;
    legacy_add = (add_function)(void (*)(void))GetProcAddress(GetModuleHandleW(L"legacy.dll"), "legacy_add");
    if (legacy_add == NULL)
        return JOURNAL_CHILD_SETUP_FAILED;

    if (wcscmp(argv[1], L"terminate-racing") == 0) {
        HANDLE killer;

        kill_after = calls;
        killer = CreateThread(NULL, 0, terminate_when_counted, NULL, 0, NULL);
        if (killer == NULL)
            return JOURNAL_CHILD_SETUP_FAILED;
        for (LONG i = 0;; i++)
            if (!call(i))
                return JOURNAL_CHILD_WRONG_RESULT;
    }
    if (wcscmp(argv[1], L"forever") == 0) {
        LARGE_INTEGER frequency;

        QueryPerformanceFrequency(&frequency);
        for (LONG i = 0;; i++) {
            if (!call(i))
                return JOURNAL_CHILD_WRONG_RESULT;
            if (calls > 0)
                spin_for(frequency.QuadPart * calls / 1000000);
        }
    }
    for (LONG i = 0; i < calls; i++)
        if (!call(i))
            return JOURNAL_CHILD_WRONG_RESULT;
    if (wcscmp(argv[1], L"terminate") == 0)
        TerminateProcess(GetCurrentProcess(), JOURNAL_CHILD_TERMINATED);
    if (wcscmp(argv[1], L"crash") == 0)
        *(volatile int *)(ULONG_PTR)16 = 0;
    return JOURNAL_CHILD_BAD_USAGE;
}
