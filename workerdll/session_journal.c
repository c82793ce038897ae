/* A session's journals over its life: its own, made at attach (a dead
 * journal of the front adopted, a new file, or memory when the plugin opts
 * out or the file cannot be made); the session thread's regular look for
 * messages, which replaces a wake per post; and the close at the end of
 * the stop, which removes a journal only once nothing in it is unfinished. */
#include "../common/report.h"
#include "../common/thread_state.h"
#include "session.h"

/* A claim left unpublished this long is looked into (its producer may be
 * gone); one whose producer cannot be named is skipped after the longer. */
#define STUCK_CLAIM_MS 1000u
#define NAMELESS_CLAIM_MS 10000u
/* Reports of dropped messages, at most one per this many milliseconds. */
#define DROP_REPORT_INTERVAL_MS 1000u

static BOOL in_range(unsigned value, unsigned low, unsigned high)
{
    return value >= low && value <= high;
}

int shim__resolve_queue_settings(const shim_queue_settings *wanted, shim_queue_settings *settings)
{
    *settings = *wanted;
    if (settings->capacity_kib == 0)
        settings->capacity_kib = SHIM_DEFAULT_JOURNAL_CAPACITY_KIB;
    if (settings->full_wait_ms == 0)
        settings->full_wait_ms = SHIM_DEFAULT_FULL_WAIT_MS;
    if (settings->message_limit == 0)
        settings->message_limit = settings->capacity_kib * 1024u / 4u < SHIM_DEFAULT_MESSAGE_LIMIT
                                      ? settings->capacity_kib * 1024u / 4u
                                      : SHIM_DEFAULT_MESSAGE_LIMIT;
    if ((settings->journal != SHIM_JOURNAL_FILE && settings->journal != SHIM_JOURNAL_MEMORY) ||
        !in_range(settings->capacity_kib, SHIM_MIN_JOURNAL_CAPACITY_KIB, SHIM_MAX_JOURNAL_CAPACITY_KIB) ||
        settings->capacity_kib % 4 != 0 || settings->message_limit > settings->capacity_kib * 1024u / 4u ||
        (settings->when_full != SHIM_FULL_WAIT && settings->when_full != SHIM_FULL_DROP) ||
        settings->full_wait_ms > SHIM_MAX_FULL_WAIT_MS ||
        (settings->flush != SHIM_FLUSH_NEVER && settings->flush != SHIM_FLUSH_EVERY_POST))
        return SHIM_E_INVALID_ARGUMENT;
    return SHIM_OK;
}

/* The largest power of two at most an eighth of the ring. */
static unsigned long long wake_span_for(uint64_t ring_size)
{
    unsigned long long span = 4096;

    while (span * 2 <= ring_size / 8)
        span *= 2;
    return span;
}

/* Every message the journal has held: those numbered (taken, or handed
 * over at an exit), and those not yet, counted by a walk (counters are not
 * a hot path). */
static long long messages_in(const message_ring *ring)
{
    long long count = (long long)__atomic_load_n(&ring->view.header->next_sequence, __ATOMIC_ACQUIRE) - 1;
    uint64_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
    uint64_t tail = __atomic_load_n(&ring->view.header->tail, __ATOMIC_ACQUIRE);

    for (uint64_t position = head; position < tail;) {
        journal_entry entry;

        journal_read_record(&ring->view, position, tail, &entry);
        if (entry.kind == RECORD_MESSAGE && __atomic_load_n(&entry.record->sequence, __ATOMIC_RELAXED) == 0)
            count++;
        position += entry.length;
    }
    return count;
}

