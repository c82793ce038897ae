/* Deferred completion (shim_message_defer, shim_message_finish): a message
 * whose on_message deferred it stays in the journal, its payload intact,
 * until the plugin finishes it from any thread; tickets that name no
 * deferred message are refused; so is a defer outside on_message or for
 * another message; the deferred limit holds delivery back and finishing
 * resumes it; a session that stops with deferred messages keeps them for
 * the next, which delivers them flagged recovered and possible repeat; a
 * stop linger keeps the session going after the front's unload until its
 * deferred messages are finished, or it is set to 0, or it runs out.
 * The messages are deferred_message (test_job.h): the test worker defers
 * them as each says and reports into a defer_probe; the host finishes them
 * through the worker's export test_worker_finish_message. Each behaviour
 * is deterministic, so one run catches its absence, except the limit's
 * "nothing delivered meanwhile", watched over a window (see there). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "journal_support.h"
#include "test_support.h"
#include "twinshim/status.h"

/* A deferred_message takes 128 journal bytes: two ticket steps of 64. */
#define DEFERRED_RECORD_BYTES 128
#define TICKET_STEPS_PER_RECORD 2
#define CAPACITY_KIB 64u
#define CAPACITY_BYTES (CAPACITY_KIB * 1024)
/* A number for the messages that are only counted. */
#define PLAIN_NUMBER (TEST_DEFER_NUMBERS - 1)

/* Static: the worker writes into it. */
static defer_probe probe;

typedef struct deferring_session {
    test_front front;
    test_finish_message_function finish;
    test_defer_message_function defer;
    wchar_t journals[TEST_PATH_CAPACITY];
} deferring_session;

static void find_worker_exports(deferring_session *session)
{
    HMODULE worker = GetModuleHandleW(L"test_worker.dll");

    assert_non_null(worker);
    session->finish = (test_finish_message_function)symbol_of(worker, "test_worker_finish_message");
    session->defer = (test_defer_message_function)symbol_of(worker, "test_worker_defer_message");
}

static void start_session(const wchar_t *fixture, deferring_session *session)
{
    wchar_t capacity[16];

    memset((void *)&probe, 0, sizeof probe);
    probe.gate = new_gate();
    _snwprintf(capacity, 16, L"%u", CAPACITY_KIB);
    assert_win32(SetEnvironmentVariableW(TEST_WORKER_CAPACITY_VARIABLE, capacity));
    assert_true(fresh_journal_folder(fixture, session->journals));
    load_front_and_worker(fixture, &session->front);
    find_worker_exports(session);
}

static int post_deferred(const deferring_session *session, test_defer_action action, UINT32 number)
{
    deferred_message message = {
        .magic = TEST_DEFERRED_MESSAGE_MAGIC, .action = action, .number = number, .probe = &probe
    };

    for (unsigned i = 0; i < TEST_DEFERRED_TAIL; i++)
        message.tail[i] = (BYTE)(number * 7 + i);
    return session->front.post_raw(&message, sizeof message);
}

static shim_session_counters counters_of(const deferring_session *session)
{
    shim_session_counters counters;

    assert_int_equal(session->front.get_counters(&counters), SHIM_OK);
    return counters;
}

/* Until `count` messages (of any kind) have completed: on_message returned
 * and the runtime marked each finished or deferred. */
static void wait_completed(const deferring_session *session, long long count)
{
    DWORD start = GetTickCount();

    while (counters_of(session).completed < count) {
        assert_true(GetTickCount() - start < TEST_DEADLINE_MS);
        Sleep(1);
    }
}

static void wait_backlog(const deferring_session *session, long long bytes)
{
    DWORD start = GetTickCount();

    while (counters_of(session).backlog_bytes != bytes) {
        if (GetTickCount() - start > TEST_DEADLINE_MS) {
            print_error("backlog %lld bytes, not %lld\n", counters_of(session).backlog_bytes, bytes);
            fail();
        }
        Sleep(1);
    }
}

