/* Helpers the journal's tests share (test_journal_*.c): the child that
 * leaves dead journals (journal_writer_child.exe), the folders and files a
 * session keeps its journals in, a tally the test worker counts numbered
 * messages into, and the report file. Each fails the running cmocka test
 * when something it needs does not hold. */
#ifndef TWINSHIM_JOURNAL_SUPPORT_H
#define TWINSHIM_JOURNAL_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>

#include <windows.h>

#include "test_support.h"

#define JOURNAL_WRITER_CHILD L"journal_writer_child.exe"
/* How long a child of the journal's tests may take. */
#define JOURNAL_CHILD_DEADLINE_MS 60000u

/* journal_writer_child.exe's exit codes. */
enum {
    WRITER_CHILD_DONE = 0,
    WRITER_CHILD_BAD_USAGE = 2,
    WRITER_CHILD_SETUP_FAILED = 3,
    WRITER_CHILD_POST_FAILED = 4,
    WRITER_CHILD_NOT_ON_MEMORY = 5,
    WRITER_CHILD_LOST = 6,
    WRITER_CHILD_EXITED = 7,
    WRITER_CHILD_TERMINATED = 77
};

/* Zeroes *tally and names it in TWINSHIM_TEST_TALLY, for the test worker
 * of this process to count numbered messages into (it must stay valid
 * while a session may deliver: static). */
void use_tally(numbered_tally *tally);

/* Runs journal_writer_child.exe `arguments` and checks its exit code. */
void run_journal_writer(const wchar_t *arguments, DWORD expected_exit_code);

/* A process of the front in front_folder (test_front.dll) that posts
 * numbered messages first .. first + count - 1 and dies (TerminateProcess)
 * with its start held: every message is in its journal, none delivered. */
void leave_dead_journal(const wchar_t *front_folder, unsigned first, unsigned count);

/* The folder of test_front.dll's journals below `journals`, other than
 * `except` (NULL: any), with a trailing backslash: exactly one must exist. */
void front_journal_folder(const wchar_t *journals, const wchar_t *except, wchar_t *folder);

/* The path of the one file matching `pattern` in `folder`. */
void only_file(const wchar_t *folder, const wchar_t *pattern, wchar_t *path);

/* A file's bytes (malloc'd, one more byte than *size for a terminator). */
unsigned char *read_whole_file(const wchar_t *path, size_t *size);

/* Writes a file of `size` bytes, replacing any. */
void write_whole_file(const wchar_t *path, const void *bytes, size_t size);

bool file_exists(const wchar_t *path);

/* A report file's text (TWINSHIM_REPORT set to its path), NUL-terminated
 * and malloc'd; empty when there is no file yet. */
char *read_report(const wchar_t *path);

/* Waits until the report file holds `text`, and prints the line. */
void assert_reported_within(const wchar_t *report_path, const char *text);

/* Frees test_front.dll and waits until test_worker.dll is gone. */
void unload_test_front(const test_front *front);

#endif
