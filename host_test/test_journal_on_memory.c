/* A session whose journal file cannot be made runs on a memory journal:
 * the journal folder below a regular file (under Wine as root a read-only
 * attribute stops nobody, so a folder that cannot be made at all), on a
 * drive that does not exist, or a disk too full for the journal (the
 * journal's fault point at the write that allocates its space; a real full
 * disk is journal-full-disk.sh's). Each time the session starts, says in
 * its counters that it runs on memory and in its report (TWINSHIM_REPORT)
 * why, and delivers every message it accepted: several laps of a 64 KiB
 * ring, the host waiting for room when it is full; no journal file is left.
 * Without the fallback the front would pass through (no session, posts
 * refused): each test fails at every run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "journal_support.h"
#include "test_support.h"
#include "twinshim/status.h"

/* Static: the worker writes into it. */
static numbered_tally tally;

#define ON_MEMORY_MESSAGES 4000 /* about four laps of a 64 KiB journal */

/* The front of `fixture`, its journals in journal_folder (NULL: as set). */
static void on_memory(const wchar_t *fixture, const wchar_t *journal_folder)
{
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t report_path[TEST_PATH_CAPACITY];
    shim_session_counters counters;
    unsigned char message[32];
    test_front front;

    assert_true(front_and_worker_folder(fixture, folder));
    _snwprintf(report_path, TEST_PATH_CAPACITY, L"%lsreport.log", folder);
    assert_win32(SetEnvironmentVariableW(L"TWINSHIM_REPORT", report_path));
    if (journal_folder != NULL)
        assert_win32(SetEnvironmentVariableW(L"TWINSHIM_JOURNAL_DIR", journal_folder));
    assert_win32(SetEnvironmentVariableW(TEST_WORKER_CAPACITY_VARIABLE, L"64"));
    use_tally(&tally);
    assert_true(load_test_front(folder, &front));
    assert_win32(SetEnvironmentVariableW(L"TWINSHIM_FAULT_JOURNAL_AT", NULL));
    assert_int_equal(front.status(NULL), SHIM_OK);
    assert_int_equal(front.get_counters(&counters), SHIM_OK);
    assert_int_equal(counters.journal, SHIM_JOURNAL_MEMORY);
    assert_reported_within(report_path, "twinshim worker: the journal could not be made in ");
    for (UINT32 i = 0; i < ON_MEMORY_MESSAGES; i++) {
        fill_numbered_message(message, i, sizeof message);
        assert_int_equal(front.post_raw(message, sizeof message), SHIM_OK);
    }
    assert_true(counter_reaches_within(&tally.delivered, ON_MEMORY_MESSAGES, TEST_DEADLINE_MS));
    assert_int_equal(front.get_counters(&counters), SHIM_OK);
    unload_test_front(&front);
    assert_int_equal(counters.dropped, 0);
    assert_int_equal(tally.delivered, ON_MEMORY_MESSAGES);
    for (UINT32 i = 0; i < ON_MEMORY_MESSAGES; i++)
        assert_int_equal(tally.seen[i], 1);
    assert_int_equal(tally.damaged, 0);
}

/* TWINSHIM_JOURNAL_DIR below a regular file: no folder can be made there,
 * whoever runs the test (under Wine as root, a read-only attribute stops
 * nobody). */
static void a_journal_folder_below_a_file_runs_on_memory(void **state)
{
    wchar_t journals[TEST_PATH_CAPACITY];
    wchar_t below_file[TEST_PATH_CAPACITY];
    wchar_t plain_file[TEST_PATH_CAPACITY];

    (void)state;
    assert_true(fresh_journal_folder(L"recovery-below-a-file", journals));
    _snwprintf(plain_file, TEST_PATH_CAPACITY, L"%lsa-file", journals);
    write_whole_file(plain_file, "not a folder", 12);
    _snwprintf(below_file, TEST_PATH_CAPACITY, L"%ls\\journals\\", plain_file);
    on_memory(L"recovery-below-a-file", below_file);
    assert_int_equal(journal_files_in(journals, L"*.journal"), 0);
}

/* TWINSHIM_JOURNAL_DIR on a drive that does not exist. */
static void a_journal_folder_on_a_missing_drive_runs_on_memory(void **state)
{
    DWORD drives = GetLogicalDrives();
    wchar_t missing[32] = L"";

    (void)state;
    for (wchar_t letter = L'Q'; letter <= L'Y'; letter++) {
        if (!(drives & (1u << (letter - L'A')))) {
            missing[0] = letter;
            wcscpy(missing + 1, L":\\twinshim\\journals\\");
            break;
        }
    }
    assert_true(missing[0] != L'\0');
    on_memory(L"recovery-missing-drive", missing);
}

/* A disk too full for the journal: the write of the zeros that allocate
 * its space fails (fault point 3 of the journal's channel, see
 * test_fault_injection.c; journal-full-disk.sh fills a real one). */
static void a_disk_too_full_for_the_journal_runs_on_memory(void **state)
{
    wchar_t journals[TEST_PATH_CAPACITY];

    (void)state;
    assert_true(fresh_journal_folder(L"recovery-disk-full", journals));
    assert_win32(SetEnvironmentVariableW(L"TWINSHIM_FAULT_JOURNAL_AT", L"3"));
    on_memory(L"recovery-disk-full", NULL);
    assert_int_equal(journal_files_in(journals, L"*.journal"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(a_journal_folder_below_a_file_runs_on_memory),
        isolated_test(a_journal_folder_on_a_missing_drive_runs_on_memory),
        isolated_test(a_disk_too_full_for_the_journal_runs_on_memory),
    };
    return cmocka_run_group_tests_name("journal_on_memory", tests, NULL, NULL);
}
