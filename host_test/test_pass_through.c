/* A front whose worker is missing or unusable still loads, its exports still
 * work, it tells why through shim_front_status, and it leaves nothing loaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

typedef int (*legacy_add_function)(int a, int b);
typedef int (*legacy_version_function)(void);

static void front_in_pass_through(const wchar_t *fixture_name, const fixture_file *files, size_t count,
                                  int expected_status, test_front *front)
{
    wchar_t folder[TEST_PATH_CAPACITY];
    test_job job = { 0 };

    assert_true(fixture_folder(fixture_name, files, count, folder));
    assert_true(load_test_front(folder, front));
    assert_int_equal(front->status(NULL), expected_status);
    assert_int_equal(front->multiply(6, 7), 42);
    assert_int_equal(front->post_job(&job), SHIM_E_PASS_THROUGH);
}

static void missing_worker(void **state)
{
    const fixture_file files[] = { { L"test_front.dll", L"test_front.dll", NULL } };
    unsigned long system_error = 0;
    test_front front;

    (void)state;
    front_in_pass_through(L"pass-missing", files, 1, SHIM_E_WORKER_MISSING, &front);
    assert_int_equal(front.status(&system_error), SHIM_E_WORKER_MISSING);
    assert_int_equal(system_error, ERROR_FILE_NOT_FOUND);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_null(GetModuleHandleW(L"test_front.dll"));
}

static void unusable_worker(const wchar_t *fixture_name, const fixture_file *worker, int expected_status)
{
    fixture_file files[] = { { L"test_front.dll", L"test_front.dll", NULL }, *worker };
    test_front front;

    front_in_pass_through(fixture_name, files, 2, expected_status, &front);
    /* Released by the front's helper thread, not inside DllMain. */
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_null(GetModuleHandleW(L"test_front.dll"));
}

static void worker_of_another_version(void **state)
{
    const fixture_file worker = { L"wrong_version_worker.dll", L"test_worker.dll", NULL };

    (void)state;
    unusable_worker(L"pass-wrong-version", &worker, SHIM_E_VERSION_MISMATCH);
}

static void worker_without_entry_point(void **state)
{
    const fixture_file worker = { L"not_a_worker.dll", L"test_worker.dll", NULL };

    (void)state;
    unusable_worker(L"pass-not-a-worker", &worker, SHIM_E_WORKER_INVALID);
}

static void worker_that_is_not_a_dll(void **state)
{
    const fixture_file files[] = {
        { L"test_front.dll", L"test_front.dll", NULL },
        { NULL, L"test_worker.dll", "MZ this is not a portable executable" },
    };
    unsigned long system_error = 0;
    test_front front;

    (void)state;
    front_in_pass_through(L"pass-corrupt", files, 2, SHIM_E_WORKER_LOAD_FAILED, &front);
    assert_int_equal(front.status(&system_error), SHIM_E_WORKER_LOAD_FAILED);
    assert_int_not_equal(system_error, 0);
    assert_null(GetModuleHandleW(L"test_worker.dll"));
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
}

/* A plugin whose on_start fails: the front says so, refuses posts from then
 * on, and the legacy export works. Messages posted before the failure are
 * kept in the journal, not run and not dropped, for the next session. */
static void worker_whose_start_hook_fails(void **state)
{
    enum {
        JOBS = 50
    };
    /* Static: a job that outlives a failed test must not write into a dead frame. */
    static job_counters counters;
    test_job job = job_for(&counters, NULL);
    test_front front;
    int accepted = 0;
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t journals[TEST_PATH_CAPACITY];
    shim_session_counters session_counters;
    int initial_status;

    (void)state;
    assert_true(fresh_journal_folder(L"pass-start-fails", journals));
    assert_true(front_and_worker_folder(L"pass-start-fails", folder));
    assert_win32(SetEnvironmentVariableW(TEST_WORKER_FAIL_START_VARIABLE, L"1"));
    assert_true(load_test_front(folder, &front));
    /* The session thread may or may not have run the hook by now. */
    initial_status = front.status(NULL);
    assert_either(initial_status, SHIM_OK, SHIM_E_START_FAILED);
    for (int i = 0; i < JOBS; i++) {
        int status = front.post_job(&job);
        assert_either(status, SHIM_OK, SHIM_E_START_FAILED);
        accepted += status == SHIM_OK;
    }

    /* The start hook runs on the session thread, after the attach. */
    for (DWORD start = GetTickCount(); front.status(NULL) != SHIM_E_START_FAILED;) {
        assert_true(GetTickCount() - start < TEST_DEADLINE_MS);
        Sleep(1);
    }
    assert_int_equal(front.post_job(&job), SHIM_E_START_FAILED);
    assert_int_equal(front.multiply(3, 4), 12);

    /* What was accepted before the hook failed is neither run nor dropped:
     * it stays in the journal, and the next session delivers it. */
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(counters.ran, 0);
    assert_int_equal(counters.cancelled, 0);
    assert_int_equal(journal_files_in(journals, L"*.journal"), accepted > 0 ? 1 : 0);

    assert_win32(SetEnvironmentVariableW(TEST_WORKER_FAIL_START_VARIABLE, NULL));
    assert_true(load_test_front(folder, &front));
    for (DWORD start = GetTickCount();;) {
        assert_int_equal(front.get_counters(&session_counters), SHIM_OK);
        if (session_counters.recovered == accepted)
            break;
        /* Its own journal too, beside the one it recovers, which keeps the
         * name the worker's first session gave it (the worker was unloaded
         * and counts from 1 again). */
        assert_int_equal(session_counters.journal, SHIM_JOURNAL_FILE);
        assert_true(GetTickCount() - start < TEST_DEADLINE_MS);
        Sleep(1);
    }
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(journal_files_in(journals, L"*.journal"), 0);
}

static void legacy_front_without_worker_still_forwards(void **state)
{
    const fixture_file files[] = {
        { L"legacy.dll", L"legacy.dll", NULL },
        { L"original\\legacy.dll", L"legacy_orig.dll", NULL },
    };
    wchar_t folder[TEST_PATH_CAPACITY];
    HMODULE front;
    legacy_add_function add;
    legacy_version_function version;

    (void)state;
    assert_true(fixture_folder(L"pass-legacy", files, 2, folder));
    front = load_from(folder, L"legacy.dll");
    assert_non_null(front);
    add = (legacy_add_function)symbol_of(front, "legacy_add");
    version = (legacy_version_function)symbol_of(front, "legacy_version");
    assert_non_null(add);
    assert_non_null(version);
    assert_int_equal(add(2, 3), 5);
    assert_int_equal(version(), 3);
    assert_null(GetModuleHandleW(L"legacy_worker.dll"));

    assert_true(free_library_within(front, TEST_DEADLINE_MS, NULL));
    /* The front's release thread drops the original after the detach. */
    assert_true(module_gone_within(L"legacy_orig.dll", TEST_DEADLINE_MS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(missing_worker),
        isolated_test(worker_of_another_version),
        isolated_test(worker_without_entry_point),
        isolated_test(worker_that_is_not_a_dll),
        isolated_test(worker_whose_start_hook_fails),
        isolated_test(legacy_front_without_worker_still_forwards),
    };
    return cmocka_run_group_tests_name("pass_through", tests, NULL, NULL);
}
