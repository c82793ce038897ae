/* Process exit: the messages a session's journals still hold are handed to
 * the plugin's on_exit_message on the exiting thread, for at most 0.9 s in
 * all, those of the journals it recovered first, then its own; what is left
 * stays in the journal, where the next session
 * of the front finds it (a memory journal loses it: counted). Every other
 * thread was ended wherever it was, so nothing here waits or takes a lock:
 * the walk reads each record's state, which consumers write before and
 * after each message, and marks what the plugin accepted as finished. It
 * keeps no state but the session's and the stack's, so an on_exit_message
 * that calls into another front sharing this worker (whose post then hands
 * over its own session's messages) is safe. */
#include <string.h>

#include "../common/report.h"
#include "session.h"

/* How long the exit hands messages over, at most, for every session of
 * this worker together: the rest waits in the journals. Under the 1 s that
 * an exit may add: one plugin call past the deadline and the rest of the
 * exit (up to about 20 ms measured under load, docs/benchmarks.md) fit. */
#define EXIT_HAND_OVER_MS 900

static volatile LONG64 hand_over_deadline_us;

static BOOL time_is_left(void)
{
    LONG64 now = (LONG64)shim__clock_us();

    if (shim__read_flag64(&hand_over_deadline_us) == 0)
        InterlockedCompareExchange64(&hand_over_deadline_us, now + EXIT_HAND_OVER_MS * 1000, 0);
    return now < shim__read_flag64(&hand_over_deadline_us);
}

static BOOL plugin_is_running(const shim_session *session)
{
    return shim__read_flag(&session->started) && shim__read_flag(&session->start_status) == SHIM_OK;
}

/* What one walk found: messages the plugin did not take (declined, or no
 * time left), and claims whose posts the exit ended before they returned. */
typedef struct exit_tally {
    long long not_taken;
    long long cut_off;
} exit_tally;

/* A message taken and not finished was in on_message when the exit came
 * only if a callback's slot says so; otherwise it had not begun. */
static BOOL in_on_message(const shim_session *session, shim_message_ticket ticket)
{
    for (unsigned i = 0; i < SHIM_MAX_THREADS_LIMIT; i++) {
        if ((shim_message_ticket)__atomic_load_n(&session->consumers[i].delivering, __ATOMIC_ACQUIRE) ==
            ticket + 1)
            return TRUE;
    }
    return FALSE;
}

static BOOL hand_over(shim_session *session, unsigned journal_index, const journal_entry *entry)
{
    const session_journal *journal = &session->journals[journal_index];
    const shim_plugin *plugin = session->plugin;
    shim_message message;

    if (plugin->on_exit_message == NULL || !plugin_is_running(session))
        return FALSE;
    /* Not taken yet: numbered here, as a callback would have, by the
     * journal it is in. */
    if (__atomic_load_n(&entry->record->sequence, __ATOMIC_ACQUIRE) == 0)
        entry->record->sequence =
            __atomic_fetch_add(&journal->ring.view.header->next_sequence, 1, __ATOMIC_RELAXED);
    shim__message_of(journal, entry, &message);
    if ((entry->state & (JOURNAL_STATE_DEFERRED | JOURNAL_STATE_REPEAT)) ||
        ((entry->state & JOURNAL_STATE_TAKEN) &&
         in_on_message(session, shim__ticket_of(journal_index, entry->position))))
        message.flags |= SHIM_MESSAGE_POSSIBLE_REPEAT;
    if (plugin->on_exit_message(session, &message) != SHIM_OK)
        return FALSE;
    ring_mark(entry->record, JOURNAL_STATE_FINISHED);
    InterlockedIncrement64(&session->delivered_at_exit);
    return TRUE;
}

/* From the release point to the tail, read again at each step: a post made
 * by on_exit_message itself lands behind the walk of the own journal, and
 * is handed over by it. What dead processes wrote (a recovered journal, or
 * the first records of an adopted own one) is flagged
 * SHIM_MESSAGE_RECOVERED, as on_message gets it: otherwise a short program
 * that follows one that was killed would leave the killed one's records
 * waiting for yet another session. */
static void walk_journal(shim_session *session, unsigned journal_index, exit_tally *tally)
{
    const session_journal *journal = &session->journals[journal_index];
    const journal_view *view = &journal->ring.view;
    uint64_t position;
    uint64_t tail;

    journal_bounds(view, &position, &tail);
    while (position < (tail = __atomic_load_n(&view->header->tail, __ATOMIC_ACQUIRE))) {
        journal_entry entry;

        journal_read_record(view, position, tail, &entry);
        position += entry.length;
        /* A dead writer's unpublished claim was its call, not one of ours. */
        if (entry.kind == RECORD_UNPUBLISHED || entry.kind == RECORD_HOLE)
            tally->cut_off += !shim__written_by_dead_process(journal, entry.position);
        else if (entry.kind == RECORD_MESSAGE &&
                 !(entry.state & (JOURNAL_STATE_FINISHED | JOURNAL_STATE_DROPPED)) &&
                 !(time_is_left() && hand_over(session, journal_index, &entry)))
            tally->not_taken++;
    }
}

/* The journals this session recovered, older than its own, go first, as
 * the callbacks take them. The session thread counts one only once it is
 * mapped and complete (take_over), and marks one closed before it unmaps
 * it (close_drained_journals, shim__close_journals): one counted and not
 * marked closed is still mapped, wherever the exit ended that thread. */
static void walk_recovered_journals(shim_session *session, exit_tally *tally)
{
    LONG count = shim__read_flag(&session->journal_count);

    for (LONG i = 1; i < count; i++) {
        const session_journal *journal = &session->journals[i];

        if (!shim__read_flag(&journal->closed) && !shim__read_flag(&journal->drained))
            walk_journal(session, (unsigned)i, tally);
    }
}

