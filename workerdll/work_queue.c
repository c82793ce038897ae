/* Posting to a session, and the pool callback that drains its queue: at
 * most max_threads callbacks are submitted at a time. */
#include <stdalign.h>
#include <string.h>

#include "session.h"

/* HeapAlloc aligns to 8 bytes on i686, less than the payload's max_align_t
 * there: a block has room for its own start and for the payload on the
 * next aligned address after it. */
#define PAYLOAD_BLOCK_OVERHEAD (sizeof(void *) + alignof(max_align_t))

static void *allocate_heap_payload(shim_session *session, size_t size)
{
    void *block = HeapAlloc(session->heap, 0, PAYLOAD_BLOCK_OVERHEAD + size);
    ULONG_PTR address;

    if (block == NULL)
        return NULL;
    address = (ULONG_PTR)block + sizeof(void *);
    address = (address + alignof(max_align_t) - 1) & ~(ULONG_PTR)(alignof(max_align_t) - 1);
    ((void **)address)[-1] = block; /* the block's start, for HeapFree */
    return (void *)address;
}

static void free_heap_payload(shim_session *session, void *payload)
{
    if (payload != NULL)
        HeapFree(session->heap, 0, ((void **)payload)[-1]);
}

/* How long a callback that found the queue empty keeps looking before it
 * returns to the pool, in polls: a burst's next entry then costs its
 * producer no wake (about 5 us under Wine), for a few microseconds of CPU.
 * Polls are spaced, so that the slot a producer writes next stays its, and
 * each empty one yields the CPU: the callback may have been woken onto the
 * producer's CPU, and a lingerer that spins there keeps the producer, the
 * only thread that can end its wait, from running (under load, a post
 * 500 us after the previous one cost 38-164 us instead of about 1;
 * docs/benchmarks.md, section 6). */
#define LINGER_POLLS 200
#define LINGER_PAUSES_PER_POLL 16

/* A callback waiting for a claimed entry to be published yields this many
 * times, then sleeps a millisecond between looks. */
#define PRODUCER_YIELDS 64

/* Takes the oldest published entries, up to `limit` messages or one work
 * item, and records them in the caller's slot (when it has one), where
 * process exit can find them while they run. With more than one callback
 * allowed, about half of what is published: another callback finds the rest
 * instead of waiting behind slow messages (shim_session_set_message_batch). */
static BOOL take_batch(shim_session *session, consumer_slot *slot, unsigned limit, queue_batch *batch)
{
    unsigned count;

    AcquireSRWLockExclusive(&session->queue.lock);
    count = shim__queue_find_batch(&session->queue, limit, batch);
    if (count > 1 && shim__read_flag(&session->max_callbacks) > 1)
        shim__queue_find_batch(&session->queue, (count + 1) / 2, batch);
    if (batch->slots > 0) {
        if (slot != NULL) {
            slot->batch = *batch;
            slot->batch_next = 0;
            /* Recorded before the head moves: an exit in between finds
             * the batch in both places (and hands it over once), never in
             * neither. */
            __atomic_store_n(&slot->batch_first_plus_one, batch->first + 1, __ATOMIC_RELEASE);
        }
        shim__queue_take(&session->queue, batch);
    }
    ReleaseSRWLockExclusive(&session->queue.lock);
    return batch->slots > 0;
}

static BOOL head_is_published(shim_session *session)
{
    BOOL published;

    AcquireSRWLockExclusive(&session->queue.lock);
    published = shim__queue_head_is_published(&session->queue);
    ReleaseSRWLockExclusive(&session->queue.lock);
    return published;
}

/* The entry is dropped: its cancel function runs instead of its work. */
static void cancel_entry(shim_session *session, const queue_entry *entry, const void *payload)
{
    if (entry->runtime_item) {
        entry->work(session, entry->context);
        return;
    }
    if (entry->work != NULL) {
        if (entry->on_cancel != NULL)
            entry->on_cancel(session, entry->context);
    } else if (session->plugin->on_message_cancelled != NULL) {
        session->plugin->on_message_cancelled(session, payload, entry->payload_size);
    }
    InterlockedIncrement64(&session->cancelled);
}

static void run_entry(shim_session *session, const queue_entry *entry, const void *payload)
{
    if (entry->work != NULL)
        entry->work(session, entry->context);
    else
        session->plugin->on_message(session, payload, entry->payload_size);
    if (!entry->runtime_item)
        InterlockedIncrement64(&session->completed);
}

