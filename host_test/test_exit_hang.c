/* Process exit never hangs, whatever is calling the front when it comes: two
 * threads keep calling the wrapped legacy_add while the main thread calls
 * ExitProcess, and another DLL calls legacy_add from its own
 * DLL_PROCESS_DETACH, detaching either before the front (loaded after it)
 * or after it (loaded before it). Each run must end with the program's own
 * exit code within the deadline; the detach-time call returns the
 * original's result, and its audit record, posted after the exit began, is
 * handed to on_exit_message on the calling thread, so its line is in the
 * log.
 *
 * Without the feature: a post after exit began that went to the queue
 * (which no pool thread will ever serve) would never reach the log, and a
 * hand-over that waited for a lock held by an ended thread would hang the
 * exit. Checked by mutation: with the audit worker's on_exit_message set to
 * NULL, the detach-time line is missing in every run.
 *
 * Runs: TWINSHIM_EXIT_HANG_RUNS per order (make test: CI_RUNS; make
 * torture: 1,000), PARALLEL_RUNS children at a time, each in a folder of
 * its own. A failure that happens once in N runs is caught by R runs with
 * probability 1 - (1 - 1/N)^R: make test's 2 x 100 runs catch a once-in-50
 * failure 98% of the time, once in 100 87%, once in 200 63%; make
 * torture's 2,000 catch once in 200 with certainty, once in 1,000 87%. A
 * failure in every run, as the mutation above gives, is caught by the
 * first. The summary says in how many runs the exit ended a caller inside
 * legacy_add (about 30%), and in how many it counted records lost (about
 * 18%: a post it cut off between claim and publish, or a line the plugin
 * declined because a pool thread it was ending still held the log).
 *
 * TWINSHIM_EXIT_HANG_DEADLINE_MS sets a run's deadline (RUN_DEADLINE_MS):
 * a long one keeps a hung child alive for a debugger from Linux.
 *
 * Each run's timings and what its exit handed over go to
 * bin\exit-hang-<order>.csv; docs/wine-vs-windows.md ("Exit while calls
 * run") reads them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "detach_caller.h"
#include "exit_hang_progress.h"
#include "test_support.h"

enum {
    CI_RUNS = 100,
    PARALLEL_RUNS = 2,
    /* 2,000 runs took 152-168 ms (median), 1.6 s at most, on 2 cores at a
     * load average of 5-15. */
    RUN_DEADLINE_MS = 30000,
    EXIT_DETACHES_FIRST = 47,
    EXIT_DETACHES_LAST = 48
};

static const fixture_file installation[] = {
    { L"legacy.dll", L"legacy.dll", NULL },
    { L"original\\legacy.dll", L"legacy_orig.dll", NULL },
    { L"legacy_worker.dll", L"legacy_worker.dll", NULL },
    { L"detach_caller.dll", L"detach_caller.dll", NULL },
    { L"exit_hang_child.exe", L"exit_hang_child.exe", NULL },
    { L"cmocka.dll", L"cmocka.dll", NULL }, /* through test_support, which the child links */
};
#define INSTALLATION_FILES (sizeof installation / sizeof installation[0])

/* One place where runs go one after the other: a folder with the programs,
 * the run's log and result files, and the memory the child reports in. */
typedef struct run_slot {
    wchar_t name[64];
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t result_path[TEST_PATH_CAPACITY];
    HANDLE mapping;
    exit_hang_progress *progress;
    unsigned long run; /* counted from 1 */
} run_slot;

/* What one run did, read once it ended. */
typedef struct run_record {
    bool result_right; /* the detach-time call returned the original's result */
    bool logged;       /* and its line is in the log */
    long lines_before_exit;
    long lines_at_exit; /* written after the main thread began its own calls */
    long lost_at_exit;  /* from the plugin's "# process exit: N audit records lost" */
    double calling_ms;  /* callers started to ExitProcess */
    double exit_ms;     /* ExitProcess to the process's end */
} run_record;

/* What one order's runs measured. */
typedef struct order_totals {
    const wchar_t *order;
    unsigned long runs;
    unsigned long ended;
    long failures;
    double *elapsed_ms; /* of each run that ended, for the median */
    double slowest_ms;
    unsigned long slowest_run;
    double longest_exit_ms;
    long most_at_exit;
    unsigned long ended_in_a_call; /* runs whose exit ended a caller inside legacy_add */
    unsigned long lost_records;    /* runs whose exit counted records lost */
    FILE *csv;
} order_totals;