/* Work items carry code, which exit cannot run: each one queued, or cut off
 * in its callback, is counted lost. */
static void count_work_item(void *context, LONG64 position, const queue_entry *entry, const void *payload,
                            BOOL published)
{
    long long *lost = context;

    (void)position;
    (void)payload;
    if (!published || !entry->runtime_item)
        (*lost)++;
}

static long long lost_work_items(shim_session *session)
{
    long long lost = 0;

    for (unsigned i = 0; i < SHIM_MAX_THREADS_LIMIT; i++) {
        if (__atomic_load_n(&session->consumers[i].batch_first_plus_one, __ATOMIC_ACQUIRE) != 0)
            lost++;
    }
    /* The queue's lock is not taken: a thread the exit ended may hold it,
     * and nothing but the head moves under it. */
    shim__queue_visit_at_exit(&session->queue, count_work_item, &lost);
    return lost;
}

/* The counter a message the exit could not hand over goes to. */
static volatile LONG64 *not_taken_counter(shim_session *session)
{
    return session->journal_kind == SHIM_JOURNAL_FILE ? &session->kept_in_journal : &session->lost_at_exit;
}

static void report_exit(shim_session *session, const exit_tally *tally)
{
    shim_report report = { .length = 0 };
    LONG64 lost = shim__read_flag64(&session->lost_at_exit);
    LONG64 kept = shim__read_flag64(&session->kept_in_journal);

    if (lost == 0 && kept == 0)
        return;
    shim__report_ascii(&report, "twinshim worker: process exit: ");
    shim__report_number(&report, (unsigned long long)shim__read_flag64(&session->delivered_at_exit));
    shim__report_ascii(&report, " messages handed over, ");
    shim__report_number(&report, (unsigned long long)kept);
    shim__report_ascii(&report, " kept in the journal for the next session, ");
    shim__report_number(&report, (unsigned long long)lost);
    shim__report_ascii(&report, " lost (");
    shim__report_number(&report, (unsigned long long)tally->cut_off);
    shim__report_ascii(&report, " posts cut off before they returned)\n");
    shim__report_send(&report, SHIM_REPORT_NO_WAIT, SHIM_REPORT_NOTICE);
}

void shim__session_deliver_at_exit(shim_session *session)
{
    exit_tally tally = { 0, 0 };

    if (session == NULL || InterlockedCompareExchange(&session->exit_delivered, 1, 0) != 0)
        return;
    walk_recovered_journals(session, &tally);
    walk_journal(session, 0, &tally);
    InterlockedExchangeAdd64(not_taken_counter(session), tally.not_taken);
    InterlockedExchangeAdd64(&session->lost_at_exit, tally.cut_off + lost_work_items(session));
    /* After the walk: a post from now on hands its message over itself. */
    InterlockedExchange(&session->exit_delivered, 2);
    shim__trace(session, SHIM_TRACE_PROCESS_EXIT);
    report_exit(session, &tally);
}

/* The journal had no room for a message posted at exit: handed over from
 * the poster's own buffer, unjournaled. */
static int hand_over_unjournaled(shim_session *session, const void *payload, size_t size)
{
    const shim_plugin *plugin = session->plugin;
    const journal_header *header = session->journals[0].ring.view.header;
    shim_message message = {
        .payload = payload,
        .size = size,
        .sequence =
            __atomic_fetch_add(&session->journals[0].ring.view.header->next_sequence, 1, __ATOMIC_RELAXED),
        .process_id = header->process_id,
        .process_started = header->process_started,
    };

    if (plugin->on_exit_message != NULL && plugin_is_running(session) &&
        plugin->on_exit_message(session, &message) == SHIM_OK) {
        InterlockedIncrement64(&session->delivered_at_exit);
        return SHIM_OK;
    }
    InterlockedIncrement64(&session->lost_at_exit);
    return SHIM_E_PROCESS_EXITING;
}

int shim__session_post_at_exit(shim_session *session, const void *payload, size_t size)
{
    message_ring *ring;
    ring_claim claim;
    journal_entry entry;

    if (session == NULL || (payload == NULL && size != 0))
        return SHIM_E_INVALID_ARGUMENT;
    if (size > session->queue_settings.message_limit)
        return shim__refuse(session, SHIM_E_TOO_LARGE);
    ring = &session->journals[0].ring;
    /* What was queued before goes first; a walk under way (this post came
     * from on_exit_message) reaches a message journaled now itself. */
    if (InterlockedCompareExchange(&session->exit_delivered, 0, 0) == 0)
        shim__session_deliver_at_exit(session);
    /* Never a wait for room: the threads that would make it are gone. A
     * full journal (callers posting flat out when the exit came) is
     * passed by. */
    if (!ring_claim_record(ring, (uint32_t)size, (uint32_t)GetCurrentThreadId(), &claim))
        return hand_over_unjournaled(session, payload, size);
    if (size != 0)
        memcpy(claim.payload, payload, size);
    ring_publish(ring, &claim, journal_record_length(size));
    if (InterlockedCompareExchange(&session->exit_delivered, 0, 0) == 1)
        return SHIM_OK;
    /* A call the program makes during its exit (another DLL's detach) is
     * handed over even once the backlog's time is spent: there are few,
     * and they are the program's last. */
    journal_read_record(&ring->view, claim.position, claim.position + journal_record_length(size), &entry);
    if (hand_over(session, 0, &entry))
        return SHIM_OK;
    InterlockedIncrement64(not_taken_counter(session));
    return session->journal_kind == SHIM_JOURNAL_FILE ? SHIM_OK : SHIM_E_PROCESS_EXITING;
}
