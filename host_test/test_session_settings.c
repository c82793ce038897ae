/* The session's thread maximum, set by the plugin: out-of-range values are
 * refused, a maximum set in on_start bounds the callbacks that run at once,
 * counted by the host and by the session, and a maximum lowered while more
 * callbacks run holds from then on. */
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
    return setting_status(front, max_threads, value);
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

/* Polls the session's running callbacks until they are `wanted`. */
static bool running_callbacks_reach_within(test_front *front, LONG wanted, DWORD deadline_ms)
{
    ULONGLONG end = GetTickCount64() + deadline_ms;
    shim_session_counters session;

    do {
        if (front->get_counters(&session) == SHIM_OK && session.running == wanted)
            return true;
        SwitchToThread();
    } while (GetTickCount64() < end);
    return false;
}

/* Two callbacks run held jobs; the second then runs a job that lowers the
 * maximum to 1, with more jobs queued: it must leave rather than take one,
 * so that while the first still holds its job nothing else starts, and
 * afterwards the queued jobs run one at a time. */
static void maximum_lowered_while_callbacks_run_holds_at_once(void **state)
{
    enum {
        LATER_JOBS = 4
    };
    static job_counters first;
    static job_counters second;
    static job_counters later;
    static job_counters lowering;
    static test_settings settings;
    static volatile LONG running;
    static volatile LONG peak_running;
    HANDLE first_gate = new_gate();
    HANDLE second_gate = new_gate();
    HANDLE later_gate = new_gate();
    test_job first_job = job_for(&first, first_gate);
    test_job second_job = job_for(&second, second_gate);
    test_job later_job = job_for(&later, later_gate);
    test_job lower = job_for(&lowering, NULL);
    test_front front;

    (void)state;
    memset((void *)&first, 0, sizeof first);
    memset((void *)&second, 0, sizeof second);
    memset((void *)&later, 0, sizeof later);
    memset((void *)&lowering, 0, sizeof lowering);
    memset((void *)&settings, 0, sizeof settings);
    running = peak_running = 0;
    settings.max_threads = (test_setting){ TRUE, 1, TEST_STATUS_PENDING };
    lower.kind = TEST_JOB_SETTINGS;
    lower.settings = &settings;
    later_job.running = &running;
    later_job.peak_running = &peak_running;
    load_front_and_worker(L"settings-lowered", &front);

    assert_int_equal(front.post_job(&first_job), SHIM_OK);
    assert_int_equal(front.post_job(&second_job), SHIM_OK);
    assert_true(counter_reaches_within(&first.started, 1, TEST_DEADLINE_MS));
    assert_true(counter_reaches_within(&second.started, 1, TEST_DEADLINE_MS));
    assert_int_equal(front.post_job(&lower), SHIM_OK);
    for (int i = 0; i < LATER_JOBS; i++)
        assert_int_equal(front.post_job(&later_job), SHIM_OK);

    /* The second callback ends its job, lowers the maximum, and leaves. */
    assert_win32(SetEvent(second_gate));
    assert_true(status_reported_within(&settings.max_threads.status, TEST_DEADLINE_MS));
    assert_int_equal(settings.max_threads.status, SHIM_OK);
    assert_true(running_callbacks_reach_within(&front, 1, TEST_DEADLINE_MS));
    assert_int_equal(later.started, 0);

    assert_win32(SetEvent(first_gate));
    assert_win32(SetEvent(later_gate));
    assert_true(counter_reaches_within(&later.ran, LATER_JOBS, TEST_DEADLINE_MS));
    assert_int_equal(peak_running, 1);

    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(out_of_range_maximum_is_refused),
        isolated_test(maximum_set_in_on_start_is_respected),
        isolated_test(maximum_lowered_while_callbacks_run_holds_at_once),
    };
    return cmocka_run_group_tests_name("session_settings", tests, NULL, NULL);
}
