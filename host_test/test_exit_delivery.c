/* Process exit hands what is still queued to the plugin's on_exit_message,
 * on the exiting thread.
 *
 *   - The legacy example, end to end: a program makes CALLS calls to the
 *     wrapped legacy_add and returns from main at once; its audit log then
 *     holds every call, with the right arguments and result, whether the
 *     program loaded legacy.dll with LoadLibrary and kept it, freed it right
 *     before returning (the session is still draining at exit, reached
 *     through the worker's own detach), or took it from its import table.
 *     Each is run RUNS times: whether records are still queued at the exit
 *     depends on scheduling (measured: about a third of the runs of a kept
 *     front, nearly every run of a freed one).
 *   - The test worker, deterministically: its one pool thread is held at a
 *     gate with jobs queued behind it when main returns. The held jobs,
 *     whose on_message the exit cut off, arrive with possible_repeat set;
 *     the queued ones without it; the counters traced at PROCESS_EXIT say
 *     all were delivered. A plugin without the hook gets them counted in
 *     lost_at_exit instead.
 *
 * Without the feature these fail: a runtime that does nothing at
 * DLL_PROCESS_DETACH with lpReserved set (the behaviour before
 * on_exit_message existed) drops every record still queued, so the log
 * lacks lines, and the test worker's exit counts stay zero. Checked by
 * mutation: with the audit worker's and the test worker's on_exit_message
 * set to NULL, every test below fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "exit_report.h"
#include "test_support.h"

enum {
    CALLS = 200,
    RUNS = 50,
    CHILD_RETURNED = 0,
    CHILD_RETURNED_WITH_JOBS_QUEUED = 46
};

static const fixture_file legacy_installation[] = {
    { L"legacy.dll", L"legacy.dll", NULL },
    { L"original\\legacy.dll", L"legacy_orig.dll", NULL },
    { L"legacy_worker.dll", L"legacy_worker.dll", NULL },
    { L"legacy_exit_child.exe", L"legacy_exit_child.exe", NULL },
    { L"legacy_exit_child_import_table.exe", L"legacy_exit_child_import_table.exe", NULL },
    { L"cmocka.dll", L"cmocka.dll", NULL }, /* through test_support, which the children link */
};
#define LEGACY_FILES (sizeof legacy_installation / sizeof legacy_installation[0])

/* What one audit log holds. */
typedef struct audit_tally {
    int lines;
    int malformed;      /* not a line of call i = legacy_add(i, 100 i) = 101 i, 0 <= i < CALLS */
    int distinct_calls; /* calls with at least one line */
    int repeats_marked; /* lines marked [possible repeat] */
    int unmarked_twice; /* calls with two unmarked lines: a true duplicate */
    int declared_lost;  /* records the worker's "# process exit: N audit records lost" lines count */
} audit_tally;

static audit_tally tally_audit_log(const wchar_t *path)
{
    static unsigned char unmarked[CALLS];
    static unsigned char seen[CALLS];
    audit_tally tally = { 0 };
    FILE *log = _wfopen(path, L"r");
    char line[256];

    memset(unmarked, 0, sizeof unmarked);
    memset(seen, 0, sizeof seen);
    if (log == NULL) {
        tally.malformed = -1;
        return tally;
    }
    while (fgets(line, sizeof line, log) != NULL) {
        int a;
        int b;
        int result;
        unsigned long thread;
        int end = 0;
        int repeat;

        int lost;

        if (sscanf(line, "# process exit: %d audit records lost", &lost) == 1 && lost > 0) {
            tally.declared_lost += lost;
            continue;
        }
        tally.lines++;
        if (sscanf(line, "legacy_add(%d, %d) = %d [thread %lu]%n", &a, &b, &result, &thread, &end) != 4 ||
            end == 0 || a < 0 || a >= CALLS || b != 100 * a || result != 101 * a) {
            tally.malformed++;
            continue;
        }
        repeat = strcmp(line + end, " [possible repeat]\n") == 0;
        if (!repeat && strcmp(line + end, "\n") != 0) {
            tally.malformed++;
            continue;
        }
        tally.repeats_marked += repeat;
        if (!repeat && unmarked[a]++ == 1)
            tally.unmarked_twice++;
        if (!seen[a]++)
            tally.distinct_calls++;
    }
    fclose(log);
    return tally;
}

