/* Timers and waits belong to their session: the stop disarms them, refuses
 * re-arming, waits for their callbacks, and releases each one exactly once,
 * under both policies; the worker then unloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

typedef struct object_counters {
    job_counters jobs;
    volatile LONG released;
    volatile LONG arm_status;
} object_counters;

static test_job object_job(test_job_kind kind, object_counters *counters, HANDLE gate)
{
    test_job job = job_for(&counters->jobs, gate);

    job.kind = kind;
    job.released = &counters->released;
    job.resubmit_status = &counters->arm_status;
    return job;
}

static void unload_and_expect_release(test_front *front, object_counters *counters)
{
    assert_true(free_library_within(front->module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(counters->released, 1);
}

static void rearming_a_timer_during_stop_is_refused(void **state)
{
    static object_counters counters = { .arm_status = 1 };
    HANDLE gate = CreateEventW(NULL, TRUE, FALSE, NULL);
    test_job job = object_job(TEST_JOB_TIMER_ONCE, &counters, gate);
    test_front front;

    (void)state;
    assert_non_null(gate);
    load_front_and_worker(L"timer-rearm", &front);
    assert_int_equal(front.post_job(&job), SHIM_OK);
    /* The timer fired and its callback is held at the gate. */
    assert_true(counter_reaches_within(&counters.jobs.started, 1, TEST_DEADLINE_MS));
    assert_int_equal(counters.arm_status, SHIM_OK); /* the creation's own report */

    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    SetEvent(gate);
    unload_and_expect_release(&front, &counters);
    assert_int_equal(counters.arm_status, SHIM_E_STOPPING);
    assert_int_equal(counters.jobs.ran, 1);
    assert_int_equal(counters.jobs.saw_stop, 1);
    CloseHandle(gate);
}

static void periodic_timer_is_disarmed_by_the_stop(void **state, int policy)
{
    static object_counters drain_counters;
    static object_counters cancel_counters;
    object_counters *counters = policy == 0 ? &drain_counters : &cancel_counters;
    test_job job = object_job(TEST_JOB_TIMER_PERIODIC, counters, NULL);
    test_front front;

    (void)state;
    load_front_and_worker(policy == 0 ? L"timer-periodic-drain" : L"timer-periodic-cancel", &front);
    assert_int_equal(front.set_stop_policy(policy), SHIM_OK);
    assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(counter_reaches_within(&counters->jobs.ran, 5, TEST_DEADLINE_MS));

    /* A timer still firing every millisecond must not keep the drain busy. */
    unload_and_expect_release(&front, counters);
}

static void periodic_timer_drain(void **state)
{
    periodic_timer_is_disarmed_by_the_stop(state, 0);
}

static void periodic_timer_cancel(void **state)
{
    periodic_timer_is_disarmed_by_the_stop(state, 1);
}

static void wait_is_rearmed_until_the_stop(void **state, int policy)
{
    enum {
        SIGNALS = 5
    };
    static object_counters drain_counters;
    static object_counters cancel_counters;
    object_counters *counters = policy == 0 ? &drain_counters : &cancel_counters;
    HANDLE signal = CreateEventW(NULL, FALSE, FALSE, NULL);
    test_job job = object_job(TEST_JOB_WAIT, counters, NULL);
    test_front front;

    (void)state;
    assert_non_null(signal);
    job.wait_handle = signal;
    load_front_and_worker(policy == 0 ? L"wait-drain" : L"wait-cancel", &front);
    assert_int_equal(front.set_stop_policy(policy), SHIM_OK);
    assert_int_equal(front.post_job(&job), SHIM_OK);

    /* Each signal runs the callback once, and the callback re-arms. */
    for (LONG i = 1; i <= SIGNALS; i++) {
        SetEvent(signal);
        assert_true(counter_reaches_within(&counters->jobs.ran, i, TEST_DEADLINE_MS));
    }
    assert_int_equal(counters->arm_status, SHIM_OK);

    /* Still armed at unload, with nothing to wake it: the stop disarms it. */
    unload_and_expect_release(&front, counters);
    assert_int_equal(counters->jobs.ran, SIGNALS);
    CloseHandle(signal);
}

static void wait_drain(void **state)
{
    wait_is_rearmed_until_the_stop(state, 0);
}

static void wait_cancel(void **state)
{
    wait_is_rearmed_until_the_stop(state, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rearming_a_timer_during_stop_is_refused),
        cmocka_unit_test(periodic_timer_drain),
        cmocka_unit_test(periodic_timer_cancel),
        cmocka_unit_test(wait_drain),
        cmocka_unit_test(wait_cancel),
    };
    return cmocka_run_group_tests_name("timers_and_waits", tests, NULL, NULL);
}
