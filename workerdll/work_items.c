/* Work items (shim_session_submit) and the runtime's own work (a handle's
 * close): a session's in-memory queue, which its callbacks take one item at
 * a time beside the journal's messages (consumers.c). A work item carries
 * code to run, so it never goes into a journal: it cannot outlive the
 * process that submitted it. */
#include "session.h"

/* Takes the oldest published item and records it in the caller's slot
 * (when it has one), where process exit can find it while it runs. */
static BOOL take_item(shim_session *session, consumer_slot *slot, queue_batch *batch)
{
    AcquireSRWLockExclusive(&session->queue.lock);
    shim__queue_find_batch(&session->queue, 1, batch);
    if (batch->slots > 0) {
        if (slot != NULL) {
            slot->batch = *batch;
            slot->batch_next = 0;
            /* Recorded before the head moves: an exit in between finds
             * the item in both places (and counts it once), never in
             * neither. */
            __atomic_store_n(&slot->batch_first_plus_one, batch->first + 1, __ATOMIC_RELEASE);
        }
        shim__queue_take(&session->queue, batch);
    }
    ReleaseSRWLockExclusive(&session->queue.lock);
    return batch->slots > 0;
}

/* The item is dropped: its cancel function runs instead of its work. */
static void cancel_item(shim_session *session, const queue_entry *entry)
{
    if (entry->runtime_item) {
        entry->work(session, entry->context);
        return;
    }
    if (entry->on_cancel != NULL)
        entry->on_cancel(session, entry->context);
    InterlockedIncrement64(&session->cancelled);
}

static void run_item(shim_session *session, const queue_entry *entry)
{
    entry->work(session, entry->context);
    if (!entry->runtime_item)
        InterlockedIncrement64(&session->completed);
}

/* Runs (or, once items are dropped, cancels) the entries of a taken batch:
 * one item, or a block's padding slot that holds none. */
static void run_batch(shim_session *session, consumer_slot *slot, const queue_batch *batch)
{
    unsigned offset = 0;
    queue_entry entry;
    const void *payload;
    queue_payload_copy copy;

    while (shim__queue_batch_next(batch, &offset, &entry, &payload, &copy)) {
        if (shim__dropping_queued_items(session))
            cancel_item(session, &entry);
        else
            run_item(session, &entry);
        if (slot != NULL)
            __atomic_store_n(&slot->batch_next, (LONG)offset, __ATOMIC_RELEASE);
    }
    if (slot != NULL)
        __atomic_store_n(&slot->batch_first_plus_one, 0, __ATOMIC_RELEASE);
    shim__queue_finish_batch(&session->queue, batch);
}

BOOL shim__run_work_item(shim_session *session, consumer_slot *slot)
{
    queue_batch batch;

    if (!take_item(session, slot, &batch))
        return FALSE;
    run_batch(session, slot, &batch);
    return TRUE;
}

void shim__cancel_queued_items(shim_session *session)
{
    queue_batch batch;

    while (take_item(session, NULL, &batch)) {
        unsigned offset = 0;
        queue_entry entry;
        const void *payload;
        queue_payload_copy copy;

        while (shim__queue_batch_next(&batch, &offset, &entry, &payload, &copy))
            cancel_item(session, &entry);
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

/* Claims a slot, writes the item and publishes it, then makes sure a
 * callback will look: the plugin's own submissions are not a host's hot
 * path, so each may wake one. */
static int publish(shim_session *session, const queue_entry *entry)
{
    LONG64 position;
    queue_slot *slot = shim__queue_claim(&session->queue, entry, &position);

    if (slot == NULL)
        return SHIM_E_OUT_OF_MEMORY;
    /* Counted after the claim: submitted (claims minus these) never
     * falls below completed. */
    if (entry->runtime_item)
        InterlockedIncrement64(&session->queue.runtime_items);
    shim__queue_write(slot, entry, NULL);
    shim__queue_publish(slot, position);
    /* The claim's compare-exchange is a full barrier on x86 but not in
     * C11's model: the fence orders the publish before the read of
     * `scheduled` (see shim__wake_consumer). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    shim__add_consumer(session);
    return SHIM_OK;
}

int shim__queue_runtime_item(shim_session *session, shim_work_function work, void *context)
{
    queue_entry entry = { .work = work, .context = context, .runtime_item = 1 };

    if (shim__read_flag(&session->stop_requested))
        return SHIM_E_STOPPING;
    return publish(session, &entry);
}

int shim__queue_item(shim_session *session, shim_work_function work, shim_work_cancel_function on_cancel,
                     void *context)
{
    queue_entry entry = { .work = work, .on_cancel = on_cancel, .context = context };

    if (session == NULL || work == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    /* No gate here: only the session's own callbacks and hooks submit, and
     * the stop waits for each of those. */
    if (shim__read_flag(&session->stop_requested))
        return shim__refuse(session, SHIM_E_STOPPING);
    if (shim__read_flag(&session->started) && shim__read_flag(&session->start_status) != SHIM_OK)
        return shim__refuse(session, SHIM_E_START_FAILED);
    if (publish(session, &entry) != SHIM_OK)
        return shim__refuse(session, SHIM_E_OUT_OF_MEMORY);
    return SHIM_OK;
}
