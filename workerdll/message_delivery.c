/* Delivering the journals' messages to the plugin: a callback takes a
 * batch in order under the delivery lock, runs each message where it lies
 * in the journal, marks it finished (or deferred), then moves the release
 * point so that its space can be reused. What each record's state says
 * is what process exit and the next session's recovery go by. */
#include "session.h"

/* Thread-local: the message whose on_message runs on this thread, so that
 * shim_message_defer can tell it is called for that message. */
static DWORD delivery_slot = TLS_OUT_OF_INDEXES;

typedef struct delivery_frame {
    shim_message message;
    shim_session *session;
    journal_record *record;
    shim_message_ticket ticket;
    int deferred;
} delivery_frame;

void shim__delivery_attach(void)
{
    delivery_slot = TlsAlloc();
}

void shim__delivery_detach(void)
{
    if (delivery_slot != TLS_OUT_OF_INDEXES)
        TlsFree(delivery_slot);
    delivery_slot = TLS_OUT_OF_INDEXES;
}

/* A ticket: the journal's index in the top byte, the record's position in
 * 64-byte units below (positions are multiples of 64). */
#define TICKET_JOURNAL_SHIFT 56

/* What a callback writes ahead of the posts after a batch, at most. */
#define CALLBACK_WRITE_AHEAD_MAX (1024u * 1024u)

shim_message_ticket shim__ticket_of(unsigned journal_index, uint64_t position)
{
    return (shim_message_ticket)journal_index << TICKET_JOURNAL_SHIFT | position / JOURNAL_RECORD_ALIGNMENT;
}

static unsigned journal_of_ticket(shim_message_ticket ticket)
{
    return (unsigned)(ticket >> TICKET_JOURNAL_SHIFT);
}

static uint64_t position_of_ticket(shim_message_ticket ticket)
{
    return (ticket & ((1ull << TICKET_JOURNAL_SHIFT) - 1)) * JOURNAL_RECORD_ALIGNMENT;
}

BOOL shim__written_by_dead_process(const session_journal *journal, uint64_t position)
{
    return journal->recovered || position < journal->adopted_end;
}

void shim__message_of(const session_journal *journal, const journal_entry *entry, shim_message *message)
{
    uint32_t process_id;

    message->payload = entry->payload;
    message->size = entry->size;
    message->sequence = __atomic_load_n(&entry->record->sequence, __ATOMIC_RELAXED);
    message->flags = 0;
    if (entry->state & JOURNAL_STATE_REPEAT)
        message->flags |= SHIM_MESSAGE_POSSIBLE_REPEAT;
    if (shim__written_by_dead_process(journal, entry->position))
        message->flags |= SHIM_MESSAGE_RECOVERED;
    journal_writer_of(&journal->ring.view, entry->position, &process_id, &message->process_started);
    message->process_id = process_id;
}

/* How many more messages may be taken now: the deferred limit counts the
 * messages deferred and those taken whose on_message has not returned yet
 * (each may defer), so that callbacks running side by side cannot pass it. */
static LONG room_below_deferred_limit(const shim_session *session)
{
    return shim__read_flag(&session->deferred_limit) - shim__read_flag(&session->deferred_now) -
           shim__read_flag(&session->undecided);
}

BOOL shim__delivery_paused(const shim_session *session)
{
    return room_below_deferred_limit(session) <= 0;
}

/* Whether a callback has something to take or skip in this journal. A
 * recovered one is judged without reading its mapping: a callback looks
 * without the delivery lock, and the session thread may unmap a drained
 * journal between the flags and the read. Anything left in it is work: a
 * callback takes it, or skips what the dead process never published. */
static BOOL journal_has_work(const session_journal *journal)
{
    if (shim__read_flag(&journal->drained) || shim__read_flag(&journal->closed))
        return FALSE;
    if (journal->recovered)
        return __atomic_load_n(&journal->ring.head, __ATOMIC_ACQUIRE) < journal->recovered_tail;
    return __atomic_load_n(&journal->ring.head, __ATOMIC_ACQUIRE) < journal->adopted_end ||
           ring_head_is_takeable(&journal->ring);
}

