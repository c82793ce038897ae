/* Reading a session's counters, and the trace hook that reports them. */
#include "session.h"

int shim_session_get_counters(const shim_session *session, shim_session_counters *counters)
{
    shim_session *writable = (shim_session *)session; /* Interlocked reads need it */

    if (session == NULL || counters == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    counters->submitted = shim__queue_claimed_count(&session->queue) + shim__messages_posted(writable);
    counters->completed = InterlockedCompareExchange64(&writable->completed, 0, 0);
    counters->cancelled = InterlockedCompareExchange64(&writable->cancelled, 0, 0);
    counters->refused = InterlockedCompareExchange64(&writable->refused, 0, 0);
    counters->running = shim__read_flag(&session->running);
    counters->peak_running = shim__read_flag(&session->peak_running);
    counters->stop_requested_ms = InterlockedCompareExchange64(&writable->stop_requested_ms, 0, 0);
    counters->stop_finished_ms = InterlockedCompareExchange64(&writable->stop_finished_ms, 0, 0);
    counters->module_pinned = shim__read_flag(&session->module_pinned) != 0;
    counters->delivered_at_exit = InterlockedCompareExchange64(&writable->delivered_at_exit, 0, 0);
    counters->lost_at_exit = InterlockedCompareExchange64(&writable->lost_at_exit, 0, 0);
    counters->journal = session->journal_kind;
    counters->dropped = InterlockedCompareExchange64(&writable->dropped, 0, 0);
    counters->recovered = InterlockedCompareExchange64(&writable->recovered, 0, 0);
    counters->deferred = shim__read_flag(&session->deferred_now);
    counters->kept_in_journal = InterlockedCompareExchange64(&writable->kept_in_journal, 0, 0);
    counters->skipped = InterlockedCompareExchange64(&writable->skipped, 0, 0);
    counters->callbacks_scheduled = InterlockedCompareExchange64(&writable->callbacks_scheduled, 0, 0);
    counters->handle_callbacks = InterlockedCompareExchange64(&writable->handle_callbacks, 0, 0);
    /* The own journal, until the stop has closed it. */
    counters->backlog_bytes = session->journal_count > 0 && !shim__read_flag(&session->journals[0].closed)
                                  ? (long long)ring_backlog(&session->journals[0].ring)
                                  : 0;
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
