/* Overlapped file and pipe I/O owned by the session: a read completes and
 * its handle is closed by its own callback; a read still pending at
 * FreeLibrary(front) is cancelled by the stop, its completion is counted,
 * and its on_closed runs, under both policies; then the worker unloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

typedef struct io_counters {
    job_counters jobs;
    volatile LONG closed;
    volatile LONG bytes_read;
    volatile LONG status;
    HANDLE volatile pipe_writer;
} io_counters;

/* Static counters start afresh for each test. */
static test_job io_job(test_job_kind kind, io_counters *counters)
{
    test_job job;

    memset((void *)counters, 0, sizeof *counters);
    counters->status = TEST_STATUS_PENDING;
    job = job_for(&counters->jobs, NULL);
    job.kind = kind;
    job.closed = &counters->closed;
    job.bytes_read = &counters->bytes_read;
    job.resubmit_status = &counters->status;
    job.pipe_writer = &counters->pipe_writer;
    return job;
}

static void file_read_completes_and_its_handle_closes(void **state)
{
    static io_counters counters;
    test_job job = io_job(TEST_JOB_FILE_READ, &counters);
    test_front front;

    (void)state;
    load_front_and_worker(L"io-file", &front);
    assert_int_equal(front.post_job(&job), SHIM_OK);
    /* Closed by its own completion callback, before any stop. */
    assert_true(counter_reaches_within(&counters.closed, 1, TEST_DEADLINE_MS));
    assert_int_equal(counters.status, SHIM_OK);
    assert_int_equal(counters.jobs.ran, 1);
    assert_int_equal(counters.bytes_read, TEST_FILE_READ_SIZE);

    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(counters.closed, 1);
}

static void pending_pipe_read_is_cancelled_by_the_stop(shim_stop_policy policy)
{
    enum {
        WRITES = 3,
        WRITE_SIZE = 10
    };
    static io_counters storage;
    io_counters *counters = &storage;
    test_job job = io_job(TEST_JOB_PIPE_READ, counters);
    test_front front;

    load_front_and_worker(policy == SHIM_STOP_DRAIN ? L"io-pipe-drain" : L"io-pipe-cancel", &front);
    set_stop_policy(&front, policy);
    assert_int_equal(front.post_job(&job), SHIM_OK);
    /* The worker publishes the pipe before it reports the start status. */
    assert_true(status_reported_within(&counters->status, TEST_DEADLINE_MS));
    assert_non_null(counters->pipe_writer);
    assert_int_equal(counters->status, SHIM_OK);

    /* Each write completes one read; the callback starts the next one. */
    for (LONG i = 1; i <= WRITES; i++) {
        DWORD written = 0;
        assert_win32(WriteFile(counters->pipe_writer, "0123456789", WRITE_SIZE, &written, NULL));
        assert_true(counter_reaches_within(&counters->jobs.ran, i, TEST_DEADLINE_MS));
    }

    /* A read is pending, with nothing coming: only the stop can end it. */
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(counters->jobs.ran, WRITES);
    assert_int_equal(counters->bytes_read, WRITES * WRITE_SIZE);
    assert_int_equal(counters->jobs.cancelled, 1); /* the pending read, ERROR_OPERATION_ABORTED */
    assert_int_equal(counters->closed, 1);
}

static void pipe_drain(void **state)
{
    (void)state;
    pending_pipe_read_is_cancelled_by_the_stop(SHIM_STOP_DRAIN);
}

static void pipe_cancel(void **state)
{
    (void)state;
    pending_pipe_read_is_cancelled_by_the_stop(SHIM_STOP_CANCEL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(file_read_completes_and_its_handle_closes),
        isolated_test(pipe_drain),
        isolated_test(pipe_cancel),
    };
    return cmocka_run_group_tests_name("io_objects", tests, NULL, NULL);
}
