#include "session.h"

static void CALLBACK timer_fired(PTP_CALLBACK_INSTANCE instance, void *parameter, PTP_TIMER pool_timer)
{
    shim_timer *timer = parameter;
    shim_session *session = timer->object.session;
    int may_run;

    (void)instance;
    (void)pool_timer;
    may_run = shim__callback_enter(session);
    if (may_run)
        timer->callback(session, timer->object.context);
    shim__callback_leave(session, may_run);
}

int shim_timer_create(shim_session *session, shim_timer_function callback, shim_cancel_function on_release,
                      void *context, shim_timer **out_timer)
{
    shim_timer *timer;
    int status;

    if (out_timer != NULL)
        *out_timer = NULL;
    if (session == NULL || callback == NULL || out_timer == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    timer = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *timer);
    if (timer == NULL)
        return SHIM_E_OUT_OF_MEMORY;
    timer->object.session = session;
    timer->object.kind = SESSION_OBJECT_TIMER;
    timer->object.on_release = on_release;
    timer->object.context = context;
    timer->callback = callback;

    status = shim__gate_enter(session);
    if (status == SHIM_OK) {
        timer->timer = CreateThreadpoolTimer(timer_fired, timer, &session->environment);
        if (timer->timer != NULL)
            shim__add_object(session, &timer->object);
        else
            status = SHIM_E_SYSTEM;
        shim__gate_leave(session);
    }
    if (status != SHIM_OK) {
        HeapFree(GetProcessHeap(), 0, timer);
        return status;
    }
    *out_timer = timer;
    return SHIM_OK;
}

int shim_timer_set(shim_timer *timer, unsigned due_ms, unsigned period_ms)
{
    /* Relative due times are negative, in 100-nanosecond units. */
    LARGE_INTEGER due = { .QuadPart = -(LONGLONG)due_ms * 10000 };
    FILETIME due_time;
    int status;

    if (timer == NULL || period_ms > (unsigned)MAXLONG)
        return SHIM_E_INVALID_ARGUMENT;
    status = shim__gate_enter(timer->object.session);
    if (status != SHIM_OK)
        return status;
    due_time.dwLowDateTime = due.LowPart;
    due_time.dwHighDateTime = (DWORD)due.HighPart;
    SetThreadpoolTimer(timer->timer, &due_time, period_ms, 0);
    shim__gate_leave(timer->object.session);
    return SHIM_OK;
}

int shim_timer_cancel(shim_timer *timer)
{
    int status;

    if (timer == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    /* Through the gate: the stop disarms and closes timers, after which the
     * pool object must not be touched. */
    status = shim__gate_enter(timer->object.session);
    if (status != SHIM_OK)
        return status == SHIM_E_STOPPING ? SHIM_OK : status; /* the stop disarms it anyway */
    SetThreadpoolTimer(timer->timer, NULL, 0, 0);
    shim__gate_leave(timer->object.session);
    return SHIM_OK;
}