/* Whether a callback would find a message to take now: not while on_start
 * has not returned or failed (messages then wait in the journal), nor while
 * deferred messages hold delivery back. */
BOOL shim__messages_deliverable(shim_session *session)
{
    LONG count = shim__read_flag(&session->journal_count);

    if (!shim__read_flag(&session->started) || shim__read_flag(&session->start_status) != SHIM_OK ||
        shim__delivery_paused(session))
        return FALSE;
    for (LONG i = 0; i < count; i++) {
        if (journal_has_work(&session->journals[i]))
            return TRUE;
    }
    return FALSE;
}

/* Under the delivery lock: what finishing made reusable is released; a
 * recovered journal with nothing left, and no batch of it still being run
 * (whose callback will come back to release it), is handed to the session
 * thread to close. Returns whether the session's own journal has new room:
 * the caller then wakes the posts waiting for it, once the lock is let go. */
static BOOL release_finished(session_journal *journal)
{
    uint64_t before = __atomic_load_n(&journal->ring.view.header->release, __ATOMIC_RELAXED);
    uint64_t release = ring_release_finished(&journal->ring);

    if (journal->recovered && journal->batches_running == 0 &&
        release == __atomic_load_n(&journal->ring.view.header->tail, __ATOMIC_ACQUIRE))
        InterlockedExchange(&journal->drained, 1);
    return !journal->recovered && release != before;
}

static BOOL release_is_due(const shim_session *session, const session_journal *journal)
{
    const message_ring *ring = &journal->ring;
    uint64_t release = __atomic_load_n(&ring->view.header->release, __ATOMIC_ACQUIRE);
    uint64_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);

    return head - release >= session->wake_span ||
           head == __atomic_load_n(&ring->view.header->tail, __ATOMIC_ACQUIRE);
}

/* Under the delivery lock: a batch from the first journal that has one,
 * dead processes' journals first. Skips what a dead process claimed and
 * never published. Returns the journal's index, or -1. */
static int take_messages(shim_session *session, unsigned limit, uint64_t *first, uint64_t *end,
                         unsigned *count_taken)
{
    LONG count = shim__read_flag(&session->journal_count);

    for (LONG pass = 0; pass < count; pass++) {
        LONG index = pass + 1 < count ? pass + 1 : 0; /* recovered ones, then the own */
        session_journal *journal = &session->journals[index];

        if (shim__read_flag(&journal->closed) || shim__read_flag(&journal->drained))
            continue;
        /* With another callback running, about half of what waits: it
         * takes the rest instead of waiting behind slow messages
         * (shim_session_set_message_batch). */
        if (limit > 1 && shim__read_flag(&session->scheduled) > 1) {
            unsigned waiting = ring_takeable(&journal->ring, limit);

            if (waiting > 1)
                limit = (waiting + 1) / 2;
        }
        for (;;) {
            uint64_t torn = journal->ring.torn;
            unsigned taken = ring_take(&journal->ring, limit, first, end);

            InterlockedExchangeAdd64(&session->skipped, (LONG64)(journal->ring.torn - torn));
            if (taken > 0) {
                if (journal->recovered)
                    journal->batches_running++;
                *count_taken = taken;
                return (int)index;
            }
            /* A dead process's claim will never be published. */
            if (!shim__written_by_dead_process(journal, journal->ring.head) ||
                ring_skip_unpublished(&journal->ring) == 0)
                break;
            InterlockedIncrement64(&session->skipped);
        }
        /* A recovered journal whose last records were finished or
         * skipped: nothing is left in it. */
        if (journal->recovered)
            release_finished(journal);
    }
    return -1;
}

/* Runs one message of a batch on this thread. The frame is the batch's,
 * set in the thread's slot for the whole batch (shim_message_defer). */
