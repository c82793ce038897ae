/* Process exit never hangs, whatever is calling the front when it comes: two
 * threads keep calling the wrapped legacy_add while the main thread calls
 * ExitProcess, and another DLL calls legacy_add from its own
 * DLL_PROCESS_DETACH, detaching either before the front (loaded after it)
 * or after it (loaded before it). Each of RUNS runs per order must end with
 * the program's own exit code within the deadline; the detach-time call
 * returns the original's result, and its audit record, posted after the
 * exit began, is handed to on_exit_message on the calling thread, so its
 * line is in the log.
 *
 * Without the feature: a post after exit began that went to the queue
 * (which no pool thread will ever serve) would never reach the log, and a
 * hand-over that waited for a lock held by an ended thread would hang the
 * exit. Checked by mutation: with the audit worker's on_exit_message set to
 * NULL, the detach-time line is missing in every run.
 *
 * Under Wine 8 this can still hang, about once in 50 to 200 runs: a thread
 * ended while it waited for the process heap's lock (the callers' posts
 * allocate work items there) leaves Wine's wait-on-address bucket lock held,
 * and the next heap unlock at exit spins on it forever. Seen in the worker's
 * mingw TLS callback at DLL_PROCESS_DETACH (DeleteCriticalSection, then
 * RtlFreeHeap, heap_unlock, RtlWakeAddressSingle). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "detach_caller.h"
#include "test_support.h"

enum {
    RUNS = 100,
    RUN_DEADLINE_MS = 15000, /* a run takes well under 3 s, even on a loaded machine */
    EXIT_DETACHES_FIRST = 47,
    EXIT_DETACHES_LAST = 48
};

static const fixture_file installation[] = {
    { L"legacy.dll", L"legacy.dll", NULL },
    { L"original\\legacy.dll", L"legacy_orig.dll", NULL },
    { L"legacy_worker.dll", L"legacy_worker.dll", NULL },
    { L"detach_caller.dll", L"detach_caller.dll", NULL },
    { L"exit_hang_child.exe", L"exit_hang_child.exe", NULL },
    { L"cmocka.dll", L"cmocka.dll", NULL }, /* through test_support, which the child links */
};
#define INSTALLATION_FILES (sizeof installation / sizeof installation[0])

/* The whole file, NUL-terminated, in a buffer that grows; NULL if unreadable. */
static char *read_whole_file(const wchar_t *path, DWORD *size)
{
    HANDLE file =
        CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    LARGE_INTEGER length;
    char *contents = NULL;

    *size = 0;
    if (file == INVALID_HANDLE_VALUE)
        return NULL;
    if (GetFileSizeEx(file, &length) && length.QuadPart < 256 * 1024 * 1024 &&
        (contents = malloc((size_t)length.QuadPart + 1)) != NULL) {
        if (!ReadFile(file, contents, (DWORD)length.QuadPart, size, NULL))
            *size = 0;
        contents[*size] = '\0';
    }
    CloseHandle(file);
    return contents;
}

static void exits_while_calls_run(const wchar_t *order, DWORD expected_exit_code)
{
    const char *detach_line = "legacy_add(4321, 1000000) = 1004321 [thread ";
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t log_path[TEST_PATH_CAPACITY];
    wchar_t result_path[TEST_PATH_CAPACITY];
    wchar_t arguments[2 * TEST_PATH_CAPACITY];
    LARGE_INTEGER start;
    double slowest_ms = 0;

    assert_true(fixture_folder(L"exit-hang", installation, INSTALLATION_FILES, folder));
    _snwprintf(log_path, TEST_PATH_CAPACITY, L"%lsaudit.log", folder);
    _snwprintf(result_path, TEST_PATH_CAPACITY, L"%lsdetach-result.bin", folder);
    _snwprintf(arguments, 2 * TEST_PATH_CAPACITY, L"%ls \"%ls\"", order, result_path);
    assert_win32(SetEnvironmentVariableW(L"TWINSHIM_EXAMPLE_LOG", log_path));

    for (int run = 0; run < RUNS; run++) {
        detach_caller_result result = { 0 };
        DWORD exit_code;
        DWORD size;
        char *log;
        bool logged;
        double elapsed_ms;

        DeleteFileW(log_path);
        DeleteFileW(result_path);
        QueryPerformanceCounter(&start);
        assert_true(run_child_within(L"fixtures\\exit-hang\\exit_hang_child.exe", arguments, RUN_DEADLINE_MS,
                                     &exit_code));
        elapsed_ms = elapsed_since(start);
        slowest_ms = elapsed_ms > slowest_ms ? elapsed_ms : slowest_ms;
        assert_int_equal(exit_code, expected_exit_code);

        /* The call from the other DLL's detach returned the original's result... */
        log = read_whole_file(result_path, &size);
        assert_non_null(log);
        assert_int_equal(size, sizeof result);
        memcpy(&result, log, sizeof result);
        free(log);
        assert_int_equal(result.magic, DETACH_CALLER_MAGIC);
        assert_int_equal(result.result, DETACH_CALLER_A + DETACH_CALLER_B);

        /* ...and its record reached the plugin on that thread. */
        log = read_whole_file(log_path, &size);
        assert_non_null(log);
        logged = strstr(log, detach_line) != NULL;
        if (!logged)
            print_error("run %d (%ls): the detach-time call is not in the %lu-byte log\n", run, order, size);
        free(log);
        assert_true(logged);
    }
    print_message("exit with detach_caller.dll loaded %ls legacy.dll: %d runs, slowest %.0f ms\n", order,
                  RUNS, slowest_ms);
}

static void exit_with_a_dll_that_detaches_before_the_front(void **state)
{
    (void)state;
    exits_while_calls_run(L"after", EXIT_DETACHES_FIRST);
}

static void exit_with_a_dll_that_detaches_after_the_front(void **state)
{
    (void)state;
    exits_while_calls_run(L"before", EXIT_DETACHES_LAST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(exit_with_a_dll_that_detaches_before_the_front),
        isolated_test(exit_with_a_dll_that_detaches_after_the_front),
    };
    return cmocka_run_group_tests_name("exit_hang", tests, NULL, NULL);
}
