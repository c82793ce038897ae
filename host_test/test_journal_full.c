/* A full journal and its declared policy (shim_queue_settings.when_full):
 * a journal of 64 KiB whose only callback is held at a gate, so that what
 * the host posts fills it and nothing leaves it until the gate opens.
 *   - drop: a post into the full journal is refused with SHIM_E_FULL at once
 *     and counted (counters.dropped, and the report); nothing accepted is
 *     lost; once room is made, posts are taken again;
 *   - wait (bound 60 s): the poster waits until the gate opens, then its
 *     post is taken; nothing is dropped;
 *   - wait with a short bound: the post waits out the bound, then is dropped;
 *     later posts drop at once until the consumer has moved; then a post
 *     into a full journal waits again;
 *   - memory stays bounded: while two host threads post flat out against
 *     the callback, held, released and held again ten times (the ring
 *     fills and drains lap after lap), counters.backlog_bytes never exceeds
 *     the capacity (file and memory journals), the heap does not grow, and
 *     every refusal is counted;
 *   - a poster that holds the loader lock (a DLL's DllMain) never waits,
 *     whatever the bound: it drops at once.
 * Messages are ordered_message (test_job.h): the worker counts each and
 * checks each producer's order. Every behaviour here is deterministic once
 * the journal is full: one run catches its absence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "journal_support.h"
#include "loader_lock_poster.h"
#include "test_support.h"
#include "twinshim/status.h"

#define CAPACITY_KIB 64u
#define CAPACITY_BYTES (CAPACITY_KIB * 1024)
/* An ordered_message without a tail takes 64 journal bytes. */
#define ORDERED_RECORD_BYTES 64

static ordered_log arrivals;

typedef struct held_session {
    test_front front;
    job_counters held;
    HANDLE gate;
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t report_path[TEST_PATH_CAPACITY];
} held_session;

/* Static: the worker writes into the counters of a held job. */
static held_session session_under_test;

/* An environment variable set to `value`, or unset for an empty one. */
static void set_variable(const wchar_t *variable, const wchar_t *value)
{
    assert_win32(SetEnvironmentVariableW(variable, value[0] != L'\0' ? value : NULL));
}

/* A session with a 64 KiB journal and one callback, held at a gate by a job. */
static held_session *start_held(const wchar_t *fixture, const wchar_t *when_full, const wchar_t *full_wait_ms,
                                const wchar_t *journal)
{
    held_session *session = &session_under_test;
    wchar_t journals[TEST_PATH_CAPACITY];
    wchar_t capacity[16];
    test_job job;

    memset((void *)session, 0, sizeof *session);
    memset((void *)&arrivals, 0, sizeof arrivals);
    _snwprintf(capacity, 16, L"%u", CAPACITY_KIB);
    assert_win32(SetEnvironmentVariableW(TEST_WORKER_CAPACITY_VARIABLE, capacity));
    assert_win32(SetEnvironmentVariableW(TEST_WORKER_MAX_THREADS_VARIABLE, L"1"));
    set_variable(TEST_WORKER_WHEN_FULL_VARIABLE, when_full);
    set_variable(TEST_WORKER_FULL_WAIT_VARIABLE, full_wait_ms);
    set_variable(TEST_WORKER_JOURNAL_VARIABLE, journal);
    assert_true(fresh_journal_folder(fixture, journals));
    assert_true(front_and_worker_folder(fixture, session->folder));
    _snwprintf(session->report_path, TEST_PATH_CAPACITY, L"%lsreport.log", session->folder);
    assert_win32(SetEnvironmentVariableW(L"TWINSHIM_REPORT", session->report_path));
    assert_true(load_test_front(session->folder, &session->front));
    assert_int_equal(session->front.status(NULL), SHIM_OK);
    session->gate = new_gate();
    job = job_for(&session->held, session->gate);
    assert_int_equal(session->front.post_job(&job), SHIM_OK);
    assert_true(counter_reaches_within(&session->held.started, 1, TEST_DEADLINE_MS));
    return session;
}

static void release_and_unload(held_session *session)
{
    assert_win32(SetEvent(session->gate));
    unload_test_front(&session->front);
}

static shim_session_counters counters_of(const held_session *session)
{
    shim_session_counters counters;

    assert_int_equal(session->front.get_counters(&counters), SHIM_OK);
    return counters;
}