int shim__open_own_journal(shim_session *session, const shim_session_options *options)
{
    static volatile LONG journals_made; /* per process: each session's file has its own name */
    session_journal *own = &session->journals[0];
    uint64_t ring_size = (uint64_t)session->queue_settings.capacity_kib * 1024u;
    const wchar_t *front_path = options->front_path != NULL ? options->front_path : L"unknown front";
    int status = shim__journal_identity(front_path, options->journal_folder, &session->identity);
    journal_view view;

    session->journal_kind = SHIM_JOURNAL_MEMORY;
    if (session->queue_settings.journal == SHIM_JOURNAL_FILE) {
        unsigned number = (unsigned)InterlockedIncrement(&journals_made);
        uint32_t message_limit = session->queue_settings.message_limit;

        if (status == SHIM_OK && !shim__journal_adopt(&session->identity, number, ring_size, message_limit,
                                                      &own->storage, &view, &own->adopted_end))
            status = shim__journal_create(&session->identity, number, ring_size, message_limit, &own->storage,
                                          &view);
        if (status == SHIM_OK) {
            session->journal_kind = SHIM_JOURNAL_FILE;
        } else {
            /* Said on the session thread, where a report may wait. */
            session->journal_failure = status;
            session->journal_failure_error = GetLastError();
        }
    }
    if (session->journal_kind == SHIM_JOURNAL_MEMORY &&
        (status = shim__journal_create_in_memory(&session->identity, ring_size,
                                                 session->queue_settings.message_limit, &own->storage,
                                                 &view)) != SHIM_OK)
        return status;
    message_ring_open(&own->ring, &view);
    own->messages_at_open = messages_in(&own->ring);
    session->wake_span = wake_span_for(ring_size);
    InterlockedExchange(&session->journal_count, 1);
    return SHIM_OK;
}

/* On the session thread: a report that may wait. */
static void send_report(shim_report *report)
{
    shim__report_ascii(report, "\n");
    shim__report_send(report, SHIM_REPORT_MAY_WAIT, SHIM_REPORT_NOTICE);
}

void shim__report_journal_start(shim_session *session)
{
    shim_report report = { .length = 0 };

    if (session->journal_failure == SHIM_OK)
        return;
    shim__report_ascii(&report, "twinshim worker: the journal could not be made in ");
    shim__report_wide(&report, session->identity.folder);
    shim__report_ascii(&report, " (");
    shim__report_ascii(&report, shim_status_text(session->journal_failure));
    shim__report_ascii(&report, ", Windows error ");
    shim__report_number(&report, session->journal_failure_error);
    shim__report_ascii(&report, "): messages wait in memory, bounded, and are lost if the process dies");
    send_report(&report);
}

static void report_drops(shim_session *session)
{
    static volatile LONG64 last_report_ms;
    LONG64 dropped = shim__read_flag64(&session->dropped);
    LONG64 reported = shim__read_flag64(&session->dropped_reported);
    LONG64 now = (LONG64)GetTickCount64();
    shim_report report = { .length = 0 };

    if (dropped == reported || now - shim__read_flag64(&last_report_ms) < (LONG64)DROP_REPORT_INTERVAL_MS)
        return;
    InterlockedExchange64(&last_report_ms, now);
    InterlockedExchange64(&session->dropped_reported, dropped);
    shim__report_ascii(&report, "twinshim worker: the journal was full: ");
    shim__report_number(&report, (unsigned long long)(dropped - reported));
    shim__report_ascii(&report, " messages dropped (");
    shim__report_number(&report, (unsigned long long)dropped);
    shim__report_ascii(&report, " in all); the plugin does not keep up with the host");
    send_report(&report);
}

/* A claim that stays unpublished holds back every later message. Its
 * producer was ended between claim and publish (TerminateThread), or is
 * stopped there (a debugger). Skipped once its producer has ended, or when
 * it cannot be named, after a long while; a live producer is waited for. */
static void skip_stuck_claim(shim_session *session, session_watch *watch)
{
    message_ring *ring = &session->journals[0].ring;
    uint64_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
    uint64_t tail = __atomic_load_n(&ring->view.header->tail, __ATOMIC_ACQUIRE);
    ULONGLONG now = GetTickCount64();
    journal_entry entry;

    if (head >= tail) {
        watch->stuck_position = UINT64_MAX;
        return;
    }
    journal_read_record(&ring->view, head, tail, &entry);
    if (entry.kind != RECORD_UNPUBLISHED && entry.kind != RECORD_HOLE) {
        watch->stuck_position = UINT64_MAX;
        return;
    }
    if (watch->stuck_position != head) {
        watch->stuck_position = head;
        watch->stuck_since = now;
        return;
    }
    if (now - watch->stuck_since < STUCK_CLAIM_MS)
        return;
    if (entry.kind == RECORD_UNPUBLISHED && entry.record->producer != 0
            ? !shim__thread_has_ended(entry.record->producer)
            : now - watch->stuck_since < NAMELESS_CLAIM_MS)
        return;
    AcquireSRWLockExclusive(&session->delivery_lock);
    if (__atomic_load_n(&ring->head, __ATOMIC_ACQUIRE) == head && ring_skip_unpublished(ring) != 0)
        InterlockedIncrement64(&session->skipped);
    ReleaseSRWLockExclusive(&session->delivery_lock);
    watch->stuck_position = UINT64_MAX;
}

