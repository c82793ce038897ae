/* The session's FIFO of work items, and the pool callback that drains it:
 * at most max_threads callbacks are submitted at a time. */
#include <stdalign.h>
#include <string.h>

#include "session.h"

/* Payloads up to this size get an item of this capacity, which is recycled. */
#define RECYCLED_PAYLOAD_CAPACITY 64u
/* At most this many idle items are kept per session (about 20 KB). */
#define RECYCLED_ITEMS_MAX 128u
/* HeapAlloc aligns to 8 bytes on i686, less than the payload's max_align_t
 * there: a block has room for its own start and for the item on the next
 * aligned address after it. */
#define ITEM_BLOCK_OVERHEAD (sizeof(void *) + alignof(work_item))

static work_item *place_item(void *block)
{
    ULONG_PTR address = (ULONG_PTR)block + sizeof(void *);

    address = (address + alignof(work_item) - 1) & ~(ULONG_PTR)(alignof(work_item) - 1);
    ((void **)address)[-1] = block; /* the block's start, for HeapFree */
    return (work_item *)address;
}

static void free_item_block(work_item *item)
{
    HeapFree(item->session->heap, 0, ((void **)item)[-1]);
}

static work_item *allocate_item(shim_session *session, size_t payload_size)
{
    size_t capacity = payload_size <= RECYCLED_PAYLOAD_CAPACITY ? RECYCLED_PAYLOAD_CAPACITY : payload_size;
    SLIST_ENTRY *recycled = NULL;
    work_item *item;

    if (capacity == RECYCLED_PAYLOAD_CAPACITY)
        recycled = InterlockedPopEntrySList(&session->recycled_items);
    if (recycled != NULL) {
        item = CONTAINING_RECORD(recycled, work_item, recycle_link);
    } else {
        void *block = HeapAlloc(session->heap, 0, ITEM_BLOCK_OVERHEAD + sizeof *item + capacity);

        if (block == NULL)
            return NULL;
        item = place_item(block);
    }
    item->payload_capacity = capacity;
    item->next = NULL;
    item->session = session;
    item->work = NULL;
    item->on_cancel = NULL;
    item->context = NULL;
    item->runtime_item = 0;
    item->payload_size = payload_size;
    return item;
}

static void free_item(work_item *item)
{
    SLIST_HEADER *recycled_items = &item->session->recycled_items;

    if (item->payload_capacity == RECYCLED_PAYLOAD_CAPACITY &&
        QueryDepthSList(recycled_items) < RECYCLED_ITEMS_MAX)
        InterlockedPushEntrySList(recycled_items, &item->recycle_link);
    else
        free_item_block(item);
}

void shim__free_recycled_items(shim_session *session)
{
    SLIST_ENTRY *entry = InterlockedFlushSList(&session->recycled_items);

    while (entry != NULL) {
        SLIST_ENTRY *next = entry->Next;

        free_item_block(CONTAINING_RECORD(entry, work_item, recycle_link));
        entry = next;
    }
}

/* How long a callback that found the queue empty keeps looking before it
 * returns to the pool, in polls: a burst's next item then costs its
 * producer no wake (about 5 us under Wine), for a few microseconds of CPU.
 * Polls are spaced, so that the intake's line stays with the producers. */
#define LINGER_POLLS 200
#define LINGER_PAUSES_PER_POLL 16

/* Moves what producers pushed to the ready queue, oldest first: the intake
 * is a stack, so the flushed chain is reversed. Queue lock held. */
static void take_intake(shim_session *session, consumer_slot *slot)
{
    SLIST_ENTRY *entry = InterlockedFlushSList(&session->intake);
    work_item *oldest = NULL;
    work_item *newest = NULL;

    /* The reversal below links items through `next` and leaves their SList
     * links as they are: exit can still walk this chain. */
    if (slot != NULL)
        slot->flushed = entry;

    while (entry != NULL) {
        work_item *item = CONTAINING_RECORD(entry, work_item, recycle_link);

        entry = entry->Next;
        if (newest == NULL)
            newest = item;
        item->next = oldest;
        oldest = item;
    }
    if (oldest == NULL)
        return;
    if (session->queue_tail != NULL)
        session->queue_tail->next = oldest;
    else
        session->queue_head = oldest;
    session->queue_tail = newest;
    if (slot != NULL)
        slot->flushed = NULL;
}

