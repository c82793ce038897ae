/* Under the cancel policy a stop drops queued work (each dropped job gets its
 * cancel function) and waits only for the callbacks already running. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

static void cancel_policy_drops_queued_work(void **state)
{
    enum {
        JOBS = 1000,
        POOL_THREADS = SHIM_DEFAULT_MAX_THREADS
    };
    /* Static: a job that outlives a failed test must not write into a dead frame. */
    static job_counters counters;
    HANDLE gate = new_gate();
    test_job job;
    test_front front;

    (void)state;
    memset((void *)&counters, 0, sizeof counters);
    job = job_for(&counters, gate);
    load_front_and_worker(L"cancel-drops", &front);
    set_stop_policy(&front, SHIM_STOP_CANCEL);
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
}

static void drain_policy_is_the_default_and_runs_everything(void **state)
{
    enum {
        JOBS = 1000
    };
    /* Static: a job that outlives a failed test must not write into a dead frame. */
    static job_counters counters;
    HANDLE gate = new_gate();
    test_job job;
    test_front front;

    (void)state;
    memset((void *)&counters, 0, sizeof counters);
    job = job_for(&counters, gate);
    load_front_and_worker(L"cancel-default-drains", &front);
    for (int i = 0; i < JOBS; i++)
        assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    SetEvent(gate);
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(counters.ran, JOBS);
    assert_int_equal(counters.cancelled, 0);
}

/* Out-of-range settings are refused at the worker API, and change nothing:
 * the session still drains under its default policy. */
static void invalid_settings_are_refused(void **state)
{
    enum {
        JOBS = 20
    };
    static test_settings invalid;
    static job_counters counters;
    HANDLE gate = new_gate();
    test_job job;
    test_front front;

    (void)state;
    memset((void *)&counters, 0, sizeof counters);
    job = job_for(&counters, gate);
    invalid = (test_settings){
        .stop_policy = { .apply = TRUE, .value = SHIM_STOP_CANCEL + 1, .status = 1 },
        .stop_deadline_ms = { .apply = TRUE, .value = (unsigned)MAXLONG + 1u, .status = 1 },
    };
    load_front_and_worker(L"cancel-invalid", &front);
    apply_settings(&front, &invalid);
    assert_int_equal(invalid.stop_policy.status, SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(invalid.stop_deadline_ms.status, SHIM_E_INVALID_ARGUMENT);

    for (int i = 0; i < JOBS; i++)
        assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    SetEvent(gate);
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(counters.ran, JOBS);
    assert_int_equal(counters.cancelled, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(cancel_policy_drops_queued_work),
        isolated_test(drain_policy_is_the_default_and_runs_everything),
        isolated_test(invalid_settings_are_refused),
    };
    return cmocka_run_group_tests_name("cancel_policy", tests, NULL, NULL);
}
