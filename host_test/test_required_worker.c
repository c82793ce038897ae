/* A front configured with require_worker refuses to load without a working
 * worker, says why on standard error and keeps nothing loaded; with its
 * worker it loads as any front. A front without it says, by its kind, what
 * it does without a worker: a wrapper passes the original's exports
 * through, a front that wraps nothing runs alone. */
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

typedef int (*required_status_function)(unsigned long *system_error);

/* LoadLibrary(folder + file) with the process's standard error sent to
 * folder\stderr.txt; the text written there goes to `text`. */
static HMODULE load_capturing_standard_error(const wchar_t *folder, const wchar_t *file, char *text,
                                             size_t capacity)
{
    wchar_t error_path[TEST_PATH_CAPACITY];
    wchar_t path[TEST_PATH_CAPACITY];
    HANDLE saved_error = GetStdHandle(STD_ERROR_HANDLE);
    HANDLE error_file;
    HMODULE module;
    FILE *written;
    size_t length = 0;

    _snwprintf(error_path, TEST_PATH_CAPACITY, L"%lsstderr.txt", folder);
    _snwprintf(path, TEST_PATH_CAPACITY, L"%ls%ls", folder, file);
    error_file = CreateFileW(error_path, GENERIC_WRITE, FILE_SHARE_READ, NULL, CREATE_ALWAYS,
                             FILE_ATTRIBUTE_NORMAL, NULL);
    assert_true(error_file != INVALID_HANDLE_VALUE);
    assert_win32(SetStdHandle(STD_ERROR_HANDLE, error_file));
    module = LoadLibraryW(path);
    SetStdHandle(STD_ERROR_HANDLE, saved_error);
    CloseHandle(error_file);
    written = _wfopen(error_path, L"rb");
    if (written != NULL) {
        length = fread(text, 1, capacity - 1, written);
        fclose(written);
    }
    text[length] = '\0';
    print_message("standard error: %s", text);
    return module;
}

/* Lays out `files` as fixture folder `fixture_name`, loads `front` from it
 * and checks that it refused, saying why (`reason`) on standard error, and
 * that it is not loaded. */
static void assert_refused(const wchar_t *fixture_name, const fixture_file *files, size_t count,
                           const wchar_t *front, int reason)
{
    wchar_t folder[TEST_PATH_CAPACITY];
    char text[4096];

    assert_true(fixture_folder(fixture_name, files, count, folder));
    assert_null(load_capturing_standard_error(folder, front, text, sizeof text));
    assert_non_null(strstr(text, "requires one: refusing to attach"));
    assert_non_null(strstr(text, shim_status_text(reason)));
    assert_non_null(strstr(text, "test_worker.dll")); /* the path it looked for */
    assert_null(GetModuleHandleW(front));
}

static void refuses_to_load_without_its_worker(void **state)
{
    static const fixture_file files[] = { { L"required_worker_front.dll", L"required_worker_front.dll",
                                            NULL } };

    (void)state;
    assert_refused(L"required-missing", files, 1, L"required_worker_front.dll", SHIM_E_WORKER_MISSING);
}

/* Another protocol version: refused like a missing one, and released. */
static void refuses_to_load_with_an_unusable_worker(void **state)
{
    static const fixture_file files[] = {
        { L"required_worker_front.dll", L"required_worker_front.dll", NULL },
        { L"wrong_version_worker.dll", L"test_worker.dll", NULL },
    };

    (void)state;
    assert_refused(L"required-wrong-version", files, 2, L"required_worker_front.dll",
                   SHIM_E_VERSION_MISMATCH);
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}

static void a_refusing_wrapper_releases_its_original(void **state)
{
    static const fixture_file files[] = {
        { L"required_worker_wrapper.dll", L"required_worker_wrapper.dll", NULL },
        { L"original\\legacy.dll", L"legacy_orig.dll", NULL },
    };

    (void)state;
    assert_refused(L"required-wrapper", files, 2, L"required_worker_wrapper.dll", SHIM_E_WORKER_MISSING);
    assert_true(module_gone_within(L"legacy_orig.dll", TEST_DEADLINE_MS));
}

static void loads_with_its_worker(void **state)
{
    static const fixture_file files[] = {
        { L"required_worker_front.dll", L"required_worker_front.dll", NULL },
        { L"test_worker.dll", L"test_worker.dll", NULL },
    };
    wchar_t folder[TEST_PATH_CAPACITY];
    HMODULE front;
    required_status_function status;

    (void)state;
    assert_true(fixture_folder(L"required-present", files, 2, folder));
    front = load_from(folder, L"required_worker_front.dll");
    assert_non_null(front);
    status = (required_status_function)symbol_of(front, "required_worker_front_status");
    assert_int_equal(status(NULL), SHIM_OK);
    assert_true(free_library_within(front, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}

/* TWINSHIM_REPORT=file: the report of a front loaded without its worker. */
static void report_of_a_front_without_worker(const wchar_t *fixture_name, const fixture_file *files,
                                             size_t count, const wchar_t *front_file, char *text,
                                             size_t capacity)
{
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t report_path[TEST_PATH_CAPACITY];
    HMODULE front;
    FILE *report;
    size_t length = 0;

    assert_true(fixture_folder(fixture_name, files, count, folder));
    _snwprintf(report_path, TEST_PATH_CAPACITY, L"%ls%ls.twinshim.log", folder, front_file);
    assert_win32(SetEnvironmentVariableW(REPORT_VARIABLE, L"file"));
    front = load_from(folder, front_file);
    assert_non_null(front);
    assert_true(free_library_within(front, TEST_DEADLINE_MS, NULL));
    report = _wfopen(report_path, L"rb");
    assert_non_null(report);
    length = fread(text, 1, capacity - 1, report);
    fclose(report);
    text[length] = '\0';
    print_message("report: %s", text);
}

static void the_report_says_what_the_front_does_without_worker(void **state)
{
    static const fixture_file plugin[] = { { L"test_front.dll", L"test_front.dll", NULL } };
    static const fixture_file wrapper[] = {
        { L"legacy.dll", L"legacy.dll", NULL },
        { L"original\\legacy.dll", L"legacy_orig.dll", NULL },
    };
    char text[4096];

    (void)state;
    report_of_a_front_without_worker(L"kind-plugin", plugin, 1, L"test_front.dll", text, sizeof text);
    assert_non_null(strstr(text, "no worker, the front runs without one and sends nothing"));
    assert_null(strstr(text, "pass through"));
    report_of_a_front_without_worker(L"kind-wrapper", wrapper, 2, L"legacy.dll", text, sizeof text);
    assert_non_null(strstr(text, "no worker, legacy exports pass through"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(refuses_to_load_without_its_worker),
        isolated_test(refuses_to_load_with_an_unusable_worker),
        isolated_test(a_refusing_wrapper_releases_its_original),
        isolated_test(loads_with_its_worker),
        isolated_test(the_report_says_what_the_front_does_without_worker),
    };
    return cmocka_run_group_tests_name("required_worker", tests, NULL, NULL);
}
