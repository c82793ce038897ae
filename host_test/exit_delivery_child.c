/* A child that returns from main with test jobs cut off and queued; the
 * worker's on_exit_message and on_trace count them into an exit_report
 * shared with the test (host_test/test_exit_delivery.c).
 *   exit_delivery_child.exe keep|free|batched|delayed <fixture folder> <mapping handle>
 * "free" calls FreeLibrary on the front first: the session is then still
 * draining at exit, and only the worker's own detach can reach it.
 * "batched" gives the session a message batch and has its callback take the
 * cut-off job together with queued ones: those are then neither queued nor
 * begun at exit, but in the callback's batch.
 * "delayed" gives the session the longest delivery latency and cuts nothing
 * off on purpose: the jobs are in the journal, most of them (all unless the
 * session thread looked in between) not yet taken, when the exit comes. */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "exit_report.h"
#include "twinshim/status.h"

enum {
    EXIT_RETURNED_WITH_JOBS_QUEUED = 46,
    EXIT_BAD_USAGE = 2,
    EXIT_SETUP_FAILED = 3,
    SETUP_DEADLINE_MS = 10000, /* under the test's deadline for the whole child */
    MESSAGE_BATCH = 8
};

static exit_report *map_report(const wchar_t *handle_text)
{
    HANDLE mapping = (HANDLE)(ULONG_PTR)wcstoull(handle_text, NULL, 10);

    return MapViewOfFile(mapping, FILE_MAP_WRITE, 0, 0, sizeof(exit_report));
}

int wmain(int argc, wchar_t **argv)
{
    HANDLE never_opened = CreateEventW(NULL, TRUE, FALSE, NULL);
    HANDLE occupying_gate = CreateEventW(NULL, TRUE, FALSE, NULL);
    static job_counters occupying;
    BOOL batched = argc == 4 && wcscmp(argv[1], L"batched") == 0;
    BOOL delayed = argc == 4 && wcscmp(argv[1], L"delayed") == 0;
    exit_report *report;
    test_front front;
    test_job observe = { .kind = TEST_JOB_OBSERVE };
    test_job job;

    /* never_opened lives as long as the process: jobs wait on it until the
     * exit ends them, and every return below ends the process too. */
    if (argc != 4 || never_opened == NULL || occupying_gate == NULL || (report = map_report(argv[3])) == NULL)
        return EXIT_BAD_USAGE; /* cppcheck-suppress resourceLeak */
    if (!end_process_at_access_violation())
        return EXIT_SETUP_FAILED; /* cppcheck-suppress resourceLeak */
    if (!load_test_front(argv[2], &front))
        return EXIT_SETUP_FAILED; /* cppcheck-suppress resourceLeak */

    report->settings.max_threads = (test_setting){ TRUE, EXIT_REPORT_CUT_OFF, TEST_STATUS_PENDING };
    report->settings.message_batch =
        (test_setting){ batched, MESSAGE_BATCH, batched ? TEST_STATUS_PENDING : SHIM_OK };
    report->settings.delivery_latency_ms =
        (test_setting){ delayed, SHIM_MAX_DELIVERY_LATENCY_MS, delayed ? TEST_STATUS_PENDING : SHIM_OK };
    job = job_for(&report->observer, NULL);
    job.kind = TEST_JOB_SETTINGS;
    job.settings = &report->settings;
    observe.ran = &report->observer.ran;
    observe.trace_events = &report->trace_events;
    observe.counters_at_last_event = &report->counters_at_last_event;
    if (front.post_job(&job) != SHIM_OK || front.post_job(&observe) != SHIM_OK ||
        !counter_reaches_within(&report->observer.ran, 2, SETUP_DEADLINE_MS) ||
        report->settings.max_threads.status != SHIM_OK || report->settings.message_batch.status != SHIM_OK ||
        report->settings.delivery_latency_ms.status != SHIM_OK)
        return EXIT_SETUP_FAILED; /* cppcheck-suppress resourceLeak */
    /* Delayed: the pool is idle; the session thread looks only every 250 ms,
     * and the exit comes right after the posts. */
    if (delayed) {
        job = job_for(&report->queued, never_opened);
        for (unsigned i = 0; i < EXIT_REPORT_JOBS; i++)
            if (front.post_job(&job) != SHIM_OK)
                return EXIT_SETUP_FAILED;
        return EXIT_RETURNED_WITH_JOBS_QUEUED;
    }
    /* Batched: the pool thread waits at another gate while every job is
     * posted, then takes the cut-off job and the next queued ones at once. */
    if (batched) {
        test_job occupy = job_for(&occupying, occupying_gate);

        if (front.post_job(&occupy) != SHIM_OK ||
            !counter_reaches_within(&occupying.started, 1, SETUP_DEADLINE_MS))
            return EXIT_SETUP_FAILED; /* cppcheck-suppress resourceLeak */
    }

    /* Every pool thread of the session holds one job at the gate... */
    job = job_for(&report->cut_off, never_opened);
    for (unsigned i = 0; i < EXIT_REPORT_CUT_OFF; i++)
        if (front.post_job(&job) != SHIM_OK)
            return EXIT_SETUP_FAILED;
    if (!batched && !counter_reaches_within(&report->cut_off.started, EXIT_REPORT_CUT_OFF, SETUP_DEADLINE_MS))
        return EXIT_SETUP_FAILED;
    /* ...so that none of these can start before the exit. */
    job = job_for(&report->queued, never_opened);
    for (unsigned i = EXIT_REPORT_CUT_OFF; i < EXIT_REPORT_JOBS; i++)
        if (front.post_job(&job) != SHIM_OK)
            return EXIT_SETUP_FAILED;

    if (batched &&
        (!SetEvent(occupying_gate) ||
         !counter_reaches_within(&report->cut_off.started, EXIT_REPORT_CUT_OFF, SETUP_DEADLINE_MS)))
        return EXIT_SETUP_FAILED;
    if (wcscmp(argv[1], L"free") == 0)
        FreeLibrary(front.module); /* returns at once; the drain waits at the gate */
    else if (wcscmp(argv[1], L"keep") != 0 && !batched)
        return EXIT_BAD_USAGE;
    return EXIT_RETURNED_WITH_JOBS_QUEUED; /* the CRT calls ExitProcess */
}