static const char *phase_name(LONG phase)
{
    static const char *const names[] = { "not started", "loading the DLLs", "waiting for the plugin's start",
                                         "calling (the exit comes next)", "exiting" };

    return phase >= 0 && phase <= EXIT_HANG_EXITING ? names[phase] : "in no known phase";
}

/* The whole file, NUL-terminated, in a buffer that grows; NULL if unreadable. */
static char *read_whole_file(const wchar_t *path, DWORD *size)
{
    HANDLE file =
        CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    LARGE_INTEGER length;
    char *contents = NULL;

    *size = 0;
    if (file == INVALID_HANDLE_VALUE)
        return NULL;
    if (GetFileSizeEx(file, &length) && length.QuadPart < 256 * 1024 * 1024 &&
        (contents = malloc((size_t)length.QuadPart + 1)) != NULL) {
        if (!ReadFile(file, contents, (DWORD)length.QuadPart, size, NULL))
            *size = 0;
        contents[*size] = '\0';
    }
    CloseHandle(file);
    return contents;
}

static long count_lines(const char *from, const char *to)
{
    long lines = 0;

    for (const char *at = from; at < to; at++)
        lines += *at == '\n';
    return lines;
}

/* A line that starts with `start` and is this run's own, not one the
 * worker recovered from an earlier run's journal. */
static bool has_own_line(const char *text, const char *start)
{
    for (const char *line = strstr(text, start); line != NULL; line = strstr(line + 1, start)) {
        const char *end = strchr(line, '\n');
        const char *recovered = strstr(line, "[recovered from process ");

        if (recovered == NULL || (end != NULL && recovered > end))
            return true;
    }
    return false;
}

static double milliseconds_between(LONG64 from, LONG64 to)
{
    LARGE_INTEGER frequency;

    QueryPerformanceFrequency(&frequency);
    return (double)(to - from) * 1000.0 / (double)frequency.QuadPart;
}

static void open_slot(run_slot *slot, const wchar_t *order, int index)
{
    SECURITY_ATTRIBUTES inherited = { .nLength = sizeof inherited, .bInheritHandle = TRUE };

    _snwprintf(slot->name, 64, L"exit-hang-%ls-%d", order, index);
    assert_true(fixture_folder(slot->name, installation, INSTALLATION_FILES, slot->folder));
    _snwprintf(slot->result_path, TEST_PATH_CAPACITY, L"%lsdetach-result.bin", slot->folder);
    slot->mapping =
        CreateFileMappingW(INVALID_HANDLE_VALUE, &inherited, PAGE_READWRITE, 0, sizeof *slot->progress, NULL);
    assert_win32(slot->mapping != NULL);
    slot->progress = MapViewOfFile(slot->mapping, FILE_MAP_WRITE, 0, 0, sizeof *slot->progress);
    assert_win32(slot->progress != NULL);
}

static void close_slot(run_slot *slot)
{
    UnmapViewOfFile(slot->progress);
    CloseHandle(slot->mapping);
}

static bool start_run(run_slot *slot, child_process *child, const wchar_t *order, unsigned long run,
                      unsigned long runs)
{
    wchar_t program[TEST_PATH_CAPACITY];
    wchar_t arguments[2 * TEST_PATH_CAPACITY];

    memset(child, 0, sizeof *child);
    _snwprintf(child->description, CHILD_DESCRIPTION_CAPACITY,
               L"exit_hang_child.exe %ls, run %lu of %lu (in %ls)", order, run, runs, slot->folder);
    _snwprintf(child->log_path, CHILD_LOG_CAPACITY, L"%lsaudit.log", slot->folder);
    _snwprintf(child->output_path, CHILD_LOG_CAPACITY, L"%lsoutput.txt", slot->folder);
    child->deadline_ms = (DWORD)torture_size(L"TWINSHIM_EXIT_HANG_DEADLINE_MS", RUN_DEADLINE_MS);
    DeleteFileW(child->log_path);
    DeleteFileW(slot->result_path);
    memset((void *)slot->progress, 0, sizeof *slot->progress);
    slot->run = run;
    /* The child finds its log through the environment, which it inherits. */
    if (!SetEnvironmentVariableW(L"TWINSHIM_EXAMPLE_LOG", child->log_path))
        return false;
    _snwprintf(program, TEST_PATH_CAPACITY, L"fixtures\\%ls\\exit_hang_child.exe", slot->name);
    _snwprintf(arguments, 2 * TEST_PATH_CAPACITY, L"%ls \"%ls\" %llu", order, slot->result_path,
               (unsigned long long)(ULONG_PTR)slot->mapping);
    return child_start(child, program, arguments);
}

