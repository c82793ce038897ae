/* A DLL that the original imports is taken from the original's own folder
 * (the front's), never from the current directory or a folder on PATH. The
 * front loads the original with LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR |
 * LOAD_LIBRARY_SEARCH_DEFAULT_DIRS: its dependencies are searched for in its
 * own folder, then the program's folder, System32 and AddDllDirectory
 * folders, and nowhere else. planted_recorder.dll, which exports what the
 * real dependency exports, is planted under the dependency's name in the
 * current directory and on PATH:
 *   - with the real dependency absent from the front's folder, the front
 *     fails to load (it cannot load the original) and no planted copy is
 *     ever loaded, although one would have bound;
 *   - with it present, the real one is loaded, from the front's folder, and
 *     calls through the original show it (no PLANTED_OFFSET).
 * A control loads the original with the plain search order, which does take
 * the planted copy from the current directory: the plant would work.
 * The dependency is built into bin\dependency, so that the search of the
 * program's own folder (bin) cannot find it either. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include <cmocka.h>

#include "test_support.h"

#define PLANTED_LOADED_VARIABLE L"TWINSHIM_PLANTED_LOADED"
#define PATH_VARIABLE_CAPACITY 32768

typedef int (*add_function)(int a, int b);

static const fixture_file planted[] = {
    { L"planted_recorder.dll", L"original_dependency.dll", NULL },
};

/* Plants the recorder in the current directory and in a folder put first on
 * PATH; the isolated teardown restores both. */
static void plant_in_current_directory_and_path(void)
{
    static wchar_t previous[PATH_VARIABLE_CAPACITY];
    static wchar_t planted_path[PATH_VARIABLE_CAPACITY + TEST_PATH_CAPACITY];
    wchar_t cwd_folder[TEST_PATH_CAPACITY];
    wchar_t path_folder[TEST_PATH_CAPACITY];
    DWORD length;

    assert_true(fixture_folder(L"planted-dependency-cwd", planted, 1, cwd_folder));
    assert_true(fixture_folder(L"planted-dependency-path", planted, 1, path_folder));
    assert_win32(SetCurrentDirectoryW(cwd_folder));
    length = GetEnvironmentVariableW(L"PATH", previous, PATH_VARIABLE_CAPACITY);
    assert_in_range(length, 0, PATH_VARIABLE_CAPACITY - 1);
    _snwprintf(planted_path, sizeof planted_path / sizeof planted_path[0], L"%ls;%ls", path_folder, previous);
    assert_win32(SetEnvironmentVariableW(L"PATH", planted_path));
    assert_win32(SetEnvironmentVariableW(PLANTED_LOADED_VARIABLE, NULL) ||
                 GetLastError() == ERROR_ENVVAR_NOT_FOUND);
}

static void assert_nothing_planted_was_loaded(void)
{
    wchar_t loaded[TEST_PATH_CAPACITY];

    if (GetEnvironmentVariableW(PLANTED_LOADED_VARIABLE, loaded, TEST_PATH_CAPACITY) != 0) {
        print_error("the planted %ls was loaded\n", loaded);
        fail();
    }
}

static void installation(const wchar_t *name, bool with_dependency, wchar_t *folder)
{
    const fixture_file files[] = {
        { L"legacy.dll", L"legacy.dll", NULL },
        { L"legacy_worker.dll", L"legacy_worker.dll", NULL },
        { L"dependency\\dependent_original.dll", L"legacy_orig.dll", NULL },
        { L"dependency\\original_dependency.dll", L"original_dependency.dll", NULL },
    };

    assert_true(fixture_folder(name, files, with_dependency ? 4 : 3, folder));
}

static void without_the_dependency_the_front_fails_and_loads_no_plant(void **state)
{
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t path[TEST_PATH_CAPACITY];
    HMODULE front;

    (void)state;
    installation(L"planted-dependency-absent", false, folder);
    plant_in_current_directory_and_path();
    _snwprintf(path, TEST_PATH_CAPACITY, L"%lslegacy.dll", folder);
    SetErrorMode(SEM_FAILCRITICALERRORS); /* no dialog for the missing DLL; restored by the teardown */
    front = LoadLibraryW(path);
    assert_null(front);
    assert_null(GetModuleHandleW(L"legacy_orig.dll"));
    assert_null(GetModuleHandleW(L"original_dependency.dll"));
    assert_nothing_planted_was_loaded();
}

static void with_the_dependency_the_real_one_is_loaded(void **state)
{
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t dependency_path[TEST_PATH_CAPACITY];
    HMODULE front;
    HMODULE dependency;
    add_function add;

    (void)state;
    installation(L"planted-dependency-present", true, folder);
    plant_in_current_directory_and_path();
    front = load_from(folder, L"legacy.dll");
    assert_non_null(front);
    dependency = GetModuleHandleW(L"original_dependency.dll");
    assert_non_null(dependency);
    assert_true(GetModuleFileNameW(dependency, dependency_path, TEST_PATH_CAPACITY) != 0);
    assert_int_equal(_wcsnicmp(dependency_path, folder, wcslen(folder)), 0);
    add = (add_function)symbol_of(front, "legacy_add");
    assert_int_equal(add(2, 3), 5);
    assert_nothing_planted_was_loaded();
    assert_true(free_library_within(front, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"legacy_worker.dll", TEST_DEADLINE_MS));
    assert_null(GetModuleHandleW(L"original_dependency.dll"));
}

/* The control: the plain search order (LoadLibraryW of the original, whose
 * folder lacks the dependency) does take the planted copy from the current
 * directory, and binds to it. */
static void the_plant_would_be_taken_by_the_plain_search(void **state)
{
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t path[TEST_PATH_CAPACITY];
    wchar_t loaded[TEST_PATH_CAPACITY];
    HMODULE original;
    add_function add;

    (void)state;
    installation(L"planted-dependency-control", false, folder);
    plant_in_current_directory_and_path();
    _snwprintf(path, TEST_PATH_CAPACITY, L"%lslegacy_orig.dll", folder);
    original = LoadLibraryW(path);
    assert_non_null(original);
    add = (add_function)symbol_of(original, "legacy_add");
    assert_int_equal(add(2, 3), 1005); /* PLANTED_OFFSET */
    assert_true(GetEnvironmentVariableW(PLANTED_LOADED_VARIABLE, loaded, TEST_PATH_CAPACITY) != 0);
    assert_win32(FreeLibrary(original));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(without_the_dependency_the_front_fails_and_loads_no_plant),
        isolated_test(with_the_dependency_the_real_one_is_loaded),
        isolated_test(the_plant_would_be_taken_by_the_plain_search),
    };
    return cmocka_run_group_tests_name("planted_dependency", tests, NULL, NULL);
}