/* Closes the recovered journals whose every record is finished. */
static void close_drained_journals(shim_session *session)
{
    LONG count = shim__read_flag(&session->journal_count);

    for (LONG i = 1; i < count; i++) {
        session_journal *journal = &session->journals[i];

        if (shim__read_flag(&journal->closed) || !shim__read_flag(&journal->drained))
            continue;
        AcquireSRWLockExclusive(&session->delivery_lock);
        InterlockedExchange(&journal->closed, 1);
        ReleaseSRWLockExclusive(&session->delivery_lock);
        shim__journal_close(&journal->storage, TRUE);
    }
}

/* How far the callbacks have taken messages, all journals together. */
static uint64_t taken_so_far(const shim_session *session)
{
    LONG count = shim__read_flag(&session->journal_count);
    uint64_t taken = 0;

    for (LONG i = 0; i < count; i++)
        taken += __atomic_load_n(&session->journals[i].ring.head, __ATOMIC_ACQUIRE);
    return taken;
}

/* Bytes claimed beyond the callbacks' take, all open journals together.
 * On the session thread, which alone closes journals. */
static uint64_t waiting_bytes(const shim_session *session)
{
    LONG count = shim__read_flag(&session->journal_count);
    uint64_t waiting = 0;

    for (LONG i = 0; i < count; i++) {
        const message_ring *ring = &session->journals[i].ring;

        if (!shim__read_flag(&session->journals[i].closed))
            waiting += __atomic_load_n(&ring->view.header->tail, __ATOMIC_ACQUIRE) -
                       __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
    }
    return waiting;
}

/* What the session thread's look writes ahead of the posts (message_ring.h).
 * While posts come (the tail moved since the last look): the next 64 KiB
 * each look, so that a host calling now and then finds the pages of its
 * next few hundred records writable, and the next 4 MiB (the default
 * journal) once a second. While none come, only the 4 MiB, once every 10 s:
 * a write-back comes about every 30 s, so a burst after a quiet spell still
 * finds its pages writable most of the time. A host calling flat out meets
 * a page every 4 KiB, faster than a callback can write ahead of it when a
 * fault costs more than ten microseconds, as in some guests. Each page
 * written costs the session thread a few microseconds in such a guest:
 * every look, it would cost an idle session a third of a percent of a core. */
#define LOOK_WRITE_AHEAD_BYTES (64u * 1024u)
#define LONG_WRITE_AHEAD_BYTES (4u * 1024u * 1024u)
#define LONG_WRITE_AHEAD_MS_WHILE_POSTED 1000u
#define LONG_WRITE_AHEAD_MS_WHILE_IDLE 10000u

static void write_ahead_of_posts(shim_session *session, session_watch *watch)
{
    ULONGLONG now = GetTickCount64();
    message_ring *ring = &session->journals[0].ring;
    uint64_t tail;
    BOOL posted;

    if (session->journal_kind != SHIM_JOURNAL_FILE || shim__read_flag(&session->journals[0].closed))
        return;
    tail = __atomic_load_n(&ring->view.header->tail, __ATOMIC_RELAXED);
    posted = tail != watch->tail_at_last_look;
    watch->tail_at_last_look = tail;
    if (now - watch->wrote_ahead_at >=
        (posted ? LONG_WRITE_AHEAD_MS_WHILE_POSTED : LONG_WRITE_AHEAD_MS_WHILE_IDLE)) {
        watch->wrote_ahead_at = now;
        ring_write_ahead(ring, LONG_WRITE_AHEAD_BYTES, 1);
    } else if (posted) {
        ring_write_ahead(ring, LOOK_WRITE_AHEAD_BYTES, 1);
    }
}

