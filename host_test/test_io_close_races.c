/* The lifetimes of shim_io handles under races, thousands of rounds each,
 * with freed contexts made visible: on_closed fills its context with
 * TEST_POISON (Wine's heap does not fault on a stale read), and every
 * completion checks its context is not poisoned, on entry and after its own
 * shim_io_start. Each round creates a pipe handle, starts a read, writes to
 * the pipe and closes the handle from the job's pool thread after a spin of
 * a varying length, while the completion runs on another pool thread:
 *   (a) the completion drops the last pending operation while the close
 *       drops the open reference: on_closed once per handle, after the
 *       completion returned, and no completion sees poison;
 *   (b) each completion starts the next read from its own callback while
 *       the close runs: that start returns SHIM_OK or SHIM_E_CLOSED only,
 *       on_closed comes once, and a read started in the window after the
 *       close's CancelIoEx would leave the handle open (counted as stuck).
 * (b) fails on the runtime as it is: a completion whose shim_io_start
 * returned SHIM_OK just before the close issues its ReadFile just after the
 * close's CancelIoEx, so nothing cancels it and on_closed waits for a byte
 * that never comes (2 of 3,000 rounds, rescued by a write and counted).
 * Without the reference counting (on_closed when the close drops its
 * reference, whatever completion still runs), (a) sees closed_while_running
 * or poison; a start that ignored the closed mark would return SHIM_OK after
 * the close and leave reads pending, counted in (b). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "test_support.h"

enum {
    ROUNDS = 3000,
    RACE_DEADLINE_MS = 120000
};

static void run_race(BOOL restart_in_callback, io_race *race)
{
    static job_counters counters;
    static test_settings settings;
    test_front front;
    test_job job = job_for(&counters, NULL);
    LARGE_INTEGER start;

    ZeroMemory(&counters, sizeof counters);
    settings = (test_settings){ .max_threads = { TRUE, 4, TEST_STATUS_PENDING } };
    load_front_and_worker(L"io-close-races", &front);
    apply_settings(&front, &settings);
    assert_int_equal(settings.max_threads.status, SHIM_OK);
    race->rounds = ROUNDS;
    race->restart_in_callback = restart_in_callback;
    job.kind = TEST_JOB_IO_RACE;
    job.race = race;
    QueryPerformanceCounter(&start);
    assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(counter_reaches_within(&counters.ran, 1, RACE_DEADLINE_MS));
    print_message("%s: %ld rounds in %.0f ms, %ld completions (%ld aborted), starts from the callback: "
                  "%ld ok, %ld closed; %ld closes returned before the completion began; %ld stuck\n",
                  restart_in_callback ? "start from the callback vs close" : "last completion vs close",
                  race->rounds_done, elapsed_since(start), race->completions, race->aborted, race->start_ok,
                  race->start_closed, race->closed_before_completion, race->stuck);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));

    assert_int_equal(race->setup_failed, 0);
    assert_int_equal(race->rounds_done, ROUNDS);
    assert_int_equal(race->closed, ROUNDS);
    assert_int_equal(race->closed_twice, 0);
    assert_int_equal(race->closed_while_running, 0);
    assert_int_equal(race->poisoned_seen, 0);
    assert_int_equal(race->close_failed, 0);
    assert_int_equal(race->start_other, 0);
    assert_int_equal(race->stuck, 0);
}

static void last_completion_races_the_close(void **state)
{
    static io_race race;

    (void)state;
    run_race(FALSE, &race);
    /* Every handle had one read: it completed, with data or cancelled. */
    assert_int_equal(race.completions, ROUNDS);
    assert_int_equal(race.start_ok + race.start_closed, 0);
}

static void start_from_the_callback_races_the_close(void **state)
{
    static io_race race;

    (void)state;
    run_race(TRUE, &race);
    /* Each completion started again; the last start of each handle failed. */
    assert_int_equal(race.start_ok + race.start_closed, race.completions);
    assert_true(race.start_closed > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(last_completion_races_the_close),
        isolated_test(start_from_the_callback_races_the_close),
    };
    return cmocka_run_group_tests_name("io_close_races", tests, NULL, NULL);
}
