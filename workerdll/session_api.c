/* The plugin API of a session: submitting work, the stop token, settings. */
#include <string.h>

#include "session.h"

int shim_submit(shim_session *session, shim_work_function work, shim_cancel_function on_cancel, void *context)
{
    work_item *item;
    int status;

    if (session == NULL || work == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    if (shim__read_flag(&session->stop_requested))
        return shim__refuse(session, SHIM_E_STOPPING);
    item = shim__allocate_item(session, 0);
    if (item == NULL)
        return SHIM_E_OUT_OF_MEMORY;
    item->work = work;
    item->on_cancel = on_cancel;
    item->context = context;
    status = shim__enqueue(session, item);
    if (status != SHIM_OK)
        shim__free_item(item);
    return status;
}

int shim__session_post(shim_session *session, const void *payload, size_t size)
{
    work_item *item;
    int status;

    if (session == NULL || (payload == NULL && size != 0))
        return SHIM_E_INVALID_ARGUMENT;
    if (shim__read_flag(&session->stop_requested))
        return shim__refuse(session, SHIM_E_STOPPING);
    item = shim__allocate_item(session, size);
    if (item == NULL)
        return SHIM_E_OUT_OF_MEMORY;
    if (size != 0)
        memcpy(item->payload, payload, size);
    status = shim__enqueue(session, item);
    if (status != SHIM_OK)
        shim__free_item(item);
    return status;
}

int shim_stop_requested(const shim_session *session)
{
    return session == NULL || shim__read_flag(&session->stop_requested) != 0;
}

void *shim_session_plugin_state(const shim_session *session)
{
    return session != NULL ? session->plugin_state : NULL;
}

int shim_session_set_stop_policy(shim_session *session, shim_stop_policy policy)
{
    if (session == NULL || (policy != SHIM_STOP_DRAIN && policy != SHIM_STOP_CANCEL))
        return SHIM_E_INVALID_ARGUMENT;
    InterlockedExchange(&session->stop_policy, (LONG)policy);
    return SHIM_OK;
}
