/* Counting what a session does: the gate that refuses work once the session
 * stops, the bracket around every callback, and the counters and trace. */
#include "session.h"

int shim__gate_enter(shim_session *session)
{
    AcquireSRWLockShared(&session->submit_lock);
    if (!session->accepting || shim__read_flag(&session->stop_requested)) {
        ReleaseSRWLockShared(&session->submit_lock);
        return shim__refuse(session, SHIM_E_STOPPING);
    }
    if (shim__read_flag(&session->started) && shim__read_flag(&session->start_status) != SHIM_OK) {
        ReleaseSRWLockShared(&session->submit_lock);
        return shim__refuse(session, SHIM_E_START_FAILED);
    }
    return SHIM_OK;
}

void shim__gate_leave(shim_session *session)
{
    ReleaseSRWLockShared(&session->submit_lock);
}

int shim__refuse(shim_session *session, int status)
{
    InterlockedIncrement64(&session->refused);
    return status;
}

void shim__outstanding_done(shim_session *session)
{
    if (InterlockedDecrement(&session->outstanding) == 0 && shim__read_flag(&session->stop_requested))
        shim__wake_session_waiters();
}

void shim__count_cancelled(shim_session *session)
{
    InterlockedIncrement64(&session->cancelled);
    shim__outstanding_done(session);
}

static void raise_peak(shim_session *session, LONG running)
{
    LONG peak = shim__read_flag(&session->peak_running);

    while (running > peak) {
        LONG seen = InterlockedCompareExchange(&session->peak_running, running, peak);
        if (seen == peak)
            break;
        peak = seen;
    }
}

int shim__callback_enter(shim_session *session)
{
    InterlockedIncrement(&session->outstanding);
    return shim__batch_enter(session);
}

int shim__batch_enter(shim_session *session)
{
    raise_peak(session, InterlockedIncrement(&session->running));
    /* Objects and work can exist before on_start has returned (work queued
     * from the front's DllMain, timers armed inside on_start): no plugin
     * callback may overtake it. */
    if (!shim__read_flag(&session->started))
        shim__wait_for_session(session, shim__session_has_started, INFINITE);
    return shim__read_flag(&session->start_status) == SHIM_OK;
}

void shim__callback_leave(shim_session *session, int completed)
{
    if (completed)
        InterlockedIncrement64(&session->completed);
    shim__batch_leave(session);
    shim__outstanding_done(session);
}

void shim__batch_leave(shim_session *session)
{
    InterlockedDecrement(&session->running);
}

int shim_session_get_counters(const shim_session *session, shim_session_counters *counters)
{
    shim_session *writable = (shim_session *)session; /* Interlocked reads need it */

    if (session == NULL || counters == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    counters->submitted = InterlockedCompareExchange64(&writable->submitted, 0, 0);
    counters->completed = InterlockedCompareExchange64(&writable->completed, 0, 0);
    counters->cancelled = InterlockedCompareExchange64(&writable->cancelled, 0, 0);
    counters->refused = InterlockedCompareExchange64(&writable->refused, 0, 0);
    counters->running = shim__read_flag(&session->running);
    counters->peak_running = shim__read_flag(&session->peak_running);
    counters->stop_requested_ms = InterlockedCompareExchange64(&writable->stop_requested_ms, 0, 0);
    counters->stop_finished_ms = InterlockedCompareExchange64(&writable->stop_finished_ms, 0, 0);
    counters->module_pinned = shim__read_flag(&session->module_pinned) != 0;
    return SHIM_OK;
}

void shim__trace(shim_session *session, shim_trace_event event)
{
    shim_session_counters counters;

    if (session->plugin->on_trace == NULL)
        return;
    shim_session_get_counters(session, &counters);
    session->plugin->on_trace(session, event, &counters);
}

int shim_session_set_stop_deadline(shim_session *session, unsigned milliseconds)
{
    if (session == NULL || milliseconds > (unsigned)MAXLONG)
        return SHIM_E_INVALID_ARGUMENT;
    InterlockedExchange(&session->stop_deadline_ms, (LONG)milliseconds);
    return SHIM_OK;
}
