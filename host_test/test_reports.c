/* Failures a person can see without a debugger: TWINSHIM_REPORT sends the
 * front's reports to a file next to it, to a path, or to standard error; a
 * front that cannot load its original says so on standard error even
 * without it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

#define REPORT_VARIABLE L"TWINSHIM_REPORT"

/* The file's whole text (at most capacity - 1 bytes), or "" if it is absent. */
static const char *text_of(const wchar_t *path, char *text, size_t capacity)
{
    FILE *file = _wfopen(path, L"rb");
    size_t length = 0;

    if (file != NULL) {
        length = fread(text, 1, capacity - 1, file);
        fclose(file);
    }
    text[length] = '\0';
    return text;
}

static void load_and_free(const wchar_t *folder, const wchar_t *file)
{
    HMODULE front = load_from(folder, file);

    assert_non_null(front);
    assert_true(free_library_within(front, TEST_DEADLINE_MS, NULL));
}

static const fixture_file front_without_worker[] = { { L"test_front.dll", L"test_front.dll", NULL } };

static void pass_through_is_reported_in_a_file_next_to_the_front(void **state)
{
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t report_path[TEST_PATH_CAPACITY];
    char text[4096];

    (void)state;
    assert_true(fixture_folder(L"report-file", front_without_worker, 1, folder));
    _snwprintf(report_path, TEST_PATH_CAPACITY, L"%lstest_front.dll.twinshim.log", folder);
    assert_win32(SetEnvironmentVariableW(REPORT_VARIABLE, L"file"));
    load_and_free(folder, L"test_front.dll");
    text_of(report_path, text, sizeof text);
    print_message("report: %s", text);
    assert_non_null(strstr(text, "no worker, the front runs without one"));
    assert_non_null(strstr(text, shim_status_text(SHIM_E_WORKER_MISSING)));
}

static void a_path_is_appended_to(void **state)
{
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t report_path[TEST_PATH_CAPACITY];
    char text[4096];
    const char *second;

    (void)state;
    assert_true(fixture_folder(L"report-path", front_without_worker, 1, folder));
    _snwprintf(report_path, TEST_PATH_CAPACITY, L"%lsreports.txt", folder);
    assert_win32(SetEnvironmentVariableW(REPORT_VARIABLE, report_path));
    load_and_free(folder, L"test_front.dll");
    load_and_free(folder, L"test_front.dll");
    text_of(report_path, text, sizeof text);
    second = strstr(text, "no worker");
    assert_non_null(second);
    assert_non_null(strstr(second + 1, "no worker")); /* one line per load */
}

static void without_the_variable_nothing_is_written(void **state)
{
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t report_path[TEST_PATH_CAPACITY];

    (void)state;
    assert_true(fixture_folder(L"report-none", front_without_worker, 1, folder));
    _snwprintf(report_path, TEST_PATH_CAPACITY, L"%lstest_front.dll.twinshim.log", folder);
    assert_true(SetEnvironmentVariableW(REPORT_VARIABLE, NULL) || GetLastError() == ERROR_ENVVAR_NOT_FOUND);
    load_and_free(folder, L"test_front.dll");
    assert_int_equal(GetFileAttributesW(report_path), INVALID_FILE_ATTRIBUTES);
}

/* The front refuses to load without its original: the reason goes to this
 * process's standard error, here a file, whatever TWINSHIM_REPORT says. */
static void a_missing_original_is_reported_on_standard_error(void **state)
{
    static const fixture_file no_original[] = {
        { L"legacy.dll", L"legacy.dll", NULL },
        { L"legacy_worker.dll", L"legacy_worker.dll", NULL },
    };
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t error_path[TEST_PATH_CAPACITY];
    wchar_t front_path[TEST_PATH_CAPACITY];
    HANDLE saved_error = GetStdHandle(STD_ERROR_HANDLE);
    HANDLE error_file;
    HMODULE front;
    char text[4096];

    (void)state;
    assert_true(fixture_folder(L"report-no-original", no_original, 2, folder));
    assert_true(SetEnvironmentVariableW(REPORT_VARIABLE, NULL) || GetLastError() == ERROR_ENVVAR_NOT_FOUND);
    _snwprintf(error_path, TEST_PATH_CAPACITY, L"%lsstderr.txt", folder);
    _snwprintf(front_path, TEST_PATH_CAPACITY, L"%lslegacy.dll", folder);
    error_file = CreateFileW(error_path, GENERIC_WRITE, FILE_SHARE_READ, NULL, CREATE_ALWAYS,
                             FILE_ATTRIBUTE_NORMAL, NULL);
    assert_true(error_file != INVALID_HANDLE_VALUE);
    assert_win32(SetStdHandle(STD_ERROR_HANDLE, error_file));
    front = LoadLibraryW(front_path);
    SetStdHandle(STD_ERROR_HANDLE, saved_error);
    CloseHandle(error_file);
    assert_null(front);
    text_of(error_path, text, sizeof text);
    print_message("standard error: %s", text);
    assert_non_null(strstr(text, "cannot load the original DLL"));
    assert_non_null(strstr(text, "legacy_orig.dll"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(pass_through_is_reported_in_a_file_next_to_the_front),
        isolated_test(a_path_is_appended_to),
        isolated_test(without_the_variable_nothing_is_written),
        isolated_test(a_missing_original_is_reported_on_standard_error),
    };
    return cmocka_run_group_tests_name("reports", tests, NULL, NULL);
}
