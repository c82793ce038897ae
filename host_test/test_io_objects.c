/* Overlapped file and pipe I/O owned by the session: a read completes and
 * its object goes on its own; a read still pending at FreeLibrary(front) is
 * cancelled by the stop, its completion is counted, and its object is
 * released, under both policies; then the worker unloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

typedef struct io_counters {
    job_counters jobs;
    volatile LONG released;
    volatile LONG bytes_read;
    volatile LONG status;
    HANDLE volatile pipe_writer;
} io_counters;

static test_job io_job(test_job_kind kind, io_counters *counters)
{
    test_job job = job_for(&counters->jobs, NULL);

    job.kind = kind;
    job.released = &counters->released;
    job.bytes_read = &counters->bytes_read;
    job.resubmit_status = &counters->status;
    job.pipe_writer = &counters->pipe_writer;
    return job;
}

static void file_read_completes_and_its_object_goes(void **state)
{
    static io_counters counters = { .status = 1 };
    test_job job = io_job(TEST_JOB_FILE_READ, &counters);
    test_front front;

    (void)state;
    load_front_and_worker(L"io-file", &front);
    assert_int_equal(front.post_job(&job), SHIM_OK);
    /* Closed by its own completion callback, before any stop. */
    assert_true(counter_reaches_within(&counters.released, 1, TEST_DEADLINE_MS));
    assert_int_equal(counters.status, SHIM_OK);
    assert_int_equal(counters.jobs.ran, 1);
    assert_int_equal(counters.bytes_read, TEST_FILE_READ_SIZE);

    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(counters.released, 1);
}

static void pending_pipe_read_is_cancelled_by_the_stop(void **state, int policy)
{
    enum {
        WRITES = 3,
        WRITE_SIZE = 10
    };
    static io_counters drain_counters = { .status = 1 };
    static io_counters cancel_counters = { .status = 1 };
    io_counters *counters = policy == 0 ? &drain_counters : &cancel_counters;
    test_job job = io_job(TEST_JOB_PIPE_READ, counters);
    test_front front;

    (void)state;
    load_front_and_worker(policy == 0 ? L"io-pipe-drain" : L"io-pipe-cancel", &front);
    assert_int_equal(front.set_stop_policy(policy), SHIM_OK);
    assert_int_equal(front.post_job(&job), SHIM_OK);
    /* The worker publishes the pipe first and stores the start status after
     * (test_worker_start_reader, then report_status): wait for both. */
    for (DWORD start = GetTickCount();
         InterlockedCompareExchangePointer((void *volatile *)&counters->pipe_writer, NULL, NULL) == NULL ||
         InterlockedCompareExchange(&counters->status, 1, 1) == 1;) {
        assert_true(GetTickCount() - start < TEST_DEADLINE_MS);
        Sleep(1);
    }
    assert_int_equal(counters->status, SHIM_OK);

    /* Each write completes one read; the callback starts the next one. */
    for (LONG i = 1; i <= WRITES; i++) {
        DWORD written = 0;
        assert_true(WriteFile(counters->pipe_writer, "0123456789", WRITE_SIZE, &written, NULL));
        assert_true(counter_reaches_within(&counters->jobs.ran, i, TEST_DEADLINE_MS));
    }

    /* A read is pending, with nothing coming: only the stop can end it. */
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(counters->jobs.ran, WRITES);
    assert_int_equal(counters->bytes_read, WRITES * WRITE_SIZE);
    assert_int_equal(counters->jobs.cancelled, 1); /* the pending read, ERROR_OPERATION_ABORTED */
    assert_int_equal(counters->released, 1);
}

static void pipe_drain(void **state)
{
    pending_pipe_read_is_cancelled_by_the_stop(state, 0);
}

static void pipe_cancel(void **state)
{
    pending_pipe_read_is_cancelled_by_the_stop(state, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(file_read_completes_and_its_object_goes),
        cmocka_unit_test(pipe_drain),
        cmocka_unit_test(pipe_cancel),
    };
    return cmocka_run_group_tests_name("io_objects", tests, NULL, NULL);
}
