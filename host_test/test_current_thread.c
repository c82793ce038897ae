/* twinshim/current_thread.h: the thread id and last-error value read from
 * the thread environment block must be what GetCurrentThreadId,
 * GetLastError and SetLastError give and take, on every thread (each has a
 * block of its own), whatever value the last error holds. The generated
 * stubs restore the host's last error with it: a wrong offset would hand
 * the host another field's value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "twinshim/current_thread.h"

#include "test_support.h"

static const DWORD error_values[] = { 0, 1, ERROR_FILE_NOT_FOUND, 0x7fffffffu, 0x80070005u, 0xffffffffu };

/* Checks every value both ways on the calling thread; returns how many
 * checks failed, so that a worker thread's failures reach the test. */
static LONG check_this_thread(void)
{
    LONG failures = 0;

    failures += shim_current_thread_id() != GetCurrentThreadId();
    for (size_t i = 0; i < sizeof error_values / sizeof error_values[0]; i++) {
        SetLastError(error_values[i]);
        failures += shim_last_error() != error_values[i];
        shim_set_last_error(error_values[i] ^ 0x5a5a5a5au);
        failures += GetLastError() != (error_values[i] ^ 0x5a5a5a5au);
    }
    return failures;
}

static void test_the_main_thread(void **state)
{
    (void)state;
    assert_int_equal(check_this_thread(), 0);
}

static DWORD WINAPI thread_checks(void *parameter)
{
    LONG *failures = parameter;

    *failures = check_this_thread();
    return 0;
}

/* Four threads at once: each reads its own block, never the main thread's. */
static void test_other_threads(void **state)
{
    HANDLE threads[4];
    LONG failures[4];
    DWORD ids[4];

    (void)state;
    for (int i = 0; i < 4; i++) {
        failures[i] = -1;
        threads[i] = CreateThread(NULL, 0, thread_checks, &failures[i], 0, &ids[i]);
        assert_non_null(threads[i]);
    }
    assert_int_equal(WaitForMultipleObjects(4, threads, TRUE, 10000), WAIT_OBJECT_0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(failures[i], 0);
        assert_int_not_equal(ids[i], shim_current_thread_id());
        CloseHandle(threads[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_main_thread),
        cmocka_unit_test(test_other_threads),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
