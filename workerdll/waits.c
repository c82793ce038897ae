/* Waits for kernel objects on the session's pool (shim_wait_*). */
#include "session.h"

static void CALLBACK wait_ended(PTP_CALLBACK_INSTANCE instance, void *parameter, PTP_WAIT pool_wait,
                                TP_WAIT_RESULT result)
{
    shim_wait *wait = parameter;
    shim_session *session = wait->object.session;
    int may_run;

    (void)instance;
    (void)pool_wait;
    may_run = shim__callback_enter(session) && !shim__read_flag(&wait->object.closed);
    if (may_run)
        wait->callback(session, wait, wait->object.context, result == WAIT_TIMEOUT);
    shim__callback_leave(session, may_run);
}

int shim_wait_create(shim_session *session, shim_wait_function callback, shim_close_function on_closed,
                     void *context, shim_wait **out_wait)
{
    session_object *object;
    shim_wait *wait;
    int status;

    if (out_wait != NULL)
        *out_wait = NULL;
    if (session == NULL || callback == NULL || out_wait == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    status =
        shim__begin_object_create(session, SESSION_OBJECT_WAIT, sizeof *wait, on_closed, context, &object);
    if (status != SHIM_OK)
        return status;
    wait = (shim_wait *)object;
    wait->callback = callback;
    wait->wait = CreateThreadpoolWait(wait_ended, wait, &session->environment);
    status = shim__finish_object_create(object, wait->wait != NULL);
    if (status == SHIM_OK)
        *out_wait = wait;
    return status;
}

int shim_wait_start(shim_wait *wait, HANDLE object, unsigned long timeout_ms)
{
    FILETIME timeout = shim__relative_time(timeout_ms);
    int status;

    if (wait == NULL || object == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    status = shim__begin_object_start(&wait->object);
    if (status != SHIM_OK)
        return status;
    SetThreadpoolWait(wait->wait, object, timeout_ms == INFINITE ? NULL : &timeout);
    return shim__finish_object_start(&wait->object);
}

int shim_wait_stop(shim_wait *wait)
{
    return shim__stop_object(wait != NULL ? &wait->object : NULL);
}

int shim_wait_close(shim_wait *wait)
{
    return shim__close_object(wait != NULL ? &wait->object : NULL);
}
