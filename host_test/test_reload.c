/* A host that frees and reloads the front in a tight loop: every load gets
 * its own session, started while older ones still drain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

static void rapid_reload_while_an_old_session_drains(void **state)
{
    enum {
        CYCLES = 1000,
        JOBS_PER_CYCLE = 3
    };
    wchar_t folder[TEST_PATH_CAPACITY];
    /* Static: a job that outlives a failed test must not write into a dead frame. */
    static job_counters counters;
    static job_counters held_counters;
    HANDLE gate = new_gate();
    test_job job = job_for(&counters, NULL);
    test_job held = job_for(&held_counters, gate);
    test_front front;

    (void)state;
    assert_true(front_and_worker_folder(L"reload", folder));

    /* The first session cannot finish its drain until the gate opens, so
     * every later session starts while an older one is still draining. */
    assert_true(load_test_front(folder, &front));
    assert_int_equal(front.post_job(&held), SHIM_OK);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));

    for (int cycle = 0; cycle < CYCLES; cycle++) {
        assert_true(load_test_front(folder, &front));
        assert_int_equal(front.status(NULL), SHIM_OK);
        for (int i = 0; i < JOBS_PER_CYCLE; i++)
            assert_int_equal(front.post_job(&job), SHIM_OK);
        assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    }
    assert_non_null(GetModuleHandleW(L"test_worker.dll"));
    assert_int_equal(held_counters.ran, 0);

    SetEvent(gate);
    assert_true(module_gone_within(L"test_worker.dll", 4 * TEST_DEADLINE_MS));
    assert_int_equal(counters.ran, CYCLES * JOBS_PER_CYCLE);
    assert_int_equal(counters.cancelled, 0);
    assert_int_equal(held_counters.ran, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(rapid_reload_while_an_old_session_drains),
    };
    return cmocka_run_group_tests_name("reload", tests, NULL, NULL);
}