/* Pops the oldest item into the caller's slot, where process exit can find
 * it while its callback runs. */
static work_item *pop_item(shim_session *session, consumer_slot *slot)
{
    work_item *item;

    AcquireSRWLockExclusive(&session->queue_lock);
    if (session->queue_head == NULL)
        take_intake(session, slot);
    item = session->queue_head;
    /* In the slot before it leaves the queue: an exit in between finds it
     * in both, never in neither. */
    if (slot != NULL)
        slot->running = item;
    if (item != NULL) {
        session->queue_head = item->next;
        if (session->queue_head == NULL)
            session->queue_tail = NULL;
    }
    ReleaseSRWLockExclusive(&session->queue_lock);
    return item;
}

/* The item is dropped: its cancel function runs instead of its work. */
static void cancel_item(shim_session *session, work_item *item)
{
    if (item->runtime_item) {
        item->work(session, item->context);
        return;
    }
    if (item->work != NULL) {
        if (item->on_cancel != NULL)
            item->on_cancel(session, item->context);
    } else if (session->plugin->on_message_cancelled != NULL) {
        session->plugin->on_message_cancelled(session, item->payload, item->payload_size);
    }
    InterlockedIncrement64(&session->cancelled);
}

void shim__cancel_queued_items(shim_session *session)
{
    work_item *item;

    while ((item = pop_item(session, NULL)) != NULL) {
        cancel_item(session, item);
        free_item(item);
    }
}

int shim__dropping_queued_items(const shim_session *session)
{
    if (shim__read_flag(&session->started) && shim__read_flag(&session->start_status) != SHIM_OK)
        return 1;
    return shim__read_flag(&session->stop_requested) &&
           shim__read_flag(&session->stop_policy) == SHIM_STOP_CANCEL;
}

static BOOL nothing_queued(const shim_session *session)
{
    return QueryDepthSList((SLIST_HEADER *)&session->intake) == 0 && session->queue_head == NULL;
}

BOOL shim__queue_is_idle(const shim_session *session)
{
    return shim__read_flag(&session->scheduled) == 0 && nothing_queued(session);
}

