/* Torture, security:
 *   - copies of a worker and of an original planted in the current directory,
 *     in a folder on PATH, in the Windows directory and in the system
 *     directory are never loaded. The planted file is fixtures/planted_recorder.c,
 *     which records its own load in the environment; a control shows that it
 *     does when it is put where the front looks (its own folder). The Wine
 *     prefix is the project's own, so writing into C:\windows is allowed;
 *     the planted copies are deleted again, before and after.
 *   - loading, using and unloading the front changes no process-wide setting:
 *     current directory, DLL directory (GetDllDirectoryW), error mode, PATH
 *     and the rest of the environment are compared before, during and after.
 *     SetDefaultDllDirectories and SetSearchPathMode have no getter; they are
 *     covered by reading the runtime's sources, not here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

#define PLANTED_LOADED_VARIABLE L"TWINSHIM_PLANTED_LOADED"
#define ENVIRONMENT_CAPACITY 65536

enum {
    PLACES = 4
};

static const wchar_t *const planted_names[] = { L"test_worker.dll", L"legacy_worker.dll",
                                                L"legacy_orig.dll" };
#define PLANTED_NAMES (sizeof planted_names / sizeof planted_names[0])

static wchar_t places[PLACES][TEST_PATH_CAPACITY]; /* each with a trailing backslash */

static void with_backslash(wchar_t *folder)
{
    size_t length = wcslen(folder);

    if (length > 0 && folder[length - 1] != L'\\')
        wcscat(folder, L"\\");
}

static void remove_planted_copies(void)
{
    wchar_t path[TEST_PATH_CAPACITY];

    for (int place = 2; place < PLACES; place++)
        for (size_t i = 0; i < PLANTED_NAMES; i++) {
            _snwprintf(path, TEST_PATH_CAPACITY, L"%ls%ls", places[place], planted_names[i]);
            if (!DeleteFileW(path) && GetLastError() != ERROR_FILE_NOT_FOUND)
                print_error("cannot delete the planted %ls: error %lu\n", path, GetLastError());
        }
}

/* Plants the recorder under every name in the current directory, a folder on
 * PATH, the Windows directory and the system directory. The current
 * directory and PATH go back with the rest of the process state. */
static int plant_everywhere(void **state)
{
    fixture_file planted[PLANTED_NAMES];
    wchar_t source[TEST_PATH_CAPACITY];
    wchar_t path[TEST_PATH_CAPACITY];
    static wchar_t previous_path[32768];
    static wchar_t new_path[32768 + TEST_PATH_CAPACITY];

    if (save_process_state(state) != 0)
        return -1;
    for (size_t i = 0; i < PLANTED_NAMES; i++)
        planted[i] = (fixture_file){ L"planted_recorder.dll", planted_names[i], NULL };
    if (!fixture_folder(L"torture-planted-cwd", planted, PLANTED_NAMES, places[0]) ||
        !fixture_folder(L"torture-planted-path", planted, PLANTED_NAMES, places[1]))
        return -1;
    GetWindowsDirectoryW(places[2], TEST_PATH_CAPACITY);
    GetSystemDirectoryW(places[3], TEST_PATH_CAPACITY);
    with_backslash(places[2]);
    with_backslash(places[3]);
    remove_planted_copies(); /* left by a run that crashed */
    _snwprintf(source, TEST_PATH_CAPACITY, L"%lsplanted_recorder.dll", bin_folder());
    for (int place = 2; place < PLACES; place++)
        for (size_t i = 0; i < PLANTED_NAMES; i++) {
            _snwprintf(path, TEST_PATH_CAPACITY, L"%ls%ls", places[place], planted_names[i]);
            if (!CopyFileW(source, path, FALSE)) {
                print_error("cannot plant %ls: error %lu\n", path, GetLastError());
                return -1;
            }
        }

    if (!SetCurrentDirectoryW(places[0]))
        return -1;
    if (GetEnvironmentVariableW(L"PATH", previous_path, 32768) >= 32768)
        return -1;
    _snwprintf(new_path, sizeof new_path / sizeof new_path[0], L"%ls;%ls", places[1], previous_path);
    SetEnvironmentVariableW(L"PATH", new_path);
    SetEnvironmentVariableW(PLANTED_LOADED_VARIABLE, NULL);
    return 0;
}