static int post_ordered(const held_session *session, UINT32 producer, LONG sequence)
{
    ordered_message message = {
        .magic = TEST_ORDERED_MESSAGE_MAGIC, .producer = producer, .sequence = sequence, .log = &arrivals
    };

    return session->front.post_raw(&message, sizeof message);
}

/* Posts until the journal holds `capacity` bytes, without a post that
 * would find it full: the next record does not fit. Returns the last
 * sequence posted. */
static LONG fill_without_waiting(const held_session *session, UINT32 producer, LONG sequence)
{
    while (counters_of(session).backlog_bytes + ORDERED_RECORD_BYTES <= CAPACITY_BYTES) {
        assert_int_equal(post_ordered(session, producer, ++sequence), SHIM_OK);
    }
    assert_int_equal(counters_of(session).backlog_bytes, CAPACITY_BYTES);
    return sequence;
}

static void assert_all_arrived(LONG count)
{
    assert_true(counter_reaches_within(&arrivals.arrived, count, TEST_DEADLINE_MS));
    assert_int_equal(arrivals.out_of_order, 0);
    assert_int_equal(arrivals.damaged, 0);
}

/* DROP: the journal fills (the held job's record, then 64-byte messages up
 * to the byte), the next posts are refused with SHIM_E_FULL and counted;
 * once the gate opens, every accepted message arrives, in order, and
 * posts are taken again. Without the policy a post would wait (or, without
 * the bound, memory would grow); without the count the drops are silent. */
static void drop_refuses_counts_and_loses_nothing_accepted(void **state)
{
    enum {
        REFUSED = 10
    };
    held_session *session;
    shim_session_counters counters;
    LONG sequence = 0;

    (void)state;
    session = start_held(L"full-drop", L"drop", L"", L"");
    sequence = fill_without_waiting(session, 0, sequence);
    for (int i = 0; i < REFUSED; i++)
        assert_int_equal(post_ordered(session, 0, sequence + 1), SHIM_E_FULL);
    counters = counters_of(session);
    assert_int_equal(counters.dropped, REFUSED);
    assert_int_equal(counters.backlog_bytes, CAPACITY_BYTES);
    assert_int_equal(arrivals.arrived, 0);
    assert_reported_within(session->report_path, "twinshim worker: the journal was full: ");

    assert_win32(SetEvent(session->gate));
    assert_all_arrived(sequence);
    assert_int_equal(post_ordered(session, 0, ++sequence), SHIM_OK);
    assert_all_arrived(sequence);
    assert_int_equal(counters_of(session).dropped, REFUSED);
    print_message("%ld messages filled the journal, %d refused and counted, all accepted arrived\n",
                  (long)sequence - 1, REFUSED);
    release_and_unload(session);
}

typedef struct poster {
    const held_session *session;
    LONG count;
    volatile LONG returned;
    volatile LONG refused;
} poster;

static DWORD WINAPI post_all(void *parameter)
{
    poster *self = parameter;

    for (LONG sequence = 1; sequence <= self->count; sequence++) {
        if (post_ordered(self->session, 1, sequence) != SHIM_OK)
            InterlockedIncrement(&self->refused);
        InterlockedIncrement(&self->returned);
    }
    return 0;
}

/* WAIT with a bound of 60 s: a thread posts twice what the journal holds.
 * Once the journal is full its post does not return until the gate opens;
 * then every post is taken and every message arrives; nothing is dropped.
 * Under the drop policy (or a wait that gave up) the poster would have
 * returned all its posts, some refused, before the gate opened. */
static void wait_blocks_the_poster_until_room_is_made(void **state)
{
    static poster writer;
    held_session *session;
    HANDLE thread;
    DWORD start;
    LONG returned_at_open;

    (void)state;
    session = start_held(L"full-wait", L"", L"60000", L"");
    writer = (poster){ .session = session, .count = 2 * CAPACITY_BYTES / ORDERED_RECORD_BYTES };
    thread = CreateThread(NULL, 0, post_all, &writer, 0, NULL);
    assert_non_null(thread);
    for (start = GetTickCount(); counters_of(session).backlog_bytes < CAPACITY_BYTES;) {
        assert_true(GetTickCount() - start < TEST_DEADLINE_MS);
        Sleep(1);
    }
    /* Full: the poster is inside a post that cannot return yet. */
    returned_at_open = InterlockedCompareExchange(&writer.returned, 0, 0);
    assert_in_range(returned_at_open, 1, writer.count - 1);
    assert_int_equal(writer.refused, 0);
    assert_int_equal(counters_of(session).dropped, 0);

    assert_win32(SetEvent(session->gate));
    assert_int_equal(WaitForSingleObject(thread, TEST_DEADLINE_MS), WAIT_OBJECT_0);
    CloseHandle(thread);
    assert_int_equal(writer.returned, writer.count);
    assert_int_equal(writer.refused, 0);
    assert_all_arrived(writer.count);
    assert_int_equal(counters_of(session).dropped, 0);
    print_message("the poster waited with %ld of %ld posts returned; all %ld arrived, none dropped\n",
                  returned_at_open, writer.count, writer.count);
    release_and_unload(session);
}