static void run_item(shim_session *session, work_item *item)
{
    if (item->work != NULL)
        item->work(session, item->context);
    else
        session->plugin->on_message(session, item->payload, item->payload_size);
    if (!item->runtime_item)
        InterlockedIncrement64(&session->completed);
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
 * only take a CPU from the host. */
static BOOL linger(shim_session *session)
{
    BOOL found = FALSE;

    if (InterlockedCompareExchange(&session->lingering, 1, 0) != 0)
        return FALSE;
    for (int poll = 0; poll < LINGER_POLLS && !found; poll++) {
        if (shim__read_flag(&session->stop_requested))
            break;
        found = QueryDepthSList(&session->intake) != 0;
        for (int pause = 0; pause < LINGER_PAUSES_PER_POLL && !found; pause++)
            YieldProcessor();
    }
    InterlockedExchange(&session->lingering, 0);
    return found;
}

/* A callback takes items until the queue is empty, so a burst of work costs
 * a few SubmitThreadpoolWork calls instead of one per item. */
void CALLBACK shim__run_queued_items(PTP_CALLBACK_INSTANCE instance, void *parameter, PTP_WORK work)
{
    shim_session *session = parameter;
    consumer_slot *slot = claim_slot(session);
    work_item *item;

    (void)instance;
    (void)work;
    shim__batch_enter(session);
    for (;;) {
        item = pop_item(session, slot);
        if (item == NULL) {
            if (linger(session))
                continue;
            /* A producer that saw this callback scheduled did not submit:
             * after the decrement, look again for what it pushed before. */
            if (InterlockedDecrement(&session->scheduled) == 0 && shim__read_flag(&session->stop_requested))
                shim__wake_session_waiters();
            if (nothing_queued(session))
                break;
            if (InterlockedIncrement(&session->scheduled) > shim__read_flag(&session->max_callbacks)) {
                InterlockedDecrement(&session->scheduled);
                break;
            }
            continue;
        }
        /* This item may be long: another callback looks for work meanwhile
         * (up to max_callbacks), so the next item never waits behind it
         * while a thread is free, and producers need not add one. */
        if (shim__read_flag(&session->lingering) == 0)
            add_consumer(session);
        /* Checked per item: under the cancel policy nothing queued runs
         * once the stop is requested, not even while on_stopping runs. */
        if (shim__dropping_queued_items(session))
            cancel_item(session, item);
        else
            run_item(session, item);
        /* Out of the slot before it is recycled: exit must not find it. */
        if (slot != NULL)
            slot->running = NULL;
        free_item(item);
        /* A stopping session drains behind the host: the thread that freed
         * the front, and the wineserver that unmaps it, may wait for the
         * CPU this drain holds. */
        if (shim__read_flag(&session->stop_requested))
            SwitchToThread();
    }
    if (slot != NULL)
        InterlockedExchange(&slot->in_use, 0);
    shim__batch_leave(session);
}

/* Publishes an item: counted, pushed, and a callback added if needed. */
static void publish(shim_session *session, work_item *item)
{
    /* Counted first, so that completed never passes submitted. */
    if (!item->runtime_item)
        InterlockedIncrement64(&session->submitted);
    InterlockedPushEntrySList(&session->intake, &item->recycle_link);
    /* A lingering callback takes the item at once, so then nothing more is
     * done. Otherwise every scheduled callback may be inside a long item,
     * and one is added while fewer than max_callbacks are scheduled. A
     * callback that starts an item adds a lingerer itself, so a host that
     * posts while the pool keeps up mostly finds one. A lingerer that stops
     * lingering after this read finds the item: it looks at the intake
     * after it stops. */
    if (shim__read_flag(&session->lingering) == 0)
        add_consumer(session);
}

int shim__queue_runtime_item(shim_session *session, shim_work_function work, void *context)
{
    work_item *item;

    if (shim__read_flag(&session->stop_requested))
        return SHIM_E_STOPPING;
    item = allocate_item(session, 0);
    if (item == NULL)
        return SHIM_E_OUT_OF_MEMORY;
    item->work = work;
    item->context = context;
    item->runtime_item = 1;
    publish(session, item);
    return SHIM_OK;
}

int shim__queue_item(shim_session *session, shim_work_function work, shim_work_cancel_function on_cancel,
                     void *context, const void *payload, size_t size)
{
    work_item *item;

    if (session == NULL || (payload == NULL && size != 0))
        return SHIM_E_INVALID_ARGUMENT;
    if (size > (size_t)MAXLONG_PTR - ITEM_BLOCK_OVERHEAD - sizeof *item)
        return shim__refuse(session, SHIM_E_TOO_LARGE);
    /* No gate here: only the front (while mapped) and the session's own
     * callbacks and hooks post, and the stop waits for each of those. */
    if (shim__read_flag(&session->stop_requested))
        return shim__refuse(session, SHIM_E_STOPPING);
    if (shim__read_flag(&session->started) && shim__read_flag(&session->start_status) != SHIM_OK)
        return shim__refuse(session, SHIM_E_START_FAILED);
    item = allocate_item(session, size);
    if (item == NULL)
        return shim__refuse(session, SHIM_E_OUT_OF_MEMORY);
    item->work = work;
    item->on_cancel = on_cancel;
    item->context = context;
    if (size != 0)
        memcpy(item->payload, payload, size);
    publish(session, item);
    return SHIM_OK;
}
