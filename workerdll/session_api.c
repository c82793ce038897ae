/* The plugin API of a session that is not a setting, a counter or a
 * message: work, the stop token, the plugin's state; and the front's
 * status. */
#include "session.h"

int shim_session_submit(shim_session *session, shim_work_function work, shim_work_cancel_function on_cancel,
                        void *context)
{
    return shim__queue_item(session, work, on_cancel, context);
}

int shim_session_stop_requested(const shim_session *session)
{
    /* A signal that came while on_start ran is the stop already, unless a
     * linger puts it off: an on_start that polls this still ends early. */
    return session == NULL || shim__read_flag(&session->stop_requested) != 0 ||
           (shim__read_flag(&session->stop_signalled) != 0 && shim__read_flag(&session->stop_linger_ms) <= 0);
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
