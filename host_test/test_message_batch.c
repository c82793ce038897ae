/* A session's message batch (shim_session_set_message_batch): out-of-range
 * values are refused; with a batch, the messages a callback took run on it
 * after the one it holds, even while another callback is free (what a
 * batch trades, and the proof that it is taken); under the cancel policy
 * the rest of a batch is cancelled, never run, once the stop is requested. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

static int batch_status(test_front *front, unsigned value)
{
    return setting_status(front, message_batch, value);
}

static void out_of_range_batch_is_refused(void **state)
{
    test_front front;

    (void)state;
    load_front_and_worker(L"batch-range", &front);
    assert_int_equal(batch_status(&front, 0), SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(batch_status(&front, SHIM_MESSAGE_BATCH_LIMIT + 1), SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(batch_status(&front, SHIM_MESSAGE_BATCH_LIMIT), SHIM_OK);
    assert_int_equal(batch_status(&front, 1), SHIM_OK);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}

/* Two callbacks (the default), a batch of 8. Both are first held, then
 * held, first, second and third are queued. The first callback, released,
 * finds those four and takes half: held and first. It holds again at
 * held; the second callback, released, takes second and third. One at a
 * time, the second callback would have taken first before them. */
static void a_batch_waits_behind_its_held_message(void **state)
{
    static job_counters occupying[2];
    static job_counters held;
    static job_counters first;
    static job_counters others;
    HANDLE occupying_gates[2] = { new_gate(), new_gate() };
    HANDLE held_gate = new_gate();
    test_job held_job = job_for(&held, held_gate);
    test_job first_job = job_for(&first, NULL);
    test_job other_job = job_for(&others, NULL);
    test_front front;

    (void)state;
    memset((void *)occupying, 0, sizeof occupying);
    memset((void *)&held, 0, sizeof held);
    memset((void *)&first, 0, sizeof first);
    memset((void *)&others, 0, sizeof others);
    load_front_and_worker(L"batch-held", &front);
    assert_int_equal(batch_status(&front, 8), SHIM_OK);
    for (int i = 0; i < 2; i++) {
        test_job occupy = job_for(&occupying[i], occupying_gates[i]);

        assert_int_equal(front.post_job(&occupy), SHIM_OK);
        assert_true(counter_reaches_within(&occupying[i].started, 1, TEST_DEADLINE_MS));
    }
    assert_int_equal(front.post_job(&held_job), SHIM_OK);
    assert_int_equal(front.post_job(&first_job), SHIM_OK);
    assert_int_equal(front.post_job(&other_job), SHIM_OK);
    assert_int_equal(front.post_job(&other_job), SHIM_OK);

    assert_win32(SetEvent(occupying_gates[0]));
    assert_true(counter_reaches_within(&held.started, 1, TEST_DEADLINE_MS));
    assert_win32(SetEvent(occupying_gates[1]));
    assert_true(counter_reaches_within(&others.ran, 2, TEST_DEADLINE_MS));
    /* first is in the held callback's batch: nothing else may run it. */
    assert_int_equal(first.started, 0);

    assert_win32(SetEvent(held_gate));
    assert_true(counter_reaches_within(&first.ran, 1, TEST_DEADLINE_MS));
    assert_int_equal(held.ran, 1);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}

/* One callback, a batch of 8, the cancel policy: the callback holds at the
 * first message of a batch of six when the stop is requested. The other
 * five were taken, so the stop's cancel of the queue does not see them;
 * the callback, released, cancels them instead of running them. */
static void a_batch_is_cancelled_after_the_stop(void **state)
{
    enum {
        BEHIND = 5
    };
    static job_counters occupying;
    static job_counters held;
    static job_counters behind;
    static test_settings settings;
    HANDLE occupying_gate = new_gate();
    HANDLE held_gate = new_gate();
    test_job occupy = job_for(&occupying, occupying_gate);
    test_job held_job = job_for(&held, held_gate);
    test_job behind_job = job_for(&behind, NULL);
    test_front front;

    (void)state;
    memset((void *)&occupying, 0, sizeof occupying);
    memset((void *)&held, 0, sizeof held);
    memset((void *)&behind, 0, sizeof behind);
    memset((void *)&settings, 0, sizeof settings);
    settings.max_threads = (test_setting){ TRUE, 1, TEST_STATUS_PENDING };
    settings.message_batch = (test_setting){ TRUE, 8, TEST_STATUS_PENDING };
    settings.stop_policy = (test_setting){ TRUE, SHIM_STOP_CANCEL, TEST_STATUS_PENDING };
    load_front_and_worker(L"batch-cancel", &front);
    apply_settings(&front, &settings);
    assert_int_equal(settings.max_threads.status, SHIM_OK);
    assert_int_equal(settings.message_batch.status, SHIM_OK);
    assert_int_equal(settings.stop_policy.status, SHIM_OK);

    assert_int_equal(front.post_job(&occupy), SHIM_OK);
    assert_true(counter_reaches_within(&occupying.started, 1, TEST_DEADLINE_MS));
    assert_int_equal(front.post_job(&held_job), SHIM_OK);
    for (int i = 0; i < BEHIND; i++)
        assert_int_equal(front.post_job(&behind_job), SHIM_OK);
    assert_win32(SetEvent(occupying_gate));
    assert_true(counter_reaches_within(&held.started, 1, TEST_DEADLINE_MS));

    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_win32(SetEvent(held_gate));
    assert_true(counter_reaches_within(&behind.cancelled, BEHIND, TEST_DEADLINE_MS));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(behind.started, 0);
    assert_int_equal(behind.ran, 0);
    assert_int_equal(held.ran, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(out_of_range_batch_is_refused),
        isolated_test(a_batch_waits_behind_its_held_message),
        isolated_test(a_batch_is_cancelled_after_the_stop),
    };
    return cmocka_run_group_tests_name("message_batch", tests, NULL, NULL);
}
