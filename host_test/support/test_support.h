/* Helpers the host tests share: fixture folders, loading with deadlines,
 * waiting for a module to leave. Every wait has a deadline, so a hang fails
 * the test instead of blocking it. */
#ifndef TWINSHIM_TEST_SUPPORT_H
#define TWINSHIM_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>

#include <windows.h>

#include "child_process.h"
#include "test_job.h"

#define TEST_PATH_CAPACITY 1024
#define TEST_DEADLINE_MS 30000

/* One file of a fixture folder: copied from the build's bin folder (a path
 * relative to it) under a new name, or written with `contents` if set. */
typedef struct fixture_file {
    const wchar_t *source;
    const wchar_t *name;
    const char *contents;
} fixture_file;

/* Makes bin\fixtures\<name>\ hold exactly `files`; writes its path, with a
 * trailing backslash, to folder. Returns false (and prints why) on failure. */
bool fixture_folder(const wchar_t *name, const fixture_file *files, size_t count, wchar_t *folder);

/* Like printf, to standard error, flushed at once: what a test says about
 * a failure while it happens. */
void complain(const char *format, ...);

/* For a child that exits with twinshim work in flight: from now on, the
 * first access violation anywhere in the process is said on standard error
 * and ends the process with TEST_EXIT_ACCESS_VIOLATION. Wine's loader
 * catches a fault in a DllMain, the exit's among them, and lets the process
 * end with its own code (docs/wine-vs-windows.md, section 22): a parent that
 * checks the code would not see it. Returns false if it could not. */
#define TEST_EXIT_ACCESS_VIOLATION 0xACC
bool end_process_at_access_violation(void);

/* The build's bin folder, with a trailing backslash. */
const wchar_t *bin_folder(void);

/* LoadLibraryW(folder + file) on another thread, within TEST_DEADLINE_MS.
 * Prints GetLastError when it fails. Not reentrant. */
HMODULE load_from(const wchar_t *folder, const wchar_t *file);

/* GetProcAddress as a plain function pointer, or fails the test. */
void (*symbol_of(HMODULE module, const char *name))(void);

/* Calls FreeLibrary(module) on another thread and waits up to deadline_ms.
 * Returns true if it returned in time; *elapsed_ms gets how long it took. */
bool free_library_within(HMODULE module, DWORD deadline_ms, double *elapsed_ms);

/* True once GetModuleHandleW(name) is NULL, false if deadline_ms passes first. */
bool module_gone_within(const wchar_t *name, DWORD deadline_ms);

/* True once *counter >= target, false if deadline_ms passes first. */
bool counter_reaches_within(volatile LONG *counter, LONG target, DWORD deadline_ms);

/* test_front.dll, loaded, with its entry points. */
typedef struct test_front {
    HMODULE module;
    test_post_job_function post_job;
    test_post_raw_function post_raw;
    test_status_function status;
    test_get_counters_function get_counters;
    test_multiply_function multiply;
} test_front;

/* Loads folder\test_front.dll and finds its exports. */
bool load_test_front(const wchar_t *folder, test_front *front);

/* Counters a host hands to its jobs, to count independently of twinshim. */
typedef struct job_counters {
    volatile LONG started;
    volatile LONG ran;
    volatile LONG cancelled;
    volatile LONG saw_stop;
    volatile LONG at_exit;          /* handed to the plugin's on_exit_message */
    volatile LONG repeated_at_exit; /* of those, with possible_repeat set */
} job_counters;

/* A job that counts into `counters` and, if gate is set, waits for it. */
test_job job_for(job_counters *counters, HANDLE gate);

/* Makes fixture folder `fixture_name` holding test_front.dll and
 * test_worker.dll, and writes its path to folder (TEST_PATH_CAPACITY). */
bool front_and_worker_folder(const wchar_t *fixture_name, wchar_t *folder);

/* Makes fixture folder `fixture_name` with test_front.dll and test_worker.dll,
 * loads the front and checks that it connected to its worker. Fails the
 * running cmocka test otherwise. */
void load_front_and_worker(const wchar_t *fixture_name, test_front *front);

/* True once *status is no longer TEST_STATUS_PENDING, false if deadline_ms passes first. */
bool status_reported_within(volatile LONG *status, DWORD deadline_ms);

/* True once the file named by environment variable `variable` exists and is
 * not empty, false if deadline_ms passes first. For a plugin that has no
 * other way to say that it has started (the legacy example's audit log). */
bool file_filled_within(const wchar_t *variable, DWORD deadline_ms);

/* True once every bit of mask is set in *flags, false if deadline_ms passes first. */
bool bits_set_within(volatile LONG *flags, LONG mask, DWORD deadline_ms);

/* Milliseconds from a QueryPerformanceCounter reading to now. */
double elapsed_since(LARGE_INTEGER start);

