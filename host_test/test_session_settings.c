/* The session's thread maximum, set by the plugin: out-of-range values are
 * refused, and a maximum set in on_start bounds the callbacks that run at
 * once, counted by the host and by the session. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

static int max_threads_status(test_front *front, unsigned value)
{
    static test_settings settings;

    memset((void *)&settings, 0, sizeof settings);
    settings.max_threads.apply = TRUE;
    settings.max_threads.value = value;
    settings.max_threads.status = TEST_STATUS_PENDING;
    apply_settings(front, &settings);
    return (int)settings.max_threads.status;
}

static void out_of_range_maximum_is_refused(void **state)
{
    test_front front;

    (void)state;
    load_front_and_worker(L"settings-max-threads-range", &front);
    assert_int_equal(max_threads_status(&front, 0), SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(max_threads_status(&front, SHIM_MAX_THREADS_LIMIT + 1), SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(max_threads_status(&front, 1), SHIM_OK);
    assert_int_equal(max_threads_status(&front, SHIM_MAX_THREADS_LIMIT), SHIM_OK);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}

/* More jobs than threads, all held at a gate until MAX_THREADS of them run:
 * with the default (2) no more than 2 would, with no limit all of them. */
static void maximum_set_in_on_start_is_respected(void **state)
{
    enum {
        MAX_THREADS = SHIM_DEFAULT_MAX_THREADS + 1,
        JOBS = 8 * MAX_THREADS
    };
    static job_counters counters;
    static job_counters observe_counters;
    static hook_report hooks;
    static volatile LONG running;
    static volatile LONG peak_running;
    HANDLE gate = new_gate();
    test_job observe = job_for(&observe_counters, NULL);
    test_job job;
    shim_session_counters session;
    wchar_t max_threads_text[16];
    test_front front;

    (void)state;
    memset((void *)&counters, 0, sizeof counters);
    memset((void *)&observe_counters, 0, sizeof observe_counters);
    memset((void *)&hooks, 0, sizeof hooks);
    running = peak_running = 0;
    job = job_for(&counters, gate);
    job.running = &running;
    job.peak_running = &peak_running;
    _snwprintf(max_threads_text, 16, L"%d", MAX_THREADS);
    assert_win32(SetEnvironmentVariableW(TEST_WORKER_MAX_THREADS_VARIABLE, max_threads_text));
    load_front_and_worker(L"settings-max-threads", &front);
    observe.kind = TEST_JOB_OBSERVE;
    observe.hooks = &hooks;
    assert_int_equal(front.post_job(&observe), SHIM_OK);
    assert_true(counter_reaches_within(&observe_counters.ran, 1, TEST_DEADLINE_MS));
    assert_int_equal(hooks.max_threads_status, SHIM_OK);

    for (int i = 0; i < JOBS; i++)
        assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(counter_reaches_within(&counters.started, MAX_THREADS, TEST_DEADLINE_MS));
    assert_win32(SetEvent(gate));
    assert_true(counter_reaches_within(&counters.ran, JOBS, TEST_DEADLINE_MS));
    assert_int_equal(front.get_counters(&session), SHIM_OK);
    print_message("peak: %ld jobs counted by the host, %ld callbacks by the session, maximum %d\n",
                  peak_running, session.peak_running, MAX_THREADS);
    assert_int_equal(peak_running, MAX_THREADS);
    assert_int_equal(session.peak_running, MAX_THREADS);

    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(out_of_range_maximum_is_refused),
        isolated_test(maximum_set_in_on_start_is_respected),
    };
    return cmocka_run_group_tests_name("session_settings", tests, NULL, NULL);
}
