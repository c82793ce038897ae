/* The session's FIFO of work items, and the pool callback that drains it:
 * at most max_threads callbacks are submitted at a time. */
#include <stdalign.h>
#include <string.h>

#include "session.h"

/* Payloads up to this size get an item of this capacity, which is recycled. */
#define RECYCLED_PAYLOAD_CAPACITY 64u
/* At most this many idle items are kept per session (about 16 KB). */
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
    HeapFree(GetProcessHeap(), 0, ((void **)item)[-1]);
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
        void *block = HeapAlloc(GetProcessHeap(), 0, ITEM_BLOCK_OVERHEAD + sizeof *item + capacity);

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

static void push_item(shim_session *session, work_item *item)
{
    AcquireSRWLockExclusive(&session->queue_lock);
    if (session->queue_tail != NULL)
        session->queue_tail->next = item;
    else
        session->queue_head = item;
    session->queue_tail = item;
    ReleaseSRWLockExclusive(&session->queue_lock);
}

static work_item *pop_item(shim_session *session)
{
    work_item *item;

    AcquireSRWLockExclusive(&session->queue_lock);
    item = session->queue_head;
    if (item != NULL) {
        session->queue_head = item->next;
        if (session->queue_head == NULL)
            session->queue_tail = NULL;
    }
    ReleaseSRWLockExclusive(&session->queue_lock);
    return item;
}

/* The item is dropped: its cancel function runs instead of its work. */
static void cancel_item(work_item *item)
{
    shim_session *session = item->session;

    if (item->work != NULL) {
        if (item->on_cancel != NULL)
            item->on_cancel(session, item->context);
    } else if (session->plugin->on_message_cancelled != NULL) {
        session->plugin->on_message_cancelled(session, item->payload, item->payload_size);
    }
    free_item(item);
    shim__count_cancelled(session);
}

void shim__cancel_queued_items(shim_session *session)
{
    work_item *item;

    while ((item = pop_item(session)) != NULL)
        cancel_item(item);
}

int shim__dropping_queued_items(const shim_session *session)
{
    if (shim__read_flag(&session->started) && shim__read_flag(&session->start_status) != SHIM_OK)
        return 1;
    return shim__read_flag(&session->stop_requested) &&
           shim__read_flag(&session->stop_policy) == SHIM_STOP_CANCEL;
}

static BOOL queue_is_empty(shim_session *session)
{
    BOOL empty;

    AcquireSRWLockShared(&session->queue_lock);
    empty = session->queue_head == NULL;
    ReleaseSRWLockShared(&session->queue_lock);
    return empty;
}

static void run_item(shim_session *session, work_item *item)
{
    if (item->work != NULL)
        item->work(session, item->context);
    else
        session->plugin->on_message(session, item->payload, item->payload_size);
    free_item(item);
    InterlockedIncrement64(&session->completed);
    shim__outstanding_done(session); /* the item */
}

/* A callback takes items until the queue is empty, so a burst of work costs
 * a few SubmitThreadpoolWork calls instead of one per item. */
void CALLBACK shim__run_queued_items(PTP_CALLBACK_INSTANCE instance, void *parameter, PTP_WORK work)
{
    shim_session *session = parameter;
    work_item *item;

    (void)instance;
    (void)work;
    shim__batch_enter(session);
    for (;;) {
        while ((item = pop_item(session)) != NULL) {
            /* Checked per item: under the cancel policy nothing queued runs
             * once the stop is requested, not even while on_stopping runs. */
            if (shim__dropping_queued_items(session)) {
                cancel_item(item);
                continue;
            }
            run_item(session, item);
            /* A stopping session drains behind the host: the thread that
             * freed the front, and the wineserver that unmaps it, may wait
             * for the CPU this drain holds. */
            if (shim__read_flag(&session->stop_requested))
                SwitchToThread();
        }
        InterlockedDecrement(&session->scheduled);
        /* An enqueuer that found every callback scheduled did not submit:
         * it counts on one of us to see its item, pushed before it looked. */
        if (queue_is_empty(session))
            break;
        if (InterlockedIncrement(&session->scheduled) > shim__read_flag(&session->max_callbacks)) {
            InterlockedDecrement(&session->scheduled);
            break;
        }
    }
    shim__batch_leave(session);
}

static int enqueue(shim_session *session, work_item *item)
{
    int status = shim__gate_enter(session);

    if (status != SHIM_OK)
        return status;
    InterlockedIncrement(&session->outstanding);
    InterlockedIncrement64(&session->submitted);
    push_item(session, item);
    /* Submit only while fewer callbacks than pool threads are scheduled;
     * otherwise a scheduled callback will find this item. */
    if (InterlockedIncrement(&session->scheduled) <= shim__read_flag(&session->max_callbacks))
        SubmitThreadpoolWork(session->work);
    else
        InterlockedDecrement(&session->scheduled);
    shim__gate_leave(session);
    return SHIM_OK;
}

int shim__queue_item(shim_session *session, shim_work_function work, shim_work_cancel_function on_cancel,
                     void *context, const void *payload, size_t size)
{
    work_item *item;
    int status;

    if (session == NULL || (payload == NULL && size != 0))
        return SHIM_E_INVALID_ARGUMENT;
    if (size > (size_t)MAXLONG_PTR - ITEM_BLOCK_OVERHEAD - sizeof *item)
        return shim__refuse(session, SHIM_E_TOO_LARGE);
    if (shim__read_flag(&session->stop_requested))
        return shim__refuse(session, SHIM_E_STOPPING);
    item = allocate_item(session, size);
    if (item == NULL)
        return shim__refuse(session, SHIM_E_OUT_OF_MEMORY);
    item->work = work;
    item->on_cancel = on_cancel;
    item->context = context;
    if (size != 0)
        memcpy(item->payload, payload, size);
    status = enqueue(session, item);
    if (status != SHIM_OK)
        free_item(item);
    return status;
}
