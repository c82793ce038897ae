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

int shim_session_set_max_threads(shim_session *session, unsigned max_threads)
{
    if (session == NULL || max_threads == 0 || max_threads > SHIM_MAX_THREADS_LIMIT)
        return SHIM_E_INVALID_ARGUMENT;
    /* The pool's maximum first: a callback scheduled for the new count must
     * find a thread for it. */
    SetThreadpoolThreadMaximum(session->pool, (DWORD)max_threads);
    InterlockedExchange(&session->max_callbacks, (LONG)max_threads);
    return SHIM_OK;
}