void shim__cancel_queued_items(shim_session *session)
{
    queue_batch batch;

    /* Nothing runs: a batch is only a faster way through the queue. */
    while (take_batch(session, NULL, SHIM_MESSAGE_BATCH_LIMIT, &batch)) {
        unsigned offset = 0;
        queue_entry entry;
        const void *payload;
        queue_payload_copy copy;

        while (shim__queue_batch_next(&batch, &offset, &entry, &payload, &copy)) {
            cancel_entry(session, &entry, payload);
            free_heap_payload(session, entry.heap_payload);
        }
        shim__queue_finish_batch(&session->queue, &batch);
    }
}

int shim__dropping_queued_items(const shim_session *session)
{
    if (shim__read_flag(&session->started) && shim__read_flag(&session->start_status) != SHIM_OK)
        return 1;
    return shim__read_flag(&session->stop_requested) &&
           shim__read_flag(&session->stop_policy) == SHIM_STOP_CANCEL;
}

BOOL shim__queue_is_idle(const shim_session *session)
{
    return shim__read_flag(&session->scheduled) == 0 && shim__queue_is_empty(&session->queue);
}

/* One more callback, if fewer than max_callbacks are scheduled. */
static void add_consumer(shim_session *session)
{
    LONG scheduled;

    if (shim__read_flag(&session->scheduled) >= shim__read_flag(&session->max_callbacks))
        return;
    scheduled = InterlockedIncrement(&session->scheduled);
    if (scheduled > shim__read_flag(&session->max_callbacks)) {
        InterlockedDecrement(&session->scheduled);
        return;
    }
    if (scheduled > 1 && !shim__read_flag(&session->threads_reserved))
        shim__reserve_pool_threads(session);
    SubmitThreadpoolWork(session->work);
}

static consumer_slot *claim_slot(shim_session *session)
{
    /* At most max_callbacks callbacks run at once, never more than slots. */
    for (unsigned i = 0; i < SHIM_MAX_THREADS_LIMIT; i++) {
        if (InterlockedCompareExchange(&session->consumers[i].in_use, 1, 0) == 0)
            return &session->consumers[i];
    }
    return NULL;
}

/* One callback at a time lingers: a second one spinning beside it would
 * only take a CPU from the host. The polls take the queue's lock, which
 * only callbacks take, and look at the head slot itself: a slot claimed by
 * a producer that has not finished writing it is not work yet. */
static BOOL linger(shim_session *session)
{
    BOOL found = FALSE;

    if (InterlockedCompareExchange(&session->lingering, 1, 0) != 0)
        return FALSE;
    for (int poll = 0; poll < LINGER_POLLS && !found; poll++) {
        if (shim__read_flag(&session->stop_requested))
            break;
        found = head_is_published(session);
        for (int pause = 0; pause < LINGER_PAUSES_PER_POLL && !found; pause++)
            YieldProcessor();
        if (!found)
            SwitchToThread();
    }
    InterlockedExchange(&session->lingering, 0);
    return found;
}

/* The plugin made the pool smaller (shim_session_set_max_threads) while
 * more callbacks were scheduled: one of those leaves before it takes
 * another entry, so that at most max_threads run from then on. Those that
 * stay take what is queued. */
static BOOL is_one_too_many(shim_session *session)
{
    LONG scheduled = shim__read_flag(&session->scheduled);

    return scheduled > shim__read_flag(&session->max_callbacks) &&
           InterlockedCompareExchange(&session->scheduled, scheduled - 1, scheduled) == scheduled;
}

/* Gives the CPU to a producer between its claim and its publish; one that
 * stays stopped there (a debugger) costs a poll a millisecond. */
static void wait_for_producer(unsigned *waits)
{
    if (++*waits < PRODUCER_YIELDS)
        SwitchToThread();
    else
        Sleep(1);
}

/* Runs a taken batch. Checked per entry: under the cancel policy nothing
 * queued runs once the stop is requested, not even while on_stopping runs. */
static void run_batch(shim_session *session, consumer_slot *slot, const queue_batch *batch)
{
    unsigned offset = 0;
    queue_entry entry;
    const void *payload;
    queue_payload_copy copy;

    while (shim__queue_batch_next(batch, &offset, &entry, &payload, &copy)) {
        if (shim__dropping_queued_items(session))
            cancel_entry(session, &entry, payload);
        else
            run_entry(session, &entry, payload);
        /* Past it before its payload goes: exit must not find it. */
        if (slot != NULL)
            __atomic_store_n(&slot->batch_next, (LONG)offset, __ATOMIC_RELEASE);
        free_heap_payload(session, entry.heap_payload);
        /* A stopping session drains behind the host: the thread that freed
         * the front, and the wineserver that unmaps it, may wait for the
         * CPU this drain holds. */
        if (shim__read_flag(&session->stop_requested))
            SwitchToThread();
    }
    if (slot != NULL)
        __atomic_store_n(&slot->batch_first_plus_one, 0, __ATOMIC_RELEASE);
    shim__queue_finish_batch(&session->queue, batch);
}

