/* A session's delivery delay (shim_session_set_delivery_latency): out-of-range
 * values are refused; a message posted into an idle session starts no
 * earlier than the delay, together with what was posted meanwhile, and
 * later messages still run once those did; a stop requested meanwhile
 * starts the waiting messages at once instead of waiting the delay out. Process exit hands waiting messages over
 * (test_exit_delivery.c), and a timer that could not be created leaves the
 * setting unchanged (test_fault_injection.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

/* Long enough that a pool thread woken at once would start far before it
 * even on a busy machine; the checks allow half of it for timer slack. */
#define DELAY_MS 400u

static int delay_status(test_front *front, unsigned milliseconds)
{
    return setting_status(front, delivery_latency_ms, milliseconds);
}

static void out_of_range_delay_is_refused(void **state)
{
    test_front front;

    (void)state;
    load_front_and_worker(L"delay-range", &front);
    assert_int_equal(delay_status(&front, SHIM_MAX_DELIVERY_LATENCY_MS + 1), SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(delay_status(&front, SHIM_MAX_DELIVERY_LATENCY_MS), SHIM_OK);
    assert_int_equal(delay_status(&front, 0), SHIM_OK);
    assert_int_equal(delay_status(&front, DELAY_MS), SHIM_OK);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}

/* Posts a job that records when it began (if nothing else in *began_at
 * began before it); returns when it was posted. */
static ULONGLONG post_timed(test_front *front, job_counters *counters, volatile LONG64 *began_at)
{
    test_job job = job_for(counters, NULL);
    ULONGLONG posted = GetTickCount64();

    job.began_at = began_at;
    assert_int_equal(front->post_job(&job), SHIM_OK);
    return posted;
}

/* Milliseconds from `posted` to a job's beginning. */
static LONG64 waited(const volatile LONG64 *began_at, ULONGLONG posted)
{
    return *began_at - (LONG64)posted;
}

/* The first job arms the delay. A steady host then posts a job a
 * millisecond until the first begins: those wait with it instead of waking
 * the pool, and leave the delay armed as it was (were each to re-arm it,
 * the first would never begin). Without the delay each would begin within
 * milliseconds of its post. A job posted once all ran runs too, whether
 * it arms the delay again or finds the next window (work_queue.c,
 * deliver_next_window) still armed. */
static void messages_wait_out_the_delay_together(void **state)
{
    static job_counters first;
    static job_counters following;
    static job_counters next;
    static volatile LONG64 first_began;
    static volatile LONG64 following_began; /* the earliest of them */
    static volatile LONG64 next_began;
    test_front front;
    ULONGLONG posted;
    LONG following_posted = 0;

    (void)state;
    memset((void *)&first, 0, sizeof first);
    memset((void *)&following, 0, sizeof following);
    memset((void *)&next, 0, sizeof next);
    first_began = following_began = next_began = 0;
    load_front_and_worker(L"delay-together", &front);
    assert_int_equal(delay_status(&front, DELAY_MS), SHIM_OK);

    posted = post_timed(&front, &first, &first_began);
    while (first.started == 0 && GetTickCount64() - posted < TEST_DEADLINE_MS) {
        post_timed(&front, &following, &following_began);
        following_posted++;
        Sleep(1); /* pacing: the loop ends on the first job's start */
    }
    assert_int_equal(first.started, 1); /* and not the deadline */
    assert_true(counter_reaches_within(&first.ran, 1, TEST_DEADLINE_MS));
    assert_true(counter_reaches_within(&following.ran, following_posted, TEST_DEADLINE_MS));
    assert_true(following_posted > 1);
    assert_true(waited(&first_began, posted) >= DELAY_MS / 2);
    assert_true(waited(&following_began, posted) >= DELAY_MS / 2);

    post_timed(&front, &next, &next_began);
    assert_true(counter_reaches_within(&next.ran, 1, TEST_DEADLINE_MS));

    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}

/* The longest delay, and a stop deadline shorter than it: a stop that
 * waited the delay out would pass its deadline with the job still queued,
 * pin the worker and leave it loaded. */
static void stop_with_a_job_waiting(const wchar_t *fixture_name, BOOL after_a_window)
{
    static job_counters first;
    static job_counters waiting;
    static volatile LONG64 first_began;
    static volatile LONG64 waiting_began;
    test_front front;

    memset((void *)&first, 0, sizeof first);
    memset((void *)&waiting, 0, sizeof waiting);
    first_began = waiting_began = 0;
    load_front_and_worker(fixture_name, &front);
    set_stop_deadline(&front, SHIM_MAX_DELIVERY_LATENCY_MS / 4);
    assert_int_equal(delay_status(&front, SHIM_MAX_DELIVERY_LATENCY_MS), SHIM_OK);
    /* A window that ran a job arms the next one itself, still scheduled:
     * the waiting job is posted into that window. */
    if (after_a_window) {
        post_timed(&front, &first, &first_began);
        assert_true(counter_reaches_within(&first.ran, 1, TEST_DEADLINE_MS));
    }

    post_timed(&front, &waiting, &waiting_began);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(waiting.ran, 1);
    assert_int_equal(waiting.saw_stop, 1);
    assert_int_equal(waiting.cancelled, 0);
}

static void a_stop_does_not_wait_out_the_delay(void **state)
{
    (void)state;
    stop_with_a_job_waiting(L"delay-stop", FALSE);
}

static void a_stop_does_not_wait_out_the_next_window(void **state)
{
    (void)state;
    stop_with_a_job_waiting(L"delay-stop-next-window", TRUE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(out_of_range_delay_is_refused),
        isolated_test(messages_wait_out_the_delay_together),
        isolated_test(a_stop_does_not_wait_out_the_delay),
        isolated_test(a_stop_does_not_wait_out_the_next_window),
    };
    return cmocka_run_group_tests_name("delivery_delay", tests, NULL, NULL);
}