static void deliver(shim_session *session, consumer_slot *slot, delivery_frame *frame, unsigned index,
                    const journal_entry *entry)
{
    frame->record = entry->record;
    frame->ticket = shim__ticket_of(index, entry->position);
    frame->deferred = 0;
    shim__message_of(&session->journals[index], entry, &frame->message);
    if (slot != NULL)
        __atomic_store_n(&slot->delivering, (LONG64)frame->ticket + 1, __ATOMIC_RELEASE);
    session->plugin->on_message(session, &frame->message);
    /* A deferred one was marked so by shim_message_defer, and may be
     * finished already, on another thread. */
    if (!frame->deferred)
        ring_mark_owned(entry->record, JOURNAL_STATE_FINISHED);
    if (slot != NULL)
        __atomic_store_n(&slot->delivering, 0, __ATOMIC_RELEASE);
}

static void cancel(shim_session *session, unsigned index, const journal_entry *entry)
{
    session_journal *journal = &session->journals[index];
    shim_message message;

    shim__message_of(journal, entry, &message);
    if (session->plugin->on_message_cancelled != NULL)
        session->plugin->on_message_cancelled(session, &message);
    ring_mark_owned(entry->record, JOURNAL_STATE_FINISHED);
}

BOOL shim__run_message_batch(shim_session *session, consumer_slot *slot, BOOL cancelling)
{
    uint64_t first;
    uint64_t end;
    uint64_t position;
    journal_entry entry;
    session_journal *journal;
    delivery_frame frame = { .session = session };
    unsigned limit =
        cancelling ? SHIM_MESSAGE_BATCH_LIMIT : (unsigned)shim__read_flag(&session->message_batch);
    unsigned taken = 0;
    LONG64 delivered = 0;
    LONG64 recovered = 0;
    LONG64 cancelled = 0;
    LONG room;
    int index = -1;

    /* Until on_start has returned, and for good if it failed, messages wait
     * in the journal (the next session delivers them). */
    if (!cancelling &&
        (!shim__read_flag(&session->started) || shim__read_flag(&session->start_status) != SHIM_OK))
        return FALSE;
    AcquireSRWLockExclusive(&session->delivery_lock);
    room = cancelling ? (LONG)limit : room_below_deferred_limit(session);
    if (room > 0) {
        index = take_messages(session, (unsigned)room < limit ? (unsigned)room : limit, &first, &end, &taken);
        if (index >= 0 && !cancelling)
            InterlockedExchangeAdd(&session->undecided, (LONG)taken);
    }
    ReleaseSRWLockExclusive(&session->delivery_lock);
    if (index < 0)
        return FALSE;
    journal = &session->journals[index];

    TlsSetValue(delivery_slot, &frame);
    position = first;
    while (ring_next_taken(&journal->ring, &position, end, &entry)) {
        /* Checked per message: under the cancel policy nothing queued runs
         * once the stop is requested, not even in a batch already taken. */
        if (cancelling || shim__dropping_queued_items(session)) {
            cancel(session, (unsigned)index, &entry);
            cancelled++;
        } else {
            deliver(session, slot, &frame, (unsigned)index, &entry);
            delivered++;
            recovered += shim__written_by_dead_process(journal, entry.position);
        }
        /* A stopping session drains behind the host: the thread that freed
         * the front, and the wineserver that unmaps it, may wait for the
         * CPU this drain holds. */
        if (shim__read_flag(&session->stop_requested))
            SwitchToThread();
    }
    TlsSetValue(delivery_slot, NULL);
    /* Counted once per batch, not per message: callbacks running side by
     * side would otherwise pass these lines between their CPUs on every
     * message. Until the batch ends its messages still count as
     * undecided, which only holds delivery back a little longer. */
    if (delivered != 0)
        InterlockedExchangeAdd64(&session->completed, delivered);
    if (cancelled != 0)
        InterlockedExchangeAdd64(&session->cancelled, cancelled);
    if (recovered != 0)
        InterlockedExchangeAdd64(&session->recovered, recovered);
    if (!cancelling)
        InterlockedExchangeAdd(&session->undecided, -(LONG)taken);
    /* The pages the next posts will write, written first here, a wake
     * span ahead (at most 1 MiB: a few hundred pages at a time): a page
     * written to disk since faults on its next write, and that fault is
     * this callback's, not a host's (message_ring.h). */
    if (index == 0 && session->journal_kind == SHIM_JOURNAL_FILE)
        ring_write_ahead(&journal->ring,
                         session->wake_span < CALLBACK_WRITE_AHEAD_MAX ? session->wake_span
                                                                       : CALLBACK_WRITE_AHEAD_MAX,
                         0);
    /* The release point moves under the lock, so not after every batch of
     * the own journal: only once the finished records behind it are a wake
     * span's worth, or the callbacks have caught up. A lap of the ring
     * then costs a few locks, not one per message; the records' own marks
     * say what is finished meanwhile (exit and recovery go by them). */
    if (journal->recovered || release_is_due(session, journal)) {
        BOOL made_room;

        AcquireSRWLockExclusive(&session->delivery_lock);
        if (journal->recovered)
            journal->batches_running--;
        made_room = release_finished(journal);
        ReleaseSRWLockExclusive(&session->delivery_lock);
        if (made_room)
            shim__wake_room_waiters(session);
    }
    return TRUE;
}