/* A callback takes entries until the queue is empty, so a burst of work
 * costs a few SubmitThreadpoolWork calls instead of one per entry. With a
 * delivery delay it does not linger: the next post arms the timer, and
 * the pool's threads sleep until then. With hand_on (a delayed window's
 * callback), one that ran entries and finds no more returns TRUE, still
 * counted in `scheduled`, for the caller to hand the count on to the next
 * window; otherwise it unschedules itself and returns FALSE. */
static BOOL run_queued_items(shim_session *session, BOOL hand_on)
{
    consumer_slot *slot = claim_slot(session);
    queue_batch batch;
    unsigned unpublished_waits = 0;
    BOOL ran = FALSE;
    BOOL handed_on = FALSE;

    shim__batch_enter(session);
    for (;;) {
        if (is_one_too_many(session))
            break;
        if (!take_batch(session, slot, (unsigned)shim__read_flag(&session->message_batch), &batch)) {
            if (hand_on && ran) {
                handed_on = TRUE;
                break;
            }
            if (shim__read_flag(&session->delivery_delay_ms) == 0 && linger(session))
                continue;
            /* A producer that saw this callback scheduled (or lingering)
             * did not submit: it had claimed its position before it
             * looked, so after the decrement a claim shows, published or
             * not. One that claims later looks for a callback itself. */
            if (InterlockedDecrement(&session->scheduled) == 0 && shim__read_flag(&session->stop_requested))
                shim__wake_session_waiters();
            if (shim__queue_is_empty(&session->queue)) {
                /* The burst is over: what it needed beyond a few blocks
                 * goes back to the heap, off the host's path. */
                shim__queue_trim(&session->queue);
                break;
            }
            if (InterlockedIncrement(&session->scheduled) > shim__read_flag(&session->max_callbacks)) {
                InterlockedDecrement(&session->scheduled);
                break;
            }
            /* Claimed, and its producer is still writing it: it was
             * preempted, or a debugger stopped it. */
            if (!head_is_published(session))
                wait_for_producer(&unpublished_waits);
            continue;
        }
        /* These entries may be long: another callback looks for work
         * meanwhile (up to max_callbacks), so the next entry never waits
         * behind them while a thread is free, and producers need not add
         * one. */
        if (shim__read_flag(&session->lingering) == 0)
            add_consumer(session);
        run_batch(session, slot, &batch);
        ran = TRUE;
        unpublished_waits = 0;
    }
    if (slot != NULL)
        InterlockedExchange(&slot->in_use, 0);
    shim__batch_leave(session);
    return handed_on;
}

void CALLBACK shim__run_queued_items(PTP_CALLBACK_INSTANCE instance, void *parameter, PTP_WORK work)
{
    (void)instance;
    (void)work;
    run_queued_items(parameter, FALSE);
}

/* With a delivery delay, a post into an idle session arms the timer
 * instead of submitting: the callback starts that much later and takes
 * everything posted meanwhile, and posts that find it scheduled do
 * nothing. Counted in `scheduled` from before the arm, like a submission,
 * so the stop cannot find the session idle before it runs. */
static void schedule_delayed_callback(shim_session *session, LONG delay_ms)
{
    FILETIME due;

    if (shim__read_flag(&session->scheduled) != 0 ||
        InterlockedCompareExchange(&session->scheduled, 1, 0) != 0)
        return;
    due = shim__relative_time((unsigned long)delay_ms);
    InterlockedExchange(&session->delivery_armed, 1);
    SetThreadpoolTimer(session->delivery_timer, &due, 0, 0);
}

/* The window had messages, so the next one likely will too: the callback
 * arms it with its own count in `scheduled`, off the host's path, and a
 * host that keeps posting finds the session scheduled throughout and
 * never pays an arm (a wake of the timer's thread). A window that finds
 * nothing ends the chain. Behind the submit gate: a re-arm cannot race the
 * stop's close of the timer, and a stop requested after it finds the
 * timer armed (shim__deliver_now). Once the stop is requested, or the
 * delay set to 0, the count is released the usual way instead. */
