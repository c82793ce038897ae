/* A call's record survives the death of its process, however it dies: a
 * legacy program (journal_child.exe, wrapped legacy.dll with the example's
 * audit worker) makes its calls and is ended by TerminateProcess, by
 * TerminateProcess from another thread while its calls go on, or by an
 * unhandled exception right after a call; the next program that loads the
 * front recovers the dead process's journal, and the audit log then holds
 * every call that returned (a record that two sessions may both have
 * written carries "[possible repeat]"). A kill -9 from Linux is
 * host_test/journal-kill.sh's.
 *
 * Without the journal, no DLL of a process ended this way gets a detach:
 * the records still queued (most of them, for calls made right before) are
 * lost, and the check of every returned call fails. Sizes: RUNS per way of
 * dying here; TWINSHIM_TORTURE_JOURNAL_RUNS in `make torture`. A loss that
 * happens in one death out of N is caught with a chance of 1 - (1 - 1/N)^R
 * over R runs: 3 runs catch a one-in-two loss 7 times in 8.
 *
 * A program that dies before its plugin has started (a short one, whose
 * session thread has not run yet: here it holds the loader lock to its
 * death) leaves a journal only it wrote. The next such program writes on in
 * that journal rather than leaving a file of its own: after several, one
 * journal, and the session that starts at last delivers every record,
 * recovered and named after the process that made the call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "journal_child.h"
#include "test_support.h"

#define CALLS 200
#define RUN_DEADLINE_MS 60000
#define MOST_CALLS 100000
/* Programs that die before their plugin starts, and the calls of each. */
#define EARLY_DEATHS 4
#define CALLS_PER_EARLY_DEATH 50

static const fixture_file installation[] = {
    { L"legacy.dll", L"legacy.dll", NULL },
    { L"original\\legacy.dll", L"legacy_orig.dll", NULL },
    { L"legacy_worker.dll", L"legacy_worker.dll", NULL },
    { L"journal_child.exe", L"journal_child.exe", NULL },
    { L"cmocka.dll", L"cmocka.dll", NULL }, /* through test_support, which the child links */
};
#define INSTALLATION_FILES (sizeof installation / sizeof installation[0])

typedef struct survival {
    wchar_t fixture[64];
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t journals[TEST_PATH_CAPACITY];
    wchar_t log_path[TEST_PATH_CAPACITY];
    wchar_t count_path[TEST_PATH_CAPACITY];
} survival;

static void install(const wchar_t *name, survival *place)
{
    _snwprintf(place->fixture, 64, L"%ls", name);
    assert_true(fixture_folder(name, installation, INSTALLATION_FILES, place->folder));
    assert_true(fresh_journal_folder(name, place->journals));
    _snwprintf(place->log_path, TEST_PATH_CAPACITY, L"%lsaudit.log", place->folder);
    _snwprintf(place->count_path, TEST_PATH_CAPACITY, L"%lsreturned.count", place->folder);
    assert_win32(SetEnvironmentVariableW(L"TWINSHIM_EXAMPLE_LOG", place->log_path));
}

/* Returns the child's process id: the one its recovered lines name. */
static DWORD run(const survival *place, const wchar_t *arguments, DWORD expected_exit_code)
{
    wchar_t program[TEST_PATH_CAPACITY];
    child_process child = { .deadline_ms = RUN_DEADLINE_MS };

    _snwprintf(program, TEST_PATH_CAPACITY, L"fixtures\\%ls\\journal_child.exe", place->fixture);
    assert_true(child_start(&child, program, arguments));
    child_wait_any(&child, 1);
    assert_false(child.missed_deadline);
    if (child.exit_code != expected_exit_code)
        print_error("journal_child.exe %ls: exit code %#lx, expected %#lx\n", arguments, child.exit_code,
                    expected_exit_code);
    assert_int_equal(child.exit_code, expected_exit_code);
    return child.process_id;
}

static LONG returned_calls(const survival *place)
{
    HANDLE file = CreateFileW(place->count_path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                              OPEN_EXISTING, 0, NULL);
    LONG count = -1;
    DWORD read = 0;

    assert_true(file != INVALID_HANDLE_VALUE);
    assert_win32(ReadFile(file, &count, sizeof count, &read, NULL));
    CloseHandle(file);
    assert_int_equal(read, sizeof count);
    return count;
}