/* Runs the legacy child RUNS times; every run must leave a log of exactly
 * CALLS calls. A call cut off inside on_message may appear twice, the second
 * time marked; it can be cut off on at most every pool thread. Records the
 * runtime could not hand over (its ready queue locked by a thread the exit
 * ended: about one run in 300) must be declared in the log by the worker's
 * PROCESS_EXIT line, so every call is either logged or counted. */
static void legacy_program_exits(const wchar_t *program, const wchar_t *arguments)
{
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t log_path[TEST_PATH_CAPACITY];
    wchar_t child[TEST_PATH_CAPACITY];
    wchar_t journals[TEST_PATH_CAPACITY];
    int runs_with_repeats = 0;
    int runs_with_losses = 0;

    /* Emptied: what an earlier run of the suite left there (a late child it
     * terminated) would be recovered into this log. */
    assert_true(fresh_journal_folder(L"exit-delivery-legacy", journals));
    assert_true(fixture_folder(L"exit-delivery-legacy", legacy_installation, LEGACY_FILES, folder));
    _snwprintf(log_path, TEST_PATH_CAPACITY, L"%lsaudit.log", folder);
    _snwprintf(child, TEST_PATH_CAPACITY, L"fixtures\\exit-delivery-legacy\\%ls", program);
    assert_win32(SetEnvironmentVariableW(L"TWINSHIM_EXAMPLE_LOG", log_path));

    for (int run = 0; run < RUNS; run++) {
        /* Late, it is reported with its log's tail: whether the first
         * call's line came (the child waits for it) or the exit hung. */
        child_process process = { .deadline_ms = TEST_DEADLINE_MS };
        audit_tally tally;

        _snwprintf(process.description, CHILD_DESCRIPTION_CAPACITY, L"run %d of %d: %ls %ls", run + 1, RUNS,
                   program, arguments);
        _snwprintf(process.log_path, CHILD_LOG_CAPACITY, L"%ls", log_path);
        if (!DeleteFileW(log_path))
            assert_int_equal(GetLastError(), ERROR_FILE_NOT_FOUND);
        assert_true(child_start(&process, child, arguments));
        child_wait_any(&process, 1);
        assert_false(process.missed_deadline);
        if (process.exit_code != CHILD_RETURNED)
            print_error("run %d of %ls %ls: exit code %lu (legacy_exit_child.c: 3, the first call's line did "
                        "not come; 4, a wrong result)\n",
                        run + 1, program, arguments, process.exit_code);
        assert_int_equal(process.exit_code, CHILD_RETURNED);
        tally = tally_audit_log(log_path);
        if (tally.malformed != 0 || tally.distinct_calls + tally.declared_lost != CALLS ||
            tally.unmarked_twice != 0 || tally.repeats_marked > (int)SHIM_DEFAULT_MAX_THREADS ||
            tally.lines > CALLS + tally.repeats_marked) {
            print_error("run %d of %ls %ls: %d lines, %d malformed, %d of %d calls, %d marked repeats, "
                        "%d unmarked duplicates, %d declared lost\n",
                        run + 1, program, arguments, tally.lines, tally.malformed, tally.distinct_calls,
                        CALLS, tally.repeats_marked, tally.unmarked_twice, tally.declared_lost);
            fail();
        }
        runs_with_repeats += tally.repeats_marked != 0;
        runs_with_losses += tally.declared_lost != 0;
    }
    print_message("%ls %ls: %d runs, %d with a call cut off by the exit, %d with records declared lost\n",
                  program, arguments, RUNS, runs_with_repeats, runs_with_losses);
}

static void load_library_host_exits_with_records_queued(void **state)
{
    (void)state;
    legacy_program_exits(L"legacy_exit_child.exe", L"200 keep");
}

