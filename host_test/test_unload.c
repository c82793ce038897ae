/* After FreeLibrary(front): the front returns at once, the worker drains
 * every queued callback on its own thread, and both modules leave. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

static void both_modules_leave_after_free_library(void **state)
{
    enum {
        JOBS = 100
    };
    /* Static: a job that outlives a failed test must not write into a dead frame. */
    static job_counters counters;
    test_job job = job_for(&counters, NULL);
    test_front front;

    (void)state;
    load_front_and_worker(L"unload-both-leave", &front);
    for (int i = 0; i < JOBS; i++)
        assert_int_equal(front.post_job(&job), SHIM_OK);

    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_null(GetModuleHandleW(L"test_front.dll"));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    /* Drained, not dropped: every posted job ran, counted by this host. */
    assert_int_equal(counters.ran, JOBS);
    assert_int_equal(counters.started, JOBS);
    assert_int_equal(counters.cancelled, 0);
}

static void free_library_does_not_wait_for_pending_work(void **state)
{
    enum {
        JOBS = 5000,
        POOL_THREADS = SHIM_DEFAULT_MAX_THREADS
    };
    /* Static: a job that outlives a failed test must not write into a dead frame. */
    static job_counters counters;
    HANDLE gate = new_gate();
    test_job job = job_for(&counters, gate);
    test_front front;
    double idle_free_ms = 0;
    double busy_free_ms = 0;

    (void)state;

    /* The baseline: a front with nothing queued. */
    load_front_and_worker(L"unload-idle", &front);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, &idle_free_ms));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));

    /* Thousands of jobs that cannot finish before the gate opens; the
     * pool's threads are all blocked in them. */
    load_front_and_worker(L"unload-busy", &front);
    for (int i = 0; i < JOBS; i++)
        assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(counter_reaches_within(&counters.started, POOL_THREADS, TEST_DEADLINE_MS));

    /* If FreeLibrary waited for the work it could never return: the gate
     * opens only after it has. */
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, &busy_free_ms));
    print_message("FreeLibrary(front): %.2f ms idle, %.2f ms with %d jobs pending\n", idle_free_ms,
                  busy_free_ms, JOBS);
    assert_int_equal(counters.ran, 0);
    assert_non_null(GetModuleHandleW(L"test_worker.dll")); /* still draining */
    /* A generous bound, far below the unbounded time the pending work takes. */
    if (busy_free_ms >= idle_free_ms + 1000.0)
        fail_msg("FreeLibrary took %.2f ms with work pending, %.2f ms idle", busy_free_ms, idle_free_ms);

    SetEvent(gate);
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(counters.ran, JOBS);
    assert_int_equal(counters.cancelled, 0);
    /* Every job ended after the stop was signalled, and saw the stop token. */
    assert_int_equal(counters.saw_stop, JOBS);
}

static void stopping_session_refuses_new_work(void **state)
{
    /* Static: a job that outlives a failed test must not write into a dead frame. */
    static job_counters counters;
    HANDLE gate = new_gate();
    static volatile LONG before_stop = 1;
    static volatile LONG during_stop = 1;
    test_job early = job_for(&counters, NULL);
    test_job late = job_for(&counters, gate);
    test_front front;

    (void)state;
    early.resubmit_status = &before_stop;
    late.resubmit_status = &during_stop;
    load_front_and_worker(L"unload-refuses", &front);

    assert_int_equal(front.post_job(&early), SHIM_OK);
    assert_true(counter_reaches_within(&counters.ran, 1, TEST_DEADLINE_MS));
    assert_int_equal(before_stop, SHIM_OK);

    assert_int_equal(front.post_job(&late), SHIM_OK);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    SetEvent(gate);
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(counters.ran, 2);
    assert_int_equal(during_stop, SHIM_E_STOPPING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(both_modules_leave_after_free_library),
        isolated_test(free_library_does_not_wait_for_pending_work),
        isolated_test(stopping_session_refuses_new_work),
    };
    return cmocka_run_group_tests_name("unload", tests, NULL, NULL);
}