/* The whole log, NUL-terminated; NULL if there is none. */
static char *read_log(const survival *place)
{
    HANDLE file = CreateFileW(place->log_path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                              OPEN_EXISTING, 0, NULL);
    LARGE_INTEGER size;
    char *text = NULL;
    DWORD read = 0;

    if (file == INVALID_HANDLE_VALUE)
        return NULL;
    if (GetFileSizeEx(file, &size) && size.QuadPart < 64 * 1024 * 1024 &&
        (text = malloc((size_t)size.QuadPart + 1)) != NULL) {
        if (!ReadFile(file, text, (DWORD)size.QuadPart, &read, NULL))
            read = 0;
        text[read] = '\0';
    }
    CloseHandle(file);
    return text;
}

typedef struct logged_calls {
    long lines;     /* lines of calls */
    long recovered; /* of them, "[recovered from process N]" */
} logged_calls;

#define RECOVERED_MARK "[recovered from process "

/* Every call that returned has its line; a call's line is there twice only
 * with "[possible repeat]" on the second; no line for a call that never
 * began. If recovered_from is not NULL, recovered_from[i] gets the process
 * that the line of call i names (0: not recovered; the last line, if
 * several), for calls 0 to returned + 1. */
static logged_calls assert_every_returned_call_logged(const survival *place, LONG returned,
                                                      DWORD *recovered_from)
{
    char *log = read_log(place);
    LONG most = returned + 1; /* the call in flight at the death may have posted */
    unsigned char *seen = calloc((size_t)most + 1, 1);
    unsigned char *repeat_marked = calloc((size_t)most + 1, 1);
    logged_calls logged = { 0 };
    long missing = 0;

    assert_non_null(log);
    assert_non_null(seen);
    assert_non_null(repeat_marked);
    for (char *line = log; *line != '\0';) {
        char *end = strchr(line, '\n');
        long call;
        long b;

        if (end != NULL)
            *end = '\0';
        if (sscanf(line, "legacy_add(%ld, %ld)", &call, &b) == 2 && b == JOURNAL_CHILD_B) {
            const char *recovered = strstr(line, RECOVERED_MARK);

            logged.lines++;
            if (call < 0 || call > most) {
                print_error("a line for call %ld, which never began (%ld returned)\n", call, (long)returned);
                fail();
            }
            seen[call]++;
            if (strstr(line, "[possible repeat]") != NULL)
                repeat_marked[call] = 1;
            if (recovered != NULL)
                logged.recovered++;
            if (recovered_from != NULL)
                recovered_from[call] =
                    recovered != NULL ? strtoul(recovered + strlen(RECOVERED_MARK), NULL, 10) : 0;
        }
        line = end != NULL ? end + 1 : line + strlen(line);
    }
    for (LONG call = 0; call <= most; call++) {
        if (call < returned && seen[call] == 0) {
            if (missing++ < 10)
                print_error("call %ld returned, and its record is not in the log\n", (long)call);
        }
        if (seen[call] > 1 && !repeat_marked[call]) {
            print_error("call %ld is in the log %u times, never marked a possible repeat\n", (long)call,
                        (unsigned)seen[call]);
            fail();
        }
    }
    print_message("  %ld calls returned, %ld lines, %ld of them recovered, %ld missing\n", (long)returned,
                  logged.lines, logged.recovered, missing);
    assert_int_equal(missing, 0);
    free(seen);
    free(repeat_marked);
    free(log);
    return logged;
}

/* One death and the recovery after it: returns the recovered lines. */
static long die_and_recover(const survival *place, const wchar_t *how, LONG calls, DWORD exit_code)
{
    wchar_t arguments[2 * TEST_PATH_CAPACITY];
    LONG returned;

    DeleteFileW(place->log_path);
    _snwprintf(arguments, 2 * TEST_PATH_CAPACITY, L"%ls %ld \"%ls\"", how, (long)calls, place->count_path);
    run(place, arguments, exit_code);
    returned = returned_calls(place);
    assert_in_range(returned, calls, MOST_CALLS);
    assert_int_equal(journal_files_in(place->journals, L"*.journal"), 1);
    run(place, L"recover", JOURNAL_CHILD_RECOVERED);
    /* Delivered, so removed: the dead one, and the recovering session's own. */
    assert_int_equal(journal_files_in(place->journals, L"*.journal"), 0);
    return assert_every_returned_call_logged(place, returned, NULL).recovered;
}

#define RUNS_VARIABLE L"TWINSHIM_TORTURE_JOURNAL_RUNS"