static void deliver_next_window(shim_session *session)
{
    LONG delay_ms;
    BOOL armed = FALSE;

    AcquireSRWLockShared(&session->submit_lock);
    delay_ms = shim__read_flag(&session->delivery_delay_ms);
    if (session->accepting && !shim__read_flag(&session->stop_requested) && delay_ms > 0) {
        FILETIME due = shim__relative_time((unsigned long)delay_ms);

        InterlockedExchange(&session->delivery_armed, 1);
        SetThreadpoolTimer(session->delivery_timer, &due, 0, 0);
        armed = TRUE;
    }
    ReleaseSRWLockShared(&session->submit_lock);
    if (!armed)
        run_queued_items(session, FALSE);
}

void CALLBACK shim__run_delayed_items(PTP_CALLBACK_INSTANCE instance, void *parameter, PTP_TIMER timer)
{
    shim_session *session = parameter;

    (void)instance;
    (void)timer;
    /* Fired again by the stop (shim__deliver_now) after its arm was
     * already served: the callback counted in `scheduled` has run. */
    if (InterlockedExchange(&session->delivery_armed, 0) == 0)
        return;
    if (run_queued_items(session, TRUE))
        deliver_next_window(session);
}

void shim__deliver_now(shim_session *session)
{
    FILETIME due = shim__relative_time(0);

    if (session->delivery_timer != NULL && shim__read_flag(&session->delivery_armed))
        SetThreadpoolTimer(session->delivery_timer, &due, 0, 0);
}

/* Claims a slot, writes the entry and publishes it, then makes sure a
 * callback will look. Returns SHIM_E_OUT_OF_MEMORY when the queue needed a
 * block it could not get (the heap payload, if any, is freed). */
static int publish(shim_session *session, const queue_entry *entry, const void *payload)
{
    LONG64 position;
    queue_slot *slot = shim__queue_claim(&session->queue, entry, &position);

    if (slot == NULL) {
        free_heap_payload(session, entry->heap_payload);
        return SHIM_E_OUT_OF_MEMORY;
    }
    /* Counted after the claim: submitted (claims minus these) never
     * falls below completed. */
    if (entry->runtime_item)
        InterlockedIncrement64(&session->queue.runtime_items);
    shim__queue_write(slot, entry, payload);
    shim__queue_publish(slot, position);
    /* A lingering callback takes the entry at once, so then nothing more
     * is done. Otherwise every scheduled callback may be inside a long
     * entry, and one is added while fewer than max_callbacks are
     * scheduled. A callback that starts an entry adds a lingerer itself,
     * so a host that posts while the pool keeps up mostly finds one. A
     * lingerer that stops lingering after this read finds the entry: it
     * looks at the claims after it stops, and the claim (a full barrier)
     * came before this read. So the publish need not be a barrier. */
    if (shim__read_flag(&session->lingering) == 0) {
        LONG delay_ms = shim__read_flag(&session->delivery_delay_ms);

        if (delay_ms == 0)
            add_consumer(session);
        else
            schedule_delayed_callback(session, delay_ms);
    }
    return SHIM_OK;
}

int shim__queue_runtime_item(shim_session *session, shim_work_function work, void *context)
{
    queue_entry entry = { .work = work, .context = context, .runtime_item = 1 };

    if (shim__read_flag(&session->stop_requested))
        return SHIM_E_STOPPING;
    return publish(session, &entry, NULL);
}

int shim__queue_item(shim_session *session, shim_work_function work, shim_work_cancel_function on_cancel,
                     void *context, const void *payload, size_t size)
{
    queue_entry entry = { .work = work, .on_cancel = on_cancel, .context = context, .payload_size = size };

    if (session == NULL || (payload == NULL && size != 0))
        return SHIM_E_INVALID_ARGUMENT;
    if (size > (size_t)MAXLONG_PTR - PAYLOAD_BLOCK_OVERHEAD)
        return shim__refuse(session, SHIM_E_TOO_LARGE);
    /* No gate here: only the front (while mapped) and the session's own
     * callbacks and hooks post, and the stop waits for each of those. */
    if (shim__read_flag(&session->stop_requested))
        return shim__refuse(session, SHIM_E_STOPPING);
    if (shim__read_flag(&session->started) && shim__read_flag(&session->start_status) != SHIM_OK)
        return shim__refuse(session, SHIM_E_START_FAILED);
    if (size > QUEUE_INLINE_CAPACITY) {
        entry.heap_payload = allocate_heap_payload(session, size);
        if (entry.heap_payload == NULL)
            return shim__refuse(session, SHIM_E_OUT_OF_MEMORY);
        memcpy(entry.heap_payload, payload, size);
    }
    if (publish(session, &entry, payload) != SHIM_OK)
        return shim__refuse(session, SHIM_E_OUT_OF_MEMORY);
    return SHIM_OK;
}