/* A thread that is not the session's holds the worker while it runs the
 * worker's code: a finish or a linger set to 0 may end the session's
 * linger, and the worker may unload before the call has returned into it
 * (worker.h). NULL if it cannot (no assert: it runs on other threads). */
static HMODULE hold_worker(void)
{
    HMODULE worker = NULL;

    return GetModuleHandleExW(0, L"test_worker.dll", &worker) ? worker : NULL;
}

typedef struct finish_request {
    const deferring_session *session;
    unsigned number;
    shim_message_ticket ticket;
    int status;
} finish_request;

static DWORD WINAPI finish_on_this_thread(void *parameter)
{
    finish_request *request = parameter;
    HMODULE worker = hold_worker();

    if (worker == NULL)
        return 1; /* request->status stays 1: the caller's assert fails */
    request->status = request->session->finish(&probe, request->number, request->ticket);
    FreeLibrary(worker);
    return 0;
}

/* shim_message_finish on a thread of its own. */
static int finish_from_another_thread(const deferring_session *session, unsigned number,
                                      shim_message_ticket ticket)
{
    finish_request request = { .session = session, .number = number, .ticket = ticket, .status = 1 };
    HANDLE thread = CreateThread(NULL, 0, finish_on_this_thread, &request, 0, NULL);

    assert_non_null(thread);
    assert_int_equal(WaitForSingleObject(thread, TEST_DEADLINE_MS), WAIT_OBJECT_0);
    CloseHandle(thread);
    return request.status;
}

static shim_message_ticket ticket_of(unsigned number)
{
    return (shim_message_ticket)probe.ticket[number];
}

/* A deferred message holds the journal from its record on: messages after
 * it are delivered, but their space is not reused while it is unfinished,
 * and its payload stays as it was. Here, with the drop policy, the journal
 * fills behind it (the posts past that are refused); every accepted one is
 * delivered. Then a thread of the host finishes it: delivered once, the
 * payload intact at the finish, the journal emptied at once, the deferred
 * count back to 0, and the journal file removed at the stop. If the
 * runtime finished it when on_message returned, the ring would wrap over
 * its record: its payload changes, the backlog never holds. */
static void a_deferred_message_holds_its_place_until_another_thread_finishes_it(void **state)
{
    enum {
        POSTS = 2 * CAPACITY_BYTES / DEFERRED_RECORD_BYTES
    };
    static deferring_session session;
    LONG accepted = 0;
    shim_session_counters counters;

    (void)state;
    assert_win32(SetEnvironmentVariableW(TEST_WORKER_WHEN_FULL_VARIABLE, L"drop"));
    start_session(L"deferred-finish", &session);
    assert_int_equal(post_deferred(&session, TEST_DEFER, 0), SHIM_OK);
    wait_completed(&session, 1);
    assert_int_equal(probe.defer_status[0], SHIM_OK);
    assert_int_equal(counters_of(&session).deferred, 1);
    assert_int_equal(counters_of(&session).backlog_bytes, DEFERRED_RECORD_BYTES);

    for (int i = 0; i < POSTS; i++) {
        int status = post_deferred(&session, TEST_DEFER_NOTHING, PLAIN_NUMBER);

        assert_either(status, SHIM_OK, SHIM_E_FULL);
        if (status == SHIM_OK) {
            accepted++;
        } else {
            /* Full: what was accepted gets delivered, and frees nothing. */
            wait_completed(&session, 1 + accepted);
        }
    }
    wait_completed(&session, 1 + accepted);
    counters = counters_of(&session);
    print_message("behind the deferred message: %ld delivered, %lld refused, backlog %lld bytes\n", accepted,
                  counters.dropped, counters.backlog_bytes);
    assert_int_equal(probe.delivered[PLAIN_NUMBER], accepted);
    assert_int_equal(counters.backlog_bytes, (1 + accepted) * DEFERRED_RECORD_BYTES);
    assert_true(counters.backlog_bytes > CAPACITY_BYTES - DEFERRED_RECORD_BYTES);
    assert_true(counters.dropped > 0);

    assert_int_equal(finish_from_another_thread(&session, 0, ticket_of(0)), SHIM_OK);
    assert_int_equal(probe.damaged, 0);
    counters = counters_of(&session);
    assert_int_equal(counters.backlog_bytes, 0);
    assert_int_equal(counters.deferred, 0);
    assert_int_equal(probe.delivered[0], 1);
    assert_int_equal(probe.flags[0], 0);
    unload_test_front(&session.front);
    assert_int_equal(journal_files_in(session.journals, L"*.journal"), 0);
}

