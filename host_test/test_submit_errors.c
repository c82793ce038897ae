/* Bad posts get a clear error code, and the session they were made to keeps
 * working: nothing posted before or after is lost. The message limit is
 * real: a message at it arrives whole, one byte over is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"
#include "twinshim/worker.h"

/* A sized_message of `size` bytes whose tail the worker checks byte by
 * byte (test_worker.c). */
static sized_message *sized(size_t size, volatile LONG *intact, volatile LONG *damaged)
{
    sized_message *message = calloc(1, size);
    BYTE *fill = (BYTE *)(message + 1);

    assert_non_null(message);
    message->magic = TEST_SIZED_MESSAGE_MAGIC;
    message->fill_seed = 7;
    message->sent_size = size;
    message->intact = intact;
    message->damaged = damaged;
    for (size_t i = 0; i < size - sizeof *message; i++)
        fill[i] = (BYTE)(7 + i);
    return message;
}

static void bad_posts_are_refused_and_nothing_is_lost(void **state)
{
    static job_counters counters;
    static volatile LONG intact;
    static volatile LONG damaged;
    test_job job = job_for(&counters, NULL);
    test_front front;
    shim_session_counters session_counters;
    sized_message *at_limit = sized(SHIM_DEFAULT_MESSAGE_LIMIT, &intact, &damaged);
    char byte = 0;

    (void)state;
    load_front_and_worker(L"submit-errors", &front);

    assert_int_equal(front.post_job(&job), SHIM_OK);
    /* A payload pointer that is NULL with a non-zero size. */
    assert_int_equal(front.post_raw(NULL, 16), SHIM_E_INVALID_ARGUMENT);
    /* The plugin's message limit (the default here): a message of exactly
     * that size goes, one byte more is refused before anything is copied,
     * and so are sizes no journal could hold, on 32- and 64-bit alike. */
    assert_int_equal(front.post_raw(at_limit, SHIM_DEFAULT_MESSAGE_LIMIT), SHIM_OK);
    assert_int_equal(front.post_raw(at_limit, SHIM_DEFAULT_MESSAGE_LIMIT + 1), SHIM_E_TOO_LARGE);
    assert_int_equal(front.post_raw(&byte, (size_t)MAXLONG_PTR), SHIM_E_TOO_LARGE);
    assert_int_equal(front.post_raw(&byte, SIZE_MAX), SHIM_E_TOO_LARGE);
    assert_int_equal(front.post_job(&job), SHIM_OK);
    assert_int_equal(front.get_counters(&session_counters), SHIM_OK);
    assert_int_equal(session_counters.refused, 3); /* the sizes; a NULL payload is a caller error */

    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(counters.ran, 2);
    assert_int_equal(counters.cancelled, 0);
    assert_int_equal(intact, 1);
    assert_int_equal(damaged, 0);
    free(at_limit);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(bad_posts_are_refused_and_nothing_is_lost),
    };
    return cmocka_run_group_tests_name("submit_errors", tests, NULL, NULL);
}
