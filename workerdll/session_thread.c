#include "../common/report.h"
#include "session.h"

extern IMAGE_DOS_HEADER __ImageBase;

/* On the session thread, outside the loader lock: the report may wait. */
static void report(const char *text)
{
    shim_report line = { .length = 0 };

    shim__report_ascii(&line, text);
    shim__report_send(&line, SHIM_REPORT_MAY_WAIT, SHIM_REPORT_NOTICE);
}

static void mark_stop_finished(shim_session *session)
{
    InterlockedExchange64(&session->stop_finished_ms, (LONG64)GetTickCount64());
}

static void stop_accepting_work(shim_session *session)
{
    /* Once this returns no submitter or re-armer is inside the gate and none
     * will enter: closing the cleanup group cannot race a SubmitThreadpoolWork
     * or a SetThreadpoolTimer (Wine asserts on that race; Windows raises). */
    AcquireSRWLockExclusive(&session->submit_lock);
    session->accepting = 0;
    ReleaseSRWLockExclusive(&session->submit_lock);
}

/* How often the session thread looks for messages: four times per
 * delivery latency while it finds some, backing off to every three quarters
 * of the latency while it finds none (an idle session's wakes cost CPU:
 * 25-70 us each under Wine here), so that a message posted into an idle
 * session still waits less than the latency for its look. */
static DWORD look_interval_ms(const shim_session *session)
{
    return (DWORD)shim__read_flag(&session->delivery_latency_ms) / 4;
}

static DWORD next_look_interval_ms(const shim_session *session, DWORD interval, BOOL found)
{
    DWORD shortest = look_interval_ms(session);
    DWORD longest = (DWORD)shim__read_flag(&session->delivery_latency_ms) * 3 / 4;

    if (found || interval < shortest)
        return shortest;
    return interval * 2 < longest ? interval * 2 : longest;
}

/* How often the stop cancels I/O again while it waits (see below). */
#define IO_CANCEL_INTERVAL_MS 20

/* Waits until no work is queued, no callback runs and no I/O is pending, for
 * at most the stop deadline. Returns FALSE when the deadline passed first.
 * An overlapped operation can be issued after the first CancelIoEx (its
 * shim_io_start passed the gate just before it closed), so pending I/O is
 * cancelled again at each interval until the session is idle. */
static BOOL wait_until_idle(shim_session *session)
{
    LONG deadline = shim__read_flag(&session->stop_deadline_ms);
    ULONGLONG start = GetTickCount64();
    session_watch watch = { .stuck_position = UINT64_MAX };

    for (;;) {
        ULONGLONG waited = GetTickCount64() - start;
        DWORD slice = look_interval_ms(session);
        BOOL has_io = shim__cancel_pending_io(session);

        if (deadline > 0 && waited >= (ULONGLONG)deadline)
            return shim__session_is_idle(session);
        if (deadline > 0 && slice > (ULONGLONG)deadline - waited)
            slice = (DWORD)((ULONGLONG)deadline - waited);
        if (has_io && slice > IO_CANCEL_INTERVAL_MS)
            slice = IO_CANCEL_INTERVAL_MS;
        if (shim__wait_for_session(session, shim__session_is_idle, slice))
            return TRUE;
        /* A post that a callback missed, or a claim whose producer is gone. */
        shim__look_at_journals(session, &watch);
    }
}

/* A callback is still running after the deadline: its code must stay mapped,
 * so the worker is pinned for the life of the process and the session is
 * left as it is (its callbacks still use it). No thread is terminated. */
static DECLSPEC_NORETURN void abandon_session(shim_session *session)
{
    HMODULE pinned;

    /* If the pin fails, the session's own reference is still never dropped:
     * this thread exits without FreeLibrary, so the worker stays mapped. */
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_PIN | GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS,
                            (LPCWSTR)&__ImageBase, &pinned))
        report("twinshim worker: pinning the worker module failed; its session keeps its reference\n");
    InterlockedExchange(&session->module_pinned, 1);
    mark_stop_finished(session);
    report("twinshim worker: stop deadline passed with callbacks still running; "
           "the worker module stays loaded\n");
    shim__trace(session, SHIM_TRACE_MODULE_PINNED);
    ExitThread(0);
}

static DECLSPEC_NORETURN void release_session(shim_session *session)
{
    HMODULE own_module_reference = session->own_module_reference;

    CloseThreadpoolCleanupGroup(session->cleanup_group);
    shim__close_io_sentinel(session);
    CloseThreadpool(session->pool);
    DestroyThreadpoolEnvironment(&session->environment);
    shim__queue_release(&session->queue);
    shim__destroy_session_heap(session);
    for (unsigned i = 0; i < session->handed_over_count; i++)
        FreeLibrary(session->handed_over_modules[i]);
    shim__trace(session, SHIM_TRACE_MODULE_RELEASED);
    shim__free_session(session);

    /* FreeLibrary and thread exit in one call: no instruction of this module
     * runs after its reference is dropped, so the unload cannot race us. */
    FreeLibraryAndExitThread(own_module_reference, 0);
}

/* Until the stop: a look at the journals every look interval. Posts do not
 * wake anyone (message_post.c), so this is how a message that a program
 * posted now and then reaches the plugin. The wait is on a condition
 * variable (a futex under Wine, no wineserver call), and ends early when
 * the stop is requested. */
static void look_until_stop(shim_session *session)
{
    session_watch watch = { .stuck_position = UINT64_MAX };
    DWORD interval = look_interval_ms(session);

    while (!shim__wait_for_session(session, shim__session_stop_was_signalled, interval))
        interval = next_look_interval_ms(session, interval, shim__look_at_journals(session, &watch));
}

