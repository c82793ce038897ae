/* Torture: work callbacks that take the loader lock (LoadLibrary and
 * FreeLibrary of a system DLL, GetModuleHandle, GetModuleHandleEx by address,
 * GetProcAddress) again and again while the front is freed and the session
 * stops. The host's FreeLibrary holds the loader lock while the front's
 * detach runs; the session thread takes it to drop its references; pool
 * threads take it to attach and detach. None of them may wait on another:
 * every step here has a deadline, so a deadlock fails the test.
 *
 * Size: TWINSHIM_TORTURE_LOADER_CYCLES load/stop cycles for the last test
 * (CI: 100; host_test/run-torture.sh: 1,000). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <wchar.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

enum {
    JOBS = 24,
    CI_CYCLES = 100,
    JOBS_PER_CYCLE = 4,
    ROUNDS_BEFORE_STOP = 10
};

typedef struct loader_counters {
    job_counters jobs;
    volatile LONG rounds;
    volatile LONG rounds_in_stop;
} loader_counters;

static test_job loader_job(loader_counters *counters)
{
    test_job job = job_for(&counters->jobs, NULL);

    job.kind = TEST_JOB_LOADER_LOCK;
    job.loader_rounds = &counters->rounds;
    job.rounds_in_stop = &counters->rounds_in_stop;
    return job;
}

/* The host takes the loader lock too, on a thread of its own, for as long as
 * *keep_going is set. */
static volatile LONG host_keep_going;
static volatile LONG host_rounds;

static DWORD WINAPI host_loader_thread(void *unused)
{
    (void)unused;
    while (InterlockedCompareExchange(&host_keep_going, 0, 0)) {
        HMODULE system_dll = LoadLibraryW(TEST_LOADER_SYSTEM_DLL);
        if (system_dll != NULL) {
            (void)GetProcAddress(system_dll, "GetFileVersionInfoSizeW");
            FreeLibrary(system_dll);
        }
        (void)GetModuleHandleW(L"test_worker.dll");
        InterlockedIncrement(&host_rounds);
    }
    return 0;
}

static HANDLE start_host_loader_thread(void)
{
    InterlockedExchange(&host_keep_going, 1);
    return CreateThread(NULL, 0, host_loader_thread, NULL, 0, NULL);
}

static void stop_host_loader_thread(HANDLE thread)
{
    InterlockedExchange(&host_keep_going, 0);
    assert_int_equal(WaitForSingleObject(thread, TEST_DEADLINE_MS), WAIT_OBJECT_0);
    CloseHandle(thread);
}

static void stop_while_callbacks_take_the_loader_lock(shim_stop_policy policy)
{
    static loader_counters counters;
    test_job job;
    test_front front;
    HANDLE host_thread;

    memset((void *)&counters, 0, sizeof counters);
    job = loader_job(&counters);
    load_front_and_worker(policy == SHIM_STOP_DRAIN ? L"torture-loader-drain" : L"torture-loader-cancel",
                          &front);
    set_stop_policy(&front, policy);
    for (int i = 0; i < JOBS; i++)
        assert_int_equal(front.post_job(&job), SHIM_OK);
    host_thread = start_host_loader_thread();
    assert_non_null(host_thread);
    /* A callback per pool thread is busy in the loader; the rest are queued. */
    assert_true(counter_reaches_within(&counters.jobs.started, SHIM_DEFAULT_MAX_THREADS, TEST_DEADLINE_MS));
    assert_true(counter_reaches_within(&counters.rounds, ROUNDS_BEFORE_STOP, TEST_DEADLINE_MS));

    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    stop_host_loader_thread(host_thread);

    assert_int_equal(counters.jobs.ran + counters.jobs.cancelled, JOBS);
    assert_int_equal(counters.jobs.saw_stop, counters.jobs.ran);
    assert_int_equal(counters.rounds_in_stop, counters.jobs.ran * TEST_LOADER_ROUNDS_AFTER_STOP);
    if (policy == SHIM_STOP_DRAIN)
        assert_int_equal(counters.jobs.cancelled, 0);
    else
        assert_in_range(counters.jobs.ran, SHIM_DEFAULT_MAX_THREADS, JOBS);
    printf("loader-lock (%s): %ld ran, %ld cancelled, %ld loader rounds (%ld during the stop), "
           "%ld host rounds\n",
           policy == SHIM_STOP_DRAIN ? "drain" : "cancel", counters.jobs.ran, counters.jobs.cancelled,
           counters.rounds, counters.rounds_in_stop, host_rounds);
}

