/* The session's journal (workerdll/message_ring.c): producers claim records
 * without a lock, and the ring is reused lap after lap. Many host threads
 * posting messages of mixed sizes at once, across many laps of the ring,
 * lose nothing, damage nothing and keep each thread's order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

#define PRODUCERS 4
#define MESSAGES_PER_PRODUCER 20000 /* about 8 MB in all: two laps of the default journal */

static ordered_log log_of_messages;

typedef struct producer {
    test_post_raw_function post_raw;
    HANDLE go;
    UINT32 number;
    volatile LONG refused;
} producer;

typedef struct ordered_with_tail {
    ordered_message message;
    BYTE tail[TEST_ORDERED_TAIL_MAX];
} ordered_with_tail;

/* Every third message carries a tail that makes its record longer: long
 * claims race short ones, and meet the ring's end (padding). */
static DWORD WINAPI post_in_order(void *parameter)
{
    producer *self = parameter;
    ordered_with_tail posted = {
        .message = { .magic = TEST_ORDERED_MESSAGE_MAGIC, .producer = self->number, .log = &log_of_messages }
    };

    WaitForSingleObject(self->go, INFINITE);
    for (LONG sequence = 1; sequence <= MESSAGES_PER_PRODUCER; sequence++) {
        size_t tail = sequence % 3 == 0 ? TEST_ORDERED_TAIL_MAX : 0;

        posted.message.sequence = sequence;
        for (size_t i = 0; i < tail; i++)
            posted.tail[i] = (BYTE)(sequence + (LONG)i);
        if (self->post_raw(&posted, sizeof posted.message + tail) != SHIM_OK)
            InterlockedIncrement(&self->refused);
    }
    return 0;
}

static void use_one_callback(void)
{
    assert_win32(SetEnvironmentVariableW(TEST_WORKER_MAX_THREADS_VARIABLE, L"1"));
}

static void concurrent_posts_arrive_once_and_in_order(void **state)
{
    producer producers[PRODUCERS];
    HANDLE threads[PRODUCERS];
    HANDLE go = CreateEventW(NULL, TRUE, FALSE, NULL);
    shim_session_counters counters;
    test_front front;

    (void)state;
    assert_win32(go);
    memset(&log_of_messages, 0, sizeof log_of_messages);
    use_one_callback();
    load_front_and_worker(L"queue-order", &front);
    for (UINT32 i = 0; i < PRODUCERS; i++) {
        producers[i] = (producer){ .post_raw = front.post_raw, .go = go, .number = i };
        threads[i] = CreateThread(NULL, 0, post_in_order, &producers[i], 0, NULL);
        assert_win32(threads[i]);
    }
    assert_win32(SetEvent(go));
    assert_int_equal(WaitForMultipleObjects(PRODUCERS, threads, TRUE, TEST_DEADLINE_MS), WAIT_OBJECT_0);
    for (int i = 0; i < PRODUCERS; i++) {
        assert_int_equal(producers[i].refused, 0);
        CloseHandle(threads[i]);
    }
    CloseHandle(go);

    assert_true(counter_reaches_within(&log_of_messages.arrived, PRODUCERS * MESSAGES_PER_PRODUCER,
                                       TEST_DEADLINE_MS));
    assert_int_equal(front.get_counters(&counters), SHIM_OK);
    assert_int_equal(counters.submitted, PRODUCERS * MESSAGES_PER_PRODUCER);
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(log_of_messages.arrived, PRODUCERS * MESSAGES_PER_PRODUCER);
    assert_int_equal(log_of_messages.out_of_order, 0);
    assert_int_equal(log_of_messages.damaged, 0);
    for (int i = 0; i < PRODUCERS; i++)
        assert_int_equal(log_of_messages.last[i], MESSAGES_PER_PRODUCER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(concurrent_posts_arrive_once_and_in_order),
    };
    return cmocka_run_group_tests_name("queue_blocks", tests, NULL, NULL);
}