/* After the restore, which unloads any planted copy a failed test left loaded. */
static int remove_plants(void **state)
{
    int restored = restore_process_state(state);

    remove_planted_copies();
    return restored;
}

static void assert_nothing_planted_was_loaded(void)
{
    wchar_t loaded[TEST_PATH_CAPACITY];

    if (GetEnvironmentVariableW(PLANTED_LOADED_VARIABLE, loaded, TEST_PATH_CAPACITY) != 0) {
        print_error("the planted %ls was loaded\n", loaded);
        fail();
    }
}

/* module is loaded, and from folder. */
static void assert_loaded_from(const wchar_t *name, const wchar_t *folder)
{
    wchar_t path[TEST_PATH_CAPACITY];
    HMODULE module = GetModuleHandleW(name);

    assert_non_null(module);
    assert_true(GetModuleFileNameW(module, path, TEST_PATH_CAPACITY) != 0);
    if (_wcsnicmp(path, folder, wcslen(folder)) != 0) {
        print_error("%ls was loaded from %ls\n", name, path);
        fail();
    }
}

static void planted_worker_is_never_loaded(void **state)
{
    static const fixture_file front_only[] = { { L"test_front.dll", L"test_front.dll", NULL } };
    wchar_t folder[TEST_PATH_CAPACITY];
    test_front front;

    (void)state;
    assert_true(fixture_folder(L"torture-security-front", front_only, 1, folder));
    assert_true(load_test_front(folder, &front));
    assert_int_equal(front.status(NULL), SHIM_E_WORKER_MISSING);
    assert_null(GetModuleHandleW(L"test_worker.dll"));
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_nothing_planted_was_loaded();
}

static void planted_original_is_never_loaded(void **state)
{
    static const fixture_file without_original[] = {
        { L"legacy.dll", L"legacy.dll", NULL },
        { L"legacy_worker.dll", L"legacy_worker.dll", NULL },
    };
    wchar_t folder[TEST_PATH_CAPACITY];

    (void)state;
    assert_true(fixture_folder(L"torture-security-no-original", without_original, 2, folder));
    /* Without its original the front refuses to load, rather than take a planted one. */
    assert_null(load_from(folder, L"legacy.dll"));
    assert_null(GetModuleHandleW(L"legacy_orig.dll"));
    assert_true(module_gone_within(L"legacy_worker.dll", TEST_DEADLINE_MS));
    assert_nothing_planted_was_loaded();
}

static void full_installation_ignores_every_planted_copy(void **state)
{
    static const fixture_file installation[] = {
        { L"legacy.dll", L"legacy.dll", NULL },
        { L"original\\legacy.dll", L"legacy_orig.dll", NULL },
        { L"legacy_worker.dll", L"legacy_worker.dll", NULL },
    };
    typedef int (*legacy_add_function)(int a, int b);
    wchar_t folder[TEST_PATH_CAPACITY];
    HMODULE front;
    legacy_add_function add;

    (void)state;
    assert_true(fixture_folder(L"torture-security-installation", installation, 3, folder));
    front = load_from(folder, L"legacy.dll");
    assert_non_null(front);
    assert_loaded_from(L"legacy_orig.dll", folder);
    assert_loaded_from(L"legacy_worker.dll", folder);
    add = (legacy_add_function)symbol_of(front, "legacy_add");
    assert_non_null(add);
    assert_int_equal(add(2, 3), 5);
    assert_true(free_library_within(front, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"legacy_worker.dll", TEST_DEADLINE_MS));
    assert_null(GetModuleHandleW(L"legacy_orig.dll"));
    assert_nothing_planted_was_loaded();
    {
        /* Reached only when the three planted-copy tests passed: 3 names in 4 places. */
        torture_result result = { .scenario = "planted-dlls-never-loaded",
                                  .size = PLACES * PLANTED_NAMES,
                                  .cycles = 3,
                                  .passed = true,
                                  .process_ends = true };
        print_torture_result(&result);
    }
}

