/* The session's queue (workerdll/item_queue.c): producers claim slots
 * without a lock, in blocks that are linked in as they fill and reused
 * once read. Many host threads posting one- and two-slot messages at once
 * across hundreds of blocks lose nothing, damage nothing and keep each
 * thread's order; a block that cannot be
 * allocated refuses the post with a clear error, loses nothing queued, and
 * the queue carries on once blocks are free again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

#define PRODUCERS 4
#define MESSAGES_PER_PRODUCER 20000 /* about 840 blocks of 127 slots in all */

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

/* Every third message carries a tail that makes it take two queue slots:
 * two-slot claims race one-slot ones, and meet blocks' ends. */
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

/* Posts ordered messages from producer 0 until one is refused; returns how
 * many were taken. Fails the test if none is refused within `most`. */
static LONG post_until_refused(test_front *front, LONG first_sequence, LONG most)
{
    ordered_message message = { .magic = TEST_ORDERED_MESSAGE_MAGIC, .producer = 0, .log = &log_of_messages };
    LONG taken = 0;
    int status = SHIM_OK;

    for (; taken < most; taken++) {
        message.sequence = first_sequence + taken;
        status = front->post_raw(&message, sizeof message);
        if (status != SHIM_OK)
            break;
    }
    assert_int_equal(status, SHIM_E_OUT_OF_MEMORY);
    return taken;
}

static void a_block_that_cannot_be_allocated_refuses_the_post_and_loses_nothing(void **state)
{
    static job_counters held;
    HANDLE gate = new_gate();
    test_job blocker = job_for(&held, gate);
    shim_session_counters counters;
    test_front front;
    LONG taken;
    LONG taken_again;

    (void)state;
    memset(&log_of_messages, 0, sizeof log_of_messages);
    use_one_callback();
    /* The queue's own first block and two more. */
    assert_win32(SetEnvironmentVariableW(TEST_QUEUE_BLOCKS_VARIABLE, L"2"));
    load_front_and_worker(L"queue-blocks", &front);

    /* The only callback waits at the gate: nothing is read, no block freed. */
    assert_int_equal(front.post_job(&blocker), SHIM_OK);
    assert_true(counter_reaches_within(&held.started, 1, TEST_DEADLINE_MS));
    taken = post_until_refused(&front, 1, 100000);
    print_message("%ld messages queued behind the held callback before a post was refused\n", (long)taken);
    assert_true(taken > 0);
    assert_int_equal(front.get_counters(&counters), SHIM_OK);
    assert_int_equal(counters.refused, 1);

    /* Once read, the blocks are used again: no allocation needed. */
    assert_win32(SetEvent(gate));
    assert_true(counter_reaches_within(&log_of_messages.arrived, taken, TEST_DEADLINE_MS));
    assert_int_equal(front.post_job(&blocker), SHIM_OK);
    assert_true(counter_reaches_within(&held.ran, 2, TEST_DEADLINE_MS));
    ResetEvent(gate);
    assert_int_equal(front.post_job(&blocker), SHIM_OK);
    assert_true(counter_reaches_within(&held.started, 3, TEST_DEADLINE_MS));
    taken_again = post_until_refused(&front, 1 + taken, 100000);
    print_message("%ld more after the queue was read\n", (long)taken_again);
    /* The same three blocks again, less the slots of the one job more than
     * before (two: a test_job is over 112 bytes) and of a block's end
     * skipped as padding: without reuse, not one block would be had. */
    assert_true(taken_again >= taken - 4);
    assert_win32(SetEvent(gate));

    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(log_of_messages.arrived, taken + taken_again);
    assert_int_equal(log_of_messages.out_of_order, 0);
    assert_int_equal(held.ran, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(concurrent_posts_arrive_once_and_in_order),
        isolated_test(a_block_that_cannot_be_allocated_refuses_the_post_and_loses_nothing),
    };
    return cmocka_run_group_tests_name("queue_blocks", tests, NULL, NULL);
}
