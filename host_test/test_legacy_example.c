/* The wrapped legacy.dll of examples/legacy: the intercepted export returns
 * the original's result, the others are the original's own, each call leaves
 * exactly one audit line, and after FreeLibrary all three modules are gone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "test_support.h"

typedef int (*legacy_add_function)(int a, int b);
typedef int (*legacy_version_function)(void);

static const fixture_file wrapped_installation[] = {
    { L"legacy.dll", L"legacy.dll", NULL },
    { L"original\\legacy.dll", L"legacy_orig.dll", NULL },
    { L"legacy_worker.dll", L"legacy_worker.dll", NULL },
};

/* Counts the lines of the audit log, and the distinct calls they record. */
static int count_audit_lines(const wchar_t *path, int calls, int *matching)
{
    static char seen[4096];
    FILE *log = _wfopen(path, L"r");
    char line[256];
    int lines = 0;

    assert_in_range(calls, 0, sizeof seen);
    memset(seen, 0, sizeof seen);
    *matching = 0;
    if (log == NULL)
        return -1;
    while (fgets(line, sizeof line, log) != NULL) {
        int a;
        int b;
        int result;
        lines++;
        if (sscanf(line, "legacy_add(%d, %d) = %d", &a, &b, &result) == 3 && a >= 0 && a < calls &&
            b == 100 * a && result == 101 * a && !seen[a]) {
            seen[a] = 1;
            (*matching)++;
        }
    }
    fclose(log);
    return lines;
}

static void wrapped_dll_serves_forwards_and_audits(void **state)
{
    enum {
        CALLS = 500
    };
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t log_path[TEST_PATH_CAPACITY];
    wchar_t original_path[TEST_PATH_CAPACITY];
    HMODULE front;
    HMODULE original;
    legacy_add_function add;
    legacy_add_function original_add;
    legacy_version_function version;
    legacy_version_function secret;
    long *counter;
    int matching = 0;

    (void)state;
    assert_true(fixture_folder(L"legacy-wrapped", wrapped_installation, 3, folder));
    _snwprintf(log_path, TEST_PATH_CAPACITY, L"%lsaudit.log", folder);
    assert_win32(SetEnvironmentVariableW(L"TWINSHIM_EXAMPLE_LOG", log_path));

    front = load_from(folder, L"legacy.dll");
    assert_non_null(front);
    /* The original came from the front's folder, by absolute path. */
    original = GetModuleHandleW(L"legacy_orig.dll");
    assert_non_null(original);
    assert_true(GetModuleFileNameW(original, original_path, TEST_PATH_CAPACITY) != 0);
    assert_int_equal(_wcsnicmp(original_path, folder, wcslen(folder)), 0);

    /* The other code exports are the front's jump stubs, which reach the
     * copy of the original the front loaded: same results. The data export
     * is still a forwarder to the original's own data. */
    version = (legacy_version_function)symbol_of(front, "legacy_version");
    secret = (legacy_version_function)(void (*)(void))GetProcAddress(front, MAKEINTRESOURCEA(3));
    assert_non_null(secret);
    assert_ptr_not_equal(version, (legacy_version_function)symbol_of(original, "legacy_version"));
    assert_int_equal(version(), ((legacy_version_function)symbol_of(original, "legacy_version"))());
    assert_int_equal(secret(), ((legacy_version_function)(void (*)(
                                   void))GetProcAddress(original, MAKEINTRESOURCEA(3)))());
    assert_null(GetProcAddress(front, "legacy_secret")); /* still ordinal-only */
    counter = (long *)(void *)GetProcAddress(front, "legacy_counter");
    assert_ptr_equal(counter, (void *)GetProcAddress(original, "legacy_counter"));

    /* The intercepted export is the front's, and returns the original's result. */
    add = (legacy_add_function)symbol_of(front, "legacy_add");
    original_add = (legacy_add_function)symbol_of(original, "legacy_add");
    assert_ptr_not_equal(add, original_add);
    for (int i = 0; i < CALLS; i++)
        assert_int_equal(add(i, 100 * i), 101 * i);
    assert_int_equal(*counter, CALLS);

    assert_true(free_library_within(front, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"legacy_worker.dll", TEST_DEADLINE_MS));
    assert_null(GetModuleHandleW(L"legacy.dll"));
    assert_null(GetModuleHandleW(L"legacy_orig.dll"));

    /* The worker's stop hook closed the log before the worker unloaded. */
    assert_int_equal(count_audit_lines(log_path, CALLS, &matching), CALLS);
    assert_int_equal(matching, CALLS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(wrapped_dll_serves_forwards_and_audits),
    };
    return cmocka_run_group_tests_name("legacy_example", tests, NULL, NULL);
}
