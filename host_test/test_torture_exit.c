/* Torture: process exit in more phases than test_process_exit.c,
 * each in a child process with a deadline. The child must end with its own
 * exit code (the one ExitProcess or TerminateProcess gave), never hang, and
 * never crash in a DllMain of ours.
 *   - ExitProcess from inside a worker callback, with work running and queued;
 *   - the same while the session thread drains;
 *   - TerminateProcess from the parent while work runs, and during the drain;
 *   - ExitProcess while another thread loads and frees the front in a loop
 *     (under Wine, ExitProcess takes the loader lock first, so it lands
 *     between two loader calls, in whatever phase the session is in).
 * Each runs TWINSHIM_TORTURE_EXIT_RUNS times (CI: 5; host_test/run-torture.sh: 50). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <wchar.h>

#include <cmocka.h>

#include "test_support.h"

enum {
    CI_RUNS = 5,
    TERMINATE_CODE = 48
};

static const wchar_t *pair_folder(void)
{
    static wchar_t folder[TEST_PATH_CAPACITY];

    if (folder[0] == L'\0' && !front_and_worker_folder(L"torture-exit", folder))
        folder[0] = L'\0';
    return folder;
}

/* One run of the child in `mode`; its exit code (0xdead when it hung). */
static DWORD exit_child(const wchar_t *mode)
{
    wchar_t arguments[2 * TEST_PATH_CAPACITY];
    DWORD exit_code;

    /* The folder ends in a backslash: doubled, it does not escape the quote. */
    _snwprintf(arguments, 2 * TEST_PATH_CAPACITY, L"%ls \"%ls\\\"", mode, pair_folder());
    run_child_within(L"torture_exit_child.exe", arguments, TEST_DEADLINE_MS, &exit_code);
    return exit_code;
}

/* Starts the child, waits until it says work is running, terminates it. */
static DWORD terminated_child(const wchar_t *mode)
{
    SECURITY_ATTRIBUTES inheritable = { .nLength = sizeof inheritable, .bInheritHandle = TRUE };
    HANDLE ready = CreateEventW(&inheritable, TRUE, FALSE, NULL);
    wchar_t path[TEST_PATH_CAPACITY];
    wchar_t command_line[3 * TEST_PATH_CAPACITY];
    STARTUPINFOW startup = { .cb = sizeof startup };
    PROCESS_INFORMATION process;
    HANDLE either[2];
    DWORD exit_code = 0xdead;
    DWORD waited;

    if (ready == NULL)
        return exit_code;
    _snwprintf(path, TEST_PATH_CAPACITY, L"%lstorture_exit_child.exe", bin_folder());
    _snwprintf(command_line, 3 * TEST_PATH_CAPACITY, L"\"%ls\" %ls \"%ls\\\" %llu", path, mode, pair_folder(),
               (unsigned long long)(ULONG_PTR)ready);
    if (!CreateProcessW(path, command_line, NULL, NULL, TRUE, 0, NULL, NULL, &startup, &process)) {
        print_error("CreateProcess(%ls) failed: error %lu\n", path, GetLastError());
        CloseHandle(ready);
        return exit_code;
    }
    either[0] = ready;
    either[1] = process.hProcess;
    waited = WaitForMultipleObjects(2, either, FALSE, TEST_DEADLINE_MS);
    if (waited != WAIT_OBJECT_0)
        print_error("%ls: the child did not get ready (wait result %lu)\n", mode, waited);
    /* Terminate it in any case, so that no child outlives the test. */
    TerminateProcess(process.hProcess, TERMINATE_CODE);
    if (WaitForSingleObject(process.hProcess, TEST_DEADLINE_MS) != WAIT_OBJECT_0)
        print_error("%ls: the child did not end within %d ms of TerminateProcess\n", mode, TEST_DEADLINE_MS);
    else if (waited == WAIT_OBJECT_0)
        GetExitCodeProcess(process.hProcess, &exit_code);
    else
        exit_code = 0xbad; /* it ended (or was killed) before it was ready */
    CloseHandle(process.hThread);
    CloseHandle(process.hProcess);
    CloseHandle(ready);
    return exit_code;
}

static void run_mode(const char *scenario, const wchar_t *mode, DWORD expected, bool terminate)
{
    unsigned long runs = torture_size(L"TWINSHIM_TORTURE_EXIT_RUNS", CI_RUNS);
    unsigned long failures = 0;
    LARGE_INTEGER start;
    torture_result result = { .scenario = scenario, .size = runs };

    assert_true(pair_folder()[0] != L'\0');
    QueryPerformanceCounter(&start);
    for (unsigned long run = 0; run < runs; run++) {
        DWORD exit_code = terminate ? terminated_child(mode) : exit_child(mode);
        if (exit_code != expected) {
            print_error("%ls, run %lu: exit code %lu, not %lu\n", mode, run, exit_code, expected);
            failures++;
        }
        result.cycles++;
    }
    result.seconds = elapsed_since(start) / 1000.0;
    result.failures = (long)failures;
    result.process_ends = true;
    result.passed = failures == 0;
    print_torture_result(&result);
    assert_int_equal(failures, 0);
}

static void exit_process_in_a_worker_callback(void **state)
{
    (void)state;
    run_mode("exit-in-callback", L"exit-in-callback", 46, false);
}

static void exit_process_in_a_worker_callback_during_the_drain(void **state)
{
    (void)state;
    run_mode("exit-in-callback-during-drain", L"exit-in-callback-drain", 47, false);
}

static void terminate_process_while_work_runs(void **state)
{
    (void)state;
    run_mode("terminate-while-work-runs", L"wait-for-terminate", TERMINATE_CODE, true);
}

static void terminate_process_during_the_drain(void **state)
{
    (void)state;
    run_mode("terminate-during-drain", L"wait-for-terminate-drain", TERMINATE_CODE, true);
}

static void exit_process_while_another_thread_reloads(void **state)
{
    (void)state;
    run_mode("exit-while-reloading", L"exit-while-reloading", 49, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(exit_process_in_a_worker_callback),
        isolated_test(exit_process_in_a_worker_callback_during_the_drain),
        isolated_test(terminate_process_while_work_runs),
        isolated_test(terminate_process_during_the_drain),
        isolated_test(exit_process_while_another_thread_reloads),
    };
    return cmocka_run_group_tests_name("torture_exit", tests, NULL, NULL);
}
