/* Timers and waits left open belong to their session: the stop disarms them,
 * refuses re-arming, waits for their callbacks, and runs each one's on_closed
 * exactly once, under both policies; the worker then unloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

typedef struct object_counters {
    job_counters jobs;
    volatile LONG closed;
    volatile LONG arm_status;
} object_counters;

/* Static counters start afresh for each test. */
static test_job object_job(test_job_kind kind, object_counters *counters, HANDLE gate)
{
    test_job job;

    memset((void *)counters, 0, sizeof *counters);
    counters->arm_status = 1;
    job = job_for(&counters->jobs, gate);
    job.kind = kind;
    job.closed = &counters->closed;
    job.resubmit_status = &counters->arm_status;
    return job;
}

static void unload_and_expect_one_on_closed(test_front *front, object_counters *counters)
{
    assert_true(free_library_within(front->module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(counters->closed, 1);
}

static void rearming_a_timer_during_stop_is_refused(void **state)
{
    static object_counters counters;
    HANDLE gate = new_gate();
    test_job job = object_job(TEST_JOB_TIMER_ONCE, &counters, gate);
    test_front front;

    (void)state;
    load_front_and_worker(L"timer-rearm", &front);
    assert_int_equal(front.post_job(&job), SHIM_OK);
    /* The timer fired and its callback is held at the gate. */
    assert_true(counter_reaches_within(&counters.jobs.started, 1, TEST_DEADLINE_MS));
    assert_int_equal(counters.arm_status, SHIM_OK); /* the creation's own report */

    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    SetEvent(gate);
    unload_and_expect_one_on_closed(&front, &counters);
    assert_int_equal(counters.arm_status, SHIM_E_STOPPING);
    assert_int_equal(counters.jobs.ran, 1);
    assert_int_equal(counters.jobs.saw_stop, 1);
}

static void periodic_timer_is_disarmed_by_the_stop(shim_stop_policy policy)
{
    static object_counters counters;
    test_job job = object_job(TEST_JOB_TIMER_PERIODIC, &counters, NULL);
    test_front front;

    load_front_and_worker(policy == SHIM_STOP_DRAIN ? L"timer-periodic-drain" : L"timer-periodic-cancel",
                          &front);
    set_stop_policy(&front, policy);
    assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(counter_reaches_within(&counters.jobs.ran, 5, TEST_DEADLINE_MS));

    /* A timer still firing every millisecond must not keep the drain busy. */
    unload_and_expect_one_on_closed(&front, &counters);
}

static void periodic_timer_drain(void **state)
{
    (void)state;
    periodic_timer_is_disarmed_by_the_stop(SHIM_STOP_DRAIN);
}

static void periodic_timer_cancel(void **state)
{
    (void)state;
    periodic_timer_is_disarmed_by_the_stop(SHIM_STOP_CANCEL);
}

static void wait_is_rearmed_until_the_stop(shim_stop_policy policy)
{
    enum {
        SIGNALS = 5
    };
    static object_counters counters;
    /* Auto-reset: each SetEvent wakes the wait once. Kept open after the
     * test: the teardown waits for the worker, not for this. */
    static HANDLE signal;
    test_job job = object_job(TEST_JOB_WAIT, &counters, NULL);
    test_front front;

    if (signal == NULL)
        signal = CreateEventW(NULL, FALSE, FALSE, NULL);
    assert_win32(signal != NULL);
    assert_win32(ResetEvent(signal));
    job.wait_handle = signal;
    load_front_and_worker(policy == SHIM_STOP_DRAIN ? L"wait-drain" : L"wait-cancel", &front);
    set_stop_policy(&front, policy);
    assert_int_equal(front.post_job(&job), SHIM_OK);

    /* Each signal runs the callback once, and the callback re-arms. */
    for (LONG i = 1; i <= SIGNALS; i++) {
        assert_win32(SetEvent(signal));
        assert_true(counter_reaches_within(&counters.jobs.ran, i, TEST_DEADLINE_MS));
    }
    assert_int_equal(counters.arm_status, SHIM_OK);

    /* Still armed at unload, with nothing to wake it: the stop disarms it. */
    unload_and_expect_one_on_closed(&front, &counters);
    assert_int_equal(counters.jobs.ran, SIGNALS);
}

static void wait_drain(void **state)
{
    (void)state;
    wait_is_rearmed_until_the_stop(SHIM_STOP_DRAIN);
}

static void wait_cancel(void **state)
{
    (void)state;
    wait_is_rearmed_until_the_stop(SHIM_STOP_CANCEL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(rearming_a_timer_during_stop_is_refused),
        isolated_test(periodic_timer_drain),
        isolated_test(periodic_timer_cancel),
        isolated_test(wait_drain),
        isolated_test(wait_cancel),
    };
    return cmocka_run_group_tests_name("timers_and_waits", tests, NULL, NULL);
}