static void control_a_load_by_name_finds_a_planted_copy(void **state)
{
    wchar_t loaded[TEST_PATH_CAPACITY];
    HMODULE planted;

    (void)state;
    /* legacy_orig.dll is not in the program's folder: the search order finds
     * the copy planted in the system directory (or the current directory). */
    planted = LoadLibraryW(L"legacy_orig.dll");
    assert_non_null(planted);
    assert_true(GetEnvironmentVariableW(PLANTED_LOADED_VARIABLE, loaded, TEST_PATH_CAPACITY) != 0);
    printf("a load by name took the planted %ls\n", loaded);
    assert_win32(FreeLibrary(planted));
    assert_null(GetModuleHandleW(L"legacy_orig.dll"));
}

static void control_the_recorder_records_where_the_front_looks(void **state)
{
    static const fixture_file recorder_as_worker[] = {
        { L"test_front.dll", L"test_front.dll", NULL },
        { L"planted_recorder.dll", L"test_worker.dll", NULL },
    };
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t loaded[TEST_PATH_CAPACITY];
    test_front front;

    (void)state;
    assert_true(fixture_folder(L"torture-security-control", recorder_as_worker, 2, folder));
    assert_true(load_test_front(folder, &front));
    assert_int_not_equal(front.status(NULL), SHIM_OK); /* not a worker: pass-through */
    assert_true(GetEnvironmentVariableW(PLANTED_LOADED_VARIABLE, loaded, TEST_PATH_CAPACITY) != 0);
    assert_int_equal(_wcsnicmp(loaded, folder, wcslen(folder)), 0);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}

/* Everything process-wide that a front could be tempted to change. */
typedef struct process_settings {
    wchar_t current_directory[TEST_PATH_CAPACITY];
    wchar_t dll_directory[TEST_PATH_CAPACITY];
    DWORD dll_directory_length;
    UINT error_mode;
    DWORD thread_error_mode;
    wchar_t environment[ENVIRONMENT_CAPACITY]; /* the whole block, PATH included */
    size_t environment_length;
} process_settings;

static void read_settings(process_settings *settings)
{
    wchar_t *block = GetEnvironmentStringsW();
    size_t length = 0;

    memset(settings, 0, sizeof *settings);
    GetCurrentDirectoryW(TEST_PATH_CAPACITY, settings->current_directory);
    settings->dll_directory_length = GetDllDirectoryW(TEST_PATH_CAPACITY, settings->dll_directory);
    settings->error_mode = GetErrorMode();
    settings->thread_error_mode = GetThreadErrorMode();
    assert_non_null(block);
    while (block[length] != L'\0' || block[length + 1] != L'\0')
        length++;
    length += 2;
    assert_in_range(length, 2, ENVIRONMENT_CAPACITY);
    memcpy(settings->environment, block, length * sizeof(wchar_t));
    settings->environment_length = length;
    FreeEnvironmentStringsW(block);
}

static void assert_same_settings(const process_settings *before, const process_settings *now,
                                 const char *when)
{
    if (wcscmp(before->current_directory, now->current_directory) != 0)
        print_error("%s: current directory %ls, was %ls\n", when, now->current_directory,
                    before->current_directory);
    if (before->dll_directory_length != now->dll_directory_length ||
        wcscmp(before->dll_directory, now->dll_directory) != 0)
        print_error("%s: DLL directory \"%ls\", was \"%ls\"\n", when, now->dll_directory,
                    before->dll_directory);
    if (before->error_mode != now->error_mode || before->thread_error_mode != now->thread_error_mode)
        print_error("%s: error mode %u/%lu, was %u/%lu\n", when, now->error_mode, now->thread_error_mode,
                    before->error_mode, before->thread_error_mode);
    if (before->environment_length != now->environment_length ||
        memcmp(before->environment, now->environment, now->environment_length * sizeof(wchar_t)) != 0)
        print_error("%s: the environment changed\n", when);
    assert_memory_equal(before->current_directory, now->current_directory, sizeof before->current_directory);
    assert_int_equal(before->dll_directory_length, now->dll_directory_length);
    assert_memory_equal(before->dll_directory, now->dll_directory, sizeof before->dll_directory);
    assert_int_equal(before->error_mode, now->error_mode);
    assert_int_equal(before->thread_error_mode, now->thread_error_mode);
    assert_int_equal(before->environment_length, now->environment_length);
    assert_memory_equal(before->environment, now->environment, now->environment_length * sizeof(wchar_t));
}

