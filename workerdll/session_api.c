/* The plugin API of a session that is not a setting or a counter: work, the
 * stop token, the plugin's state; and the front's post and status. */
#include "session.h"

int shim_session_submit(shim_session *session, shim_work_function work, shim_work_cancel_function on_cancel,
                        void *context)
{
    if (work == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    return shim__queue_item(session, work, on_cancel, context, NULL, 0);
}

/* How long the front's first posts wait for on_start, at most. */
#define START_WAIT_MS 2000

int shim__session_post(shim_session *session, const void *payload, size_t size)
{
    /* Until on_start has returned, a process that exits loses its messages:
     * the plugin has nothing open to hand them to (a short program that
     * makes its calls at once exits before the session thread has run). So
     * the front's posts wait for it, within a bound, unless the caller holds
     * the loader lock, which the session thread needs to start at all. Once
     * started, this is one read of a line posts read anyway. */
    if (session != NULL && !shim__read_flag(&session->started) && !shim__holds_loader_lock())
        shim__wait_for_session(session, shim__session_has_started, START_WAIT_MS);
    return shim__queue_item(session, NULL, NULL, NULL, payload, size);
}

int shim_session_stop_requested(const shim_session *session)
{
    return session == NULL || shim__read_flag(&session->stop_requested) != 0;
}

void *shim_session_get_plugin_state(const shim_session *session)
{
    return session != NULL ? session->plugin_state : NULL;
}

int shim__session_status(const shim_session *session)
{
    if (session == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    if (shim__read_flag(&session->started) && shim__read_flag(&session->start_status) != SHIM_OK)
        return SHIM_E_START_FAILED;
    if (shim__read_flag(&session->stop_requested))
        return SHIM_E_STOPPING;
    return SHIM_OK;
}