static void load_library_host_exits_while_the_session_drains(void **state)
{
    (void)state;
    legacy_program_exits(L"legacy_exit_child.exe", L"200 free");
}

static void import_table_host_exits_with_records_queued(void **state)
{
    (void)state;
    legacy_program_exits(L"legacy_exit_child_import_table.exe", L"200");
}

/* ---- The test worker: which message arrives how --------------------------- */

static exit_report *run_exit_delivery_child(const wchar_t *worker, const wchar_t *mode, HANDLE *mapping)
{
    const fixture_file files[] = {
        { L"test_front.dll", L"test_front.dll", NULL },
        { worker, L"test_worker.dll", NULL },
    };
    SECURITY_ATTRIBUTES inherited = { .nLength = sizeof inherited, .bInheritHandle = TRUE };
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t arguments[3 * TEST_PATH_CAPACITY];
    exit_report *report;
    DWORD exit_code;

    assert_true(fixture_folder(L"exit-delivery-worker", files, 2, folder));
    *mapping = CreateFileMappingW(INVALID_HANDLE_VALUE, &inherited, PAGE_READWRITE, 0, sizeof *report, NULL);
    assert_win32(*mapping != NULL);
    report = MapViewOfFile(*mapping, FILE_MAP_WRITE, 0, 0, sizeof *report);
    assert_win32(report != NULL);
    /* folder ends in a backslash: doubled, it does not escape the quote. */
    _snwprintf(arguments, 3 * TEST_PATH_CAPACITY, L"%ls \"%ls\\\" %llu", mode, folder,
               (unsigned long long)(ULONG_PTR)*mapping);
    assert_true(run_child_within(L"exit_delivery_child.exe", arguments, TEST_DEADLINE_MS, &exit_code));
    assert_int_equal(exit_code, CHILD_RETURNED_WITH_JOBS_QUEUED);
    return report;
}

static void release_report(exit_report *report, HANDLE mapping)
{
    UnmapViewOfFile(report);
    CloseHandle(mapping);
}

static void assert_every_job_handed_over(const wchar_t *mode)
{
    const LONG cut_off = EXIT_REPORT_CUT_OFF;
    const LONG queued = EXIT_REPORT_JOBS - EXIT_REPORT_CUT_OFF;
    HANDLE mapping;
    exit_report *report = run_exit_delivery_child(L"test_worker.dll", mode, &mapping);

    /* The held jobs began and never ended: cut off, so handed over as possible repeats. */
    assert_int_equal(report->cut_off.started, cut_off);
    assert_int_equal(report->cut_off.ran, 0);
    assert_int_equal(report->cut_off.at_exit, cut_off);
    assert_int_equal(report->cut_off.repeated_at_exit, cut_off);
    /* The queued ones never began: handed over once each, not as repeats. */
    assert_int_equal(report->queued.started, 0);
    assert_int_equal(report->queued.at_exit, queued);
    assert_int_equal(report->queued.repeated_at_exit, 0);
    assert_int_equal(report->queued.cancelled, 0);
    /* The trace says the same. */
    assert_true(report->trace_events & (1L << SHIM_TRACE_PROCESS_EXIT));
    assert_int_equal(report->counters_at_last_event.delivered_at_exit, cut_off + queued);
    assert_int_equal(report->counters_at_last_event.lost_at_exit, 0);
    release_report(report, mapping);
}

static void jobs_cut_off_and_queued_reach_the_exit_hook(void **state)
{
    (void)state;
    assert_every_job_handed_over(L"keep");
}

static void a_draining_session_is_reached_through_the_worker(void **state)
{
    (void)state;
    assert_every_job_handed_over(L"free");
}

/* The cut-off job and seven queued ones were in the callback's message
 * batch: the queued ones arrive unmarked, not lost and not marked. */
static void a_callback_s_batch_reaches_the_exit_hook(void **state)
{
    (void)state;
    assert_every_job_handed_over(L"batched");
}

