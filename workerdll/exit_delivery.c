/* Process exit: what a session still holds is handed to the plugin's
 * on_exit_message on the exiting thread. Every other thread was ended
 * wherever it was, so nothing here waits: the queue is read only if its
 * lock can be had at once, and nothing is freed (the process is going). */
#include "../common/report.h"
#include "session.h"

static BOOL plugin_is_running(const shim_session *session)
{
    return shim__read_flag(&session->started) && shim__read_flag(&session->start_status) == SHIM_OK;
}

static void hand_over(shim_session *session, const work_item *item, int possible_repeat)
{
    const shim_plugin *plugin = session->plugin;

    if (item->runtime_item)
        return; /* a handle's close: nothing of the plugin's */
    /* Work items carry code to run, which exit cannot run safely. */
    if (item->work == NULL && plugin->on_exit_message != NULL && plugin_is_running(session) &&
        plugin->on_exit_message(session, item->payload, item->payload_size, possible_repeat) == SHIM_OK)
        InterlockedIncrement64(&session->delivered_at_exit);
    else
        InterlockedIncrement64(&session->lost_at_exit);
}

/* An intake chain is a stack: reversed in place, oldest first. */
static work_item *oldest_first(SLIST_ENTRY *entry)
{
    work_item *oldest = NULL;

    while (entry != NULL) {
        work_item *item = CONTAINING_RECORD(entry, work_item, recycle_link);

        entry = entry->Next;
        item->next = oldest;
        oldest = item;
    }
    return oldest;
}

static void report_exit(shim_session *session, BOOL queue_was_locked)
{
    shim_report report = { .length = 0 };
    LONG64 lost = shim__read_flag64(&session->lost_at_exit);

    if (lost == 0 && !queue_was_locked)
        return;
    shim__report_ascii(&report, "twinshim worker: process exit: ");
    shim__report_number(&report, (unsigned long long)shim__read_flag64(&session->delivered_at_exit));
    shim__report_ascii(&report, " queued messages handed over, ");
    shim__report_number(&report, (unsigned long long)lost);
    shim__report_ascii(&report, " lost");
    if (queue_was_locked)
        shim__report_ascii(&report, ", read while a thread the exit ended held its lock");
    shim__report_ascii(&report, "\n");
    shim__report_send(&report, SHIM_REPORT_NO_WAIT, SHIM_REPORT_NOTICE);
}

static BOOL in_ready_queue(const shim_session *session, const work_item *wanted)
{
    for (const work_item *item = session->queue_head; item != NULL; item = item->next) {
        if (item == wanted)
            return TRUE;
    }
    return FALSE;
}

static BOOL is_one_of(const work_item *item, const work_item *const *items, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        if (items[i] == item)
            return TRUE;
    }
    return FALSE;
}

void shim__session_deliver_at_exit(shim_session *session)
{
    const work_item *cut_off[SHIM_MAX_THREADS_LIMIT];
    unsigned cut_off_count = 0;
    BOOL queue_was_locked;

    if (session == NULL || InterlockedExchange(&session->exit_delivered, 1) != 0)
        return;
    /* Cut off while its callback ran (or just popped): older than anything
     * still queued. */
    for (unsigned i = 0; i < SHIM_MAX_THREADS_LIMIT; i++) {
        const work_item *running = session->consumers[i].running;

        if (running != NULL) {
            hand_over(session, running, 1);
            cut_off[cut_off_count++] = running;
        }
    }
    /* Kept, never released: under Wine a release wakes waiters through
     * RtlWakeAddressAll, which spins on a hash-bucket lock that an ended
     * thread may hold. Nobody is left to want it. If a thread the exit
     * ended holds it, the queue is read anyway: its items are never freed
     * under the lock, and every link a pop or an append leaves behind
     * points at a queued item or is NULL. An item a pop left both in its
     * slot and at the head was handed over above. */
    queue_was_locked = !TryAcquireSRWLockExclusive(&session->queue_lock);
    for (const work_item *item = session->queue_head; item != NULL; item = item->next) {
        if (!is_one_of(item, cut_off, cut_off_count))
            hand_over(session, item, 0);
    }
    /* Intake a callback had flushed and not yet appended, unless the
     * append was done (its oldest item is in the queue). */
    for (unsigned i = 0; i < SHIM_MAX_THREADS_LIMIT; i++) {
        SLIST_ENTRY *flushed = session->consumers[i].flushed;
        work_item *chain;

        if (flushed == NULL)
            continue;
        chain = oldest_first(flushed);
        if (in_ready_queue(session, chain))
            continue;
        for (const work_item *item = chain; item != NULL; item = item->next)
            hand_over(session, item, 0);
    }
    session->queue_head = NULL;
    session->queue_tail = NULL;
    for (const work_item *item = oldest_first(InterlockedFlushSList(&session->intake)); item != NULL;
         item = item->next)
        hand_over(session, item, 0);
    shim__trace(session, SHIM_TRACE_PROCESS_EXIT);
    report_exit(session, queue_was_locked);
}

int shim__session_post_at_exit(shim_session *session, const void *payload, size_t size)
{
    const shim_plugin *plugin;

    if (session == NULL || (payload == NULL && size != 0))
        return SHIM_E_INVALID_ARGUMENT;
    /* What was queued before goes first. */
    shim__session_deliver_at_exit(session);
    plugin = session->plugin;
    if (plugin->on_exit_message != NULL && plugin_is_running(session) &&
        plugin->on_exit_message(session, payload, size, 0) == SHIM_OK) {
        InterlockedIncrement64(&session->delivered_at_exit);
        return SHIM_OK;
    }
    InterlockedIncrement64(&session->lost_at_exit);
    return SHIM_E_PROCESS_EXITING;
}
