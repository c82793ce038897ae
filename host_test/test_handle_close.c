/* The close of every handle kind (timer, wait, I/O), from another thread and
 * from the handle's own callback: on_closed runs exactly once, after the
 * handle's last callback returned; no timer or wait callback begins once the
 * close has returned; a start from a callback still running after the close
 * returns SHIM_E_CLOSED. Handles still open at the stop get their on_closed
 * before on_stopped, under both policies. Handles closed while the session
 * runs are freed then, not at the stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

enum {
    PIPE_WRITES = 3,
    WRITE_SIZE = 10,
    CLOSING_CALLBACK = 3 /* the callback that closes its own handle */
};

static const wchar_t *const kind_names[] = { L"timer", L"wait", L"pipe" };

/* Static probes: a worker that outlives a failed test must not write into a
 * dead frame. Each test starts them afresh. */
static handle_probe *fresh_probe(handle_probe *probe, test_handle_kind kind)
{
    /* Auto-reset: each SetEvent wakes an armed wait once. Kept for the
     * process: a wait may still be armed on it when a test fails. */
    static HANDLE signal;

    if (signal == NULL)
        signal = CreateEventW(NULL, FALSE, FALSE, NULL);
    assert_win32(signal != NULL);
    assert_win32(ResetEvent(signal));
    memset((void *)probe, 0, sizeof *probe);
    probe->kind = kind;
    probe->signal = signal;
    probe->create_status = TEST_STATUS_PENDING;
    probe->close_status = TEST_STATUS_PENDING;
    probe->start_after_close = TEST_STATUS_PENDING;
    return probe;
}

static void post_probe(test_front *front, handle_probe *probe)
{
    test_job job = { .kind = TEST_JOB_HANDLE, .probe = probe };

    assert_int_equal(front->post_job(&job), SHIM_OK);
    assert_true(status_reported_within(&probe->create_status, TEST_DEADLINE_MS));
    assert_int_equal(probe->create_status, SHIM_OK);
}

/* From a pool thread of the session, other than the handle's callbacks. */
static void close_from_a_job(test_front *front, handle_probe *probe)
{
    static job_counters counters;
    test_job job = job_for(&counters, NULL);
    LONG ran_before = counters.ran;

    job.kind = TEST_JOB_CLOSE_HANDLE;
    job.probe = probe;
    assert_int_equal(front->post_job(&job), SHIM_OK);
    assert_true(counter_reaches_within(&counters.ran, ran_before + 1, TEST_DEADLINE_MS));
    assert_int_equal(probe->close_status, SHIM_OK);
}

static void write_to_pipe(handle_probe *probe)
{
    DWORD written = 0;

    assert_win32(WriteFile(probe->pipe_writer, "0123456789", WRITE_SIZE, &written, NULL));
    assert_int_equal(written, WRITE_SIZE);
}

/* Makes callback `number` begin: a timer fires on its own, a wait needs its
 * object signalled, a read needs data. */
static void make_callback_begin(handle_probe *probe, LONG number)
{
    if (probe->kind == TEST_HANDLE_WAIT)
        assert_win32(SetEvent(probe->signal));
    if (probe->kind == TEST_HANDLE_PIPE_READ)
        write_to_pipe(probe);
    assert_true(counter_reaches_within(&probe->begun, number, TEST_DEADLINE_MS));
}

