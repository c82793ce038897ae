/* Under the cancel policy a stop drops queued work (each dropped job gets its
 * cancel function) and waits only for the callbacks already running. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

static void cancel_policy_drops_queued_work(void **state)
{
    enum {
        JOBS = 1000,
        POOL_THREADS = SHIM_DEFAULT_MAX_THREADS
    };
    /* Static: a job that outlives a failed test must not write into a dead frame. */
    static job_counters counters;
    HANDLE gate = new_gate();
    test_job job;
    test_front front;

    (void)state;
    memset((void *)&counters, 0, sizeof counters);
    job = job_for(&counters, gate);
    load_front_and_worker(L"cancel-drops", &front);
    set_stop_policy(&front, SHIM_STOP_CANCEL);
    for (int i = 0; i < JOBS; i++)
        assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(counter_reaches_within(&counters.started, POOL_THREADS, TEST_DEADLINE_MS));

    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    /* The queued jobs are cancelled while the running ones are still held
     * at the gate: the drop does not wait for running work to end. */
    assert_true(counter_reaches_within(&counters.cancelled, JOBS - POOL_THREADS, TEST_DEADLINE_MS));
    assert_int_equal(counters.ran, 0);
    assert_non_null(GetModuleHandleW(L"test_worker.dll"));

    SetEvent(gate);
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(counters.started, POOL_THREADS);
    assert_int_equal(counters.ran, POOL_THREADS);
    assert_int_equal(counters.cancelled, JOBS - POOL_THREADS);
    assert_int_equal(counters.ran + counters.cancelled, JOBS);
}

/* While on_stopping runs (held at a gate), the pool thread is free: the
 * job it held has finished. Yet no queued job starts: the cancel policy
 * dropped them all before on_stopping, and they are all counted cancelled
 * while on_stopping still holds. A runtime that cancelled the queue only
 * after on_stopping, or let a pool thread pop a queued job in between, would
 * start them (they have no gate): started would move, cancelled fall short. */
static void queued_jobs_do_not_run_while_on_stopping_runs(void **state)
{
    /* One pool thread: the test is about the queue, not about how many
     * callbacks are scheduled. */
    enum {
        QUEUED = 200,
        POOL_THREADS = 1
    };
    static test_settings settings;
    /* Static: a job that outlives a failed test must not write into a dead frame. */
    static job_counters held;
    static job_counters queued;
    static volatile LONG in_stopping;
    static volatile LONG observing;
    HANDLE held_gate = new_gate();
    HANDLE stopping_gate = new_gate();
    test_job observe = { .kind = TEST_JOB_OBSERVE };
    test_job job;
    test_front front;

    (void)state;
    memset((void *)&held, 0, sizeof held);
    memset((void *)&queued, 0, sizeof queued);
    in_stopping = 0;
    observing = 0;
    settings = (test_settings){
        .stop_policy = { TRUE, SHIM_STOP_CANCEL, TEST_STATUS_PENDING },
        .max_threads = { TRUE, POOL_THREADS, TEST_STATUS_PENDING },
    };
    load_front_and_worker(L"cancel-during-stopping", &front);
    apply_settings(&front, &settings);
    assert_int_equal(settings.stop_policy.status, SHIM_OK);
    assert_int_equal(settings.max_threads.status, SHIM_OK);
    observe.ran = &observing;
    observe.in_stopping = &in_stopping;
    observe.stopping_gate = stopping_gate;
    assert_int_equal(front.post_job(&observe), SHIM_OK);
    assert_true(counter_reaches_within(&observing, 1, TEST_DEADLINE_MS));

    /* The pool thread holds a job; the queued ones wait behind it. */
    job = job_for(&held, held_gate);
    for (int i = 0; i < POOL_THREADS; i++)
        assert_int_equal(front.post_job(&job), SHIM_OK);
    if (!counter_reaches_within(&held.started, POOL_THREADS, TEST_DEADLINE_MS)) {
        shim_session_counters counters = { 0 };

        front.get_counters(&counters);
        print_error("%ld of %d held jobs started; the session runs %ld callbacks, %lld submitted, "
                    "%lld completed\n",
                    held.started, POOL_THREADS, counters.running, counters.submitted, counters.completed);
        fail();
    }
    job = job_for(&queued, NULL);
    for (int i = 0; i < QUEUED; i++)
        assert_int_equal(front.post_job(&job), SHIM_OK);

    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(counter_reaches_within(&in_stopping, 1, TEST_DEADLINE_MS));
    /* on_stopping holds; the pool thread is let go. */
    assert_win32(SetEvent(held_gate));
    assert_true(counter_reaches_within(&held.ran, POOL_THREADS, TEST_DEADLINE_MS));
    assert_true(counter_reaches_within(&queued.cancelled, QUEUED, TEST_DEADLINE_MS));
    assert_int_equal(queued.started, 0);
    assert_int_equal(in_stopping, 1); /* still inside on_stopping: its gate is shut */

    assert_win32(SetEvent(stopping_gate));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(queued.started, 0);
    assert_int_equal(queued.ran, 0);
    assert_int_equal(queued.cancelled, QUEUED);
    assert_int_equal(held.ran, POOL_THREADS);
    assert_int_equal(held.cancelled, 0);
}

static void drain_policy_is_the_default_and_runs_everything(void **state)
{
    enum {
        JOBS = 1000
    };
    /* Static: a job that outlives a failed test must not write into a dead frame. */
    static job_counters counters;
    HANDLE gate = new_gate();
    test_job job;
    test_front front;

    (void)state;
    memset((void *)&counters, 0, sizeof counters);
    job = job_for(&counters, gate);
    load_front_and_worker(L"cancel-default-drains", &front);
    for (int i = 0; i < JOBS; i++)
        assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    SetEvent(gate);
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(counters.ran, JOBS);
    assert_int_equal(counters.cancelled, 0);
}

/* Out-of-range settings are refused at the worker API, and change nothing:
 * the session still drains under its default policy. */
static void invalid_settings_are_refused(void **state)
{
    enum {
        JOBS = 20
    };
    static test_settings invalid;
    static job_counters counters;
    HANDLE gate = new_gate();
    test_job job;
    test_front front;

    (void)state;
    memset((void *)&counters, 0, sizeof counters);
    job = job_for(&counters, gate);
    invalid = (test_settings){
        .stop_policy = { .apply = TRUE, .value = SHIM_STOP_CANCEL + 1, .status = 1 },
        .stop_deadline_ms = { .apply = TRUE, .value = (unsigned)MAXLONG + 1u, .status = 1 },
    };
    load_front_and_worker(L"cancel-invalid", &front);
    apply_settings(&front, &invalid);
    assert_int_equal(invalid.stop_policy.status, SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(invalid.stop_deadline_ms.status, SHIM_E_INVALID_ARGUMENT);

    for (int i = 0; i < JOBS; i++)
        assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    SetEvent(gate);
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(counters.ran, JOBS);
    assert_int_equal(counters.cancelled, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(cancel_policy_drops_queued_work),
        isolated_test(queued_jobs_do_not_run_while_on_stopping_runs),
        isolated_test(drain_policy_is_the_default_and_runs_everything),
        isolated_test(invalid_settings_are_refused),
    };
    return cmocka_run_group_tests_name("cancel_policy", tests, NULL, NULL);
}
