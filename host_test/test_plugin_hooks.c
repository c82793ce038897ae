/* The plugin's hooks and the work it submits itself: hooks run in order on
 * the session's own thread (never the host's, so never under its loader
 * lock), no work overtakes on_start, on_stopped comes after the last
 * callback, and work dropped by the cancel policy gets its on_cancel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

static void observe_hooks(test_front *front, hook_report *hooks, job_counters *counters)
{
    test_job job = job_for(counters, NULL);

    job.kind = TEST_JOB_OBSERVE;
    job.hooks = hooks;
    assert_int_equal(front->post_job(&job), SHIM_OK);
    assert_true(counter_reaches_within(&counters->ran, 1, TEST_DEADLINE_MS));
}

static void hooks_run_in_order_on_the_session_thread(void **state)
{
    static hook_report hooks;
    static job_counters counters;
    test_front front;

    (void)state;
    load_front_and_worker(L"hooks-order", &front);
    observe_hooks(&front, &hooks, &counters);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));

    assert_int_equal(hooks.order, 123);
    assert_int_equal(hooks.same_thread, 1);
    assert_int_not_equal(hooks.start_thread, 0);
    assert_int_not_equal(hooks.start_thread, (LONG)GetCurrentThreadId());
    assert_int_equal(hooks.running_at_stopped, 0);
}

static void work_never_overtakes_on_start(void **state)
{
    static hook_report hooks;
    static job_counters counters;
    static job_counters observe_counters;
    HANDLE start_gate = new_gate();
    test_job set_gate = job_for(&counters, NULL);
    wchar_t handle_text[32];
    test_front front;

    (void)state;
    /* on_start waits a little for this event; only the job below sets it. */
    _snwprintf(handle_text, 32, L"%llu", (unsigned long long)(ULONG_PTR)start_gate);
    assert_win32(SetEnvironmentVariableW(TEST_WORKER_START_GATE_VARIABLE, handle_text));
    set_gate.kind = TEST_JOB_SET_EVENT;
    set_gate.wait_handle = start_gate;

    load_front_and_worker(L"hooks-start-first", &front);
    assert_int_equal(front.post_job(&set_gate), SHIM_OK);
    observe_hooks(&front, &hooks, &observe_counters);
    assert_true(counter_reaches_within(&counters.ran, 1, TEST_DEADLINE_MS));
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));

    /* The job was queued before on_start ran, and still ran after it. */
    assert_int_equal(hooks.start_gate_result, WAIT_TIMEOUT);
}

/* The front is freed while on_start runs: what on_start creates and arms
 * then is still taken, and the stop closes it (on_closed runs). A refusal
 * would make a plugin that makes a timer at start fail its start on a
 * quick unload. */
static void on_start_may_make_handles_after_the_stop_is_requested(void **state)
{
    static start_timer_report report = { .status = 1 };
    HANDLE start_gate = new_gate();
    wchar_t text[32];
    test_front front;

    (void)state;
    _snwprintf(text, 32, L"%llu", (unsigned long long)(ULONG_PTR)start_gate);
    assert_win32(SetEnvironmentVariableW(TEST_WORKER_START_GATE_VARIABLE, text));
    _snwprintf(text, 32, L"%llu", (unsigned long long)(ULONG_PTR)&report);
    assert_win32(SetEnvironmentVariableW(TEST_WORKER_START_TIMER_VARIABLE, text));

    load_front_and_worker(L"hooks-start-handles", &front);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_win32(SetEvent(start_gate)); /* on_start goes on: the stop is requested */
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(report.status, SHIM_OK);
    assert_int_equal(report.closed, 1);
}

static void cancelled_work_gets_its_on_cancel(void **state)
{
    enum {
        ITEMS = 300,
        POOL_THREADS = SHIM_DEFAULT_MAX_THREADS
    };
    static job_counters counters;
    static volatile LONG submit_status = 1;
    HANDLE gate = new_gate();
    test_job job = job_for(&counters, gate);
    test_front front;

    (void)state;
    job.kind = TEST_JOB_SUBMIT;
    job.resubmit_status = &submit_status;
    load_front_and_worker(L"hooks-on-cancel", &front);
    set_stop_policy(&front, SHIM_STOP_CANCEL);
    for (int i = 0; i < ITEMS; i++)
        assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(counter_reaches_within(&counters.started, POOL_THREADS, TEST_DEADLINE_MS));
    assert_int_equal(submit_status, SHIM_OK);

    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    SetEvent(gate);
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    /* Exactly one of work or on_cancel ran for each item the plugin submitted. */
    assert_int_equal(counters.ran + counters.cancelled, ITEMS);
    assert_in_range(counters.cancelled, 1, ITEMS);
    assert_int_equal(counters.started, counters.ran);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(hooks_run_in_order_on_the_session_thread),
        isolated_test(work_never_overtakes_on_start),
        isolated_test(on_start_may_make_handles_after_the_stop_is_requested),
        isolated_test(cancelled_work_gets_its_on_cancel),
    };
    return cmocka_run_group_tests_name("plugin_hooks", tests, NULL, NULL);
}
