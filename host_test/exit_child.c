/* A child process that exits while twinshim work is in flight; the process-
 * exit test checks that it ends with its own exit code and never hangs.
 *   exit_child.exe <mode> <fixture folder>   mode: pending, draining, before-start,
 *                                            releasing
 *   exit_child_import_table.exe              takes test_front.dll from its
 *                                            import table, exits with work queued */
#include <stdio.h>
#include <string.h>

#include "test_support.h"
#include "twinshim/status.h"

enum {
    JOBS = 200,
    EXIT_BAD_USAGE = 2,
    EXIT_SETUP_FAILED = 3
};

#ifdef EXIT_CHILD_IMPORTS_FRONT
int test_front_post_job(const test_job *job);

int main(void)
{
    static job_counters counters;
    HANDLE gate = CreateEventW(NULL, TRUE, FALSE, NULL);
    test_job job = job_for(&counters, gate);

    if (!end_process_at_access_violation())
        return EXIT_SETUP_FAILED;
    for (int i = 0; i < JOBS; i++)
        if (test_front_post_job(&job) != SHIM_OK)
            return EXIT_SETUP_FAILED;
    if (!counter_reaches_within(&counters.started, 1, TEST_DEADLINE_MS))
        return EXIT_SETUP_FAILED;
    return 44; /* the CRT calls ExitProcess with jobs blocked and queued */
}
#else
/* The front is unloaded, and its session thread is held in its last trace,
 * after it closed the journals and released the queue: the exit comes
 * while the session is being freed, and must pass it by. */
static int exit_while_the_session_is_freed(const wchar_t *folder)
{
    static job_counters counters;
    test_job job = job_for(&counters, NULL);
    HANDLE reached = CreateEventW(NULL, TRUE, FALSE, NULL);
    wchar_t text[32];
    test_front front;

    /* `reached` lives as long as the process (the session thread sets it),
     * and every return below ends the process, which closes it. */
    if (reached == NULL)
        return EXIT_SETUP_FAILED;
    _snwprintf(text, 32, L"%llu", (unsigned long long)(ULONG_PTR)reached);
    if (!SetEnvironmentVariableW(TEST_WORKER_HOLD_RELEASE_VARIABLE, text) || !load_test_front(folder, &front))
        return EXIT_SETUP_FAILED; /* cppcheck-suppress resourceLeak */
    for (int i = 0; i < JOBS; i++)
        if (front.post_job(&job) != SHIM_OK)
            return EXIT_SETUP_FAILED; /* cppcheck-suppress resourceLeak */
    if (!free_library_within(front.module, TEST_DEADLINE_MS, NULL) ||
        WaitForSingleObject(reached, TEST_DEADLINE_MS) != WAIT_OBJECT_0 || counters.ran != JOBS)
        return EXIT_SETUP_FAILED; /* cppcheck-suppress resourceLeak */
    ExitProcess(46);
}

int wmain(int argc, wchar_t **argv)
{
    static job_counters counters;
    HANDLE gate = CreateEventW(NULL, TRUE, FALSE, NULL);
    test_job job = job_for(&counters, gate);
    test_front front;

    if (argc != 3 || gate == NULL)
        return EXIT_BAD_USAGE;
    if (!end_process_at_access_violation())
        return EXIT_SETUP_FAILED;
    if (wcscmp(argv[1], L"releasing") == 0)
        return exit_while_the_session_is_freed(argv[2]);
    if (!load_test_front(argv[2], &front))
        return EXIT_SETUP_FAILED;
    if (wcscmp(argv[1], L"before-start") == 0)
        ExitProcess(45); /* the session thread may not have run yet */

    for (int i = 0; i < JOBS; i++)
        if (front.post_job(&job) != SHIM_OK)
            return EXIT_SETUP_FAILED;
    if (!counter_reaches_within(&counters.started, 1, TEST_DEADLINE_MS))
        return EXIT_SETUP_FAILED;
    if (wcscmp(argv[1], L"pending") == 0)
        ExitProcess(42);
    if (wcscmp(argv[1], L"draining") == 0) {
        /* The session thread is now blocked in its drain. */
        if (!free_library_within(front.module, TEST_DEADLINE_MS, NULL))
            return EXIT_SETUP_FAILED;
        ExitProcess(43);
    }
    return EXIT_BAD_USAGE;
}
#endif
