/* Counters and the stop deadline. The counters a session reports match what
 * the host counted itself; a callback that outlives the stop deadline gets
 * the worker pinned (never unmapped under it), and the host carries on.
 * The pinning test runs last: the worker stays loaded after it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

#define EVENT_BIT(event) (1L << (event))

typedef struct observed {
    volatile LONG trace_events;
    shim_session_counters counters;
    job_counters jobs;
} observed;

static void observe(test_front *front, observed *watch)
{
    test_job job = job_for(&watch->jobs, NULL);

    job.kind = TEST_JOB_OBSERVE;
    job.trace_events = &watch->trace_events;
    job.counters_at_last_event = &watch->counters;
    assert_int_equal(front->post_job(&job), SHIM_OK);
    assert_true(counter_reaches_within(&watch->jobs.ran, 1, TEST_DEADLINE_MS));
}

static void counters_match_what_the_host_counted(void **state)
{
    enum {
        JOBS = 200,
        POOL_THREADS = 2
    };
    static observed watch;
    static job_counters counters;
    static volatile LONG resubmit_status;
    HANDLE gate = CreateEventW(NULL, TRUE, FALSE, NULL);
    test_job job = job_for(&counters, gate);
    shim_session_counters live;
    test_front front;

    (void)state;
    assert_non_null(gate);
    job.resubmit_status = &resubmit_status;
    load_front_and_worker(L"counters", &front);
    assert_int_equal(front.set_stop_deadline(4 * TEST_DEADLINE_MS), SHIM_OK);
    assert_int_equal(front.set_stop_policy(1 /* cancel */), SHIM_OK);
    observe(&front, &watch);
    for (int i = 0; i < JOBS; i++)
        assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(counter_reaches_within(&counters.started, POOL_THREADS, TEST_DEADLINE_MS));

    assert_int_equal(front.get_counters(&live), SHIM_OK);
    assert_int_equal(live.submitted, JOBS + 1);
    assert_int_equal(live.running, POOL_THREADS);
    assert_int_equal(live.stop_requested_ms, 0);

    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(counter_reaches_within(&counters.cancelled, JOBS - POOL_THREADS, TEST_DEADLINE_MS));
    SetEvent(gate); /* the two running jobs now try to submit more, and are refused */
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));

    assert_true(bits_set_within(&watch.trace_events,
                                EVENT_BIT(SHIM_TRACE_STOP_RECEIVED) | EVENT_BIT(SHIM_TRACE_DRAIN_FINISHED) |
                                    EVENT_BIT(SHIM_TRACE_MODULE_RELEASED),
                                TEST_DEADLINE_MS));
    assert_false(watch.trace_events & EVENT_BIT(SHIM_TRACE_MODULE_PINNED));
    /* The session's own count, at its last event, against the host's. */
    assert_int_equal(watch.counters.submitted, JOBS + 1);
    assert_int_equal(watch.counters.completed, counters.ran + watch.jobs.ran);
    assert_int_equal(watch.counters.cancelled, counters.cancelled);
    assert_int_equal(watch.counters.refused, POOL_THREADS);
    assert_int_equal(resubmit_status, SHIM_E_STOPPING);
    assert_int_equal(watch.counters.running, 0);
    assert_int_equal(watch.counters.peak_running, POOL_THREADS);
    assert_int_equal(watch.counters.module_pinned, 0);
    assert_true(watch.counters.stop_requested_ms > 0);
    assert_true(watch.counters.stop_finished_ms >= watch.counters.stop_requested_ms);
    CloseHandle(gate);
}

static void hung_callback_pins_the_worker(void **state)
{
    enum {
        DEADLINE_MS = 300
    };
    static observed watch;
    static job_counters counters;
    HANDLE gate = CreateEventW(NULL, TRUE, FALSE, NULL);
    test_job job = job_for(&counters, gate);
    test_front front;

    (void)state;
    assert_non_null(gate);
    load_front_and_worker(L"deadline-pins", &front);
    assert_int_equal(front.set_stop_deadline(DEADLINE_MS), SHIM_OK);
    observe(&front, &watch);
    assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(counter_reaches_within(&counters.started, 1, TEST_DEADLINE_MS));

    /* The callback does not return before the gate opens: it is "hung". */
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(bits_set_within(&watch.trace_events, EVENT_BIT(SHIM_TRACE_MODULE_PINNED), TEST_DEADLINE_MS));
    assert_false(watch.trace_events & EVENT_BIT(SHIM_TRACE_DRAIN_FINISHED));
    assert_int_equal(watch.counters.module_pinned, 1);
    assert_int_equal(watch.counters.running, 1);
    assert_true(watch.counters.stop_finished_ms - watch.counters.stop_requested_ms >= DEADLINE_MS - 20);
    assert_non_null(GetModuleHandleW(L"test_worker.dll"));

    /* The callback may still finish: its code was never unmapped. */
    SetEvent(gate);
    assert_true(counter_reaches_within(&counters.ran, 1, TEST_DEADLINE_MS));
    assert_non_null(GetModuleHandleW(L"test_worker.dll"));
    CloseHandle(gate);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counters_match_what_the_host_counted),
        cmocka_unit_test(hung_callback_pins_the_worker),
    };
    return cmocka_run_group_tests_name("stop_deadline", tests, NULL, NULL);
}
