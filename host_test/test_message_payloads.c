/* Every posted message reaches the plugin whole: its own size and its own
 * bytes, whether it fits the items the worker recycles or needs one of its
 * own, and however sizes alternate from one message to the next. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

/* Recycled items carry up to 64 bytes: sizes on both sides of it, and far
 * above, in an order where a small message follows a large one. */
static const size_t message_sizes[] = { sizeof(sized_message), 33, 63, 64, 65, 4096, 40, 200, 64, 1 << 16 };
#define SIZE_COUNT (sizeof message_sizes / sizeof message_sizes[0])
#define ROUNDS 300 /* far more messages than the worker keeps for reuse */

static void messages_of_every_size_arrive_whole(void **state)
{
    static volatile LONG intact;
    static volatile LONG damaged;
    static BYTE buffer[1 << 16];
    sized_message *message = (sized_message *)buffer;
    test_post_raw_function post_raw;
    test_front front;
    LONG posted = 0;

    (void)state;
    load_front_and_worker(L"message-payloads", &front);
    post_raw = (test_post_raw_function)symbol_of(front.module, "test_front_post_raw");

    for (int round = 0; round < ROUNDS; round++) {
        for (size_t s = 0; s < SIZE_COUNT; s++) {
            size_t size = message_sizes[s] < sizeof *message ? sizeof *message : message_sizes[s];
            BYTE *fill = (BYTE *)(message + 1);

            message->magic = TEST_SIZED_MESSAGE_MAGIC;
            message->fill_seed = (UINT32)(round * 31 + (int)s);
            message->sent_size = size;
            message->intact = &intact;
            message->damaged = &damaged;
            for (size_t i = 0; i < size - sizeof *message; i++)
                fill[i] = (BYTE)(message->fill_seed + i);
            assert_int_equal(post_raw(message, size), SHIM_OK);
            posted++;
            /* The front copied it: scribbling over the buffer must not matter. */
            memset(fill, 0xEE, size - sizeof *message);
        }
    }

    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(damaged, 0);
    assert_int_equal(intact, posted);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(messages_of_every_size_arrive_whole),
    };
    return cmocka_run_group_tests_name("message_payloads", tests, NULL, NULL);
}
