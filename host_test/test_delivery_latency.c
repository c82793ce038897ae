/* A session's delivery latency (shim_session_set_delivery_latency): a post
 * writes its message into the journal and wakes no one; the session thread
 * looks four times per latency and starts a callback for what it finds. So
 * out-of-range values are refused; messages posted now and then into an
 * idle session all run, with far fewer callbacks started than posts (a
 * wake per post would start one for each); a post that carries the
 * backlog past an eighth of the journal wakes a callback itself; and a
 * stop runs what waits at once instead of waiting for the next look. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

static int latency_status(test_front *front, unsigned milliseconds)
{
    return setting_status(front, delivery_latency_ms, milliseconds);
}

static void out_of_range_latency_is_refused(void **state)
{
    test_front front;

    (void)state;
    load_front_and_worker(L"latency-range", &front);
    assert_int_equal(latency_status(&front, SHIM_MAX_DELIVERY_LATENCY_MS + 1), SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(latency_status(&front, SHIM_MIN_DELIVERY_LATENCY_MS - 1), SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(latency_status(&front, 0), SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(latency_status(&front, SHIM_MAX_DELIVERY_LATENCY_MS), SHIM_OK);
    assert_int_equal(latency_status(&front, SHIM_MIN_DELIVERY_LATENCY_MS), SHIM_OK);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}

#define SPACED_POSTS 40
#define SPACING_MS 5 /* pacing the host, not waiting for the worker */

static long long callbacks_scheduled(test_front *front)
{
    shim_session_counters counters;

    assert_int_equal(front->get_counters(&counters), SHIM_OK);
    return counters.callbacks_scheduled;
}

/* The longest latency: the session thread looks every 250 ms, so the
 * posts, 5 ms apart (200 ms or more in all), meet a few looks. Each job
 * finds the pool idle (the one before has run): with a wake per post, each
 * would start a callback of its own, about 40 in all. */
static void posts_now_and_then_wake_no_one(void **state)
{
    static job_counters counters;
    test_job job = job_for(&counters, NULL);
    test_front front;
    long long before;
    long long started;

    (void)state;
    memset((void *)&counters, 0, sizeof counters);
    load_front_and_worker(L"latency-no-wake", &front);
    assert_int_equal(latency_status(&front, SHIM_MAX_DELIVERY_LATENCY_MS), SHIM_OK);
    before = callbacks_scheduled(&front);
    for (int i = 0; i < SPACED_POSTS; i++) {
        assert_int_equal(front.post_job(&job), SHIM_OK);
        Sleep(SPACING_MS);
    }
    assert_true(counter_reaches_within(&counters.ran, SPACED_POSTS, TEST_DEADLINE_MS));
    started = callbacks_scheduled(&front) - before;
    print_message("%d posts %d ms apart: %lld callbacks started\n", SPACED_POSTS, SPACING_MS, started);
    assert_in_range(started, 1, SPACED_POSTS / 2);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}

/* Whether every callback has returned to the pool within the deadline. A
 * callback leaves the count of running ones after it is no longer
 * scheduled (consumers.c), so a post made after this may wake one. */
static bool no_callback_runs_within(test_front *front, DWORD deadline_ms)
{
    ULONGLONG start = GetTickCount64();
    shim_session_counters counters;

    for (;;) {
        assert_int_equal(front->get_counters(&counters), SHIM_OK);
        if (counters.running == 0)
            return true;
        if (GetTickCount64() - start >= deadline_ms)
            return false;
        SwitchToThread();
    }
}

/* A journal of 64 KiB wakes a callback at every 8 KiB: back-to-back posts
 * of 50 jobs (about 12 KiB) cross that at least once, long before the
 * session thread's next look (the longest latency): the jobs run without
 * it. Fails if a post never wakes (the jobs would wait for the look) only
 * by the count of callbacks, which stays at 0 until the look. The posts
 * start once the callback that ran the settings job has left: while it
 * runs, a post wakes no other (it takes the jobs itself), which made this
 * fail once in 21 runs here. */
static void a_backlog_past_its_wake_span_wakes_a_callback(void **state)
{
    enum {
        JOBS = 50
    };
    static job_counters counters;
    test_job job = job_for(&counters, NULL);
    test_front front;
    long long before;

    (void)state;
    memset((void *)&counters, 0, sizeof counters);
    assert_win32(SetEnvironmentVariableW(TEST_WORKER_CAPACITY_VARIABLE, L"64"));
    load_front_and_worker(L"latency-wake-span", &front);
    assert_int_equal(latency_status(&front, SHIM_MAX_DELIVERY_LATENCY_MS), SHIM_OK);
    assert_true(no_callback_runs_within(&front, TEST_DEADLINE_MS));
    before = callbacks_scheduled(&front);
    for (int i = 0; i < JOBS; i++)
        assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(callbacks_scheduled(&front) > before);
    assert_true(counter_reaches_within(&counters.ran, JOBS, TEST_DEADLINE_MS));
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}

/* The longest latency, and a stop deadline shorter than a look interval: a
 * stop that waited for the next look would pass its deadline with the job
 * still in the journal, pin the worker and leave it loaded. */
static void a_stop_does_not_wait_for_the_next_look(void **state)
{
    static job_counters waiting;
    test_job job = job_for(&waiting, NULL);
    test_front front;

    (void)state;
    memset((void *)&waiting, 0, sizeof waiting);
    load_front_and_worker(L"latency-stop", &front);
    set_stop_deadline(&front, SHIM_MAX_DELIVERY_LATENCY_MS / 8);
    assert_int_equal(latency_status(&front, SHIM_MAX_DELIVERY_LATENCY_MS), SHIM_OK);
    assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(waiting.ran, 1);
    assert_int_equal(waiting.cancelled, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(out_of_range_latency_is_refused),
        isolated_test(posts_now_and_then_wake_no_one),
        isolated_test(a_backlog_past_its_wake_span_wakes_a_callback),
        isolated_test(a_stop_does_not_wait_for_the_next_look),
    };
    return cmocka_run_group_tests_name("delivery_latency", tests, NULL, NULL);
}