static void drain_while_callbacks_take_the_loader_lock(void **state)
{
    (void)state;
    stop_while_callbacks_take_the_loader_lock(SHIM_STOP_DRAIN);
}

static void cancel_while_callbacks_take_the_loader_lock(void **state)
{
    (void)state;
    stop_while_callbacks_take_the_loader_lock(SHIM_STOP_CANCEL);
}

/* Many stops, each overlapping the next session's start: loader calls in
 * callbacks of the stopping session, the host reloading, and the host's own
 * loader thread, all at once. */
static void reload_while_callbacks_take_the_loader_lock(void **state)
{
    static loader_counters counters;
    unsigned long cycles = torture_size(L"TWINSHIM_TORTURE_LOADER_CYCLES", CI_CYCLES);
    wchar_t folder[TEST_PATH_CAPACITY];
    test_job job = loader_job(&counters);
    test_front front;
    HANDLE host_thread;
    long handle_baseline;
    long module_baseline;
    LARGE_INTEGER start;
    torture_result result = { .scenario = "loader-lock-during-stop", .size = cycles };

    (void)state;
    assert_true(front_and_worker_folder(L"torture-loader-reload", folder));
    /* Warm-up, then the baseline with nothing of ours loaded. */
    assert_true(load_test_front(folder, &front));
    assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    memset((void *)&counters, 0, sizeof counters);
    handle_baseline = process_handle_count();
    module_baseline = process_module_count();

    QueryPerformanceCounter(&start);
    host_thread = start_host_loader_thread();
    assert_non_null(host_thread);
    for (unsigned long cycle = 0; cycle < cycles; cycle++) {
        LONG started = counters.jobs.started;
        assert_true(load_test_front(folder, &front));
        assert_int_equal(front.status(NULL), SHIM_OK);
        if (cycle % 2 == 1)
            set_stop_policy(&front, SHIM_STOP_CANCEL);
        for (int i = 0; i < JOBS_PER_CYCLE; i++)
            assert_int_equal(front.post_job(&job), SHIM_OK);
        /* At least one callback is in the loader when the stop comes. */
        assert_true(counter_reaches_within(&counters.jobs.started, started + 1, TEST_DEADLINE_MS));
        assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
        result.cycles++;
    }
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    stop_host_loader_thread(host_thread);
    result.seconds = elapsed_since(start) / 1000.0;

    result.calls = cycles * JOBS_PER_CYCLE;
    result.lost = (long)result.calls - (counters.jobs.ran + counters.jobs.cancelled);
    result.handles_leaked = handles_above_baseline_after(handle_baseline, 5000);
    result.modules_leaked = process_module_count() - module_baseline;
    result.passed = result.lost == 0 && result.handles_leaked == 0 && result.modules_leaked == 0 &&
                    counters.rounds_in_stop == counters.jobs.ran * TEST_LOADER_ROUNDS_AFTER_STOP;
    print_torture_result(&result);
    printf("loader-lock reload: %ld ran, %ld cancelled, %ld loader rounds (%ld during stops), %ld host "
           "rounds\n",
           counters.jobs.ran, counters.jobs.cancelled, counters.rounds, counters.rounds_in_stop, host_rounds);
    assert_int_equal(result.lost, 0);
    assert_int_equal(counters.rounds_in_stop, counters.jobs.ran * TEST_LOADER_ROUNDS_AFTER_STOP);
    assert_int_equal(result.handles_leaked, 0);
    assert_int_equal(result.modules_leaked, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(drain_while_callbacks_take_the_loader_lock),
        isolated_test(cancel_while_callbacks_take_the_loader_lock),
        isolated_test(reload_while_callbacks_take_the_loader_lock),
    };
    return cmocka_run_group_tests_name("torture_loader_lock", tests, NULL, NULL);
}
