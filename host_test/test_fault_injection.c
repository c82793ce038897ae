/* Every resource acquisition on the attach path fails in turn, through the
 * test-only fault points (common/fault_injection.h). Each time, the host
 * stays healthy, the front falls back to pass-through with a readable reason
 * (or, for its original DLL, refuses to load; or, for the journal file, the
 * session runs on memory), and nothing leaks: the process's handle count
 * and loaded modules return to their baseline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

/* The fault points a front without an original passes while it attaches,
 * in order (frontdll/front_attach.c):
 *   1. LoadLibraryExW of the worker
 *   2. GetProcAddress of the worker's entry point
 * The thread that releases an unusable worker is a fault point too
 * (front_release.c), but it is reached only after one of these failed. */
#define FRONT_FAULT_POINTS 2
/* The fault points of a session start, in order (workerdll/session_start.c):
 *   1. HeapAlloc of the session
 *   (the journal: its own channel, below; a memory journal's VirtualAlloc
 *    is a point of this channel, reached only when there is no file)
 *   2. CreateThreadpool
 *   3. CreateThreadpoolCleanupGroup
 *   4. CreateThreadpoolWork of the queue's work object
 *   5. CreateThread of the session thread */
#define WORKER_FAULT_POINTS 5
#define MEMORY_JOURNAL_FAULT_POINT 2
/* The journal file's, in order (workerdll/journal_file.c): a failure of any
 * leaves the session on a memory journal.
 *   1. the folders
 *   2. CreateFileW of the file
 *   3. the zeros that allocate its space
 *   4. the mapping and its view */
#define JOURNAL_FAULT_POINTS 4

/* Handles and modules of this process; Wine 8's GetProcessHandleCount is a
 * stub, so process_handle_count asks about each handle value instead. */
typedef struct baseline {
    long handles;
    long modules;
} baseline;

static baseline take_baseline(void)
{
    baseline now;

    /* The front reports pass-through with OutputDebugString, whose first
     * call opens a handle kept for the life of the process. */
    OutputDebugStringW(L"twinshim test: warm-up\n");
    now.handles = process_handle_count();
    now.modules = process_module_count();

    assert_in_range(now.handles, 1, LONG_MAX);
    assert_in_range(now.modules, 1, LONG_MAX);
    return now;
}

static void assert_back_to(const baseline *before)
{
    assert_int_equal(handles_above_baseline_after(before->handles, 5000), 0);
    assert_int_equal(process_module_count(), before->modules);
}

static void set_fault_point(const wchar_t *variable, int point)
{
    wchar_t text[16];

    _snwprintf(text, 16, L"%d", point);
    assert_win32(SetEnvironmentVariableW(variable, point > 0 ? text : NULL));
}

/* One load, use and unload of test_front.dll; returns the front's status. */
static int cycle(const wchar_t *folder)
{
    static job_counters counters;
    test_job job = job_for(&counters, NULL);
    LONG ran_before = counters.ran;
    unsigned long system_error = 0;
    test_front front;
    int status;

    assert_true(load_test_front(folder, &front));
    status = front.status(&system_error);
    assert_int_equal(front.multiply(6, 7), 42); /* legacy exports work either way */
    if (status == SHIM_OK) {
        assert_int_equal(front.post_job(&job), SHIM_OK);
    } else {
        print_message("  pass-through: %s, Windows error %lu\n", shim_status_text(status), system_error);
        assert_int_equal(front.post_job(&job), SHIM_E_PASS_THROUGH);
    }
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_null(GetModuleHandleW(L"test_front.dll"));
    assert_int_equal(counters.ran, ran_before + (status == SHIM_OK ? 1 : 0));
    return status;
}

/* Fails fault point 1, 2, ... of `variable` until a cycle connects. */
static int fail_each_point(const wchar_t *fixture_name, const wchar_t *variable)
{
    wchar_t folder[TEST_PATH_CAPACITY];
    baseline before;
    int failed = 0;

    assert_true(front_and_worker_folder(fixture_name, folder));
    assert_int_equal(cycle(folder), SHIM_OK); /* warm-up: first loads allocate for good */
    before = take_baseline();
    for (int point = 1;; point++) {
        int status;

        set_fault_point(variable, point);
        status = cycle(folder);
        set_fault_point(variable, 0);
        assert_back_to(&before);
        if (status == SHIM_OK)
            break; /* past the last fault point */
        failed++;
    }
    print_message("%ls: %d fault points failed in turn, nothing leaked\n", variable, failed);
    return failed;
}

static void each_front_acquisition_fails_in_turn(void **state)
{
    (void)state;
    assert_int_equal(fail_each_point(L"faults-front", L"TWINSHIM_FAULT_FRONT_AT"), FRONT_FAULT_POINTS);
}