static void measure_run(const run_slot *slot, const child_process *child, run_record *record)
{
    const char *detach_line = "legacy_add(4321, 1000000) = 1004321 [thread ";
    const char *lost_marker = "# process exit: ";
    const exit_hang_progress *progress = slot->progress;
    detach_caller_result result = { 0 };
    DWORD size = 0;
    char *contents = read_whole_file(slot->result_path, &size);
    const char *lost_line;

    memset(record, 0, sizeof *record);
    record->lines_before_exit = record->lines_at_exit = -1;
    record->calling_ms = record->exit_ms = -1;
    if (contents != NULL && size == sizeof result)
        memcpy(&result, contents, sizeof result);
    free(contents);
    record->result_right =
        result.magic == DETACH_CALLER_MAGIC && result.result == DETACH_CALLER_A + DETACH_CALLER_B;

    contents = read_whole_file(child->log_path, &size);
    record->logged = contents != NULL && has_own_line(contents, detach_line);
    if (contents != NULL && (lost_line = strstr(contents, lost_marker)) != NULL)
        record->lost_at_exit = strtol(lost_line + strlen(lost_marker), NULL, 10);
    if (contents != NULL && progress->log_bytes_before_exit > 0 &&
        progress->log_bytes_before_exit <= (LONG64)size) {
        record->lines_before_exit = count_lines(contents, contents + progress->log_bytes_before_exit);
        record->lines_at_exit = count_lines(contents + progress->log_bytes_before_exit, contents + size);
    }
    free(contents);
    if (progress->phase == EXIT_HANG_EXITING) {
        record->calling_ms = milliseconds_between(progress->calling_began, progress->exit_began);
        record->exit_ms = milliseconds_between(progress->exit_began, child->ended.QuadPart);
    }
}

/* Whether the run passed; says why not. */
static bool judge_run(const run_slot *slot, const child_process *child, const run_record *record,
                      DWORD expected_exit_code)
{
    const exit_hang_progress *progress = slot->progress;

    if (!child->missed_deadline && child->exit_code == expected_exit_code && record->result_right &&
        record->logged)
        return true;
    /* A late child was described by child_wait_any; this adds where it got to. */
    if (child->missed_deadline)
        print_error("%ls: terminated at its deadline", child->description);
    else
        print_error("%ls: exit code %lu (expected %lu)", child->description, child->exit_code,
                    expected_exit_code);
    print_error("; it was %s; main thread %ld calls, callers %ld and %ld\n", phase_name(progress->phase),
                progress->main_calls, progress->calls_made[0], progress->calls_made[1]);
    if (!child->missed_deadline && !record->result_right)
        print_error("  the detach-time call's result is wrong or missing\n");
    if (!child->missed_deadline && !record->logged)
        print_error("  the detach-time call is not in the log\n");
    return false;
}

static void count_run(order_totals *totals, const run_slot *slot, const child_process *child,
                      const run_record *record, bool passed)
{
    const exit_hang_progress *progress = slot->progress;

    totals->elapsed_ms[totals->ended++] = child->elapsed_ms;
    totals->failures += !passed;
    if (child->elapsed_ms > totals->slowest_ms) {
        totals->slowest_ms = child->elapsed_ms;
        totals->slowest_run = slot->run;
    }
    totals->longest_exit_ms =
        record->exit_ms > totals->longest_exit_ms ? record->exit_ms : totals->longest_exit_ms;
    totals->most_at_exit =
        record->lines_at_exit > totals->most_at_exit ? record->lines_at_exit : totals->most_at_exit;
    totals->ended_in_a_call += progress->in_call[0] || progress->in_call[1];
    totals->lost_records += record->lost_at_exit > 0;
    if (totals->csv != NULL)
        fprintf(totals->csv, "%ls,%lu,%.1f,%.1f,%.1f,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%lu,%d\n", totals->order,
                slot->run, child->elapsed_ms, record->calling_ms, record->exit_ms, progress->main_calls,
                progress->calls_made[0], progress->calls_made[1], progress->in_call[0], progress->in_call[1],
                record->lines_before_exit, record->lines_at_exit, record->lost_at_exit, child->exit_code,
                passed);
}

static int compare_doubles(const void *left, const void *right)
{
    double a = *(const double *)left;
    double b = *(const double *)right;

    return (a > b) - (a < b);
}