static void no_process_wide_setting_changes(void **state)
{
    static const fixture_file installation[] = {
        { L"legacy.dll", L"legacy.dll", NULL },
        { L"original\\legacy.dll", L"legacy_orig.dll", NULL },
        { L"legacy_worker.dll", L"legacy_worker.dll", NULL },
    };
    static const fixture_file pass_through[] = {
        { L"legacy.dll", L"legacy.dll", NULL },
        { L"original\\legacy.dll", L"legacy_orig.dll", NULL },
    };
    static process_settings before;
    static process_settings now;
    typedef int (*legacy_add_function)(int a, int b);
    wchar_t folders[2][TEST_PATH_CAPACITY];
    wchar_t empty_folder[TEST_PATH_CAPACITY];

    (void)state;
    assert_true(fixture_folder(L"torture-settings-worker", installation, 3, folders[0]));
    assert_true(fixture_folder(L"torture-settings-pass-through", pass_through, 2, folders[1]));
    assert_true(fixture_folder(L"torture-settings-dll-directory", NULL, 0, empty_folder));
    /* Non-default values, so that a front that "restores defaults" is caught too. */
    assert_win32(SetDllDirectoryW(empty_folder));
    SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOOPENFILEERRORBOX);
    read_settings(&before);
    for (int i = 0; i < 2; i++) {
        HMODULE front = load_from(folders[i], L"legacy.dll");
        legacy_add_function add;

        assert_non_null(front);
        add = (legacy_add_function)symbol_of(front, "legacy_add");
        assert_non_null(add);
        for (int call = 0; call < 100; call++)
            assert_int_equal(add(call, 1), call + 1);
        read_settings(&now);
        assert_same_settings(&before, &now, i == 0 ? "worker, loaded" : "pass-through, loaded");
        assert_true(free_library_within(front, TEST_DEADLINE_MS, NULL));
        assert_true(module_gone_within(L"legacy_worker.dll", TEST_DEADLINE_MS));
        assert_true(module_gone_within(L"legacy_orig.dll", TEST_DEADLINE_MS));
        read_settings(&now);
        assert_same_settings(&before, &now, i == 0 ? "worker, unloaded" : "pass-through, unloaded");
    }
    {
        /* The front with a worker, then in pass-through: 2 load/use/unload cycles. */
        torture_result result = { .scenario = "process-settings-unchanged",
                                  .size = 2,
                                  .cycles = 2,
                                  .calls = 200,
                                  .passed = true,
                                  .process_ends = true };
        print_torture_result(&result);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(planted_worker_is_never_loaded, plant_everywhere, remove_plants),
        cmocka_unit_test_setup_teardown(planted_original_is_never_loaded, plant_everywhere, remove_plants),
        cmocka_unit_test_setup_teardown(full_installation_ignores_every_planted_copy, plant_everywhere,
                                        remove_plants),
        cmocka_unit_test_setup_teardown(control_a_load_by_name_finds_a_planted_copy, plant_everywhere,
                                        remove_plants),
        isolated_test(control_the_recorder_records_where_the_front_looks),
        isolated_test(no_process_wide_setting_changes),
    };
    return cmocka_run_group_tests_name("torture_security", tests, NULL, NULL);
}