#define SHORT_BOUND_MS 1000

/* A post into the full journal, timed. */
static int timed_post(const held_session *session, LONG sequence, double *elapsed_ms)
{
    LARGE_INTEGER start;
    int status;

    QueryPerformanceCounter(&start);
    status = post_ordered(session, 0, sequence);
    *elapsed_ms = elapsed_since(start);
    return status;
}

/* WAIT with a bound of 1 s: the post that finds the journal full waits
 * the bound out, then is dropped; the next ones drop at once (eight of them
 * take less than half of one bound together, where waiting would take
 * eight); once the consumer has moved (the gate opens, the journal
 * drains) and the journal is full again behind another held job, a post
 * waits the bound again. Without the give-up rule each post would wait;
 * without its reset, the post after the consumer moved would drop at once. */
static void a_short_wait_drops_then_drops_at_once_until_the_consumer_moves(void **state)
{
    enum {
        AT_ONCE = 8
    };
    static job_counters second_held;
    held_session *session;
    HANDLE second_gate = new_gate();
    test_job second_job = job_for(&second_held, second_gate);
    double waited_ms;
    double at_once_ms = 0;
    double waited_again_ms;
    LONG sequence = 0;

    (void)state;
    memset((void *)&second_held, 0, sizeof second_held);
    session = start_held(L"full-short-wait", L"", L"1000", L"");
    sequence = fill_without_waiting(session, 0, sequence);
    assert_int_equal(timed_post(session, sequence + 1, &waited_ms), SHIM_E_FULL);
    for (int i = 0; i < AT_ONCE; i++) {
        double elapsed_ms;

        assert_int_equal(timed_post(session, sequence + 1, &elapsed_ms), SHIM_E_FULL);
        at_once_ms += elapsed_ms;
    }
    assert_int_equal(counters_of(session).dropped, 1 + AT_ONCE);
    print_message("full: the first post waited %.0f ms, %d more took %.1f ms in all\n", waited_ms, AT_ONCE,
                  at_once_ms);
    assert_true(waited_ms >= SHORT_BOUND_MS - 20); /* GetTickCount64's steps */
    assert_true(at_once_ms < SHORT_BOUND_MS / 2.0);

    /* The consumer moves: everything accepted arrives. Then full again. */
    assert_win32(SetEvent(session->gate));
    assert_all_arrived(sequence);
    assert_int_equal(session->front.post_job(&second_job), SHIM_OK);
    assert_true(counter_reaches_within(&second_held.started, 1, TEST_DEADLINE_MS));
    sequence = fill_without_waiting(session, 0, sequence);
    assert_int_equal(timed_post(session, sequence + 1, &waited_again_ms), SHIM_E_FULL);
    print_message("full again after the consumer moved: the post waited %.0f ms\n", waited_again_ms);
    assert_true(waited_again_ms >= SHORT_BOUND_MS - 20);
    assert_int_equal(counters_of(session).dropped, 2 + AT_ONCE);

    assert_win32(SetEvent(second_gate));
    assert_all_arrived(sequence);
    release_and_unload(session);
}

/* ---- Memory stays bounded ------------------------------------------------- */

#define FLAT_OUT_POSTERS 2
#define FLAT_OUT_CYCLES 10

typedef struct flat_out_poster {
    const held_session *session;
    UINT32 producer;
    volatile LONG *stop;
    volatile LONG accepted;
    volatile LONG refused;
    volatile LONG other;
} flat_out_poster;

typedef struct ordered_with_tail {
    ordered_message message;
    BYTE tail[TEST_ORDERED_TAIL_MAX];
} ordered_with_tail;

/* Flat out until told to stop, messages of mixed sizes (records meet the
 * ring's end, lap after lap); a refused one is posted again with the same
 * sequence, so that the accepted ones stay in order. */
