/* The front takes its worker and its original only from its own folder: a
 * copy planted in the current directory or on PATH is never loaded, even
 * though it would work if it were. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

#define PATH_VARIABLE_CAPACITY 32768

static const fixture_file front_only[] = { { L"test_front.dll", L"test_front.dll", NULL } };
static const fixture_file worker_only[] = { { L"test_worker.dll", L"test_worker.dll", NULL } };

static void assert_front_ignores_planted_worker(const wchar_t *front_folder)
{
    test_front front;

    assert_true(load_test_front(front_folder, &front));
    assert_int_equal(front.status(NULL), SHIM_E_WORKER_MISSING);
    assert_null(GetModuleHandleW(L"test_worker.dll"));
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
}

static void worker_in_current_directory_is_ignored(void **state)
{
    wchar_t front_folder[TEST_PATH_CAPACITY];
    wchar_t planted_folder[TEST_PATH_CAPACITY];

    (void)state;
    assert_true(fixture_folder(L"search-front", front_only, 1, front_folder));
    assert_true(fixture_folder(L"search-planted-cwd", worker_only, 1, planted_folder));
    assert_win32(SetCurrentDirectoryW(planted_folder));
    assert_front_ignores_planted_worker(front_folder);
}

static void worker_on_path_is_ignored(void **state)
{
    static wchar_t previous[PATH_VARIABLE_CAPACITY];
    static wchar_t planted_path[PATH_VARIABLE_CAPACITY];
    wchar_t front_folder[TEST_PATH_CAPACITY];
    wchar_t planted_folder[TEST_PATH_CAPACITY];
    DWORD length;

    (void)state;
    assert_true(fixture_folder(L"search-front", front_only, 1, front_folder));
    assert_true(fixture_folder(L"search-planted-path", worker_only, 1, planted_folder));
    length = GetEnvironmentVariableW(L"PATH", previous, PATH_VARIABLE_CAPACITY);
    assert_in_range(length, 0, PATH_VARIABLE_CAPACITY - 1);
    _snwprintf(planted_path, PATH_VARIABLE_CAPACITY, L"%ls;%ls", planted_folder, previous);
    assert_win32(SetEnvironmentVariableW(L"PATH", planted_path));
    assert_front_ignores_planted_worker(front_folder);
}

static void planted_worker_would_have_worked(void **state)
{
    /* The control: the same worker, in the front's folder, is used. */
    test_front front;

    (void)state;
    load_front_and_worker(L"search-control", &front);
    assert_non_null(GetModuleHandleW(L"test_worker.dll"));
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}

static void original_in_current_directory_is_ignored(void **state)
{
    const fixture_file front_without_original[] = {
        { L"legacy.dll", L"legacy.dll", NULL },
        { L"legacy_worker.dll", L"legacy_worker.dll", NULL },
    };
    const fixture_file original_only[] = { { L"original\\legacy.dll", L"legacy_orig.dll", NULL } };
    wchar_t front_folder[TEST_PATH_CAPACITY];
    wchar_t planted_folder[TEST_PATH_CAPACITY];

    (void)state;
    assert_true(fixture_folder(L"search-legacy-front", front_without_original, 2, front_folder));
    assert_true(fixture_folder(L"search-planted-original", original_only, 1, planted_folder));
    assert_win32(SetCurrentDirectoryW(planted_folder));

    /* Without its original the front cannot serve its exports: it refuses
     * to load rather than take the planted copy. */
    assert_null(load_from(front_folder, L"legacy.dll"));
    assert_null(GetModuleHandleW(L"legacy_orig.dll"));
    assert_null(GetModuleHandleW(L"legacy.dll"));
    assert_true(module_gone_within(L"legacy_worker.dll", TEST_DEADLINE_MS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(worker_in_current_directory_is_ignored),
        isolated_test(worker_on_path_is_ignored),
        isolated_test(planted_worker_would_have_worked),
        isolated_test(original_in_current_directory_is_ignored),
    };
    return cmocka_run_group_tests_name("search_path", tests, NULL, NULL);
}