/* Posts a TEST_JOB_SETTINGS with *settings (static: the worker writes the
 * statuses into it) and waits until the worker has applied them. Fails the
 * running cmocka test if it does not within TEST_DEADLINE_MS. */
void apply_settings(test_front *front, test_settings *settings);

/* Applies one setting alone, the test_settings member `member`, with
 * `value` as it is, and returns the status the worker's shim_session_set_*
 * gave it. */
int apply_one_setting(test_front *front, size_t member_offset, unsigned value);
#define setting_status(front, member, value) \
    apply_one_setting((front), offsetof(test_settings, member), (value))

/* The session's stop policy, or its stop deadline, set by the worker's
 * plugin (shim_session_set_*); fails the running test unless it is SHIM_OK. */
void set_stop_policy(test_front *front, shim_stop_policy policy);
void set_stop_deadline(test_front *front, unsigned milliseconds);

/* A manual-reset event for jobs to wait at. The teardown of an isolated test
 * opens every gate before it waits for the worker to go, so that a test that
 * failed before opening its gate does not hold its jobs into the next test. */
HANDLE new_gate(void);

/* cmocka setup and teardown that isolate a test: the teardown opens the
 * gates, frees every front still loaded and waits for every worker and
 * original of ours to go, then restores the current directory, the whole
 * environment, the DLL directory and the error mode as the setup found
 * them. A test that failed half-way leaks nothing into the next one. */
int save_process_state(void **state);
int restore_process_state(void **state);
#define isolated_test(test) cmocka_unit_test_setup_teardown(test, save_process_state, restore_process_state)

/* Fails the running test unless `value` is `first` or `second`, printing the
 * three values, in the manner of Wine's ok(). */
#define assert_either(value, first, second) \
    assert_either_at((long long)(value), (long long)(first), (long long)(second), #value, __FILE__, __LINE__)
void assert_either_at(long long value, long long first, long long second, const char *expression,
                      const char *file, int line);

/* Fails the running test when a Windows call returns zero (FALSE, NULL),
 * printing the call and its GetLastError. */
#define assert_win32(call) assert_win32_at((call) != 0, #call, __FILE__, __LINE__)
void assert_win32_at(int succeeded, const char *expression, const char *file, int line);

/* Busy blocks in every heap of the process: the worker runtime's
 * allocations and the Windows thread pool's objects live in them. */
size_t busy_heap_blocks(void);

/* ---- Torture: sizes, leak counts, child processes and the result line ---- */

/* Handles open in this process. GetProcessHandleCount when it works; Wine 8
 * implements it as a stub that answers 0, so then each handle value is
 * asked about in turn (GetHandleInformation), up to a window past the
 * highest valid one (test_support.c says why not the system's handle
 * table). */
long process_handle_count(void);

/* Modules loaded in this process (LdrEnumerateLoadedModules, under the
 * loader lock), or -1. */
long process_module_count(void);

/* A size read from the environment variable `variable` (a decimal number),
 * or ci_default when it is unset or not a positive number. */
unsigned long torture_size(const wchar_t *variable, unsigned long ci_default);

/* What one torture scenario measured; printed as one machine-readable line,
 *   torture-result: scenario=... size=... cycles=... calls=... lost=... handles_leaked=...
 *                   modules_leaked=... failures=... seconds=... result=pass|fail
 * that host_test/run-torture.sh turns into docs/reliability.md. */
typedef struct torture_result {
    const char *scenario;
    unsigned long size;   /* the parameter the run was asked for */
    unsigned long cycles; /* load/use/unload cycles (or repetitions) that ran */
    unsigned long calls;  /* calls or jobs submitted */
    long lost;            /* submitted, but neither ran nor was cancelled */
    long handles_leaked;  /* handle count at the end minus the baseline */
    long modules_leaked;  /* module count at the end minus the baseline */
    double seconds;       /* wall time of the measured part */
    bool passed;
    long failures; /* runs that failed (a child that hung or ended with another code) */
    bool
        process_ends; /* lost and leaks not measured (a child process that ends, or a check-only scenario): n/a */
} torture_result;

void print_torture_result(const torture_result *result);

/* Waits up to deadline_ms for process_handle_count() to come down to
 * baseline; returns the last count minus the baseline (0: no leak). */
long handles_above_baseline_after(long baseline, DWORD deadline_ms);

/* ---- Journals ------------------------------------------------------------ */

/* Makes bin\journals\<name>\ exist and hold nothing, and points
 * TWINSHIM_JOURNAL_DIR at it (for this process and its children): a test's
 * sessions keep their journals there and find no other test's. Writes its
 * path, with a trailing backslash, to folder (TEST_PATH_CAPACITY). */
bool fresh_journal_folder(const wchar_t *name, wchar_t *folder);

/* Files matching `pattern` (such as L"*.journal") in the front folders just
 * below `folder`: the journals sessions left there. */
long journal_files_in(const wchar_t *folder, const wchar_t *pattern);

#endif