static DWORD WINAPI post_flat_out(void *parameter)
{
    flat_out_poster *self = parameter;
    ordered_with_tail posted = {
        .message = { .magic = TEST_ORDERED_MESSAGE_MAGIC, .producer = self->producer, .log = &arrivals }
    };
    LONG sequence = 1;

    while (!InterlockedCompareExchange(self->stop, 0, 0)) {
        size_t tail = (size_t)(sequence % 4) * (TEST_ORDERED_TAIL_MAX / 4);
        int status;

        posted.message.sequence = sequence;
        for (size_t b = 0; b < tail; b++)
            posted.tail[b] = (BYTE)(sequence + (LONG)b);
        status = self->session->front.post_raw(&posted, sizeof posted.message + tail);
        if (status == SHIM_OK) {
            InterlockedIncrement(&self->accepted);
            sequence++;
        } else if (status == SHIM_E_FULL) {
            InterlockedIncrement(&self->refused);
        } else {
            InterlockedIncrement(&self->other);
        }
    }
    return 0;
}

typedef struct backlog_watch {
    long long most;
    long samples;
} backlog_watch;

static long long sample_backlog(const held_session *session, backlog_watch *watch)
{
    long long backlog = counters_of(session).backlog_bytes;

    if (backlog > watch->most)
        watch->most = backlog;
    watch->samples++;
    return backlog;
}

/* Posts a job held at `gate`, again and again while the journal is full,
 * and waits until the callback holds it; the backlog is sampled all along.
 * Returns how many of its posts were refused. */
static LONG hold_again(const held_session *session, job_counters *held, HANDLE gate, backlog_watch *watch)
{
    test_job job = job_for(held, gate);
    DWORD start = GetTickCount();
    LONG refused = 0;
    int status;

    while ((status = session->front.post_job(&job)) == SHIM_E_FULL) {
        refused++;
        sample_backlog(session, watch);
        assert_true(GetTickCount() - start < TEST_DEADLINE_MS);
    }
    assert_int_equal(status, SHIM_OK);
    while (InterlockedCompareExchange(&held->started, 0, 0) == 0) {
        sample_backlog(session, watch);
        assert_true(GetTickCount() - start < TEST_DEADLINE_MS);
    }
    return refused;
}

/* Two threads post flat out (drop policy, so that they never wait) while
 * the only callback is held, released, and held again by a new job,
 * FLAT_OUT_CYCLES times: the journal fills, drains and fills again, lap
 * after lap. The backlog, read all along, never exceeds the capacity; the
 * heap does not grow with the posts; every refusal is in counters.dropped;
 * and every accepted message arrives, each thread's in order. A queue
 * without a bound grows with all that was posted (the refusals are most of
 * it). */
static void flat_out_against_a_held_callback(const wchar_t *fixture, const wchar_t *journal)
{
    static flat_out_poster posters[FLAT_OUT_POSTERS];
    static job_counters held[FLAT_OUT_CYCLES];
    static volatile LONG stop;
    HANDLE threads[FLAT_OUT_POSTERS];
    HANDLE gate;
    held_session *session = start_held(fixture, L"drop", L"", journal);
    size_t heap_before = busy_heap_blocks();
    backlog_watch watch = { 0 };
    LONG accepted = 0;
    LONG refused = 0;
    LONG held_refused = 0;
    size_t heap_after;

    stop = 0;
    memset((void *)held, 0, sizeof held);
    for (UINT32 i = 0; i < FLAT_OUT_POSTERS; i++) {
        posters[i] = (flat_out_poster){ .session = session, .producer = i, .stop = &stop };
        threads[i] = CreateThread(NULL, 0, post_flat_out, &posters[i], 0, NULL);
        assert_non_null(threads[i]);
    }
    gate = session->gate;
    for (int cycle = 0; cycle < FLAT_OUT_CYCLES; cycle++) {
        DWORD start = GetTickCount();

        /* Full: the next message of the largest size would not fit. */
        while (sample_backlog(session, &watch) + 256 <= CAPACITY_BYTES)
            assert_true(GetTickCount() - start < TEST_DEADLINE_MS);
        assert_win32(SetEvent(gate));
        gate = new_gate();
        held_refused += hold_again(session, &held[cycle], gate, &watch);
    }
    InterlockedExchange(&stop, 1);
    assert_int_equal(WaitForMultipleObjects(FLAT_OUT_POSTERS, threads, TRUE, TEST_DEADLINE_MS),
                     WAIT_OBJECT_0);
    heap_after = busy_heap_blocks();
    for (int i = 0; i < FLAT_OUT_POSTERS; i++) {
        CloseHandle(threads[i]);
        assert_int_equal(posters[i].other, 0);
        accepted += posters[i].accepted;
        refused += posters[i].refused;
    }
    print_message("%ls: %d fills, %ld posts accepted, %ld refused; backlog at most %lld bytes over %ld "
                  "samples; busy heap blocks %lu, then %lu\n",
                  journal[0] != L'\0' ? journal : L"file", FLAT_OUT_CYCLES, accepted, refused, watch.most,
                  watch.samples, (unsigned long)heap_before, (unsigned long)heap_after);
    assert_in_range(watch.most, CAPACITY_BYTES - 256, CAPACITY_BYTES);
    assert_true(heap_after < heap_before + 1000);
    /* At least five laps of the ring, in records of the largest size. */
    assert_true(accepted > (LONG)(FLAT_OUT_CYCLES * CAPACITY_BYTES / 512));
    assert_true(refused > 0);
    assert_int_equal(counters_of(session).dropped, refused + held_refused);

    assert_win32(SetEvent(gate));
    assert_all_arrived(accepted);
    release_and_unload(session);
}