static void report_order(order_totals *totals, double seconds)
{
    char scenario[64];
    double median_ms = 0;

    if (totals->ended > 0) {
        qsort(totals->elapsed_ms, totals->ended, sizeof *totals->elapsed_ms, compare_doubles);
        median_ms = totals->elapsed_ms[totals->ended / 2];
    }
    print_message(
        "exit with detach_caller.dll loaded %ls legacy.dll: %lu runs, %d at a time, in %.1f s; a run took "
        "%.0f ms (median), %.0f ms at most (run %lu); the longest exit %.0f ms, the most lines written at "
        "exit %ld; the exit ended a caller inside legacy_add in %lu runs, and counted records lost in %lu; "
        "%ld failed\n",
        totals->order, totals->ended, PARALLEL_RUNS, seconds, median_ms, totals->slowest_ms,
        totals->slowest_run, totals->longest_exit_ms, totals->most_at_exit, totals->ended_in_a_call,
        totals->lost_records, totals->failures);
    snprintf(scenario, sizeof scenario, "exit-while-calls-run-%ls", totals->order);
    print_torture_result(&(torture_result){ .scenario = scenario,
                                            .size = totals->runs,
                                            .cycles = totals->ended,
                                            .seconds = seconds,
                                            .passed = totals->failures == 0 && totals->ended == totals->runs,
                                            .failures = totals->failures,
                                            .process_ends = true });
}

static void exits_while_calls_run(const wchar_t *order, DWORD expected_exit_code)
{
    unsigned long runs = torture_size(L"TWINSHIM_EXIT_HANG_RUNS", CI_RUNS);
    order_totals totals = { .order = order, .runs = runs, .most_at_exit = -1, .longest_exit_ms = -1 };
    run_slot slots[PARALLEL_RUNS];
    child_process children[PARALLEL_RUNS];
    wchar_t csv_path[TEST_PATH_CAPACITY];
    wchar_t journal_name[64];
    wchar_t journal_folder[TEST_PATH_CAPACITY];
    unsigned long started = 0;
    LARGE_INTEGER start;
    int ended;

    /* Records an exit leaves in the journal are recovered by the next run
     * in the same folder: none come from another test. */
    _snwprintf(journal_name, 64, L"exit-hang-%ls", order);
    assert_true(fresh_journal_folder(journal_name, journal_folder));
    totals.elapsed_ms = calloc(runs, sizeof *totals.elapsed_ms);
    assert_non_null(totals.elapsed_ms);
    _snwprintf(csv_path, TEST_PATH_CAPACITY, L"%lsexit-hang-%ls.csv", bin_folder(), order);
    totals.csv = _wfopen(csv_path, L"w");
    if (totals.csv != NULL)
        fprintf(totals.csv,
                "order,run,elapsed_ms,calling_ms,exit_ms,main_calls,caller_0_calls,caller_1_calls,"
                "caller_0_in_call,caller_1_in_call,lines_before_exit,lines_at_exit,lost_at_exit,"
                "exit_code,passed\n");
    for (int i = 0; i < PARALLEL_RUNS; i++) {
        open_slot(&slots[i], order, i);
        children[i].running = false;
    }
    QueryPerformanceCounter(&start);
    for (int i = 0; i < PARALLEL_RUNS && started < runs; i++)
        started += start_run(&slots[i], &children[i], order, started + 1, runs);
    while ((ended = child_wait_any(children, PARALLEL_RUNS)) >= 0) {
        run_record record;

        measure_run(&slots[ended], &children[ended], &record);
        count_run(&totals, &slots[ended], &children[ended], &record,
                  judge_run(&slots[ended], &children[ended], &record, expected_exit_code));
        if (started < runs)
            started += start_run(&slots[ended], &children[ended], order, started + 1, runs);
    }
    for (int i = 0; i < PARALLEL_RUNS; i++)
        close_slot(&slots[i]);
    if (totals.csv != NULL)
        fclose(totals.csv);
    report_order(&totals, elapsed_since(start) / 1000);
    free(totals.elapsed_ms);
    assert_int_equal(totals.ended, runs);
    assert_int_equal(totals.failures, 0);
}

static void exit_with_a_dll_that_detaches_before_the_front(void **state)
{
    (void)state;
    exits_while_calls_run(L"after", EXIT_DETACHES_FIRST);
}

static void exit_with_a_dll_that_detaches_after_the_front(void **state)
{
    (void)state;
    exits_while_calls_run(L"before", EXIT_DETACHES_LAST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(exit_with_a_dll_that_detaches_before_the_front),
        isolated_test(exit_with_a_dll_that_detaches_after_the_front),
    };
    return cmocka_run_group_tests_name("exit_hang", tests, NULL, NULL);
}
