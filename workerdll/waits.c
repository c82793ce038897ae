#include "session.h"

static void CALLBACK wait_ended(PTP_CALLBACK_INSTANCE instance, void *parameter, PTP_WAIT pool_wait,
                                TP_WAIT_RESULT result)
{
    shim_wait *wait = parameter;
    shim_session *session = wait->object.session;
    int may_run;

    (void)instance;
    (void)pool_wait;
    may_run = shim__callback_enter(session);
    if (may_run)
        wait->callback(session, wait->object.context, result == WAIT_TIMEOUT);
    shim__callback_leave(session, may_run);
}

int shim_wait_create(shim_session *session, shim_wait_function callback, shim_cancel_function on_release,
                     void *context, shim_wait **out_wait)
{
    shim_wait *wait;
    int status;

    if (out_wait != NULL)
        *out_wait = NULL;
    if (session == NULL || callback == NULL || out_wait == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    wait = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *wait);
    if (wait == NULL)
        return SHIM_E_OUT_OF_MEMORY;
    wait->object.session = session;
    wait->object.kind = SESSION_OBJECT_WAIT;
    wait->object.on_release = on_release;
    wait->object.context = context;
    wait->callback = callback;

    status = shim__gate_enter(session);
    if (status == SHIM_OK) {
        wait->wait = CreateThreadpoolWait(wait_ended, wait, &session->environment);
        if (wait->wait != NULL)
            shim__add_object(session, &wait->object);
        else
            status = SHIM_E_SYSTEM;
        shim__gate_leave(session);
    }
    if (status != SHIM_OK) {
        HeapFree(GetProcessHeap(), 0, wait);
        return status;
    }
    *out_wait = wait;
    return SHIM_OK;
}

int shim_wait_set(shim_wait *wait, HANDLE handle, unsigned long timeout_ms)
{
    LARGE_INTEGER timeout = { .QuadPart = -(LONGLONG)timeout_ms * 10000 };
    FILETIME timeout_time;
    int status;

    if (wait == NULL || handle == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    status = shim__gate_enter(wait->object.session);
    if (status != SHIM_OK)
        return status;
    timeout_time.dwLowDateTime = timeout.LowPart;
    timeout_time.dwHighDateTime = (DWORD)timeout.HighPart;
    SetThreadpoolWait(wait->wait, handle, timeout_ms == INFINITE ? NULL : &timeout_time);
    shim__gate_leave(wait->object.session);
    return SHIM_OK;
}