/* The stop was signalled under a linger (shim_session_set_stop_linger): the
 * session runs on as before the stop (callbacks, I/O, timers) until no
 * message is left unfinished, the plugin sets the linger to 0, or it has
 * lasted as long as the linger says. Then the stop is requested. A plugin
 * whose on_start failed takes no message: nothing to linger for. */
static void linger_before_stop(shim_session *session, BOOL plugin_runs)
{
    session_watch watch = { .stuck_position = UINT64_MAX };
    ULONGLONG start = shim__clock_us();

    /* What the front posted last runs now, not at the next look. */
    if (plugin_runs)
        shim__start_consumer_if_work_waits(session);
    while (plugin_runs) {
        ULONGLONG waited_ms = (shim__clock_us() - start) / 1000u;
        LONG linger = shim__read_flag(&session->stop_linger_ms);
        DWORD slice = look_interval_ms(session);

        if (linger <= 0 || waited_ms >= (ULONGLONG)linger || !shim__session_has_unfinished_messages(session))
            break;
        if (slice > (ULONGLONG)linger - waited_ms)
            slice = (DWORD)((ULONGLONG)linger - waited_ms);
        if (shim__wait_for_session(session, shim__session_linger_was_ended, slice))
            break;
        shim__look_at_journals(session, &watch);
    }
    if (plugin_runs)
        shim__trace(session, SHIM_TRACE_LINGER_ENDED);
    InterlockedExchange(&session->stop_requested, 1);
    shim__wake_session_waiters();
}

DWORD WINAPI shim__session_thread(void *parameter)
{
    shim_session *session = parameter;
    const shim_plugin *plugin = session->plugin;
    int start_status = SHIM_OK;
    BOOL cancel;

    shim__report_journal_start(session);
    /* This thread runs only after the loader lock is released: hooks may do
     * what DllMain must not (files, sockets, COM, LoadLibrary). */
    if (plugin->on_start != NULL && plugin->on_start(session, &session->plugin_state) != SHIM_OK)
        start_status = SHIM_E_START_FAILED;
    /* Before any callback may run: what dead processes left is delivered
     * before this process's own messages. */
    if (start_status == SHIM_OK)
        shim__recover_dead_journals(session);
    /* Signalled during on_start, which set no linger: requested before any
     * callback runs, as if the signal had come now. */
    if (shim__read_flag(&session->stop_signalled) &&
        (start_status != SHIM_OK || shim__read_flag(&session->stop_linger_ms) <= 0))
        InterlockedExchange(&session->stop_requested, 1);
    InterlockedExchange(&session->start_status, start_status);
    InterlockedExchange(&session->started, 1);
    shim__wake_session_waiters();
    if (start_status != SHIM_OK)
        report("twinshim worker: the plugin's start hook failed; queued work will be cancelled, "
               "messages stay in the journal\n");
    shim__trace(session, SHIM_TRACE_SESSION_STARTED);
    /* What dead processes left, and what this one posted before the start,
     * runs now, not at the first look: a short program exits before that
     * (docs/journal.md, Limits), and what its session did not deliver waits
     * for the next. */
    if (start_status == SHIM_OK && !shim__read_flag(&session->stop_requested))
        shim__start_consumer_if_work_waits(session);

    look_until_stop(session);
    shim__trace(session, SHIM_TRACE_STOP_RECEIVED);
    if (!shim__session_stop_was_requested(session))
        linger_before_stop(session, start_status == SHIM_OK);
    stop_accepting_work(session);
    /* Handles first, so that nothing new becomes due while we wait. */
    shim__disarm_objects(session);

    /* Cancel: drop what is queued before on_stopping, without waiting for
     * running callbacks; pool callbacks drop what they take from now on as
     * well. Messages are dropped only by the cancel policy: when on_start
     * failed they stay in the journal for the next session. */
    cancel = shim__dropping_queued_items(session);
    if (cancel) {
        shim__cancel_queued_items(session);
        if (start_status == SHIM_OK)
            shim__cancel_queued_messages(session);
    }
    if (start_status == SHIM_OK && plugin->on_stopping != NULL)
        plugin->on_stopping(session, session->plugin_state);
    /* The drain: what the journals hold runs now, without waiting for the
     * next look. */
    shim__start_consumer_if_work_waits(session);
    if (!wait_until_idle(session))
        abandon_session(session);

    AcquireSRWLockExclusive(&session->objects_lock);
    session->group_closing = 1;
    ReleaseSRWLockExclusive(&session->objects_lock);
    /* Idle, so this returns promptly; it is what guarantees that every
     * callback has returned into the pool, and it closes the pool objects. */
    CloseThreadpoolCleanupGroupMembers(session->cleanup_group, cancel, NULL);
    mark_stop_finished(session);
    shim__trace(session, SHIM_TRACE_DRAIN_FINISHED);
    /* Objects' contexts first: they may point into what on_stopped frees. */
    shim__release_objects(session);
    if (start_status == SHIM_OK && plugin->on_stopped != NULL)
        plugin->on_stopped(session, session->plugin_state);
    /* From here a process exit passes this session by: its walk reads the
     * journals, which are unmapped next, and the queue, released after. */
    shim__unregister_session(session);
    /* After on_stopped: a deferred message the plugin finished there
     * leaves the journal before it closes. */
    shim__close_journals(session);

    release_session(session);
}
