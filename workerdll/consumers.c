/* The session's pool callbacks: each runs the journals' messages and the
 * queue's work items until neither has anything for it, then returns to
 * the pool. At most max_threads are submitted at a time (`scheduled`). A
 * callback starts because the session thread looked and found messages,
 * a post carried the backlog past a wake span, a poster waits for room,
 * or a work item was submitted. */
#include "session.h"

void shim__add_consumer(shim_session *session)
{
    LONG scheduled;

    if (shim__read_flag(&session->scheduled) >= shim__read_flag(&session->max_callbacks))
        return;
    scheduled = InterlockedIncrement(&session->scheduled);
    if (scheduled > shim__read_flag(&session->max_callbacks)) {
        InterlockedDecrement(&session->scheduled);
        return;
    }
    if (scheduled > 1 && !shim__read_flag(&session->threads_reserved))
        shim__reserve_pool_threads(session);
    SubmitThreadpoolWork(session->work);
    InterlockedIncrement64(&session->callbacks_scheduled);
}

static consumer_slot *claim_slot(shim_session *session)
{
    /* At most max_callbacks callbacks run at once, never more than slots. */
    for (unsigned i = 0; i < SHIM_MAX_THREADS_LIMIT; i++) {
        if (InterlockedCompareExchange(&session->consumers[i].in_use, 1, 0) == 0)
            return &session->consumers[i];
    }
    return NULL;
}

/* The plugin made the pool smaller (shim_session_set_max_threads) while
 * more callbacks were scheduled: one of those leaves before it takes
 * another entry, so that at most max_threads run from then on. */
static BOOL is_one_too_many(shim_session *session)
{
    LONG scheduled = shim__read_flag(&session->scheduled);

    return scheduled > shim__read_flag(&session->max_callbacks) &&
           InterlockedCompareExchange(&session->scheduled, scheduled - 1, scheduled) == scheduled;
}

/* Whether a callback has something to do now. A message claimed and not
 * yet published is not: the session thread looks again soon. */
BOOL shim__has_work_for_callbacks(shim_session *session)
{
    return shim__messages_deliverable(session) || !shim__queue_is_empty(&session->queue);
}

void shim__start_consumer_if_work_waits(shim_session *session)
{
    if (shim__has_work_for_callbacks(session))
        shim__add_consumer(session);
}

void CALLBACK shim__run_queued_items(PTP_CALLBACK_INSTANCE instance, void *parameter, PTP_WORK work)
{
    shim_session *session = parameter;
    consumer_slot *slot = claim_slot(session);

    (void)instance;
    (void)work;
    shim__batch_enter(session);
    for (;;) {
        if (is_one_too_many(session))
            break;
        if (shim__run_message_batch(session, slot, FALSE) || shim__run_work_item(session, slot))
            continue;
        /* Nothing left: unscheduled first, then one more look (seq_cst),
         * so that a post that read `scheduled` before the decrement (and
         * did not wake anyone) has its message seen here. */
        if (InterlockedDecrement(&session->scheduled) == 0 && shim__read_flag(&session->stop_requested))
            shim__wake_session_waiters();
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (!shim__has_work_for_callbacks(session)) {
            /* The burst is over: what the work queue needed beyond a few
             * blocks goes back to the heap, off the host's path. */
            shim__queue_trim(&session->queue);
            break;
        }
        if (InterlockedIncrement(&session->scheduled) > shim__read_flag(&session->max_callbacks)) {
            InterlockedDecrement(&session->scheduled);
            break;
        }
    }
    if (slot != NULL)
        InterlockedExchange(&slot->in_use, 0);
    shim__batch_leave(session);
}

BOOL shim__queue_is_idle(const shim_session *session)
{
    return shim__read_flag(&session->scheduled) == 0 && shim__queue_is_empty(&session->queue) &&
           !shim__messages_deliverable((shim_session *)session);
}
