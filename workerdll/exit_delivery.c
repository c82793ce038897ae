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

static void hand_over(shim_session *session, const queue_entry *entry, const void *payload,
                      int possible_repeat)
{
    const shim_plugin *plugin = session->plugin;

    if (entry->runtime_item)
        return; /* a handle's close: nothing of the plugin's */
    /* Work items carry code to run, which exit cannot run safely. */
    if (entry->work == NULL && plugin->on_exit_message != NULL && plugin_is_running(session) &&
        plugin->on_exit_message(session, payload, entry->payload_size, possible_repeat) == SHIM_OK)
        InterlockedIncrement64(&session->delivered_at_exit);
    else
        InterlockedIncrement64(&session->lost_at_exit);
}

/* What the queue walk needs: the batches the callbacks had taken, whose
 * positions are handed over (or were run) from there. */
typedef struct exit_walk {
    shim_session *session;
    queue_batch cut_off[SHIM_MAX_THREADS_LIMIT];
    LONG cut_off_next[SHIM_MAX_THREADS_LIMIT]; /* where the first entry not finished is */
    unsigned cut_off_count;
} exit_walk;

static BOOL was_cut_off(const exit_walk *walk, LONG64 position)
{
    for (unsigned i = 0; i < walk->cut_off_count; i++) {
        if (position >= walk->cut_off[i].first && position < walk->cut_off[i].first + walk->cut_off[i].slots)
            return TRUE;
    }
    return FALSE;
}

/* The callbacks' batches, oldest first: older than anything still queued. */
static void collect_cut_off(exit_walk *walk)
{
    for (unsigned i = 0; i < SHIM_MAX_THREADS_LIMIT; i++) {
        const consumer_slot *slot = &walk->session->consumers[i];
        unsigned at = walk->cut_off_count;

        if (__atomic_load_n(&slot->batch_first_plus_one, __ATOMIC_ACQUIRE) == 0)
            continue;
        while (at > 0 && walk->cut_off[at - 1].first > slot->batch.first) {
            walk->cut_off[at] = walk->cut_off[at - 1];
            walk->cut_off_next[at] = walk->cut_off_next[at - 1];
            at--;
        }
        walk->cut_off[at] = slot->batch;
        walk->cut_off_next[at] = __atomic_load_n(&slot->batch_next, __ATOMIC_ACQUIRE);
        walk->cut_off_count++;
    }
}

/* The entry a callback was in may have run in part: marked. The ones after
 * it in its batch never began. */
static void hand_over_cut_off(const exit_walk *walk)
{
    static queue_payload_copy copy; /* exit runs on one thread */

    for (unsigned b = 0; b < walk->cut_off_count; b++) {
        unsigned offset = (unsigned)walk->cut_off_next[b];
        BOOL first = TRUE;
        queue_entry entry;
        const void *payload;

        while (shim__queue_batch_next(&walk->cut_off[b], &offset, &entry, &payload, &copy)) {
            hand_over(walk->session, &entry, payload, first);
            first = FALSE;
        }
    }
}

static void hand_over_queued(void *context, LONG64 position, const queue_entry *entry, const void *payload,
                             BOOL published)
{
    exit_walk *walk = context;

    if (was_cut_off(walk, position))
        return;
    /* Claimed by a producer that exit ended before it finished writing:
     * what it held is unknown. */
    if (!published)
        InterlockedIncrement64(&walk->session->lost_at_exit);
    else
        hand_over(walk->session, entry, payload, 0);
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

void shim__session_deliver_at_exit(shim_session *session)
{
    static exit_walk walk; /* large, and exit runs on one thread */
    BOOL queue_was_locked;

    if (session == NULL || InterlockedExchange(&session->exit_delivered, 1) != 0)
        return;
    walk.session = session;
    walk.cut_off_count = 0;
    collect_cut_off(&walk);
    hand_over_cut_off(&walk);
    /* Kept, never released: under Wine a release wakes waiters through
     * RtlWakeAddressAll, which spins on a hash-bucket lock that an ended
     * thread may hold. Nobody is left to want it. If a thread the exit
     * ended holds it, the queue is read anyway: nothing but the head moves
     * under it, and the head moves past an entry only after the entry is
     * in its callback's batch. */
    queue_was_locked = !TryAcquireSRWLockExclusive(&session->queue.lock);
    shim__queue_visit_at_exit(&session->queue, hand_over_queued, &walk);
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