static void memory_stays_bounded_under_flat_out_posts(void **state)
{
    (void)state;
    flat_out_against_a_held_callback(L"full-flat-out", L"");
}

static void a_memory_journal_stays_bounded_under_flat_out_posts(void **state)
{
    (void)state;
    flat_out_against_a_held_callback(L"full-flat-out-memory", L"memory");
}

/* ---- Under the loader lock ------------------------------------------------ */

/* A DLL whose DllMain posts into the full journal (FreeLibrary's detach,
 * the loader lock held), under the wait policy with a 60 s bound: each
 * post is dropped at once (a callback may need the loader lock to make
 * room), counted, and the FreeLibrary returns within the test's deadline.
 * Waiting there would hold the loader lock for the whole bound. */
static void a_poster_under_the_loader_lock_never_waits(void **state)
{
    static const fixture_file poster_dll[] = {
        { L"loader_lock_poster.dll", L"loader_lock_poster.dll", NULL },
    };
    static loader_lock_report report;
    static ordered_message message;
    wchar_t folder[TEST_PATH_CAPACITY];
    held_session *session;
    loader_lock_arm_function arm;
    HMODULE poster;
    double free_ms = 0;

    (void)state;
    memset(&report, 0, sizeof report);
    session = start_held(L"full-loader-lock", L"", L"60000", L"");
    (void)fill_without_waiting(session, 0, 0);
    message = (ordered_message){
        .magic = TEST_ORDERED_MESSAGE_MAGIC, .producer = 2, .sequence = 1, .log = &arrivals
    };
    assert_true(fixture_folder(L"full-loader-lock-poster", poster_dll, 1, folder));
    poster = load_from(folder, L"loader_lock_poster.dll");
    assert_non_null(poster);
    arm = (loader_lock_arm_function)symbol_of(poster, "loader_lock_poster_arm");
    arm(session->front.post_raw, &message, sizeof message, &report);

    assert_true(free_library_within(poster, TEST_DEADLINE_MS / 2, &free_ms));
    print_message("the detach made %ld posts into the full journal; the longest took %.2f ms, the "
                  "FreeLibrary %.1f ms\n",
                  report.posts, report.longest_ms, free_ms);
    assert_int_equal(report.posts, LOADER_LOCK_POSTS);
    for (int i = 0; i < LOADER_LOCK_POSTS; i++)
        assert_int_equal(report.statuses[i], SHIM_E_FULL);
    assert_int_equal(counters_of(session).dropped, LOADER_LOCK_POSTS);
    release_and_unload(session);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(drop_refuses_counts_and_loses_nothing_accepted),
        isolated_test(wait_blocks_the_poster_until_room_is_made),
        isolated_test(a_short_wait_drops_then_drops_at_once_until_the_consumer_moves),
        isolated_test(memory_stays_bounded_under_flat_out_posts),
        isolated_test(a_memory_journal_stays_bounded_under_flat_out_posts),
        isolated_test(a_poster_under_the_loader_lock_never_waits),
    };
    return cmocka_run_group_tests_name("journal_full", tests, NULL, NULL);
}
