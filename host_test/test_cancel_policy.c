/* Under the cancel policy a stop drops queued work (each dropped job gets its
 * cancel function) and waits only for the callbacks already running. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

static void cancel_policy_drops_queued_work(void **state)
{
    enum {
        JOBS = 1000,
        POOL_THREADS = 2
    };
    /* Static: a job that outlives a failed test must not write into a dead frame. */
    static job_counters counters;
    HANDLE gate = CreateEventW(NULL, TRUE, FALSE, NULL);
    test_job job = job_for(&counters, gate);
    test_front front;

    (void)state;
    assert_non_null(gate);
    load_front_and_worker(L"cancel-drops", &front);
    assert_int_equal(front.set_stop_policy(1 /* SHIM_STOP_CANCEL */), SHIM_OK);
    for (int i = 0; i < JOBS; i++)
        assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(counter_reaches_within(&counters.started, POOL_THREADS, TEST_DEADLINE_MS));

    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    /* The queued jobs are cancelled while the running ones are still held
     * at the gate: the drop does not wait for running work to end. */
    assert_true(counter_reaches_within(&counters.cancelled, JOBS - POOL_THREADS, TEST_DEADLINE_MS));
    assert_int_equal(counters.ran, 0);
    assert_non_null(GetModuleHandleW(L"test_worker.dll"));

    SetEvent(gate);
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(counters.started, POOL_THREADS);
    assert_int_equal(counters.ran, POOL_THREADS);
    assert_int_equal(counters.cancelled, JOBS - POOL_THREADS);
    assert_int_equal(counters.ran + counters.cancelled, JOBS);
    CloseHandle(gate);
}

static void drain_policy_is_the_default_and_runs_everything(void **state)
{
    enum {
        JOBS = 1000
    };
    /* Static: a job that outlives a failed test must not write into a dead frame. */
    static job_counters counters;
    HANDLE gate = CreateEventW(NULL, TRUE, FALSE, NULL);
    test_job job = job_for(&counters, gate);
    test_front front;

    (void)state;
    assert_non_null(gate);
    load_front_and_worker(L"cancel-default-drains", &front);
    for (int i = 0; i < JOBS; i++)
        assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    SetEvent(gate);
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(counters.ran, JOBS);
    assert_int_equal(counters.cancelled, 0);
    CloseHandle(gate);
}

static void invalid_policy_is_refused(void **state)
{
    test_front front;

    (void)state;
    load_front_and_worker(L"cancel-invalid", &front);
    assert_int_equal(front.set_stop_policy(7), SHIM_E_INVALID_ARGUMENT);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cancel_policy_drops_queued_work),
        cmocka_unit_test(drain_policy_is_the_default_and_runs_everything),
        cmocka_unit_test(invalid_policy_is_refused),
    };
    return cmocka_run_group_tests_name("cancel_policy", tests, NULL, NULL);
}
