/* A front's post: the message is written into the session's journal and
 * published, and the post returns. It wakes nobody: the session thread
 * looks for messages several times per delivery latency. Only a post that
 * carries the backlog past a wake span (an eighth of the journal) wakes a
 * callback, so a host that posts faster than the session thread looks
 * does not wait for it, and a host that posts now and then never pays a
 * wake. When the journal is full, the plugin's policy applies
 * (shim_queue_settings): wait for room within a bound, or drop; either
 * way a dropped message is counted, and the session thread reports it. */

#include "twinshim/current_thread.h"

#include "session.h"

/* Reads each page of the payload before anything is claimed: a bad
 * pointer faults here, where the host may catch it, and not between claim
 * and publish, where the unpublished record would hold back every later
 * one. */
static void probe_payload(const void *payload, size_t size)
{
    const volatile unsigned char *bytes = payload;

    if (size == 0)
        return;
    for (size_t offset = 0; offset < size; offset += 4096)
        (void)bytes[offset];
    (void)bytes[size - 1];
}

/* Copies the payload with moves of 16, 8, 4 or 1 bytes, the last move of
 * each size overlapping the one before, as memcpy would. Not memcpy: a call
 * into the C runtime touches its import thunk, import table and code,
 * three more pages that a call made now and then finds cold (and rep movsb
 * doubled the p50 of a post back to back). The empty asm keeps the
 * compiler from turning the loop back into that call. */
static void copy_payload(unsigned char *to, const unsigned char *from, size_t size)
{
    if (size >= 16) {
        size_t at = 0;

        for (; at + 16 < size; at += 16) {
            __builtin_memcpy(to + at, from + at, 16);
            __asm__("" : "+r"(at));
        }
        __builtin_memcpy(to + size - 16, from + size - 16, 16);
    } else if (size >= 8) {
        __builtin_memcpy(to, from, 8);
        __builtin_memcpy(to + size - 8, from + size - 8, 8);
    } else if (size >= 4) {
        __builtin_memcpy(to, from, 4);
        __builtin_memcpy(to + size - 4, from + size - 4, 4);
    } else {
        for (size_t at = 0; at < size; at++)
            to[at] = from[at];
    }
}

static int drop(shim_session *session)
{
    InterlockedIncrement64(&session->dropped);
    return SHIM_E_FULL;
}

/* The longest a post waiting for room sleeps before it looks again: the
 * bound on noticing a stop, or a release whose wake it missed. */
#define ROOM_WAIT_SLICE_MS 5u

/* Sleeps until a callback moves the release point from `seen`, or
 * `milliseconds` pass. Checked under room_lock, which the waking callback
 * takes before it wakes: a release made before the sleep is seen here, one
 * made after wakes the sleep. */
static void sleep_until_released(shim_session *session, const message_ring *ring, uint64_t seen,
                                 DWORD milliseconds)
{
    AcquireSRWLockExclusive(&session->room_lock);
    if (__atomic_load_n(&ring->view.header->release, __ATOMIC_ACQUIRE) == seen)
        SleepConditionVariableSRW(&session->room_made, &session->room_lock, milliseconds, 0);
    ReleaseSRWLockExclusive(&session->room_lock);
}

/* Waits for room: callbacks make it by finishing messages. Never under the
 * loader lock (a callback may need it), and not again after a wait ran out
 * until the plugin has made room since. The post sleeps until the callback
 * that moves the release point wakes it: a loop of SwitchToThread and
 * Sleep(1) slept a whole timer tick on Windows (15.6 ms by default,
 * docs/wine-vs-windows.md) while room was made in microseconds. Returns
 * SHIM_OK with *claim filled, or the reason the message is not posted. Kept
 * out of the post's own code (cold): a call made now and then finds each
 * line of it cold. */