/* Tickets that name no deferred message are refused: one finished already,
 * one of a message delivered and not deferred, ones that fall inside a
 * record, one past everything taken, one of a journal the session does
 * not have. Each refusal changes nothing: the deferred ones still finish. */
static void finishing_twice_or_a_bogus_ticket_is_refused(void **state)
{
    static deferring_session session;
    shim_message_ticket second;

    (void)state;
    start_session(L"deferred-bogus", &session);
    assert_int_equal(post_deferred(&session, TEST_DEFER, 0), SHIM_OK);
    assert_int_equal(post_deferred(&session, TEST_DEFER_NOTHING, 1), SHIM_OK);
    assert_int_equal(post_deferred(&session, TEST_DEFER, 2), SHIM_OK);
    wait_completed(&session, 3);
    assert_int_equal(probe.defer_status[0], SHIM_OK);
    assert_int_equal(probe.defer_status[2], SHIM_OK);
    second = ticket_of(2);
    assert_int_equal(second, ticket_of(0) + 2 * TICKET_STEPS_PER_RECORD);

    assert_int_equal(session.finish(&probe, TEST_DEFER_NUMBERS, second - TICKET_STEPS_PER_RECORD),
                     SHIM_E_INVALID_ARGUMENT); /* message 1: delivered, never deferred */
    assert_int_equal(session.finish(&probe, TEST_DEFER_NUMBERS, second - 1), SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(session.finish(&probe, TEST_DEFER_NUMBERS, second + 1), SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(session.finish(&probe, TEST_DEFER_NUMBERS, second + 1000), SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(session.finish(&probe, TEST_DEFER_NUMBERS, second | 5ull << 56),
                     SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(session.finish(&probe, TEST_DEFER_NUMBERS, ~0ull), SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(counters_of(&session).deferred, 2);

    assert_int_equal(finish_from_another_thread(&session, 2, second), SHIM_OK);
    assert_int_equal(finish_from_another_thread(&session, TEST_DEFER_NUMBERS, second),
                     SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(counters_of(&session).deferred, 1);
    /* Message 0 still holds the journal. */
    assert_int_equal(counters_of(&session).backlog_bytes, 3 * DEFERRED_RECORD_BYTES);
    assert_int_equal(finish_from_another_thread(&session, 0, ticket_of(0)), SHIM_OK);
    assert_int_equal(finish_from_another_thread(&session, TEST_DEFER_NUMBERS, ticket_of(0)),
                     SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(counters_of(&session).deferred, 0);
    assert_int_equal(counters_of(&session).backlog_bytes, 0);
    assert_int_equal(probe.damaged, 0);
    unload_test_front(&session.front);
}

/* shim_message_defer outside on_message (from the host's thread), for a
 * copy of the message it was given, or from another thread while its
 * on_message runs: SHIM_E_INVALID_ARGUMENT, the ticket 0, and the message
 * is finished when on_message returns as if nothing was asked. Deferring
 * twice in one on_message gives one ticket and counts once. */
static void defer_outside_on_message_or_for_another_message_is_refused(void **state)
{
    static deferring_session session;
    shim_message fake = { .payload = "x", .size = 1, .sequence = 1 };
    shim_message_ticket ticket = 12345;
    DWORD start_tick;

    (void)state;
    start_session(L"deferred-refused", &session);
    assert_int_equal(post_deferred(&session, TEST_DEFER_NOTHING, 0), SHIM_OK);
    wait_completed(&session, 1);
    assert_non_null(probe.session);
    assert_int_equal(session.defer(probe.session, &fake, &ticket), SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(ticket, 0);

    assert_int_equal(post_deferred(&session, TEST_DEFER_OTHER_COPY, 1), SHIM_OK);
    wait_completed(&session, 2);
    assert_int_equal(probe.defer_status[1], SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(probe.ticket[1], 0);
    assert_int_equal(counters_of(&session).deferred, 0);
    assert_int_equal(counters_of(&session).backlog_bytes, 0);

    /* Message 2 defers itself, then waits: the host, on another thread,
     * asks to defer that very message. */
    assert_int_equal(post_deferred(&session, TEST_DEFER_AND_WAIT, 2), SHIM_OK);
    for (start_tick = GetTickCount(); probe.waiting == NULL;) {
        assert_true(GetTickCount() - start_tick < TEST_DEADLINE_MS);
        Sleep(1);
    }
    ticket = 12345;
    assert_int_equal(session.defer(probe.session, probe.waiting, &ticket), SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(ticket, 0);
    assert_int_equal(probe.defer_status[2], SHIM_OK);
    assert_win32(SetEvent(probe.gate));
    wait_completed(&session, 3);
    assert_int_equal(finish_from_another_thread(&session, 2, ticket_of(2)), SHIM_OK);

    assert_int_equal(post_deferred(&session, TEST_DEFER_TWICE, 3), SHIM_OK);
    wait_completed(&session, 4);
    assert_int_equal(probe.defer_status[3], SHIM_OK);
    assert_int_equal(probe.second_status[3], SHIM_OK);
    assert_int_equal(probe.second_ticket[3], probe.ticket[3]);
    assert_int_equal(counters_of(&session).deferred, 1);
    assert_int_equal(finish_from_another_thread(&session, 3, ticket_of(3)), SHIM_OK);
    assert_int_equal(counters_of(&session).deferred, 0);
    assert_int_equal(counters_of(&session).backlog_bytes, 0);
    unload_test_front(&session.front);
}

#define DEFERRED_LIMIT 2
#define LIMITED_MESSAGES 6
/* How long delivery is watched for a message that must not come: 100
 * looks of the session thread at a 4 ms latency (one a millisecond). */
#define WATCH_MS 100

static LONG delivered_so_far(void)
{
    LONG count = 0;

    for (unsigned i = 0; i < LIMITED_MESSAGES; i++)
        count += InterlockedCompareExchange(&probe.delivered[i], 0, 0);
    return count;
}

/* No more than `count` delivered over WATCH_MS, the session looking once a
 * millisecond: a runtime that ignored the limit would deliver the next
 * message at its next look, 1 ms away (a missed delivery over 100 looks
 * is not how a broken limit behaves). */
static void assert_no_more_delivered_than(LONG count)
{
    DWORD start = GetTickCount();

    while (GetTickCount() - start < WATCH_MS) {
        assert_int_equal(delivered_so_far(), count);
        Sleep(1);
    }
}

/* With the deferred limit at 2, two deferred messages hold the rest back:
 * nothing more is delivered while they are unfinished. With one callback,
 * each finish lets exactly one more through (which defers in turn), until
 * all six are delivered, each once, and finished. Out-of-range limits are
 * refused. */
static void the_deferred_limit_holds_delivery_back_until_a_finish(void **state)
{
    static deferring_session session;
    long long before;

    (void)state;
    assert_win32(SetEnvironmentVariableW(TEST_WORKER_MAX_THREADS_VARIABLE, L"1"));
    start_session(L"deferred-limit", &session);
    assert_int_equal(setting_status(&session.front, deferred_limit, 0), SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(setting_status(&session.front, deferred_limit, SHIM_MAX_DEFERRED_LIMIT + 1),
                     SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(setting_status(&session.front, deferred_limit, DEFERRED_LIMIT), SHIM_OK);
    assert_int_equal(setting_status(&session.front, delivery_latency_ms, SHIM_MIN_DELIVERY_LATENCY_MS),
                     SHIM_OK);
    before = counters_of(&session).completed; /* the settings' jobs */
    for (UINT32 i = 0; i < LIMITED_MESSAGES; i++)
        assert_int_equal(post_deferred(&session, TEST_DEFER, i), SHIM_OK);
    assert_true(counter_reaches_within(&probe.returned[1], 1, TEST_DEADLINE_MS));
    assert_no_more_delivered_than(DEFERRED_LIMIT);
    assert_int_equal(probe.delivered[0] + probe.delivered[1], 2);

    for (unsigned next = DEFERRED_LIMIT; next < LIMITED_MESSAGES; next++) {
        unsigned finished = next - DEFERRED_LIMIT;

        wait_completed(&session, before + finished + 1);
        assert_int_equal(finish_from_another_thread(&session, finished, ticket_of(finished)), SHIM_OK);
        assert_true(counter_reaches_within(&probe.returned[next], 1, TEST_DEADLINE_MS));
        assert_no_more_delivered_than((LONG)next + 1);
    }
    for (unsigned finished = LIMITED_MESSAGES - DEFERRED_LIMIT; finished < LIMITED_MESSAGES; finished++) {
        wait_completed(&session, before + finished + 1);
        assert_int_equal(finish_from_another_thread(&session, finished, ticket_of(finished)), SHIM_OK);
    }
    for (unsigned i = 0; i < LIMITED_MESSAGES; i++)
        assert_int_equal(probe.delivered[i], 1);
    wait_backlog(&session, 0);
    assert_int_equal(counters_of(&session).deferred, 0);
    assert_int_equal(probe.damaged, 0);
    unload_test_front(&session.front);
}

/* The limit is a bound on what is deferred at once, also with two callbacks
 * (the default). Limit 2: messages 0 and 1 are deferred; message 0 is
 * finished, so one more may be deferred; message 2 is taken and waits in
 * on_message before it defers, while message 3 waits in the journal. When
 * message 2 has deferred, at most 2 messages may be deferred: either 3 was
 * not delivered meanwhile, or one of the defers was refused (and that
 * message finished when its on_message returned).
 * (The runtime once checked the limit only against what was deferred: the
 * second callback then took message 3 while 2 was in on_message, and 3
 * messages ended deferred. It now counts taken messages whose on_message
 * has not returned as well.) */
static void the_deferred_limit_bounds_what_two_callbacks_defer(void **state)
{
    static deferring_session session;
    shim_session_counters counters;
    long long before;
    DWORD start_tick;

    (void)state;
    start_session(L"deferred-limit-two", &session);
    assert_int_equal(setting_status(&session.front, deferred_limit, DEFERRED_LIMIT), SHIM_OK);
    assert_int_equal(setting_status(&session.front, delivery_latency_ms, SHIM_MIN_DELIVERY_LATENCY_MS),
                     SHIM_OK);
    before = counters_of(&session).completed;
    assert_int_equal(post_deferred(&session, TEST_DEFER, 0), SHIM_OK);
    assert_int_equal(post_deferred(&session, TEST_DEFER, 1), SHIM_OK);
    wait_completed(&session, before + 2);
    assert_int_equal(post_deferred(&session, TEST_WAIT_THEN_DEFER, 2), SHIM_OK);
    assert_int_equal(post_deferred(&session, TEST_DEFER, 3), SHIM_OK);
    assert_int_equal(finish_from_another_thread(&session, 0, ticket_of(0)), SHIM_OK);
    for (start_tick = GetTickCount(); probe.waiting == NULL;) {
        assert_true(GetTickCount() - start_tick < TEST_DEADLINE_MS);
        Sleep(1);
    }
    /* A second callback may take message 3 now (watched as in the test above). */
    for (start_tick = GetTickCount(); GetTickCount() - start_tick < WATCH_MS && probe.returned[3] == 0;)
        Sleep(1);
    assert_win32(SetEvent(probe.gate));
    assert_true(counter_reaches_within(&probe.returned[2], 1, TEST_DEADLINE_MS));
    wait_completed(&session, before + 3 + probe.returned[3]);
    counters = counters_of(&session);
    print_message("message 3 delivered while 2 was in on_message: %s; defers of 2 and 3: %ld, %ld; "
                  "deferred now %lld (limit %d)\n",
                  probe.returned[3] ? "yes" : "no", probe.defer_status[2], probe.defer_status[3],
                  counters.deferred, DEFERRED_LIMIT);
    if (counters.deferred > DEFERRED_LIMIT)
        print_error("RUNTIME BUG: %lld messages deferred at once, over the limit of %d\n", counters.deferred,
                    DEFERRED_LIMIT);
    assert_in_range(counters.deferred, 0, DEFERRED_LIMIT);

    /* Each is delivered (3 once a finish makes room), and whatever was
     * deferred is finished. */
    for (unsigned i = 1; i < 4; i++) {
        assert_true(counter_reaches_within(&probe.returned[i], 1, TEST_DEADLINE_MS));
        if (probe.defer_status[i] == SHIM_OK && probe.ticket[i] != 0 && probe.payload[i] != NULL)
            assert_int_equal(finish_from_another_thread(&session, i, ticket_of(i)), SHIM_OK);
        wait_completed(&session, before + 1 + i); /* messages 0 to i */
    }
    wait_backlog(&session, 0);
    unload_test_front(&session.front);
}

/* A session stops with two messages deferred and unfinished, and a third
 * held back by the limit of 2: all three stay in the journal
 * (kept_in_journal 3 in the last counters the session reports; the file
 * stays). The next session of the front, in this process, delivers them:
 * the deferred ones flagged recovered and possible repeat, the third
 * recovered only (its delivery never began); then the journal is removed. */
static void a_stopped_session_keeps_its_deferred_messages_for_the_next(void **state)
{
    static deferring_session session;
    static job_counters observed;
    static shim_session_counters last_counters;
    static volatile LONG trace_events;
    test_job observe = job_for(&observed, NULL);
    DWORD start_tick;

    (void)state;
    memset((void *)&observed, 0, sizeof observed);
    memset(&last_counters, 0, sizeof last_counters);
    trace_events = 0;
    start_session(L"deferred-kept", &session);
    observe.kind = TEST_JOB_OBSERVE;
    observe.trace_events = &trace_events;
    observe.counters_at_last_event = &last_counters;
    assert_int_equal(session.front.post_job(&observe), SHIM_OK);
    assert_true(counter_reaches_within(&observed.ran, 1, TEST_DEADLINE_MS));
    assert_int_equal(setting_status(&session.front, deferred_limit, 2), SHIM_OK);
    for (UINT32 i = 0; i < 3; i++)
        assert_int_equal(post_deferred(&session, TEST_DEFER, i), SHIM_OK);
    assert_true(counter_reaches_within(&probe.returned[1], 1, TEST_DEADLINE_MS));
    wait_completed(&session, 2 + 2); /* the observe and settings jobs, and the two */
    unload_test_front(&session.front);
    assert_true(trace_events & (1L << SHIM_TRACE_MODULE_RELEASED));
    print_message("stopped: kept_in_journal %lld, deferred %lld\n", last_counters.kept_in_journal,
                  last_counters.deferred);
    assert_int_equal(last_counters.kept_in_journal, 3);
    assert_int_equal(probe.delivered[2], 0);
    assert_int_equal(journal_files_in(session.journals, L"*.journal"), 1);

    load_front_and_worker(L"deferred-kept", &session.front);
    for (start_tick = GetTickCount();
         journal_files_in(session.journals, L"*.journal") > 1 || probe.delivered[2] == 0;) {
        assert_true(GetTickCount() - start_tick < TEST_DEADLINE_MS);
        Sleep(1);
    }
    unload_test_front(&session.front);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(probe.delivered[i], 2 - (i == 2));
    assert_int_equal(probe.flags[0], SHIM_MESSAGE_RECOVERED | SHIM_MESSAGE_POSSIBLE_REPEAT);
    assert_int_equal(probe.flags[1], SHIM_MESSAGE_RECOVERED | SHIM_MESSAGE_POSSIBLE_REPEAT);
    assert_int_equal(probe.flags[2], SHIM_MESSAGE_RECOVERED);
    assert_int_equal(journal_files_in(session.journals, L"*.journal"), 0);
}

/* shim_message_finish is "any thread, once per ticket"; a sink hands the
 * ticket to its I/O thread, whose acknowledgement may come before
 * on_message has returned. Here on_message defers and waits while the host
 * finishes the ticket from another thread: the finish must succeed, and
 * once on_message returns the message must be finished (journal empty,
 * nothing deferred). (The runtime once marked the record deferred only
 * after on_message returned, and refused such a finish.) */
static void a_finish_that_comes_before_on_message_returns_is_accepted(void **state)
{
    static deferring_session session;
    DWORD start_tick;
    int status;

    (void)state;
    start_session(L"deferred-early-finish", &session);
    assert_int_equal(post_deferred(&session, TEST_DEFER_AND_WAIT, 0), SHIM_OK);
    for (start_tick = GetTickCount(); probe.waiting == NULL;) {
        assert_true(GetTickCount() - start_tick < TEST_DEADLINE_MS);
        Sleep(1);
    }
    assert_int_equal(probe.defer_status[0], SHIM_OK);
    status = finish_from_another_thread(&session, 0, ticket_of(0));
    assert_win32(SetEvent(probe.gate));
    wait_completed(&session, 1);
    if (status != SHIM_OK)
        print_error("RUNTIME BUG: a finish made while on_message still ran returned %d (%s)\n", status,
                    shim_status_text(status));
    assert_int_equal(status, SHIM_OK);
    wait_backlog(&session, 0);
    assert_int_equal(counters_of(&session).deferred, 0);
    unload_test_front(&session.front);
    assert_int_equal(journal_files_in(session.journals, L"*.journal"), 0);
}

/* A session whose plugin set a stop linger, with an observe job: the trace
 * and the counters of its last events, and two messages deferred. */
typedef struct lingering_session {
    deferring_session deferring;
    test_set_stop_linger_function set_linger;
    job_counters observed;
    shim_session_counters last_counters;
    volatile LONG trace_events;
} lingering_session;

static void start_lingering_session(const wchar_t *fixture, unsigned linger_ms, lingering_session *session)
{
    test_job observe = job_for(&session->observed, NULL);

    memset((void *)&session->observed, 0, sizeof session->observed);
    memset(&session->last_counters, 0, sizeof session->last_counters);
    session->trace_events = 0;
    start_session(fixture, &session->deferring);
    session->set_linger = (test_set_stop_linger_function)symbol_of(GetModuleHandleW(L"test_worker.dll"),
                                                                   "test_worker_set_stop_linger");
    observe.kind = TEST_JOB_OBSERVE;
    observe.trace_events = &session->trace_events;
    observe.counters_at_last_event = &session->last_counters;
    assert_int_equal(session->deferring.front.post_job(&observe), SHIM_OK);
    assert_true(counter_reaches_within(&session->observed.ran, 1, TEST_DEADLINE_MS));
    assert_int_equal(setting_status(&session->deferring.front, stop_linger_ms, linger_ms), SHIM_OK);
    for (UINT32 i = 0; i < 2; i++)
        assert_int_equal(post_deferred(&session->deferring, TEST_DEFER, i), SHIM_OK);
    wait_completed(&session->deferring, 2 + 2); /* the observe and settings jobs, and the two */
    assert_int_equal(probe.defer_status[0], SHIM_OK);
    assert_int_equal(probe.defer_status[1], SHIM_OK);
}

static bool traced(const lingering_session *session, shim_trace_event event)
{
    return (session->trace_events & (1L << event)) != 0;
}

/* Unloads the front; returns once the session thread woke to the signal. */
static void unload_front_only(lingering_session *session)
{
    DWORD start_tick = GetTickCount();

    assert_true(free_library_within(session->deferring.front.module, TEST_DEADLINE_MS, NULL));
    while (!traced(session, SHIM_TRACE_STOP_RECEIVED)) {
        assert_true(GetTickCount() - start_tick < TEST_DEADLINE_MS);
        Sleep(1);
    }
}

/* A linger longer than the test: the front is unloaded with two messages
 * deferred, and the session goes on until the host finishes both (the
 * acknowledgements a sink waits for). Until the second finish the stop is
 * not requested; after it the worker leaves, every message finished and
 * the journal removed. Without the linger the stop would go on at once and
 * keep both in the journal (the test above). */
static void a_linger_keeps_the_stop_off_until_every_message_is_finished(void **state)
{
    static lingering_session session;

    (void)state;
    start_lingering_session(L"linger-finished", SHIM_MAX_STOP_LINGER_MS, &session);
    unload_front_only(&session);
    assert_false(traced(&session, SHIM_TRACE_LINGER_ENDED));
    assert_int_equal(finish_from_another_thread(&session.deferring, 0, ticket_of(0)), SHIM_OK);
    assert_false(traced(&session, SHIM_TRACE_LINGER_ENDED));
    assert_false(traced(&session, SHIM_TRACE_DRAIN_FINISHED));
    assert_int_equal(finish_from_another_thread(&session.deferring, 1, ticket_of(1)), SHIM_OK);
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_true(traced(&session, SHIM_TRACE_LINGER_ENDED));
    assert_int_equal(session.last_counters.kept_in_journal, 0);
    assert_int_equal(probe.damaged, 0);
    assert_int_equal(journal_files_in(session.deferring.journals, L"*.journal"), 0);
}

/* The plugin sets the linger back to 0 after the front is gone (a sink
 * whose collector went down): the stop goes on without the finishes, and
 * both messages stay in the journal for the next session. */
static void a_linger_set_to_zero_lets_the_stop_go_on(void **state)
{
    static lingering_session session;
    HMODULE worker;

    (void)state;
    start_lingering_session(L"linger-ended", SHIM_MAX_STOP_LINGER_MS, &session);
    unload_front_only(&session);
    assert_false(traced(&session, SHIM_TRACE_LINGER_ENDED));
    worker = hold_worker();
    assert_non_null(worker);
    assert_int_equal(session.set_linger(&probe, 0), SHIM_OK);
    assert_win32(FreeLibrary(worker));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_true(traced(&session, SHIM_TRACE_LINGER_ENDED));
    assert_int_equal(session.last_counters.kept_in_journal, 2);
    assert_int_equal(journal_files_in(session.deferring.journals, L"*.journal"), 1);
}

/* A short linger runs out with both messages unfinished: the stop goes on
 * and keeps them. Out-of-range lingers are refused. */
static void a_linger_that_runs_out_keeps_the_messages(void **state)
{
    static lingering_session session;

    (void)state;
    start_lingering_session(L"linger-out", 200, &session);
    assert_int_equal(setting_status(&session.deferring.front, stop_linger_ms, SHIM_MAX_STOP_LINGER_MS + 1),
                     SHIM_E_INVALID_ARGUMENT);
    unload_front_only(&session);
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_true(traced(&session, SHIM_TRACE_LINGER_ENDED));
    assert_int_equal(session.last_counters.kept_in_journal, 2);
    assert_int_equal(journal_files_in(session.deferring.journals, L"*.journal"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(a_deferred_message_holds_its_place_until_another_thread_finishes_it),
        isolated_test(finishing_twice_or_a_bogus_ticket_is_refused),
        isolated_test(defer_outside_on_message_or_for_another_message_is_refused),
        isolated_test(the_deferred_limit_holds_delivery_back_until_a_finish),
        isolated_test(the_deferred_limit_bounds_what_two_callbacks_defer),
        isolated_test(a_stopped_session_keeps_its_deferred_messages_for_the_next),
        isolated_test(a_finish_that_comes_before_on_message_returns_is_accepted),
        isolated_test(a_linger_keeps_the_stop_off_until_every_message_is_finished),
        isolated_test(a_linger_set_to_zero_lets_the_stop_go_on),
        isolated_test(a_linger_that_runs_out_keeps_the_messages),
    };
    return cmocka_run_group_tests_name("journal_deferred", tests, NULL, NULL);
}