static void unload(test_front *front)
{
    assert_true(free_library_within(front->module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}

/* What every close must leave, checked once the worker is gone: on_closed
 * ran once, after the last callback had returned, and nothing began after it. */
static void assert_closed_once_after_the_last_callback(const handle_probe *probe)
{
    print_message("%ls: %ld callbacks, %ld begun when on_closed ran\n", kind_names[probe->kind], probe->begun,
                  probe->begun_at_closed);
    assert_int_equal(probe->closed, 1);
    assert_int_equal(probe->begun_at_closed, probe->ended_at_closed);
    assert_int_equal(probe->begun, probe->begun_at_closed);
    if (probe->kind == TEST_HANDLE_PIPE_READ)
        assert_int_equal(probe->os_handle_open_at_closed, 1);
}

/* The close comes from a job on the session's other pool thread while the
 * handle's callback is held at the gate. With the default 2 pool threads,
 * these two are the only callbacks that can run then: no other callback of
 * the handle can be on its way in when the close returns, so any callback
 * that begins after it broke the rule. */
static void close_from_another_thread(test_handle_kind kind)
{
    static handle_probe storage;
    handle_probe *probe = fresh_probe(&storage, kind);
    HANDLE gate = new_gate();
    LONG held = kind == TEST_HANDLE_PIPE_READ ? PIPE_WRITES + 1 : 1;
    test_front front;

    probe->gate = gate;
    probe->gated_callback = held;
    load_front_and_worker(L"close-from-another-thread", &front);
    post_probe(&front, probe);
    if (kind == TEST_HANDLE_PIPE_READ) {
        /* Reads complete; then one is pending, which the close cancels:
         * its completion is the callback held at the gate. */
        for (LONG i = 1; i <= PIPE_WRITES; i++)
            make_callback_begin(probe, i);
        assert_true(counter_reaches_within(&probe->ended, PIPE_WRITES, TEST_DEADLINE_MS));
    } else {
        make_callback_begin(probe, 1);
    }

    close_from_a_job(&front, probe);
    if (kind == TEST_HANDLE_WAIT)
        assert_win32(SetEvent(probe->signal)); /* armed again by callback 1: the close disarmed it */
    assert_win32(SetEvent(gate));
    assert_true(counter_reaches_within(&probe->closed, 1, TEST_DEADLINE_MS));
    assert_int_equal(probe->start_after_close, SHIM_E_CLOSED);
    if (kind == TEST_HANDLE_PIPE_READ)
        assert_int_equal(probe->aborted, 1);

    unload(&front);
    assert_closed_once_after_the_last_callback(probe);
    if (kind != TEST_HANDLE_PIPE_READ)
        assert_int_equal(probe->began_after_close, 0);
}

static void timer_closed_from_another_thread(void **state)
{
    (void)state;
    close_from_another_thread(TEST_HANDLE_TIMER);
}

static void wait_closed_from_another_thread(void **state)
{
    (void)state;
    close_from_another_thread(TEST_HANDLE_WAIT);
}

static void io_closed_from_another_thread(void **state)
{
    (void)state;
    close_from_another_thread(TEST_HANDLE_PIPE_READ);
}

static void observe_hooks(test_front *front, hook_report *hooks)
{
    static job_counters counters;
    test_job job = job_for(&counters, NULL);
    LONG ran_before = counters.ran;

    memset((void *)hooks, 0, sizeof *hooks);
    job.kind = TEST_JOB_OBSERVE;
    job.hooks = hooks;
    assert_int_equal(front->post_job(&job), SHIM_OK);
    assert_true(counter_reaches_within(&counters.ran, ran_before + 1, TEST_DEADLINE_MS));
}

/* Callback CLOSING_CALLBACK closes its own handle, then tries to start it.
 * The session has one pool thread (set by on_start), so no other callback of
 * the handle runs beside the closing one: any that begins later broke the
 * rule. A periodic timer needs this; a wait and a read have one callback at
 * a time anyway. */
static void close_from_own_callback(test_handle_kind kind)
{
    static handle_probe storage;
    static hook_report hooks;
    handle_probe *probe = fresh_probe(&storage, kind);
    test_front front;

    probe->close_in_callback = CLOSING_CALLBACK;
    assert_win32(SetEnvironmentVariableW(TEST_WORKER_MAX_THREADS_VARIABLE, L"1"));
    load_front_and_worker(L"close-from-own-callback", &front);
    observe_hooks(&front, &hooks);
    assert_int_equal(hooks.max_threads_status, SHIM_OK);
    post_probe(&front, probe);
    for (LONG i = 1; i <= CLOSING_CALLBACK; i++)
        make_callback_begin(probe, i);
    assert_true(counter_reaches_within(&probe->closed, 1, TEST_DEADLINE_MS));
    assert_int_equal(probe->close_status, SHIM_OK);
    assert_int_equal(probe->start_after_close, SHIM_E_CLOSED);
    if (kind == TEST_HANDLE_WAIT)
        assert_win32(SetEvent(probe->signal)); /* nothing is armed on it any more */

    unload(&front);
    assert_closed_once_after_the_last_callback(probe);
    assert_int_equal(probe->begun, CLOSING_CALLBACK);
    assert_int_equal(probe->began_after_close, 0);
    if (kind == TEST_HANDLE_PIPE_READ)
        assert_int_equal(probe->aborted, 0); /* no read was pending at the close */
}

static void timer_closed_from_its_callback(void **state)
{
    (void)state;
    close_from_own_callback(TEST_HANDLE_TIMER);
}

static void wait_closed_from_its_callback(void **state)
{
    (void)state;
    close_from_own_callback(TEST_HANDLE_WAIT);
}

static void io_closed_from_its_callback(void **state)
{
    (void)state;
    close_from_own_callback(TEST_HANDLE_PIPE_READ);
}

/* A handle of each kind, armed and never closed by the plugin: the stop
 * closes each, and its on_closed runs before on_stopped. */
static void handles_open_at_the_stop(shim_stop_policy policy)
{
    static handle_probe probes[3];
    static hook_report hooks;
    test_front front;

    load_front_and_worker(policy == SHIM_STOP_DRAIN ? L"open-at-stop-drain" : L"open-at-stop-cancel", &front);
    set_stop_policy(&front, policy);
    observe_hooks(&front, &hooks);
    for (int kind = TEST_HANDLE_TIMER; kind <= TEST_HANDLE_PIPE_READ; kind++)
        post_probe(&front, fresh_probe(&probes[kind], (test_handle_kind)kind));
    /* The timer fires; the wait and the read stay pending until the stop. */
    assert_true(counter_reaches_within(&probes[TEST_HANDLE_TIMER].begun, 1, TEST_DEADLINE_MS));

    unload(&front);
    for (int kind = TEST_HANDLE_TIMER; kind <= TEST_HANDLE_PIPE_READ; kind++) {
        assert_closed_once_after_the_last_callback(&probes[kind]);
        assert_int_equal(probes[kind].close_status, TEST_STATUS_PENDING); /* the plugin never closed it */
    }
    assert_int_equal(probes[TEST_HANDLE_WAIT].begun, 0);
    assert_int_equal(probes[TEST_HANDLE_PIPE_READ].aborted, 1); /* the pending read, cancelled */
    assert_int_equal(hooks.closed_at_stopped, 3);
    assert_int_equal(hooks.order, 123);
}

static void handles_open_at_a_draining_stop(void **state)
{
    (void)state;
    handles_open_at_the_stop(SHIM_STOP_DRAIN);
}

static void handles_open_at_a_cancelling_stop(void **state)
{
    (void)state;
    handles_open_at_the_stop(SHIM_STOP_CANCEL);
}

/* A plugin that creates and closes a timer per request, as one that times
 * out its requests would. Each timer is due long after the test, so none
 * fires; the context is the host's probe, so the plugin allocates nothing.
 * What the heap holds afterwards is the runtime's. */
static LONG churn(test_front *front, handle_probe *probe, LONG timers)
{
    static job_counters counters;
    static volatile LONG churn_status;
    test_job job = job_for(&counters, NULL);
    LONG ran_before = counters.ran;
    LONG closed_before = probe->closed;

    churn_status = TEST_STATUS_PENDING;
    job.kind = TEST_JOB_TIMER_CHURN;
    job.probe = probe;
    job.churn_count = timers;
    job.resubmit_status = &churn_status;
    assert_int_equal(front->post_job(&job), SHIM_OK);
    assert_true(counter_reaches_within(&counters.ran, ran_before + 1, TEST_DEADLINE_MS));
    assert_int_equal(churn_status, SHIM_OK);
    assert_true(counter_reaches_within(&probe->closed, closed_before + timers, TEST_DEADLINE_MS));
    return probe->closed;
}

/* Busy heap blocks may grow by this much over TIMERS closed timers. A
 * handle the runtime kept until the stop would hold at least one block of
 * its own (the pool's TP_TIMER, and the runtime's record of it): TIMERS
 * blocks, 2,000 here. The 16 are for what else the process allocates
 * meanwhile (the posted job's item) and for the last handles, whose
 * on_closed has run but whose memory is freed right after it. Measured
 * under Wine 8: no growth at all. */
#define HEAP_BLOCK_MARGIN 16

enum {
    WARM_UP_TIMERS = 200,
    TIMERS = 2000
};

static void closed_timers_are_freed_before_the_stop(void **state)
{
    static handle_probe storage;
    handle_probe *probe = fresh_probe(&storage, TEST_HANDLE_TIMER);
    size_t before;
    size_t after;
    test_front front;

    (void)state;
    load_front_and_worker(L"timer-churn", &front);
    /* The first handles grow the pool's and the runtime's lasting structures. */
    churn(&front, probe, WARM_UP_TIMERS);
    before = busy_heap_blocks();
    assert_int_equal(churn(&front, probe, TIMERS), WARM_UP_TIMERS + TIMERS);
    after = busy_heap_blocks();
    print_message("busy heap blocks: %lu before, %lu after %d timers created, armed and closed\n",
                  (unsigned long)before, (unsigned long)after, TIMERS);
    assert_int_equal(probe->begun, 0);
    assert_in_range(after, 0, before + HEAP_BLOCK_MARGIN);

    unload(&front);
    assert_int_equal(probe->closed, WARM_UP_TIMERS + TIMERS); /* not once more at the stop */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(timer_closed_from_another_thread),
        isolated_test(wait_closed_from_another_thread),
        isolated_test(io_closed_from_another_thread),
        isolated_test(timer_closed_from_its_callback),
        isolated_test(wait_closed_from_its_callback),
        isolated_test(io_closed_from_its_callback),
        isolated_test(handles_open_at_a_draining_stop),
        isolated_test(handles_open_at_a_cancelling_stop),
        isolated_test(closed_timers_are_freed_before_the_stop),
    };
    return cmocka_run_group_tests_name("handle_close", tests, NULL, NULL);
}
