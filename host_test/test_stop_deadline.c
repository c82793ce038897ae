/* Counters and the stop deadline. The counters a session reports match what
 * the host counted itself; a callback that outlives the stop deadline gets
 * the worker pinned (never unmapped under it), and the host carries on.
 * A pinned worker stays loaded for the life of its process, so the pinning
 * test runs in a child process of its own: this program, run again with
 * PINNED_CHILD_ARGUMENT, which runs that one test and exits with the number
 * of tests that failed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

#define EVENT_BIT(event) (1L << (event))
#define PINNED_CHILD_ARGUMENT L"--pinned-child"

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
        POOL_THREADS = SHIM_DEFAULT_MAX_THREADS,
        SETTINGS_JOBS = 2, /* the deadline, then the policy */
        OBSERVE_JOBS = 1
    };
    static observed watch;
    static job_counters counters;
    static volatile LONG resubmit_status;
    HANDLE gate = new_gate();
    test_job job;
    shim_session_counters live;
    test_front front;

    (void)state;
    memset((void *)&watch, 0, sizeof watch);
    memset((void *)&counters, 0, sizeof counters);
    resubmit_status = 1;
    job = job_for(&counters, gate);
    job.resubmit_status = &resubmit_status;
    load_front_and_worker(L"counters", &front);
    set_stop_deadline(&front, 4 * TEST_DEADLINE_MS);
    set_stop_policy(&front, SHIM_STOP_CANCEL);
    observe(&front, &watch);
    for (int i = 0; i < JOBS; i++)
        assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(counter_reaches_within(&counters.started, POOL_THREADS, TEST_DEADLINE_MS));

    assert_int_equal(front.get_counters(&live), SHIM_OK);
    assert_int_equal(live.submitted, JOBS + SETTINGS_JOBS + OBSERVE_JOBS);
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
    assert_int_equal(watch.counters.submitted, JOBS + SETTINGS_JOBS + OBSERVE_JOBS);
    assert_int_equal(watch.counters.completed, counters.ran + SETTINGS_JOBS + watch.jobs.ran);
    assert_int_equal(watch.counters.cancelled, counters.cancelled);
    assert_int_equal(watch.counters.refused, POOL_THREADS);
    assert_int_equal(resubmit_status, SHIM_E_STOPPING);
    assert_int_equal(watch.counters.running, 0);
    assert_int_equal(watch.counters.peak_running, POOL_THREADS);
    assert_int_equal(watch.counters.module_pinned, 0);
    assert_in_range(watch.counters.stop_requested_ms, 1, INT64_MAX);
    assert_in_range(watch.counters.stop_finished_ms, watch.counters.stop_requested_ms, INT64_MAX);
}

/* Runs in the child process only. */
static void hung_callback_pins_the_worker(void **state)
{
    enum {
        DEADLINE_MS = 300
    };
    static observed watch;
    static job_counters counters;
    HANDLE gate = new_gate();
    test_job job = job_for(&counters, gate);
    test_front front;

    (void)state;
    load_front_and_worker(L"deadline-pins", &front);
    set_stop_deadline(&front, DEADLINE_MS);
    observe(&front, &watch);
    assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(counter_reaches_within(&counters.started, 1, TEST_DEADLINE_MS));

    /* The callback does not return before the gate opens: it is "hung". */
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(bits_set_within(&watch.trace_events, EVENT_BIT(SHIM_TRACE_MODULE_PINNED), TEST_DEADLINE_MS));
    assert_false(watch.trace_events & EVENT_BIT(SHIM_TRACE_DRAIN_FINISHED));
    assert_int_equal(watch.counters.module_pinned, 1);
    assert_int_equal(watch.counters.running, 1);
    /* Not before the deadline; GetTickCount64 ticks in steps of up to 16 ms. */
    assert_in_range(watch.counters.stop_finished_ms - watch.counters.stop_requested_ms, DEADLINE_MS - 20,
                    INT64_MAX);
    assert_non_null(GetModuleHandleW(L"test_worker.dll"));

    /* The callback may still finish: its code was never unmapped. */
    SetEvent(gate);
    assert_true(counter_reaches_within(&counters.ran, 1, TEST_DEADLINE_MS));
    assert_non_null(GetModuleHandleW(L"test_worker.dll"));
}

static void hung_callback_pins_the_worker_in_a_child(void **state)
{
    DWORD failed_tests = 0xdead;

    (void)state;
    assert_true(run_child_within(L"test_stop_deadline.exe", PINNED_CHILD_ARGUMENT, 2 * TEST_DEADLINE_MS,
                                 &failed_tests));
    assert_int_equal(failed_tests, 0);
}

int wmain(int argc, wchar_t **argv)
{
    const struct CMUnitTest tests[] = {
        isolated_test(counters_match_what_the_host_counted),
        isolated_test(hung_callback_pins_the_worker_in_a_child),
    };
    /* No teardown: the pinned worker stays until the child process ends. */
    const struct CMUnitTest child_tests[] = {
        cmocka_unit_test(hung_callback_pins_the_worker),
    };

    if (argc == 2 && wcscmp(argv[1], PINNED_CHILD_ARGUMENT) == 0)
        return cmocka_run_group_tests_name("stop_deadline_pinned_child", child_tests, NULL, NULL);
    return cmocka_run_group_tests_name("stop_deadline", tests, NULL, NULL);
}
