/* The session's FIFO of work items, and the pool callback that drains it:
 * at most max_threads callbacks are submitted at a time. */
#include "session.h"

/* Payloads up to this size get an item of this capacity, which is recycled. */
#define RECYCLED_PAYLOAD_CAPACITY 64u
/* At most this many idle items are kept per session (about 16 KB). */
#define RECYCLED_ITEMS_MAX 128u

work_item *shim__allocate_item(shim_session *session, size_t payload_size)
{
    size_t capacity = payload_size <= RECYCLED_PAYLOAD_CAPACITY ? RECYCLED_PAYLOAD_CAPACITY : payload_size;
    SLIST_ENTRY *recycled = NULL;
    work_item *item;

    if (capacity > (size_t)-1 - sizeof *item)
        return NULL;
    if (capacity == RECYCLED_PAYLOAD_CAPACITY)
        recycled = InterlockedPopEntrySList(&session->recycled_items);
    if (recycled != NULL)
        item = CONTAINING_RECORD(recycled, work_item, recycle_link);
    else
        item = HeapAlloc(GetProcessHeap(), 0, sizeof *item + capacity);
    if (item == NULL)
        return NULL;
    item->payload_capacity = capacity;
    item->next = NULL;
    item->session = session;
    item->work = NULL;
    item->on_cancel = NULL;
    item->context = NULL;
    item->payload_size = payload_size;
    return item;
}

void shim__free_item(work_item *item)
{
    SLIST_HEADER *recycled_items = &item->session->recycled_items;

    if (item->payload_capacity == RECYCLED_PAYLOAD_CAPACITY &&
        QueryDepthSList(recycled_items) < RECYCLED_ITEMS_MAX)
        InterlockedPushEntrySList(recycled_items, &item->recycle_link);
    else
        HeapFree(GetProcessHeap(), 0, item);
}

void shim__free_recycled_items(shim_session *session)
{
    SLIST_ENTRY *entry = InterlockedFlushSList(&session->recycled_items);

    while (entry != NULL) {
        SLIST_ENTRY *next = entry->Next;

        HeapFree(GetProcessHeap(), 0, CONTAINING_RECORD(entry, work_item, recycle_link));
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
    shim__free_item(item);
    shim__count_cancelled(session);
}

void shim__cancel_queued_items(shim_session *session)
{
    work_item *item;

    while ((item = pop_item(session)) != NULL)
        cancel_item(item);
}

static BOOL queue_is_empty(shim_session *session)
{
    BOOL empty;

    AcquireSRWLockShared(&session->queue_lock);
    empty = session->queue_head == NULL;
    ReleaseSRWLockShared(&session->queue_lock);
    return empty;
}

static void run_item(shim_session *session, work_item *item, int may_run)
{
    if (!may_run) {
        cancel_item(item); /* on_start failed */
        return;
    }
    if (item->work != NULL)
        item->work(session, item->context);
    else
        session->plugin->on_message(session, item->payload, item->payload_size);
    shim__free_item(item);
    InterlockedIncrement64(&session->completed);
    shim__outstanding_done(session); /* the item */
}

/* A callback takes items until the queue is empty, so a burst of work costs
 * a few SubmitThreadpoolWork calls instead of one per item. */
void CALLBACK shim__run_queued_items(PTP_CALLBACK_INSTANCE instance, void *parameter, PTP_WORK work)
{
    shim_session *session = parameter;
    int may_run = shim__batch_enter(session);
    work_item *item;

    (void)instance;
    (void)work;
    for (;;) {
        while ((item = pop_item(session)) != NULL) {
            run_item(session, item, may_run);
            /* A stopping session drains behind the host: the thread that
             * freed the front, and the wineserver that unmaps it, may wait
             * for the CPU this drain holds. Under Wine 8, with 2 threads
             * draining on 2 CPUs, FreeLibrary(front) took up to 7 ms
             * without this yield and under 0.7 ms with it. */
            if (shim__read_flag(&session->stop_requested))
                SwitchToThread();
        }
        InterlockedDecrement(&session->scheduled);
        /* An enqueuer that found every callback scheduled did not submit:
         * it counts on one of us to see its item, pushed before it looked. */
        if (queue_is_empty(session))
            break;
        if (InterlockedIncrement(&session->scheduled) > session->max_callbacks) {
            InterlockedDecrement(&session->scheduled);
            break;
        }
    }
    shim__batch_leave(session);
}

int shim__enqueue(shim_session *session, work_item *item)
{
    int status = shim__gate_enter(session);

    if (status != SHIM_OK)
        return status;
    InterlockedIncrement(&session->outstanding);
    InterlockedIncrement64(&session->submitted);
    push_item(session, item);
    /* Submit only while fewer callbacks than pool threads are scheduled;
     * otherwise a scheduled callback will find this item. */
    if (InterlockedIncrement(&session->scheduled) <= session->max_callbacks)
        SubmitThreadpoolWork(session->work);
    else
        InterlockedDecrement(&session->scheduled);
    shim__gate_leave(session);
    return SHIM_OK;
}
