/* The bracket around every callback: it holds plugin code back until
 * on_start has returned, and counts what runs and what is outstanding, which
 * is what the stop waits for. */
#include "session.h"

void shim__outstanding_done(shim_session *session)
{
    if (InterlockedDecrement(&session->outstanding) == 0 && shim__read_flag(&session->stop_requested))
        shim__wake_session_waiters();
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
        InterlockedIncrement64(&session->handle_callbacks);
    shim__batch_leave(session);
    shim__outstanding_done(session);
}

void shim__batch_leave(shim_session *session)
{
    InterlockedDecrement(&session->running);
}