static void each_session_acquisition_fails_in_turn(void **state)
{
    (void)state;
    assert_int_equal(fail_each_point(L"faults-worker", L"TWINSHIM_FAULT_WORKER_AT"), WORKER_FAULT_POINTS);
}

static void failing_to_load_the_original_refuses_the_front(void **state)
{
    const fixture_file wrapped[] = {
        { L"legacy.dll", L"legacy.dll", NULL },
        { L"original\\legacy.dll", L"legacy_orig.dll", NULL },
        { L"legacy_worker.dll", L"legacy_worker.dll", NULL },
    };
    wchar_t folder[TEST_PATH_CAPACITY];
    HMODULE front;
    baseline before;

    (void)state;
    assert_true(fixture_folder(L"faults-original", wrapped, 3, folder));
    front = load_from(folder, L"legacy.dll"); /* warm-up */
    assert_non_null(front);
    assert_true(free_library_within(front, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"legacy_worker.dll", TEST_DEADLINE_MS));
    assert_true(module_gone_within(L"legacy_orig.dll", TEST_DEADLINE_MS));
    before = take_baseline();

    set_fault_point(L"TWINSHIM_FAULT_FRONT_AT", 1); /* with an original, its load is the first point */
    assert_null(load_from(folder, L"legacy.dll"));
    set_fault_point(L"TWINSHIM_FAULT_FRONT_AT", 0);
    assert_null(GetModuleHandleW(L"legacy.dll"));
    assert_null(GetModuleHandleW(L"legacy_orig.dll"));
    assert_null(GetModuleHandleW(L"legacy_worker.dll"));
    assert_back_to(&before);
}

/* A journal file that cannot be made: the session runs on a memory
 * journal, says so in its counters, serves its messages, and leaves no
 * file and no handle behind. */
static void each_journal_acquisition_fails_in_turn(void **state)
{
    static job_counters counters;
    test_job job = job_for(&counters, NULL);
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t journals[TEST_PATH_CAPACITY];
    shim_session_counters session_counters;
    baseline before;
    int failed = 0;

    (void)state;
    memset((void *)&counters, 0, sizeof counters);
    assert_true(fresh_journal_folder(L"faults-journal", journals));
    assert_true(front_and_worker_folder(L"faults-journal", folder));
    assert_int_equal(cycle(folder), SHIM_OK); /* warm-up */
    before = take_baseline();
    for (int point = 1;; point++) {
        test_front front;
        LONG ran_before = counters.ran;

        set_fault_point(L"TWINSHIM_FAULT_JOURNAL_AT", point);
        assert_true(load_test_front(folder, &front));
        set_fault_point(L"TWINSHIM_FAULT_JOURNAL_AT", 0);
        assert_int_equal(front.status(NULL), SHIM_OK);
        assert_int_equal(front.get_counters(&session_counters), SHIM_OK);
        assert_int_equal(front.post_job(&job), SHIM_OK);
        assert_true(counter_reaches_within(&counters.ran, ran_before + 1, TEST_DEADLINE_MS));
        assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
        assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
        assert_back_to(&before);
        assert_int_equal(journal_files_in(journals, L"*.journal"), 0);
        if (session_counters.journal == SHIM_JOURNAL_FILE)
            break; /* past the last fault point */
        assert_int_equal(session_counters.journal, SHIM_JOURNAL_MEMORY);
        failed++;
    }
    print_message("journal: %d fault points failed in turn, each on memory, nothing leaked\n", failed);
    assert_int_equal(failed, JOURNAL_FAULT_POINTS);
}

/* A plugin that keeps its messages in memory, where there is none: the
 * session cannot start, and the front passes through, saying why. */
static void a_memory_journal_that_cannot_be_had_passes_through(void **state)
{
    wchar_t folder[TEST_PATH_CAPACITY];
    unsigned long system_error = 0;
    test_front front;

    (void)state;
    assert_win32(SetEnvironmentVariableW(TEST_WORKER_JOURNAL_VARIABLE, L"memory"));
    assert_true(front_and_worker_folder(L"faults-memory-journal", folder));
    set_fault_point(L"TWINSHIM_FAULT_WORKER_AT", MEMORY_JOURNAL_FAULT_POINT);
    assert_true(load_test_front(folder, &front));
    set_fault_point(L"TWINSHIM_FAULT_WORKER_AT", 0);
    assert_int_equal(front.status(&system_error), SHIM_E_OUT_OF_MEMORY);
    assert_int_equal(front.multiply(6, 7), 42);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(each_front_acquisition_fails_in_turn),
        isolated_test(each_session_acquisition_fails_in_turn),
        isolated_test(failing_to_load_the_original_refuses_the_front),
        isolated_test(each_journal_acquisition_fails_in_turn),
        isolated_test(a_memory_journal_that_cannot_be_had_passes_through),
    };
    return cmocka_run_group_tests_name("fault_injection", tests, NULL, NULL);
}