static void dies_in_every_run(const wchar_t *name, const wchar_t *how, DWORD exit_code, BOOL random_point)
{
    unsigned long runs = torture_size(RUNS_VARIABLE, 3);
    survival place;
    long recovered = 0;
    /* A kill point that differs from run to run; no need for a good generator. */
    unsigned long seed = GetTickCount();

    install(name, &place);
    for (unsigned long run_number = 0; run_number < runs; run_number++) {
        LONG calls;

        seed = seed * 1103515245u + 12345u;
        calls = random_point ? 1 + (LONG)((seed >> 16) % (2 * CALLS)) : CALLS;

        print_message("run %lu of %lu: %ls after %ld calls\n", run_number + 1, runs, how, (long)calls);
        recovered += die_and_recover(&place, how, calls, exit_code);
    }
    /* The feature at work: some records were written only by the next
     * session (a plugin that keeps up may write the rest before the death). */
    print_message("%ls: %lu runs, %ld lines recovered in all\n", how, runs, recovered);
}

static void terminate_process_loses_no_returned_call(void **state)
{
    (void)state;
    dies_in_every_run(L"journal-terminate", L"terminate", JOURNAL_CHILD_TERMINATED, FALSE);
}

static void terminate_from_another_thread_loses_no_returned_call(void **state)
{
    (void)state;
    dies_in_every_run(L"journal-terminate-racing", L"terminate-racing", JOURNAL_CHILD_TERMINATED, TRUE);
}

static void an_unhandled_exception_loses_no_returned_call(void **state)
{
    (void)state;
    dies_in_every_run(L"journal-crash", L"crash", (DWORD)EXCEPTION_ACCESS_VIOLATION, FALSE);
}

/* Each program holds the loader lock from before it loads legacy.dll to its
 * TerminateProcess: its session thread never runs, so its plugin delivers
 * nothing, and each call's record is in the journal only. Program k makes
 * calls of its own, k * 50 to k * 50 + 49: the processes being distinct,
 * that each line names its call's maker means EARLY_DEATHS processes named,
 * each on 50 lines. */
static void programs_that_die_before_the_plugin_starts_share_one_journal(void **state)
{
    enum {
        ALL_CALLS = EARLY_DEATHS * CALLS_PER_EARLY_DEATH
    };
    survival place;
    DWORD dead_process[EARLY_DEATHS];
    DWORD recovered_from[ALL_CALLS + 2] = { 0 }; /* up to returned + 1 */
    logged_calls logged;
    long wrong_process = 0;

    (void)state;
    install(L"journal-terminate-early", &place);
    DeleteFileW(place.log_path);
    for (int k = 0; k < EARLY_DEATHS; k++) {
        wchar_t arguments[2 * TEST_PATH_CAPACITY];

        _snwprintf(arguments, 2 * TEST_PATH_CAPACITY, L"terminate-early %d \"%ls\" %d", CALLS_PER_EARLY_DEATH,
                   place.count_path, k * CALLS_PER_EARLY_DEATH);
        dead_process[k] = run(&place, arguments, JOURNAL_CHILD_TERMINATED);
        assert_int_equal(returned_calls(&place), (k + 1) * CALLS_PER_EARLY_DEATH);
        print_message("program %d of %d (process %lu) made calls %d to %d and died: %ld journals\n", k + 1,
                      EARLY_DEATHS, dead_process[k], k * CALLS_PER_EARLY_DEATH,
                      (k + 1) * CALLS_PER_EARLY_DEATH - 1, journal_files_in(place.journals, L"*.journal"));
        /* A journal with room is written on, not left behind for a new one. */
        assert_int_equal(journal_files_in(place.journals, L"*.journal"), 1);
        for (int earlier = 0; earlier < k; earlier++)
            assert_int_not_equal(dead_process[earlier], dead_process[k]); /* else provenance cannot tell */
    }
    run(&place, L"recover", JOURNAL_CHILD_RECOVERED);
    assert_int_equal(journal_files_in(place.journals, L"*.journal"), 0);

    logged = assert_every_returned_call_logged(&place, ALL_CALLS, recovered_from);
    /* No program delivered a line itself: each is recovered, and only once. */
    assert_int_equal(logged.lines, ALL_CALLS);
    assert_int_equal(logged.recovered, ALL_CALLS);
    /* Each line names the process that made the call. */
    for (int call = 0; call < ALL_CALLS; call++) {
        DWORD maker = dead_process[call / CALLS_PER_EARLY_DEATH];

        if (recovered_from[call] != maker && wrong_process++ < 10)
            print_error("call %d, made by process %lu: its line says recovered from process %lu\n", call,
                        maker, recovered_from[call]);
    }
    assert_int_equal(wrong_process, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(terminate_process_loses_no_returned_call),
        isolated_test(terminate_from_another_thread_loses_no_returned_call),
        isolated_test(an_unhandled_exception_loses_no_returned_call),
        isolated_test(programs_that_die_before_the_plugin_starts_share_one_journal),
    };
    return cmocka_run_group_tests_name("journal_survival", tests, NULL, NULL);
}