BOOL shim__look_at_journals(shim_session *session, session_watch *watch)
{
    uint64_t taken = taken_so_far(session);
    uint64_t taken_since = taken - watch->taken_at_last_look;
    BOOL found = shim__messages_deliverable(session);

    /* Messages wait: a callback if none runs. Another one (up to the
     * maximum) only if those that run took nothing since the last look
     * (they are inside long messages), or less than what waits now (they
     * fall behind). Not for every batch: for a quick on_message a second
     * callback drains no faster than one and costs a thread wake and the
     * lines both pass between their CPUs (docs/benchmarks.md). */
    if (found) {
        if (shim__read_flag(&session->scheduled) == 0 || taken_since == 0 ||
            waiting_bytes(session) > taken_since)
            shim__add_consumer(session);
    }
    found = found || taken != watch->taken_at_last_look;
    watch->taken_at_last_look = taken;
    skip_stuck_claim(session, watch);
    write_ahead_of_posts(session, watch);
    close_drained_journals(session);
    report_drops(session);
    return found;
}

long long shim__unfinished_messages(const session_journal *journal)
{
    uint64_t release;
    uint64_t tail;
    long long count = 0;

    journal_bounds(&journal->ring.view, &release, &tail);
    for (uint64_t position = release; position < tail;) {
        journal_entry entry;

        journal_read_record(&journal->ring.view, position, tail, &entry);
        if (entry.kind == RECORD_MESSAGE && !(entry.state & (JOURNAL_STATE_FINISHED | JOURNAL_STATE_DROPPED)))
            count++;
        position += entry.length;
    }
    return count;
}

BOOL shim__session_has_unfinished_messages(shim_session *session)
{
    LONG count = shim__read_flag(&session->journal_count);

    for (LONG i = 0; i < count; i++) {
        const session_journal *journal = &session->journals[i];

        if (!shim__read_flag(&journal->closed) && shim__unfinished_messages(journal) > 0)
            return TRUE;
    }
    return FALSE;
}

void shim__close_journals(shim_session *session)
{
    LONG count = shim__read_flag(&session->journal_count);
    long long kept = 0;

    for (LONG i = 0; i < count; i++) {
        session_journal *journal = &session->journals[i];
        long long unfinished;

        if (shim__read_flag(&journal->closed))
            continue;
        if (i == 0)
            InterlockedExchange64(&session->posted_at_close, shim__messages_posted(session));
        /* Under the lock: a shim_message_finish still looks under it. */
        AcquireSRWLockExclusive(&session->delivery_lock);
        InterlockedExchange(&journal->closed, 1);
        ReleaseSRWLockExclusive(&session->delivery_lock);
        unfinished = shim__unfinished_messages(journal);
        kept += unfinished;
        /* A journal that still holds a message is left for the next
         * session: it is dead once closed. */
        shim__journal_close(&journal->storage, unfinished == 0);
    }
    InterlockedExchange64(&session->kept_in_journal, kept);
    if (kept > 0) {
        shim_report report = { .length = 0 };

        shim__report_ascii(&report, "twinshim worker: the session stopped with ");
        shim__report_number(&report, (unsigned long long)kept);
        shim__report_ascii(&report,
                           session->journal_kind == SHIM_JOURNAL_FILE
                               ? " messages unfinished; they stay in the journal for the next session"
                               : " messages unfinished in its memory journal; they are lost");
        send_report(&report);
    }
}

long long shim__messages_posted(shim_session *session)
{
    const session_journal *own = &session->journals[0];
    /* At process exit (the trace hook, another DLL's detach) a thread the
     * exit ended may hold the lock for ever: read without it then, and the
     * count may be off by what moved meanwhile. */
    BOOL locked = !shim__process_is_exiting() && shim__read_flag(&session->exit_delivered) == 0;
    long long count;

    if (session->journal_count == 0)
        return 0;
    if (locked)
        AcquireSRWLockShared(&session->delivery_lock);
    /* After the stop closed it: what it said then. Read under the lock,
     * which the close takes to mark the journal closed before it unmaps
     * it: a walk that saw it open ends before the unmap. */
    if (shim__read_flag(&own->closed))
        count = shim__read_flag64(&session->posted_at_close);
    else
        count = messages_in(&own->ring) - own->messages_at_open;
    if (locked)
        ReleaseSRWLockShared(&session->delivery_lock);
    return count;
}
