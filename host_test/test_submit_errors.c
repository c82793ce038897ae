/* Bad submissions get a clear error code, and the session they were made to
 * keeps working: nothing queued before or after is lost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

static void bad_posts_are_refused_and_nothing_is_lost(void **state)
{
    static job_counters counters;
    test_job job = job_for(&counters, NULL);
    test_front front;
    char byte = 0;

    (void)state;
    load_front_and_worker(L"submit-errors", &front);

    assert_int_equal(front.post_job(&job), SHIM_OK);
    /* A payload pointer that is NULL with a non-zero size. */
    assert_int_equal(front.post_raw(NULL, 16), SHIM_E_INVALID_ARGUMENT);
    /* A copy that cannot be allocated: just under half the address space,
       on 32- and 64-bit alike. The heap refuses, nothing is queued. */
    assert_int_equal(front.post_raw(&byte, (size_t)MAXLONG_PTR - 65536), SHIM_E_OUT_OF_MEMORY);
    /* Sizes whose item would not fit in MAXLONG_PTR bytes, the most one
       allocation can hold: refused before any allocation is tried. */
    assert_int_equal(front.post_raw(&byte, (size_t)MAXLONG_PTR), SHIM_E_TOO_LARGE);
    assert_int_equal(front.post_raw(&byte, SIZE_MAX), SHIM_E_TOO_LARGE);
    assert_int_equal(front.post_job(&job), SHIM_OK);

    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(counters.ran, 2);
    assert_int_equal(counters.cancelled, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(bad_posts_are_refused_and_nothing_is_lost),
    };
    return cmocka_run_group_tests_name("submit_errors", tests, NULL, NULL);
}
