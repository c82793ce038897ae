/* A child process for test_torture_exit.c: it ends while twinshim work is in
 * flight, in phases exit_child.c does not cover.
 *   torture_exit_child.exe <mode> <fixture folder> [ready event handle]
 * modes:
 *   exit-in-callback         a work callback calls ExitProcess(46), while another
 *                            callback is blocked and more work is queued
 *   exit-in-callback-drain   the same, once the front is freed and the session
 *                            thread is in its drain (47)
 *   wait-for-terminate       signals the ready event with work running, then
 *                            waits for the parent's TerminateProcess
 *   wait-for-terminate-drain the same, during the drain
 *   exit-while-reloading     ExitProcess(49) while another thread loads and
 *                            frees the front in a loop (any phase: attach,
 *                            session start, work, drain) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "test_support.h"
#include "twinshim/status.h"

enum {
    JOBS = 100,
    EXIT_BAD_USAGE = 2,
    EXIT_SETUP_FAILED = 3,
    EXIT_NOT_TERMINATED = 4,
    EXIT_IN_CALLBACK = 46,
    EXIT_IN_CALLBACK_DRAIN = 47,
    EXIT_WHILE_RELOADING = 49,
    RELOADS_BEFORE_EXIT = 20,
};

static job_counters counters;
static job_counters exit_counters;
static volatile LONG trace_events;
static volatile LONG reloads;
static const wchar_t *front_folder;

/* Runs first, so that the trace events reach the child. */
static bool observe(test_front *front)
{
    static job_counters observe_counters;
    test_job job = job_for(&observe_counters, NULL);

    job.kind = TEST_JOB_OBSERVE;
    job.trace_events = &trace_events;
    return front->post_job(&job) == SHIM_OK &&
           counter_reaches_within(&observe_counters.ran, 1, TEST_DEADLINE_MS);
}

/* One callback blocked on `gate`, then the exit job (blocked on exit_gate if
 * set), then JOBS more queued behind them. */
static bool fill(test_front *front, HANDLE gate, HANDLE exit_gate, UINT exit_code)
{
    test_job blocked = job_for(&counters, gate);
    test_job exit_job = job_for(&exit_counters, exit_gate);
    test_job queued = job_for(&counters, NULL);

    exit_job.kind = TEST_JOB_EXIT_PROCESS;
    exit_job.exit_code = exit_code;
    if (front->post_job(&blocked) != SHIM_OK || front->post_job(&exit_job) != SHIM_OK)
        return false;
    for (int i = 0; i < JOBS; i++)
        if (front->post_job(&queued) != SHIM_OK)
            return false;
    return true;
}

static bool free_and_wait_for_drain(test_front *front)
{
    return free_library_within(front->module, TEST_DEADLINE_MS, NULL) &&
           bits_set_within(&trace_events, 1L << SHIM_TRACE_STOP_RECEIVED, TEST_DEADLINE_MS);
}

static DWORD WINAPI reloading_thread(void *unused)
{
    wchar_t path[TEST_PATH_CAPACITY];
    test_job job = job_for(&counters, NULL);

    (void)unused;
    _snwprintf(path, TEST_PATH_CAPACITY, L"%lstest_front.dll", front_folder);
    for (;;) {
        HMODULE front = LoadLibraryW(path);
        test_post_job_function post;
        if (front == NULL)
            return 1;
        post = (test_post_job_function)(void (*)(void))GetProcAddress(front, "test_front_post_job");
        for (int i = 0; post != NULL && i < 10; i++)
            post(&job);
        FreeLibrary(front);
        InterlockedIncrement(&reloads);
    }
}

int wmain(int argc, wchar_t **argv)
{
    HANDLE gate = CreateEventW(NULL, TRUE, FALSE, NULL);
    HANDLE exit_gate = CreateEventW(NULL, TRUE, FALSE, NULL);
    const wchar_t *mode;
    test_front front;

    if (argc < 3 || gate == NULL || exit_gate == NULL)
        return EXIT_BAD_USAGE;
    /* The events live as long as the process: every return ends it. */
    if (!end_process_at_access_violation())
        return EXIT_SETUP_FAILED; /* cppcheck-suppress resourceLeak */
    mode = argv[1];
    front_folder = argv[2];
    if (wcscmp(mode, L"exit-while-reloading") == 0) {
        HANDLE thread = CreateThread(NULL, 0, reloading_thread, NULL, 0, NULL);
        /* The child process ends here, which closes the events and the thread. */
        if (thread == NULL || !counter_reaches_within(&reloads, RELOADS_BEFORE_EXIT, TEST_DEADLINE_MS))
            return EXIT_SETUP_FAILED; /* cppcheck-suppress resourceLeak */
        ExitProcess(EXIT_WHILE_RELOADING);
    }
    if (!load_test_front(front_folder, &front) || !observe(&front))
        return EXIT_SETUP_FAILED;

    if (wcscmp(mode, L"exit-in-callback") == 0) {
        if (!fill(&front, gate, NULL, EXIT_IN_CALLBACK))
            return EXIT_SETUP_FAILED;
        /* The exit job ends the process: waiting longer is a failure. */
        counter_reaches_within(&exit_counters.ran, 1, TEST_DEADLINE_MS);
        return EXIT_SETUP_FAILED;
    }
    if (wcscmp(mode, L"exit-in-callback-drain") == 0) {
        if (!fill(&front, gate, exit_gate, EXIT_IN_CALLBACK_DRAIN) ||
            !counter_reaches_within(&exit_counters.started, 1, TEST_DEADLINE_MS) ||
            !free_and_wait_for_drain(&front))
            return EXIT_SETUP_FAILED;
        SetEvent(exit_gate);
        counter_reaches_within(&exit_counters.ran, 1, TEST_DEADLINE_MS);
        return EXIT_SETUP_FAILED;
    }
    if (wcsncmp(mode, L"wait-for-terminate", 18) == 0 && argc == 4) {
        HANDLE ready = (HANDLE)(ULONG_PTR)wcstoull(argv[3], NULL, 10);
        test_job blocked = job_for(&counters, gate);
        for (int i = 0; i < JOBS; i++)
            if (front.post_job(&blocked) != SHIM_OK)
                return EXIT_SETUP_FAILED;
        if (!counter_reaches_within(&counters.started, 1, TEST_DEADLINE_MS))
            return EXIT_SETUP_FAILED;
        if (wcscmp(mode, L"wait-for-terminate-drain") == 0 && !free_and_wait_for_drain(&front))
            return EXIT_SETUP_FAILED;
        SetEvent(ready);
        WaitForSingleObject(gate, TEST_DEADLINE_MS); /* nobody sets it: the parent terminates us */
        return EXIT_NOT_TERMINATED;
    }
    return EXIT_BAD_USAGE;
}
