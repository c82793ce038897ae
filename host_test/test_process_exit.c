/* Process exit with twinshim work in flight, in each phase: the child ends
 * with its own exit code and never hangs, because what the front and the
 * worker do at DLL_PROCESS_DETACH when lpReserved is not NULL never waits.
 * What they hand over is test_exit_delivery.c's subject. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include <cmocka.h>

#include "test_support.h"

static DWORD run_child(const wchar_t *program, const wchar_t *mode, const wchar_t *folder)
{
    wchar_t arguments[2 * TEST_PATH_CAPACITY];
    DWORD exit_code = 0xdead;

    /* folder ends in a backslash: doubled, it does not escape the quote. */
    _snwprintf(arguments, 2 * TEST_PATH_CAPACITY, L"%ls \"%ls\\\"", mode, folder);
    run_child_within(program, arguments, TEST_DEADLINE_MS, &exit_code);
    return exit_code;
}

static const wchar_t *pair_folder(void)
{
    static wchar_t folder[TEST_PATH_CAPACITY];

    if (folder[0] == L'\0' && !front_and_worker_folder(L"process-exit", folder))
        folder[0] = L'\0';
    return folder;
}

static void exit_with_work_pending(void **state)
{
    (void)state;
    assert_int_equal(run_child(L"exit_child.exe", L"pending", pair_folder()), 42);
}

static void exit_during_drain(void **state)
{
    (void)state;
    assert_int_equal(run_child(L"exit_child.exe", L"draining", pair_folder()), 43);
}

/* The exit comes while the session thread frees a stopped session (its
 * journals closed, its queue released): the exit's walk must pass that
 * session by. Before 2026-12-08 it was still on the worker's list of live
 * sessions until it was freed, and the walk read its unmapped journal: the
 * child died of an access violation instead of exiting with 46. */
static void an_exit_while_a_stopped_session_is_being_freed_passes_it_by(void **state)
{
    (void)state;
    assert_int_equal(run_child(L"exit_child.exe", L"releasing", pair_folder()), 46);
}

static void exit_before_the_session_thread_runs(void **state)
{
    (void)state;
    assert_int_equal(run_child(L"exit_child.exe", L"before-start", pair_folder()), 45);
}

static void exit_inside_the_front_attach(void **state)
{
    /* The worker's own DllMain calls ExitProcess(49) while the front loads it. */
    const fixture_file files[] = {
        { L"test_front.dll", L"test_front.dll", NULL },
        { L"exit_in_attach_worker.dll", L"test_worker.dll", NULL },
    };
    wchar_t folder[TEST_PATH_CAPACITY];

    (void)state;
    assert_true(fixture_folder(L"process-exit-in-attach", files, 2, folder));
    assert_int_equal(run_child(L"exit_child.exe", L"pending", folder), 49);
}

static void exit_with_front_from_import_table(void **state)
{
    (void)state;
    assert_int_equal(run_child(L"exit_child_import_table.exe", L"", L""), 44);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(exit_with_work_pending),
        isolated_test(exit_during_drain),
        isolated_test(an_exit_while_a_stopped_session_is_being_freed_passes_it_by),
        isolated_test(exit_before_the_session_thread_runs),
        isolated_test(exit_inside_the_front_attach),
        isolated_test(exit_with_front_from_import_table),
    };
    return cmocka_run_group_tests_name("process_exit", tests, NULL, NULL);
}
