/* A session's settings, chosen by its plugin. The stop reads each once, when
 * it is requested. */
#include "session.h"

int shim_session_set_stop_policy(shim_session *session, shim_stop_policy policy)
{
    if (session == NULL || (policy != SHIM_STOP_DRAIN && policy != SHIM_STOP_CANCEL))
        return SHIM_E_INVALID_ARGUMENT;
    InterlockedExchange(&session->stop_policy, (LONG)policy);
    return SHIM_OK;
}

int shim_session_set_stop_deadline(shim_session *session, unsigned milliseconds)
{
    if (session == NULL || milliseconds > (unsigned)MAXLONG)
        return SHIM_E_INVALID_ARGUMENT;
    InterlockedExchange(&session->stop_deadline_ms, (LONG)milliseconds);
    return SHIM_OK;
}

int shim_session_set_message_batch(shim_session *session, unsigned max_messages)
{
    if (session == NULL || max_messages == 0 || max_messages > SHIM_MESSAGE_BATCH_LIMIT)
        return SHIM_E_INVALID_ARGUMENT;
    InterlockedExchange(&session->message_batch, (LONG)max_messages);
    return SHIM_OK;
}

int shim_session_set_delivery_latency(shim_session *session, unsigned milliseconds)
{
    if (session == NULL || milliseconds < SHIM_MIN_DELIVERY_LATENCY_MS ||
        milliseconds > SHIM_MAX_DELIVERY_LATENCY_MS)
        return SHIM_E_INVALID_ARGUMENT;
    InterlockedExchange(&session->delivery_latency_ms, (LONG)milliseconds);
    return SHIM_OK;
}

int shim_session_set_stop_linger(shim_session *session, unsigned milliseconds)
{
    if (session == NULL || milliseconds > SHIM_MAX_STOP_LINGER_MS)
        return SHIM_E_INVALID_ARGUMENT;
    InterlockedExchange(&session->stop_linger_ms, (LONG)milliseconds);
    /* A linger in progress looks again: 0 ends it at once. */
    shim__wake_session_waiters();
    return SHIM_OK;
}

int shim_session_set_deferred_limit(shim_session *session, unsigned limit)
{
    if (session == NULL || limit == 0 || limit > SHIM_MAX_DEFERRED_LIMIT)
        return SHIM_E_INVALID_ARGUMENT;
    InterlockedExchange(&session->deferred_limit, (LONG)limit);
    /* A higher limit may let held-back delivery go on. */
    shim__wake_consumer(session);
    return SHIM_OK;
}

/* Wine starts a pool thread for a submission only when every thread is
 * busy, and counts a thread that was woken but has not yet picked up its
 * callback as idle: a burst of submissions can then leave callbacks waiting
 * behind blocked ones while the maximum is not reached. A pool that keeps
 * its maximum has a thread for each. Done only once two callbacks are
 * wanted at once, so a session that never needs them starts none. */
static BOOL size_pool(shim_session *session, LONG max_threads)
{
    /* The order keeps minimum <= maximum at every step. */
    if (max_threads >= shim__read_flag(&session->max_callbacks)) {
        SetThreadpoolThreadMaximum(session->pool, (DWORD)max_threads);
        return !session->threads_reserved || SetThreadpoolThreadMinimum(session->pool, (DWORD)max_threads);
    }
    if (session->threads_reserved && !SetThreadpoolThreadMinimum(session->pool, (DWORD)max_threads))
        return FALSE;
    SetThreadpoolThreadMaximum(session->pool, (DWORD)max_threads);
    return TRUE;
}

void shim__reserve_pool_threads(shim_session *session)
{
    AcquireSRWLockExclusive(&session->pool_size_lock);
    if (!session->threads_reserved) {
        session->threads_reserved = 1;
        /* Failure leaves the pool as it was: threads then come on demand. */
        SetThreadpoolThreadMinimum(session->pool, (DWORD)shim__read_flag(&session->max_callbacks));
    }
    ReleaseSRWLockExclusive(&session->pool_size_lock);
}

int shim_session_set_max_threads(shim_session *session, unsigned max_threads)
{
    int status = SHIM_OK;

    if (session == NULL || max_threads == 0 || max_threads > SHIM_MAX_THREADS_LIMIT)
        return SHIM_E_INVALID_ARGUMENT;
    AcquireSRWLockExclusive(&session->pool_size_lock);
    if (size_pool(session, (LONG)max_threads))
        InterlockedExchange(&session->max_callbacks, (LONG)max_threads);
    else
        status = SHIM_E_SYSTEM;
    ReleaseSRWLockExclusive(&session->pool_size_lock);
    return status;
}