void shim__cancel_queued_messages(shim_session *session)
{
    while (shim__run_message_batch(session, NULL, TRUE)) {
    }
}

int shim_message_defer(shim_session *session, const shim_message *message, shim_message_ticket *ticket)
{
    delivery_frame *frame = delivery_slot != TLS_OUT_OF_INDEXES ? TlsGetValue(delivery_slot) : NULL;

    if (ticket != NULL)
        *ticket = 0;
    if (session == NULL || message == NULL || ticket == NULL || frame == NULL || &frame->message != message ||
        frame->session != session)
        return SHIM_E_INVALID_ARGUMENT;
    if (!frame->deferred) {
        frame->deferred = 1;
        InterlockedIncrement(&session->deferred_now);
        /* Marked now, not when on_message returns: an acknowledgement may
         * finish it on another thread before that. */
        ring_mark(frame->record, JOURNAL_STATE_DEFERRED);
    }
    *ticket = frame->ticket;
    return SHIM_OK;
}

int shim_message_finish(shim_session *session, shim_message_ticket ticket)
{
    unsigned index = journal_of_ticket(ticket);
    session_journal *journal;
    journal_record *record;
    int status = SHIM_E_INVALID_ARGUMENT;
    BOOL made_room = FALSE;
    LONG deferred;

    if (session == NULL || index >= (unsigned)shim__read_flag(&session->journal_count))
        return SHIM_E_INVALID_ARGUMENT;
    journal = &session->journals[index];
    AcquireSRWLockExclusive(&session->delivery_lock);
    record = shim__read_flag(&journal->closed)
                 ? NULL
                 : ring_record_for_ticket(&journal->ring, position_of_ticket(ticket));
    if (record != NULL) {
        uint32_t state = __atomic_load_n(&record->state, __ATOMIC_ACQUIRE);

        if ((state & JOURNAL_STATE_DEFERRED) && !(state & JOURNAL_STATE_FINISHED)) {
            ring_mark(record, JOURNAL_STATE_FINISHED);
            made_room = release_finished(journal);
            status = SHIM_OK;
        }
    }
    ReleaseSRWLockExclusive(&session->delivery_lock);
    if (status != SHIM_OK)
        return status;
    if (made_room)
        shim__wake_room_waiters(session);
    deferred = InterlockedDecrement(&session->deferred_now);
    /* Delivery held back by the limit can go on. */
    if (deferred + 1 >= shim__read_flag(&session->deferred_limit))
        shim__wake_consumer(session);
    return SHIM_OK;
}