__attribute__((cold, noinline)) static int wait_for_room(shim_session *session, message_ring *ring,
                                                         uint32_t size, uint32_t producer, ring_claim *claim)
{
    LONG64 release = (LONG64)__atomic_load_n(&ring->view.header->release, __ATOMIC_ACQUIRE);
    ULONGLONG start;
    int status;

    if (session->queue_settings.when_full == SHIM_FULL_DROP || shim__holds_loader_lock())
        return drop(session);
    if (shim__read_flag(&session->full_wait_gave_up)) {
        if (shim__read_flag64(&session->gave_up_at_release) == release)
            return drop(session);
        InterlockedExchange(&session->full_wait_gave_up, 0);
    }
    start = GetTickCount64();
    /* Counted, then a seq_cst fence, before any look at the release point;
     * a callback stores the release point, then a seq_cst fence, before it
     * reads the count (shim__wake_room_waiters): one of the two sees the
     * other's write, so a release either lets this claim through or wakes
     * this wait. */
    InterlockedIncrement(&session->room_waiters);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (;;) {
        uint64_t seen = __atomic_load_n(&ring->view.header->release, __ATOMIC_ACQUIRE);
        ULONGLONG waited;

        shim__wake_consumer(session);
        if (ring_claim_record(ring, size, producer, claim)) {
            status = SHIM_OK;
            break;
        }
        if (shim__read_flag(&session->stop_requested)) {
            status = shim__refuse(session, SHIM_E_STOPPING);
            break;
        }
        waited = GetTickCount64() - start;
        if (waited >= session->queue_settings.full_wait_ms) {
            InterlockedExchange64(&session->gave_up_at_release,
                                  (LONG64)__atomic_load_n(&ring->view.header->release, __ATOMIC_ACQUIRE));
            InterlockedExchange(&session->full_wait_gave_up, 1);
            status = drop(session);
            break;
        }
        sleep_until_released(session, ring, seen,
                             session->queue_settings.full_wait_ms - waited < ROOM_WAIT_SLICE_MS
                                 ? (DWORD)(session->queue_settings.full_wait_ms - waited)
                                 : ROOM_WAIT_SLICE_MS);
    }
    InterlockedDecrement(&session->room_waiters);
    return status;
}

void shim__wake_room_waiters(shim_session *session)
{
    /* Orders the caller's store of the release point before the count's
     * read (see wait_for_room). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (shim__read_flag(&session->room_waiters) == 0)
        return;
    AcquireSRWLockExclusive(&session->room_lock);
    ReleaseSRWLockExclusive(&session->room_lock);
    WakeAllConditionVariable(&session->room_made);
}

/* Wakes a callback when none is scheduled: after the backlog crossed a wake
 * span, or while a poster waits for room. The fence orders the publish
 * before the read of `scheduled`, as a callback that leaves orders its
 * decrement before its last look at the journal (message_delivery.c); if
 * both missed each other, the session thread's next look finds it. */
void shim__wake_consumer(shim_session *session)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (shim__read_flag(&session->scheduled) == 0 && shim__read_flag(&session->started))
        shim__add_consumer(session);
}

int shim__session_post(shim_session *session, const void *payload, size_t size)
{
    message_ring *ring;
    ring_claim claim;
    uint32_t producer;
    int status;

    if (session == NULL || (payload == NULL && size != 0))
        return SHIM_E_INVALID_ARGUMENT;
    if (size > session->queue_settings.message_limit)
        return shim__refuse(session, SHIM_E_TOO_LARGE);
    if (shim__read_flag(&session->stop_requested))
        return shim__refuse(session, SHIM_E_STOPPING);
    if (shim__read_flag(&session->started) && shim__read_flag(&session->start_status) != SHIM_OK)
        return shim__refuse(session, SHIM_E_START_FAILED);
    ring = &session->journals[0].ring;
    producer = (uint32_t)shim_current_thread_id();
    probe_payload(payload, size);
    if (!ring_claim_record(ring, (uint32_t)size, producer, &claim) &&
        (status = wait_for_room(session, ring, (uint32_t)size, producer, &claim)) != SHIM_OK)
        return status;
    copy_payload(claim.payload, payload, size);
    ring_publish(ring, &claim, journal_record_length(size));
    if (session->queue_settings.flush == SHIM_FLUSH_EVERY_POST)
        shim__journal_flush(&session->journals[0].storage, claim.record, (size_t)journal_record_length(size));
    /* Past a multiple of the wake span: the backlog may be growing faster
     * than the session thread looks. */
    if ((claim.position ^ (claim.position + journal_record_length(size))) >= session->wake_span)
        shim__wake_consumer(session);
    return SHIM_OK;
}