/* Every job was in the journal, waiting for the session thread's next look:
 * all reach the exit hook. A look that came between the posts and the exit
 * started one at most (one callback), which is then marked. */
static void messages_waiting_for_a_look_reach_the_exit_hook(void **state)
{
    HANDLE mapping;
    exit_report *report;

    (void)state;
    report = run_exit_delivery_child(L"test_worker.dll", L"delayed", &mapping);
    assert_in_range(report->queued.started, 0, EXIT_REPORT_CUT_OFF);
    assert_int_equal(report->queued.at_exit, EXIT_REPORT_JOBS);
    assert_int_equal(report->queued.repeated_at_exit, report->queued.started);
    assert_int_equal(report->queued.cancelled, 0);
    assert_true(report->trace_events & (1L << SHIM_TRACE_PROCESS_EXIT));
    assert_int_equal(report->counters_at_last_event.delivered_at_exit, EXIT_REPORT_JOBS);
    assert_int_equal(report->counters_at_last_event.lost_at_exit, 0);
    release_report(report, mapping);
}

/* Nobody takes them at exit: they stay in the journal, whose file outlives
 * the process for the next session to deliver. */
static void without_the_hook_the_jobs_stay_in_the_journal(void **state)
{
    wchar_t journals[TEST_PATH_CAPACITY];
    HANDLE mapping;
    exit_report *report;

    (void)state;
    assert_true(fresh_journal_folder(L"exit-without-hook", journals));
    report = run_exit_delivery_child(L"test_worker_without_exit_hook.dll", L"keep", &mapping);
    assert_int_equal(report->cut_off.started, EXIT_REPORT_CUT_OFF);
    assert_int_equal(report->cut_off.at_exit + report->queued.at_exit, 0);
    assert_true(report->trace_events & (1L << SHIM_TRACE_PROCESS_EXIT));
    assert_int_equal(report->counters_at_last_event.delivered_at_exit, 0);
    assert_int_equal(report->counters_at_last_event.kept_in_journal, EXIT_REPORT_JOBS);
    assert_int_equal(report->counters_at_last_event.lost_at_exit, 0);
    assert_int_equal(journal_files_in(journals, L"*.journal"), 1);
    release_report(report, mapping);
}

/* A plugin that keeps its messages in memory loses them: counted. */
static void without_the_hook_a_memory_journal_counts_them_lost(void **state)
{
    wchar_t journals[TEST_PATH_CAPACITY];
    HANDLE mapping;
    exit_report *report;

    (void)state;
    assert_true(fresh_journal_folder(L"exit-without-hook-memory", journals));
    assert_win32(SetEnvironmentVariableW(TEST_WORKER_JOURNAL_VARIABLE, L"memory"));
    report = run_exit_delivery_child(L"test_worker_without_exit_hook.dll", L"keep", &mapping);
    assert_int_equal(report->cut_off.at_exit + report->queued.at_exit, 0);
    assert_int_equal(report->counters_at_last_event.journal, SHIM_JOURNAL_MEMORY);
    assert_int_equal(report->counters_at_last_event.kept_in_journal, 0);
    assert_int_equal(report->counters_at_last_event.lost_at_exit, EXIT_REPORT_JOBS);
    assert_int_equal(journal_files_in(journals, L"*.journal"), 0);
    release_report(report, mapping);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(jobs_cut_off_and_queued_reach_the_exit_hook),
        isolated_test(a_draining_session_is_reached_through_the_worker),
        isolated_test(a_callback_s_batch_reaches_the_exit_hook),
        isolated_test(messages_waiting_for_a_look_reach_the_exit_hook),
        isolated_test(without_the_hook_the_jobs_stay_in_the_journal),
        isolated_test(without_the_hook_a_memory_journal_counts_them_lost),
        isolated_test(load_library_host_exits_with_records_queued),
        isolated_test(load_library_host_exits_while_the_session_drains),
        isolated_test(import_table_host_exits_with_records_queued),
    };
    return cmocka_run_group_tests_name("exit_delivery", tests, NULL, NULL);
}
